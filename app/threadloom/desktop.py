"""Put Threadloom in this user's desktop menu (Linux): ``threadloom --install-desktop``.

The .deb installs its desktop entry and icons system-wide; a pip or pipx
install has no such step, so this writes the same entry and icons under
``$XDG_DATA_HOME`` (``~/.local/share``) with ``Exec`` pointing at the
``threadloom`` that runs now. ``--uninstall-desktop`` removes exactly those
files. ``packaging/linux/io.github.threadloom.Threadloom.desktop`` is
:func:`desktop_entry` with ``Exec=threadloom gui``; a test keeps them equal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import UsageError
from .resources import resource_path

APP_ID = "io.github.threadloom.Threadloom"
ICON_SIZES = (48, 128, 256)


def desktop_entry(command: list[str]) -> str:
    """The desktop entry that starts ``command`` (argv, without the trailing ``gui``)."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Threadloom\n"
        "GenericName=Concurrency Visualizer\n"
        "Comment=Watch how Python schedules threads, pools, coroutines and processes\n"
        f"Exec={_exec_line([*command, 'gui'])}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "Categories=Development;Profiling;\n"
        "Keywords=GIL;threads;asyncio;concurrency;Python;scheduler;profiler;\n"
        "StartupNotify=true\n"
        # Qt's X11 WM_CLASS class is the application name; docks without _GTK_APPLICATION_ID match on it.
        "StartupWMClass=Threadloom\n"
    )


def _exec_line(argv: list[str]) -> str:
    """Quote argv by the Desktop Entry rules: double quotes, with \\ " ` $ escaped inside."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`=%")
    parts = []
    for arg in argv:
        if arg and not reserved.intersection(arg):
            parts.append(arg)
            continue
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg).replace("%", "%%")
        parts.append(f'"{escaped}"')
    return " ".join(parts)


def current_command() -> list[str]:
    """How to start the Threadloom that is running now, as an absolute argv."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    # Keep a pipx or venv script's own path, not its symlink target, so upgrades keep working.
    if script is not None and script.name == "threadloom" and os.access(script, os.X_OK):
        return [os.path.abspath(script)]
    found = shutil.which("threadloom")
    if found:
        return [os.path.abspath(found)]
    return [sys.executable, "-m", "threadloom"]


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def installed_files(root: Path) -> list[Path]:
    """Every file :func:`install_desktop_entry` writes under ``root``."""
    icons = root / "icons" / "hicolor"
    files = [root / "applications" / f"{APP_ID}.desktop", icons / "scalable" / "apps" / f"{APP_ID}.svg"]
    files += [icons / f"{size}x{size}" / "apps" / f"{APP_ID}.png" for size in ICON_SIZES]
    return files


def install_desktop_entry() -> int:
    """Install the desktop entry and icons for this user and print what was written."""
    _require_linux("--install-desktop")
    root = data_home()
    entry, svg, *pngs = installed_files(root)
    sources = [resource_path("icons", f"{APP_ID}.svg")]
    sources += [resource_path("icons", f"{APP_ID}-{size}.png") for size in ICON_SIZES]
    for source in sources:
        if not source.is_file():
            raise UsageError(f"{source}: icon missing from this installation; reinstall Threadloom")
    for source, target in zip(sources, [svg, *pngs], strict=True):
        _write(target, source.read_bytes())
    _write(entry, desktop_entry(current_command()).encode())
    _refresh_caches(root)
    print(
        f"Threadloom is in your applications menu (it may take a moment to appear).\n"
        f"Remove it with: {shlex.join([*current_command(), '--uninstall-desktop'])}"
    )
    return 0


def uninstall_desktop_entry() -> int:
    """Remove what :func:`install_desktop_entry` wrote; other files are left alone."""
    _require_linux("--uninstall-desktop")
    root = data_home()
    removed = 0
    for path in installed_files(root):
        if path.is_file():
            path.unlink()
            print(f"Removed {path}")
            removed += 1
    if not removed:
        print(f"Nothing to remove: no Threadloom desktop entry under {root}")
    _refresh_caches(root)
    return 0


def _require_linux(flag: str) -> None:
    if not sys.platform.startswith("linux"):
        raise UsageError(f"{flag} is for Linux desktops; on {sys.platform} use the installer in docs/install.md")


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    print(f"Wrote {target}")


def _refresh_caches(root: Path) -> None:
    """Tell menus about the change where the tools exist; menus also notice on their own, later."""
    applications = root / "applications"
    if shutil.which("update-desktop-database") and applications.is_dir():
        subprocess.run(
            ["update-desktop-database", "-q", str(applications)],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
