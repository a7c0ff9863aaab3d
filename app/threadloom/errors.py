"""Every error Threadloom reports to a person derives from :class:`ThreadloomError`.

The CLI prints ``str(error)`` as one line to stderr and exits with
``error.exit_code``; the GUI shows the same line in its status bar. So each
message names the file, the field and what is allowed. Library code (all but
``cli/``) never names a command-line flag: the CLI says which flag a value
came from. A run the user stopped is not an error: the engine returns it as
an outcome (:class:`threadloom.engine.RunResult` with ``stopped`` set).
"""

from __future__ import annotations


class ThreadloomError(Exception):
    """Base class: a problem the user can fix, reported in one line."""

    exit_code = 1


class UsageError(ThreadloomError):
    """A command-line flag or value is not allowed (unknown model, bad size).

    Raised before anything runs; the CLI exits 2, as argparse does.
    """

    exit_code = 2


class ScenarioError(ThreadloomError):
    """A scenario file is missing, is not TOML, or asks for something invalid.

    The message starts with the file's name and names the field, for example
    ``convoy.toml: groups[0].count must be a whole number from 1 to 4096, got -1``.
    Fix the file and run again.
    """


class ProbeError(ThreadloomError):
    """The probe subprocess could not run, or crashed.

    Not your scenario's fault: the interpreter may not exist, may be too old,
    or may have crashed. Whatever the probe recorded before it ended is kept in
    :attr:`trace` (possibly empty), so a partial run can still be looked at.
    """

    def __init__(self, message: str, trace=None) -> None:
        super().__init__(message)
        self.trace = trace


class WireFormatError(ProbeError):
    """The probe's output is not a Threadloom event stream this version can read.

    Either the probe printed something else (a crash message, garbage), or it
    speaks a newer wire version: update Threadloom on the parent side.
    """


class SavedRunError(ThreadloomError):
    """A saved run is truncated, tampered with, or from a newer Threadloom.

    Nothing in the file was executed; the file is left as it is.
    """


class ExportError(ThreadloomError):
    """A run cannot be exported as asked: nothing to export, runs and labels that do not pair up,
    or a picture format that does not exist.

    Nothing was written; the message says what the export needs.
    """


class DisplayError(ThreadloomError):
    """The window cannot open here: no display, or system libraries Qt needs are missing.

    Raised before Qt starts (Qt itself would abort the process). The message
    says what to install or how to get a display; the CLI's headless commands
    (``run``, ``render``) work without one.
    """
