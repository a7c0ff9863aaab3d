"""The probe: runs a scenario's workload and streams what the scheduler did.

It runs in its own process, under any interpreter the user names (CPython
3.9+, PyPy 3.9+, free-threaded builds), so everything here uses the standard
library only, Python 3.9 syntax, and from Threadloom just :mod:`threadloom.wire`.
A test checks that rule.

Start it as ``python -m threadloom.probe`` and write one JSON line with the
run's configuration to its stdin; keep stdin open. The wire stream comes back
on stdout. Closing stdin (for example because the parent died) ends the probe
and every process it started.
"""
