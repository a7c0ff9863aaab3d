"""The system libraries Qt needs on Debian and Ubuntu, and whether this machine can show a window.

Qt's wheels carry Qt itself but not the libraries it loads from the system
(GL, fontconfig, D-Bus, and the xcb helpers its X11 plugin needs). Without them
Qt prints its own message and aborts with a core dump. This module finds what
is missing before Qt starts, so the app can say in one line what to install.
It is the one list of those packages: ``make run`` calls it, and the .deb's
dependencies and CI's package list name the same ones.

Run ``python -m threadloom.syslibs`` to list what is missing, ``--install`` to
install it with apt-get (as root), ``--packages`` to print every package name.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys

#: Debian package -> a library it ships: loaded by every Qt program.
CORE = {
    "libegl1": "libEGL.so.1",
    "libgl1": "libGL.so.1",
    "libxkbcommon0": "libxkbcommon.so.0",
    "libfontconfig1": "libfontconfig.so.1",
    "libdbus-1-3": "libdbus-1.so.3",
    "libglib2.0-0": "libglib-2.0.so.0",
}
#: Loaded by Qt's xcb (X11) platform plugin, the one used on X and under XWayland.
XCB = {
    "libxcb1": "libxcb.so.1",
    "libxkbcommon-x11-0": "libxkbcommon-x11.so.0",
    "libxcb-cursor0": "libxcb-cursor.so.0",
    "libxcb-icccm4": "libxcb-icccm.so.4",
    "libxcb-image0": "libxcb-image.so.0",
    "libxcb-keysyms1": "libxcb-keysyms.so.1",
    "libxcb-randr0": "libxcb-randr.so.0",
    "libxcb-render-util0": "libxcb-render-util.so.0",
    "libxcb-shape0": "libxcb-shape.so.0",
    "libxcb-xfixes0": "libxcb-xfixes.so.0",
    "libxcb-xinerama0": "libxcb-xinerama.so.0",
    "libxcb-xkb1": "libxcb-xkb.so.1",
}
#: Loaded by Qt's Wayland platform plugin.
WAYLAND = {
    "libwayland-client0": "libwayland-client.so.0",
    "libwayland-cursor0": "libwayland-cursor.so.0",
    "libwayland-egl1": "libwayland-egl.so.1",
}
#: Platforms that draw without a screen: nothing beyond CORE is needed.
_HEADLESS = {"offscreen", "minimal", "vnc"}


def missing(packages: dict[str, str]) -> list[str]:
    """The packages among ``packages`` whose library this process cannot load."""
    if not sys.platform.startswith("linux"):
        return []
    absent = []
    for package, soname in packages.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            absent.append(package)
    return absent


def platform_plugin(environ: dict[str, str] | None = None) -> str:
    """The Qt platform plugin that will start: the user's choice, else what the session offers."""
    env = os.environ if environ is None else environ
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if not sys.platform.startswith("linux"):
        return "native"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb" if env.get("DISPLAY") else ""


def needed(plugin: str) -> dict[str, str]:
    """The packages a platform plugin needs, CORE included."""
    extra = {"xcb": XCB, "wayland": WAYLAND}.get(plugin, {})
    return {**CORE, **extra}


def install_line(packages: list[str]) -> str:
    return "sudo apt-get install " + " ".join(packages)


def startup_problem(environ: dict[str, str] | None = None) -> str | None:
    """Why the window cannot open here, in one line that says how to fix it; None if it can."""
    plugin = platform_plugin(environ)
    if plugin == "":
        return (
            "no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set): run it in a desktop "
            "session, or under a virtual screen with `xvfb-run threadloom`; `threadloom run` and "
            "`threadloom render` need no display"
        )
    absent = missing(needed(plugin))
    if absent:
        what = "Qt" if plugin in _HEADLESS or plugin == "native" else f"Qt and its {plugin} plugin"
        return f"system libraries for {what} are missing: {install_line(absent)}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m threadloom.syslibs", description=__doc__.splitlines()[0])
    parser.add_argument("--install", action="store_true", help="install what is missing with apt-get (as root)")
    parser.add_argument("--packages", action="store_true", help="print every package Qt may need, and exit")
    args = parser.parse_args(argv)
    everything = {**CORE, **XCB, **WAYLAND}
    if args.packages:
        print(" ".join(everything))
        return 0
    absent = missing(everything)
    if not absent:
        return 0
    if args.install and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing the system libraries Qt needs: {' '.join(absent)}", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *absent], env=env)
        return result.returncode
    print(f"Qt needs system libraries that are missing; install them with:\n  {install_line(absent)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
