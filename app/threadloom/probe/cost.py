"""What a thread, a coroutine and a process cost, and the price of a switch: the cost probe.

Runs under the interpreter being measured, so everything here is the standard
library and Python 3.9 syntax. Start it as ``python -m threadloom.probe.cost``,
write one JSON line of configuration to its stdin and keep stdin open (it is
the lifeline: end of file ends the probe and all it started). It answers with
JSON lines on stdout::

    {"type": "hello", "interpreter": {...}}
    {"type": "point", "unit": "thread", "n": 1000, "started": 1000, "rss_kib_per_unit": 15.9, ...}
    {"type": "switch", "name": "thread-queue", "us": 9.8, ...}
    {"type": "done", "seconds": 21.3}

Each point and each switch is measured in a fresh child process (this module
with ``--point UNIT N`` or ``--switch NAME``), so what one point leaves
behind (freed but still resident memory, cached thread stacks) does not count
in the next, and a point the OS refuses, or a child it kills, is reported as
such while the run goes on. How each figure is measured, and what it leaves
out, is in ``docs/how-it-measures.md``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import queue
import subprocess
import sys
import sysconfig
import threading
import time

from .lifeline import watch_stdin

DEFAULT_THREAD_COUNTS = [1, 10, 100, 1000, 3000, 10000]
DEFAULT_COROUTINE_COUNTS = [1, 10, 100, 1000, 10000, 100000]
DEFAULT_PROCESS_COUNTS = [1, 2, 4, 8, 16, 32]
SWITCHES = ["thread-queue", "thread-condition", "thread-event", "coroutine-queue", "coroutine-sleep0", "process-pipe"]
#: Seconds of hand-offs per switch measurement.
DEFAULT_SWITCH_SECONDS = 0.4
#: A child that has not answered by then is killed and its point reported as timed out.
CHILD_TIMEOUT_S = 120.0

_WAIT_CODE = "import sys; sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.read()"
_ECHO_CODE = "import os\nwhile True:\n    d = os.read(0, 1)\n    if not d:\n        break\n    os.write(1, d)\n"


# -- memory -------------------------------------------------------------------------------
def rss_bytes(pid: int | None = None) -> int | None:
    """Resident memory of a process (this one by default), or None where it cannot be read."""
    try:
        with open("/proc/%s/statm" % (pid or "self")) as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:  # macOS and the BSDs
        out = subprocess.run(
            ["ps", "-o", "rss=", "-p", str(pid or os.getpid())], capture_output=True, text=True, timeout=5
        ).stdout
        return int(out.strip()) * 1024
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def pss_bytes(pid: int) -> int | None:
    """Proportional set size (shared pages divided among their sharers), Linux only."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _settle() -> None:
    gc.collect()
    time.sleep(0.01)


# -- points (each runs in its own child) ----------------------------------------------------------
def thread_point(n: int) -> dict:
    """Start ``n`` threads that all wait on one Event; memory and start time per thread."""
    _settle()
    before = rss_bytes()
    release = threading.Event()
    threads = []
    refused = None
    t0 = time.perf_counter()
    for _ in range(n):
        t = threading.Thread(target=release.wait, daemon=True)
        try:
            t.start()
        except (RuntimeError, MemoryError, OSError) as exc:
            refused = "the OS refused thread %d: %s: %s" % (len(threads) + 1, type(exc).__name__, exc)
            break
        threads.append(t)
    elapsed = time.perf_counter() - t0
    time.sleep(0.02 + 2e-6 * len(threads))  # let the last ones reach their wait
    after = rss_bytes()
    # No join: waking thousands of threads at once takes the kernel seconds; the child exits instead.
    return _point("thread", n, len(threads), before, after, elapsed, refused)


def coroutine_point(n: int) -> dict:
    """Create ``n`` asyncio Tasks that all wait on one asyncio.Event; memory and creation time per Task."""

    async def measure() -> dict:
        release = asyncio.Event()
        _settle()
        before = rss_bytes()
        tasks = []
        refused = None
        t0 = time.perf_counter()
        try:
            for _ in range(n):
                tasks.append(asyncio.ensure_future(release.wait()))
            await asyncio.sleep(0)  # every task runs to its wait
        except MemoryError as exc:
            refused = "out of memory at coroutine %d: %s" % (len(tasks) + 1, exc)
        elapsed = time.perf_counter() - t0
        after = rss_bytes()
        release.set()
        await asyncio.gather(*tasks)
        return _point("coroutine", n, len(tasks), before, after, elapsed, refused)

    return asyncio.run(measure())


def _child_argv(*args: str) -> list:
    if getattr(sys, "frozen", False):
        return [sys.executable, "--probe-cost", *args]
    return [sys.executable, "-m", "threadloom.probe.cost", *args]


