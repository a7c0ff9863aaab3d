"""The probe's entry point: read the configuration, run one model, stream the trace."""

from __future__ import annotations

import json
import os
import platform
import select
import subprocess
import sys
import sysconfig
import threading
import time
import traceback

from threadloom import __version__
from threadloom.wire import VERSION, encode_json, magic_line

from .echo import raise_fd_limit
from .gauges import MemoryGauge, cpu_snapshot, other_cpu_utilization
from .lifeline import watch_stdin
from .models import MODELS
from .recorder import Recorder, widen_pipe
from .workload import Calibration, StepContext

#: Exit codes the parent understands (see docs/wire-format.md).
EXIT_BAD_CONFIG = 2
EXIT_WORKLOAD_FAILED = 3


class ProbeRun:
    """One run of one model: its tasks, its recorder and its output stream."""

    def __init__(self, config: dict, out) -> None:
        self.config = config
        self._out = out  # kept open: the writes go to its descriptor directly
        self._out_lock = threading.Lock()
        #: The probe's own resident memory; the recorder's flusher samples it.
        self.memory = MemoryGauge()
        self._fd = out.fileno()
        self._unsent = bytearray()
        self.recorder = Recorder(self.write, memory=self.memory, eager=_nonblocking(self._fd))
        self.model = MODELS[config["model"]]
        self.spec = self.model.SPEC
        cpu_count = os.cpu_count() or 1
        self.cpu_count = cpu_count
        default_pool = self.spec.default_pool_size(cpu_count)
        # A model without a pool ignores pool_size; the header then says None.
        self.pool_size = None if default_pool is None else (config.get("pool_size") or default_pool)
        self.tasks = config["tasks"]
        self.worker_errors: list = []
        self.ctx: StepContext | None = None
        self.t0: int | None = None
        self._header: dict = {}
        self.peer = None
        #: pid -> memory figures of each pool worker process (filled by the process-pool model).
        self.processes: dict = {}
        self._cpu_at_t0 = None
        self._cpu_at_end = None
        self._closing: list = []

    def write(self, frame: bytes, block: bool = True) -> None:
        """Send ``frame`` after whatever is still unsent, in as few system calls as the pipe allows.

        With ``block=False`` (a run's thread shipping, see recorder.py) it sends
        what the pipe takes now and keeps the rest for the next write. Each call
        that blocks gives the GIL up, and winning it back is what costs.
        """
        with self._out_lock:
            unsent = self._unsent
            unsent += frame
            while unsent:
                try:
                    del unsent[: os.write(self._fd, unsent)]
                except BlockingIOError:
                    if not block:
                        return
                    select.select([], [self._fd], [], 1.0)

    def raise_worker_errors(self) -> None:
        if self.worker_errors:
            raise self.worker_errors[0]

    def start_peer(self) -> int:
        delay_s = "%r" % (float(self.config.get("peer_delay_ms") or 0) / 1000)
        if getattr(sys, "frozen", False):
            cmd = [sys.executable, "--probe-echo", delay_s]
        else:
            cmd = [sys.executable, "-m", "threadloom.probe.echo", delay_s]
        self.peer = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.peer.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError("the echo peer did not start (it printed %r)" % line[:200])
        return int(line)

    def execute(self) -> None:
        config = self.config
        if config.get("switch_interval_ms"):
            sys.setswitchinterval(config["switch_interval_ms"] / 1000)
        switch_ms = sys.getswitchinterval() * 1000
        gap_ns = int(config.get("gap_threshold_us") or _default_gap_us(switch_ms)) * 1000
        needs_peer = any(kind == "net" for task in self.tasks for kind, _ in task["steps"])
        peer_port = self.start_peer() if needs_peer else None
        calibration = Calibration.measure()
        recording = config.get("recording", True)
        self.ctx = StepContext(self.recorder, calibration, gap_ns, peer_port, recording)
        threading.excepthook = self._thread_failed

        self._header = {
            "type": "header",
            "wire_version": VERSION,
            "probe_version": __version__,
            "model": self.spec.name,
            "scenario": config.get("scenario_name", ""),
            "lesson": config.get("lesson", ""),
            "interpreter": {
                "path": sys.executable,
                "version": platform.python_version(),
                "implementation": platform.python_implementation(),
                "free_threaded_build": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
            },
            "gil_enabled": _gil_enabled(),
            "switch_interval_ms": switch_ms,
            "peer_delay_ms": float(config.get("peer_delay_ms") or 0),
            "pool_size": self.pool_size,
            "cpu_count": self.cpu_count,
            "pid": os.getpid(),
            "gap_threshold_ns": gap_ns,
            "recording": recording,
            "calibration": calibration.to_json(),
            "tasks": [[t["id"], t["group"], t["index"]] for t in self.tasks],
            "groups": _group_kinds(self.tasks),
        }
        self.recorder.start()
        try:
            self.model.run(self)
        finally:
            t_end = time.monotonic_ns()
            self._cpu_at_end = cpu_snapshot()
            self.recorder.close()
        if self.t0 is None:
            raise RuntimeError("model %s never called start_clock()" % self.spec.name)
        self.recorder.meta(self._trailer(self.t0, t_end))

    @property
    def header(self) -> dict:
        """The header record, sent at :meth:`start_clock`: a model may add its own fields before then."""
        return self._header

    def on_close(self, callback) -> None:
        """Call ``callback()`` when the probe closes, after the trailer, however the run ended.

        For what takes time but is not the run's (shutting a cluster client down): a
        probe that is killed never gets here, and its process group goes with it.
        """
        self._closing.append(callback)

    def start_clock(self) -> None:
        """Models call this just before submitting the first task: the run starts now.

        The memory baseline and the machine's CPU counters are read here, after
        imports, calibration and a pool's warm-up.
        """
        self._cpu_at_t0 = cpu_snapshot()
        self.memory.start()
        self.t0 = time.monotonic_ns()
        self._header["t0_ns"] = self.t0
        self.recorder.meta(self._header)
        self.recorder.ticking = True

    def _thread_failed(self, args) -> None:
        self.worker_errors.append(args.exc_value)

    def _trailer(self, t0: int, t_end: int) -> dict:
        record = {"type": "trailer", "makespan_ns": t_end - t0, "peak_threads": self.recorder.peak_threads}
        record.update(self.memory.figures())
        if self.processes:
            record["processes"] = [dict(pid=pid, **figures) for pid, figures in sorted(self.processes.items())]
        record["op_latency_ns"] = self.ctx.op_latency() if self.ctx is not None else {}
        other = other_cpu_utilization(self._cpu_at_t0, self._cpu_at_end, (t_end - t0) / 1e9, self.cpu_count)
        if other is not None:
            record["other_cpu_utilization"] = other
        try:
            import resource
        except ImportError:
            return record
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        record.update(
            voluntary_switches=me.ru_nvcsw + kids.ru_nvcsw,
            involuntary_switches=me.ru_nivcsw + kids.ru_nivcsw,
        )
        return record

    def close(self) -> None:
        for callback in self._closing:
            callback()
        if self.peer is not None:
            self.peer.stdin.close()
            self.peer.wait()


