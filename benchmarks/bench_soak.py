"""Soak: a mixed scenario 200 times through the engine and 50 times through the app (offscreen).

Prints the parent's memory, open file descriptors, threads and child processes at the start and the
end, and whether any /tmp/pymp-* folder (here: in a private TMPDIR) was left behind.
Run: python benchmarks/bench_soak.py [ENGINE_RUNS] [APP_RUNS]   (record it in docs/performance.md)
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
# A TMPDIR of the soak's own, so leftovers of other programs are not counted.
SOAK_TMP = tempfile.mkdtemp(prefix="tl-soak-", dir="/tmp" if os.path.isdir("/tmp") else None)
os.environ["TMPDIR"] = SOAK_TMP
tempfile.tempdir = None

from threadloom.engine import ProbeSession, RunRequest  # noqa: E402
from threadloom.scenario import parse_scenario  # noqa: E402

MIXED = parse_scenario(
    """
name = "soak"
[run]
switch_interval_ms = 1
[[groups]]
name = "crunch"
count = 2
steps = [{ cpu = 5 }]
[[groups]]
name = "chatty"
count = 3
repeat = 3
steps = [{ net = 1 }, { io = 1 }, { native = 1 }]
""",
    source="soak",
)
MODELS = ["threads", "thread-pool", "asyncio", "asyncio-offload", "process-pool", "sequential"]


def figures() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    field = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines() if ":" in line}
    me = os.getpid()
    children = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children += int(fields[1]) == me and fields[0] not in ("Z", "X")
    return {
        "rss_mb": int(field["VmRSS"].split()[0]) / 1024,
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": int(field["Threads"]),
        "children": children,
        "pymp": len(list(Path(SOAK_TMP).glob("**/pymp-*"))),
        "tmp_entries": len(os.listdir(SOAK_TMP)),
    }


def show(label: str, f: dict[str, float]) -> None:
    print(
        f"{label:<26} rss {f['rss_mb']:7.1f} MB  fds {f['fds']:3d}  threads {f['threads']:2d}  "
        f"children {f['children']}  pymp-* left {f['pymp']}  entries in TMPDIR {f['tmp_entries']}",
        flush=True,
    )


def engine_soak(runs: int) -> tuple[dict, dict, dict]:
    async def one(model: str) -> None:
        result = await ProbeSession(RunRequest(MIXED, model, pool_size=2)).run()
        assert result.trace.complete, model

    start = figures()
    warm = start
    for i in range(runs):
        asyncio.run(one(MODELS[i % len(MODELS)]))
        if i == 2 * len(MODELS) - 1:
            warm = figures()
    return start, warm, figures()


def app_soak(runs: int) -> tuple[dict, dict, dict]:
    import qasync
    from PySide6.QtCore import QSettings

    from threadloom.ui.app import make_app
    from threadloom.ui.window import MainWindow

    app = make_app(["threadloom-soak"])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(settings=QSettings(str(Path(SOAK_TMP) / "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    window.select_scenario(MIXED)
    start = figures()
    warm = start
    for i in range(runs):
        window.set_models([MODELS[i % len(MODELS)]])
        traces = loop.run_until_complete(asyncio.wait_for(window.run_current(), 60))
        assert traces and traces[0].complete, window.status_message()
        app.processEvents()
        if i == 2 * len(MODELS) - 1:
            warm = figures()
    end = figures()
    window.close()
    window.deleteLater()
    app.processEvents()
    loop.close()
    return start, warm, end


def main() -> int:
    engine_runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    app_runs = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    print(f"soak on {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    start, warm, end = engine_soak(engine_runs)
    took = time.perf_counter() - t0
    print(f"engine: {engine_runs} runs ({', '.join(MODELS)} in turn) in {took:.1f} s")
    show("  start", start)
    show(f"  after {2 * len(MODELS)} runs (warm)", warm)
    show("  end", end)
    growth = (end["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"]
    print(f"  memory growth after warm-up {growth:+.1%}")
    t0 = time.perf_counter()
    a_start, a_warm, a_end = app_soak(app_runs)
    took = time.perf_counter() - t0
    print(f"app (offscreen): {app_runs} runs in {took:.1f} s")
    show("  start", a_start)
    show(f"  after {2 * len(MODELS)} runs (warm)", a_warm)
    show("  end", a_end)
    a_growth = (a_end["rss_mb"] - a_warm["rss_mb"]) / a_warm["rss_mb"]
    print(f"  memory growth after warm-up {a_growth:+.1%}")
    leftovers = list(Path(SOAK_TMP).glob("**/pymp-*"))
    print(f"/tmp/pymp-* left by the soak: {len(leftovers)}")
    ok = (
        growth < 0.10
        and a_growth < 0.10
        and end["children"] == start["children"]
        and a_end["children"] == a_start["children"]
        and end["fds"] <= start["fds"]
        and end["threads"] <= start["threads"]
        and not leftovers
    )
    print("soak:", "OK" if ok else "NOT OK")
    os.system(f"rm -rf {SOAK_TMP}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
