"""Startup figures: time from launch to the first painted window, and the size of the .deb.

Run: python benchmarks/bench_startup.py [--runs N] [--bundle PATH]
Record what it prints in docs/performance.md with the date and machine.

Two installs are timed, each N times after one untimed warm-up: the source
install (this interpreter, ``python -m threadloom gui``) and the PyInstaller
bundle (``build/dist/threadloom/threadloom``, else ``/opt/threadloom/threadloom``)
if one exists. Goal for the bundle: at most 2 s.

How "first painted" is seen, best first:
1. the app's own hook: with ``THREADLOOM_EXIT_AFTER_PAINT=1`` the window
   prints ``threadloom: first paint`` on stdout at its first paint event and
   quits; the time is taken here when that line arrives;
2. without the hook, under X11: the time the main window is mapped
   (``xwininfo`` polled; one poll takes about 25 ms here, which bounds the
   error), which is when Qt paints it.
With no ``DISPLAY`` the benchmark starts ``Xvfb`` so the real xcb platform
plugin is timed, not the offscreen one.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAINT_LINE = b"threadloom: first paint"
TIMEOUT_S = 60.0


def start_display() -> tuple[dict[str, str], subprocess.Popen | None]:
    """An environment with an X display: the user's, or a private Xvfb."""
    env = dict(os.environ)
    env.pop("QT_QPA_PLATFORM", None)
    if env.get("DISPLAY"):
        return env, None
    if not shutil.which("Xvfb"):
        env["QT_QPA_PLATFORM"] = "offscreen"
        return env, None
    for number in range(91, 140):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    xvfb = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if time.monotonic() > deadline or xvfb.poll() is not None:
            xvfb.kill()
            raise SystemExit("Xvfb did not start")
        time.sleep(0.05)
    env["DISPLAY"] = f":{number}"
    return env, xvfb


def mapped_window(env: dict[str, str], pid: int) -> bool:
    """True once a viewable top-level window at least 400 px wide belongs to ``pid``."""
    tree = subprocess.run(["xwininfo", "-root", "-children"], env=env, capture_output=True, text=True).stdout
    for window_id in re.findall(r"^\s+(0x[0-9a-f]+) ", tree, flags=re.M):
        geometry = subprocess.run(["xwininfo", "-id", window_id], env=env, capture_output=True, text=True).stdout
        width = re.search(r"Width: (\d+)", geometry)
        if "IsViewable" in geometry and width and int(width.group(1)) >= 400:
            owner = _window_pid(env, window_id)
            if owner is None or owner == pid:
                return True
    return False


def _window_pid(env: dict[str, str], window_id: str) -> int | None:
    """The window's _NET_WM_PID (Qt sets it), or None if xprop is missing."""
    if not shutil.which("xprop"):
        return None
    out = subprocess.run(["xprop", "-id", window_id, "_NET_WM_PID"], env=env, capture_output=True, text=True).stdout
    found = re.search(r"= (\d+)", out)
    return int(found.group(1)) if found else -1


def time_to_paint(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds from spawn to the first paint, and how it was seen."""
    env = {**env, "THREADLOOM_EXIT_AFTER_PAINT": "1"}
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True)
    os.set_blocking(proc.stdout.fileno(), False)
    how, elapsed, buffered = "", None, b""
    try:
        while time.monotonic() - start < TIMEOUT_S:
            chunk = proc.stdout.read() or b""
            buffered += chunk
            if PAINT_LINE in buffered:
                elapsed, how = time.monotonic() - start, "paint hook"
                break
            if proc.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {proc.returncode} before painting a window")
            if env.get("QT_QPA_PLATFORM") != "offscreen" and shutil.which("xwininfo") and mapped_window(env, proc.pid):
                elapsed, how = time.monotonic() - start, "window mapped (X11)"
                break
            time.sleep(0.005)
        if elapsed is None:
            raise RuntimeError(f"no window within {TIMEOUT_S:g} s (and no paint hook) for {' '.join(argv)}")
        if how != "paint hook":
            proc.send_signal(signal.SIGTERM)  # no hook: the app does not quit by itself
        return elapsed, how
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """End the app and anything it started (its own session): it quits by itself after the paint hook."""
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)  # also reaches a probe the window may have started
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            continue
    proc.stdout.close()


def find_bundle(explicit: str | None) -> str | None:
    default = [str(REPO / "build/dist/threadloom/threadloom"), "/opt/threadloom/threadloom"]
    candidates = [explicit] if explicit else default
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed launches per install (default 5)")
    parser.add_argument("--bundle", help="frozen threadloom executable (default: build/dist, then /opt)")
    args = parser.parse_args()

    targets = [("source install", [sys.executable, "-m", "threadloom", "gui"])]
    bundle = find_bundle(args.bundle)
    if bundle:
        targets.append((f"bundle ({bundle})", [bundle, "gui"]))
    env, xvfb = start_display()
    platform_name = env.get("QT_QPA_PLATFORM") or f"xcb on {env['DISPLAY']}"
    try:
        for label, argv in targets:
            time_to_paint(argv, env)  # warm the page cache and Python's bytecode cache
            times, how = [], ""
            for _ in range(args.runs):
                elapsed, how = time_to_paint(argv, env)
                times.append(elapsed)
            print(
                f"startup to first paint, {label}: median {statistics.median(times):.2f} s, "
                f"min {min(times):.2f} s, max {max(times):.2f} s over {len(times)} runs [{how}, {platform_name}]"
            )
        if not bundle:
            print("startup to first paint, bundle: no bundle found (run `make package`)")
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()

    debs = sorted(glob.glob(str(REPO / "dist" / "threadloom_*.deb")), key=os.path.getmtime)
    if debs:
        size = os.path.getsize(debs[-1])
        print(f"package size: {Path(debs[-1]).name} {size / 1048576:.1f} MB (budget 120 MB)")
    else:
        print("package size: no .deb in dist/ (run `make package`)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