def _group_kinds(tasks: list) -> dict:
    kinds: dict = {}
    for task in tasks:
        kinds.setdefault(task["group"], set()).update(kind for kind, _ in task["steps"])
    return {group: sorted(k) for group, k in kinds.items()}


def _default_gap_us(switch_ms: float) -> float:
    """Gaps longer than this count as lost GIL: half a switch interval, 30-200 us.

    Shorter thresholds split slices on ordinary OS noise; longer ones would miss
    hand-offs when the switch interval itself is tiny.
    """
    return min(200.0, max(30.0, switch_ms * 1000 / 2))


def _gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)
    return bool(check()) if check is not None else True


def _nonblocking(fd: int) -> bool:
    """Make the wire's writes non-blocking (:meth:`ProbeRun.write` waits itself); False where it cannot be."""
    try:
        os.set_blocking(fd, False)
        return True
    except (OSError, AttributeError, ValueError):
        return False


def _wire_out():
    """The wire, on a descriptor of its own; fd 1 (and so ``print``, and every child's stdout) goes to stderr.

    A stray byte on the wire corrupts the run: a library that prints, a pool
    worker or a cluster's daemon that inherited fd 1. The copy is not inherited.
    """
    sys.stdout.flush()
    wire = os.dup(1)
    os.dup2(2, 1)
    return os.fdopen(wire, "wb")


def main() -> None:
    line = sys.stdin.buffer.readline()
    try:
        config = json.loads(line)
        MODELS[config["model"]]
    except (ValueError, KeyError, TypeError) as exc:
        sys.stderr.write("threadloom probe: bad configuration on stdin: %s\n" % exc)
        sys.exit(EXIT_BAD_CONFIG)
    watch_stdin()
    raise_fd_limit()
    out = _wire_out()
    widen_pipe(out)  # a busy parent reads once a turn: room for a whole flush between reads
    run = ProbeRun(config, out)
    run.write(magic_line())
    try:
        run.execute()
    except BaseException as exc:  # report every failure on the wire, then exit
        try:
            run.recorder.close()
            run.write(
                encode_json(
                    {
                        "type": "error",
                        "message": "%s: %s" % (type(exc).__name__, exc),
                        "traceback": traceback.format_exc(),
                    }
                )
            )
        except Exception:
            pass
        sys.stderr.write("threadloom probe: %s: %s\n" % (type(exc).__name__, exc))
        sys.stderr.flush()
        run.close()
        os._exit(EXIT_WORKLOAD_FAILED)
    run.close()
    out.flush()
    sys.stdout.flush()
    # Pool threads, loop helpers and the lifeline thread are done or daemonic:
    # leave without waiting on them.
    os._exit(0)
