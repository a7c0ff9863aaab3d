"""Which Python runs the probe, and how to start it there."""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import json
import os
import platform
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from ..errors import ProbeError
from ..probe.models import model_names, spec_of

#: The interpreter name that means "the one Threadloom itself runs on".
BUNDLED = "bundled"


def probe_source_root() -> Path:
    """The folder that holds the stdlib-only ``threadloom`` probe sources.

    In a frozen app the package lives in an archive other interpreters cannot
    import, so the bundle also carries the probe's sources as plain files.
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "probe-src"
    return Path(__file__).resolve().parents[2]


def probe_command(interpreter: str | None) -> tuple[list[str], dict[str, str], str]:
    """argv, environment and working directory that start the probe.

    Raises :class:`ProbeError` if ``interpreter`` does not exist.
    """
    env = dict(os.environ)
    frozen = getattr(sys, "frozen", False)
    if frozen and "LD_LIBRARY_PATH_ORIG" in env:
        # PyInstaller points LD_LIBRARY_PATH at the bundle; other programs need theirs back.
        env["LD_LIBRARY_PATH"] = env["LD_LIBRARY_PATH_ORIG"]
    root = str(probe_source_root())
    if interpreter in (None, "", BUNDLED):
        if frozen:
            return [sys.executable, "--probe"], env, root
        interpreter = sys.executable
    path = resolve_interpreter(interpreter)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    if frozen:
        # The probe's sources live inside the installed bundle: leave no __pycache__ there.
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONHOME", None)
    # The working directory is the probe's source root, so `-m` cannot pick
    # up an unrelated `threadloom` folder from wherever the user stands.
    return [path, "-m", "threadloom.probe"], env, root


def resolve_interpreter(interpreter: str) -> str:
    found = shutil.which(interpreter)
    if found:
        return found
    if os.sep in interpreter and os.path.isfile(interpreter):
        raise ProbeError(f"{interpreter}: the interpreter is not executable (check its permissions)")
    raise ProbeError(f"{interpreter}: no such interpreter (give the path of a python executable, or a name on PATH)")


@dataclass(frozen=True)
class InterpreterInfo:
    """What an interpreter said about itself.

    ``gil_optional`` is the build (``Py_GIL_DISABLED``: a free-threaded build);
    ``gil_enabled`` whether the GIL is on when it starts with this environment
    (a free-threaded build turns it back on for some extensions, or with
    ``PYTHON_GIL=1``). ``importable`` holds the packages the models need that it can import.
    """

    path: str
    version: str
    implementation: str
    gil_optional: bool
    gil_enabled: bool = True
    importable: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        tag = " (free-threaded)" if self.gil_optional else ""
        return f"{self.implementation} {self.version}{tag}"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        parts = []
        for piece in self.version.split(".")[:2]:
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits) if digits else 0)
        return tuple(parts)

    def unavailable(self) -> dict[str, str]:
        """Each model this interpreter cannot run, with why (too old, a package missing there)."""
        out: dict[str, str] = {}
        for name in model_names():
            spec = spec_of(name)
            if self.version_tuple < spec.min_python:
                needs = ".".join(map(str, spec.min_python))
                out[name] = f"needs Python {needs} or newer; this is {self.version}"
                continue
            absent = [p for p in spec.packages if p not in self.importable]
            if absent:
                out[name] = (
                    f"needs {', '.join(absent)}, not installed for this interpreter: pip install {' '.join(absent)}"
                )
        return out

    def models(self) -> list[str]:
        """The models this interpreter can run."""
        refused = self.unavailable()
        return [name for name in model_names() if name not in refused]

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "version": self.version,
            "implementation": self.implementation,
            "free_threaded": self.gil_optional,
            "gil_enabled": self.gil_enabled,
            "models": self.models(),
            "unavailable": self.unavailable(),
        }


def _packages_wanted() -> list[str]:
    return sorted({p for name in model_names() for p in spec_of(name).packages})


_DESCRIBE = (
    "import importlib.util,json,platform,sys,sysconfig;"
    "wanted=json.loads(sys.argv[1]);"
    "print(json.dumps([sys.executable,platform.python_version(),platform.python_implementation(),"
    "bool(sysconfig.get_config_var('Py_GIL_DISABLED')),bool(getattr(sys,'_is_gil_enabled',lambda:True)()),"
    "[p for p in wanted if importlib.util.find_spec(p) is not None]]))"
)


def this_interpreter() -> InterpreterInfo:
    """What the interpreter Threadloom itself runs on is (the bundled one, in a frozen app)."""
    return InterpreterInfo(
        sys.executable,
        platform.python_version(),
        platform.python_implementation(),
        bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        bool(getattr(sys, "_is_gil_enabled", lambda: True)()),
        frozenset(p for p in _packages_wanted() if importlib.util.find_spec(p) is not None),
    )


async def describe_interpreter(path: str, timeout: float = 10.0) -> InterpreterInfo:
    """Ask an interpreter what it is, without blocking the event loop."""
    if path in ("", BUNDLED) or (path == sys.executable and not getattr(sys, "frozen", False)):
        return this_interpreter()
    argv, env, cwd = probe_command(path)
    try:
        proc = await asyncio.create_subprocess_exec(
            argv[0],
            "-c",
            _DESCRIBE,
            json.dumps(_packages_wanted()),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
    except OSError as exc:
        raise ProbeError(f"{path}: cannot start it: {exc.strerror or exc}") from None
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        raise ProbeError(f"{path}: did not answer within {timeout:g} s; is it a Python interpreter?") from None
    finally:
        # Also on cancellation (the window closing while interpreters are probed).
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        close_transport(proc)
    try:
        _exe, version, impl, ft, gil, importable = json.loads(out)
    except (ValueError, TypeError):
        line = (err or out).decode("utf-8", "replace").strip().splitlines()
        raise ProbeError(f"{path}: is not a Python 3 interpreter ({line[-1] if line else 'no output'})") from None
    return InterpreterInfo(argv[0], str(version), str(impl), bool(ft), bool(gil), frozenset(map(str, importable)))


def close_transport(proc: asyncio.subprocess.Process) -> None:
    """Close a finished subprocess's pipes now, while the event loop runs.

    A process whose reads were cut short keeps its pipe transport open until a
    finaliser closes it, which may fire after the loop (qasync's, say) is gone.
    asyncio has no public call for this, hence the private attribute.
    """
    transport = getattr(proc, "_transport", None)
    if transport is not None:
        transport.close()


def read_in_pieces_of(proc: asyncio.subprocess.Process, fd: int, max_bytes: int) -> None:
    """Let the event loop read up to ``max_bytes`` of ``fd`` (1: stdout) each time it is readable.

    asyncio's pipe reads at most 256 KiB a turn. A probe that ran ahead of a GUI busy with its first
    frames then waited in the pipe for as many turns as it was hundreds of KiB ahead. asyncio has no
    public call for this either: where its pipe transport has no ``max_size``, nothing changes.
    """
    transport = getattr(proc, "_transport", None)
    pipe = transport.get_pipe_transport(fd) if transport is not None else None
    if pipe is not None and hasattr(pipe, "max_size"):
        pipe.max_size = max_bytes


def discover_interpreters() -> list[str]:
    """Python executables on PATH and in common version managers' folders."""
    names = ["python3", "pypy3"] + [f"python3.{m}" for m in range(9, 16)] + [f"python3.{m}t" for m in range(13, 16)]
    found: dict[str, None] = {}
    for name in names:
        path = shutil.which(name)
        if path:
            found.setdefault(os.path.realpath(path), None)
    patterns = ["~/.pyenv/versions/*/bin/python3", "~/.local/share/uv/python/*/bin/python3", "/usr/bin/python3.*"]
    for pattern in patterns:
        for path in sorted(glob.glob(os.path.expanduser(pattern))):
            if os.access(path, os.X_OK) and not path.endswith("-config"):
                found.setdefault(os.path.realpath(path), None)
    return list(found)
