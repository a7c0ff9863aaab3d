"""Threadloom: see how CPython really schedules threads, pools, coroutines and processes.

The package is laid out by the picture in the README:

- ``scenario``: TOML scenarios, validated into plain data.
- ``probe``: the stdlib-only measurement subprocess (runs under any interpreter).
- ``wire``: the versioned event stream between probe and parent (stdlib-only).
- ``engine``: starts the probe with asyncio subprocess streams and reads the stream.
- ``model``: the Qt-free columnar trace and the metrics computed from it.
- ``export``: saved runs, Perfetto and CSV, pictures.
- ``cli``: one module per subcommand.
- ``ui``: Qt views; no measurement logic.

This file stays import-light on purpose: the probe imports ``threadloom.wire``
under interpreters that have nothing but the standard library.
"""

__version__ = "0.1.0"