def _plain_argv(code: str, mode: str) -> list:
    """A plain interpreter running ``code``; a frozen app has no ``-c``, so it runs its own mode."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--probe-cost", mode]
    return [sys.executable, "-c", code]


def process_point(n: int) -> dict:
    """Start ``n`` fresh interpreters that each wait on their stdin; memory (their own) and start time each."""
    procs = []
    refused = None
    t0 = time.perf_counter()
    for _ in range(n):
        try:
            procs.append(
                subprocess.Popen(
                    _plain_argv(_WAIT_CODE, "--wait"),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError as exc:
            refused = "the OS refused process %d: %s" % (len(procs) + 1, exc)
            break
    ready = []
    for p in procs:
        if p.stdout.readline().strip() == b"ready":
            ready.append(p)
        elif refused is None:
            refused = "process %d ended before it was ready (exit status %s)" % (len(ready) + 1, p.poll())
    elapsed = time.perf_counter() - t0
    rss = [rss_bytes(p.pid) for p in ready]
    pss = [pss_bytes(p.pid) for p in ready]
    for p in procs:
        try:
            p.stdin.close()
        except OSError:
            pass
    for p in procs:
        p.wait()
        p.stdout.close()
    point = _point("process", n, len(ready), 0, sum(r or 0 for r in rss), elapsed, refused)
    if not ready or None in rss:
        point["rss_kib_per_unit"] = None
    known_pss = [v for v in pss if v is not None]
    point["pss_kib_per_unit"] = sum(known_pss) / 1024.0 / len(known_pss) if known_pss else None
    return point


def _point(unit: str, n: int, started: int, before, after, elapsed: float, refused) -> dict:
    per_unit = None
    if started and before is not None and after is not None:
        per_unit = max(0, after - before) / 1024.0 / started
    return {
        "type": "point",
        "unit": unit,
        "n": n,
        "started": started,
        "rss_kib_per_unit": per_unit,
        "rss_added_kib": None if before is None or after is None else (after - before) / 1024.0,
        "start_us_per_unit": elapsed * 1e6 / started if started else None,
        "refused": refused,
    }


# -- switches (each runs in its own child) ----------------------------------------------------------
def _batches(step, seconds: float, rounds: int = 200) -> list:
    """Run ``step(rounds)`` (``rounds`` round trips, two hand-offs each) for ``seconds``; us per hand-off."""
    out = []
    step(20)  # warm up
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(out) < 5:
        t0 = time.perf_counter()
        step(rounds)
        out.append((time.perf_counter() - t0) * 1e6 / (2 * rounds))
    return out


def switch_thread_queue(seconds: float) -> list:
    ping, pong = queue.Queue(), queue.Queue()

    def echo() -> None:
        while True:
            item = ping.get()
            if item is None:
                return
            pong.put(item)

    t = threading.Thread(target=echo, daemon=True)
    t.start()

    def step(rounds: int) -> None:
        for i in range(rounds):
            ping.put(i)
            pong.get()

    try:
        return _batches(step, seconds)
    finally:
        ping.put(None)
        t.join()


def switch_thread_condition(seconds: float) -> list:
    cond = threading.Condition()
    turn = [0]  # 0: main's turn, 1: the echo's, -1: stop

    def echo() -> None:
        with cond:
            while True:
                while turn[0] == 0:
                    cond.wait()
                if turn[0] == -1:
                    return
                turn[0] = 0
                cond.notify()

    t = threading.Thread(target=echo, daemon=True)
    t.start()

    def step(rounds: int) -> None:
        with cond:
            for _ in range(rounds):
                turn[0] = 1
                cond.notify()
                while turn[0] == 1:
                    cond.wait()

    try:
        return _batches(step, seconds)
    finally:
        with cond:
            turn[0] = -1
            cond.notify()
        t.join()


def switch_thread_event(seconds: float) -> list:
    go, back = threading.Event(), threading.Event()
    stop = [False]

    def echo() -> None:
        while True:
            go.wait()
            go.clear()
            if stop[0]:
                return
            back.set()

    t = threading.Thread(target=echo, daemon=True)
    t.start()

    def step(rounds: int) -> None:
        for _ in range(rounds):
            go.set()
            back.wait()
            back.clear()

    try:
        return _batches(step, seconds)
    finally:
        stop[0] = True
        go.set()
        t.join()


def _async_batches(make_step, seconds: float) -> list:
    async def main() -> list:
        step, finish = await make_step()
        out = []
        await step(20)
        end = time.perf_counter() + seconds
        while time.perf_counter() < end or len(out) < 5:
            t0 = time.perf_counter()
            await step(200)
            out.append((time.perf_counter() - t0) * 1e6 / 400)
        await finish()
        return out

    return asyncio.run(main())


def switch_coroutine_queue(seconds: float) -> list:
    async def make():
        ping, pong = asyncio.Queue(), asyncio.Queue()

        async def echo() -> None:
            while True:
                item = await ping.get()
                if item is None:
                    return
                pong.put_nowait(item)

        task = asyncio.ensure_future(echo())

        async def step(rounds: int) -> None:
            for i in range(rounds):
                ping.put_nowait(i)
                await pong.get()

        async def finish() -> None:
            ping.put_nowait(None)
            await task

        return step, finish

    return _async_batches(make, seconds)


def switch_coroutine_sleep0(seconds: float) -> list:
    async def make():
        running = [True]

        async def other() -> None:
            while running[0]:
                await asyncio.sleep(0)

        task = asyncio.ensure_future(other())

        async def step(rounds: int) -> None:
            # Each sleep(0) hands the loop to the other task and back: two switches per round.
            for _ in range(rounds):
                await asyncio.sleep(0)

        async def finish() -> None:
            running[0] = False
            await task

        return step, finish

    return _async_batches(make, seconds)


def switch_process_pipe(seconds: float) -> list:
    p = subprocess.Popen(_plain_argv(_ECHO_CODE, "--echo"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    wfd, rfd = p.stdin.fileno(), p.stdout.fileno()

    def step(rounds: int) -> None:
        for _ in range(rounds):
            os.write(wfd, b"x")
            os.read(rfd, 1)

    try:
        return _batches(step, seconds)
    finally:
        p.stdin.close()
        p.wait()
        p.stdout.close()


_SWITCH_FUNCS = {
    "thread-queue": switch_thread_queue,
    "thread-condition": switch_thread_condition,
    "thread-event": switch_thread_event,
    "coroutine-queue": switch_coroutine_queue,
    "coroutine-sleep0": switch_coroutine_sleep0,
    "process-pipe": switch_process_pipe,
}
_POINT_FUNCS = {"thread": thread_point, "coroutine": coroutine_point, "process": process_point}


def _median(values: list) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def switch_result(name: str, seconds: float) -> dict:
    batches = _SWITCH_FUNCS[name](seconds)
    return {
        "type": "switch",
        "name": name,
        "us": _median(batches),
        "min_us": min(batches),
        "max_us": max(batches),
        "batches": len(batches),
    }


# -- the interpreter ------------------------------------------------------------------------------------------
def describe() -> dict:
    try:
        import resource

        stack = resource.getrlimit(resource.RLIMIT_STACK)[0]
        nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0] if hasattr(resource, "RLIMIT_NPROC") else -1
        stack_limit = None if stack == resource.RLIM_INFINITY else stack
        nproc_limit = None if nproc in (-1, resource.RLIM_INFINITY) else nproc
    except (ImportError, ValueError, OSError):
        stack_limit = nproc_limit = None
    gil = getattr(sys, "_is_gil_enabled", None)
    return {
        "path": sys.executable,
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "gil_enabled": True if gil is None else bool(gil()),
        "switch_interval_ms": sys.getswitchinterval() * 1000.0,
        "thread_stack_size": threading.stack_size() or None,
        "stack_rlimit_bytes": stack_limit,
        "nproc_rlimit": nproc_limit,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count() or 1,
    }


# -- the orchestrator ------------------------------------------------------------------------------------
def _emit(record: dict) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _run_child(args: list, what: dict) -> dict:
    """One measurement in a fresh child; a child that fails becomes a record that says how."""
    try:
        proc = subprocess.run(
            _child_argv(*args), capture_output=True, timeout=CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return dict(what, failed="did not finish within %g s" % CHILD_TIMEOUT_S)
    except OSError as exc:
        return dict(what, failed="the OS refused the measuring process: %s" % exc)
    lines = proc.stdout.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except ValueError:
            pass
    err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode < 0:
        reason = "the measuring process was killed by signal %d" % -proc.returncode
    else:
        reason = err[-1] if err else "the measuring process exited with status %d" % proc.returncode
    return dict(what, failed=reason)


def run(config: dict) -> None:
    started = time.perf_counter()
    _emit({"type": "hello", "interpreter": describe()})
    counts = {
        "thread": config.get("thread_counts", DEFAULT_THREAD_COUNTS),
        "coroutine": config.get("coroutine_counts", DEFAULT_COROUTINE_COUNTS),
        "process": config.get("process_counts", DEFAULT_PROCESS_COUNTS),
    }
    for unit in ("thread", "coroutine", "process"):
        for n in counts[unit]:
            _emit({"type": "progress", "unit": unit, "n": n})
            point = _run_child(["--point", unit, str(int(n))], {"type": "point", "unit": unit, "n": n, "started": 0})
            if point.get("failed") and not point.get("refused"):
                point["refused"] = point["failed"]
            _emit(point)
            if point.get("refused"):
                break  # more of them would be refused too; the other units go on
    seconds = float(config.get("switch_seconds", DEFAULT_SWITCH_SECONDS))
    for name in config.get("switches", SWITCHES):
        _emit({"type": "progress", "switch": name})
        _emit(_run_child(["--switch", name, repr(seconds)], {"type": "switch", "name": name, "us": None}))
    _emit({"type": "done", "seconds": time.perf_counter() - started})


def main(argv: list | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--point"]:
        _emit(_POINT_FUNCS[argv[1]](int(argv[2])))
        os._exit(0)  # the units still wait: end them with the process, not one by one
    elif argv[:1] == ["--switch"]:
        _emit(switch_result(argv[1], float(argv[2])))
    elif argv[:1] == ["--wait"]:
        exec(_WAIT_CODE)
    elif argv[:1] == ["--echo"]:
        exec(_ECHO_CODE)
    else:
        line = sys.stdin.readline()
        config = json.loads(line) if line.strip() else {}
        watch_stdin()
        run(config)


if __name__ == "__main__":
    main()
