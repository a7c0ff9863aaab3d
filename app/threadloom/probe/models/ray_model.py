"""Ray: each task a remote function, run by Ray's worker processes on this machine or on a cluster's nodes.

Without an address the model starts a local Ray for the run, with ``pool_size``
CPUs, in the run's temporary folder; with one (``config["address"]``, from
``--ray-address`` or the app's field) it joins that cluster and its tasks take
one CPU each of whatever the cluster has. Ray is imported inside :func:`run`.

How the events come home: a Ray worker has no pipe to the parent, so each
remote call records into a buffer of its own (:class:`..recorder.CallRecorder`) and
returns the encoded wire frames with its result; the probe writes them to the
stream before anything else of that task, then, for a task with ``data``
steps, unpickles the result and records the ``done`` itself, after them.

Worker ids: ``node index * 10**10 + pid * 100``, so the timeline's rows (sorted
by id) group by node, the probe's own machine first; the worker record names
the node ("ray worker on node 10.0.0.2").

Clocks: ``time.monotonic_ns`` counts from an arbitrary moment on each machine.
Before the clock starts, the probe asks each node for its time several times
and keeps the answer with the shortest round trip: the node read its clock
somewhere in that trip, so ``remote - midpoint`` is the offset, to within
half the trip. Workers subtract their node's offset from their event times. A
node on the probe's own machine (the same ``boot_id``) shares its clock:
offset 0 exactly. The header's ``ray`` record states each node's offset and
uncertainty.

Start-up (seconds for a local Ray) happens before ``start_clock``, as a
long-lived service would have done it; so does ``ray.shutdown``, after the
trailer. No orphans: Ray's head processes stay in the probe's process group
(which the parent kills), and each worker process, which Ray puts in a group
of its own, exits as soon as its raylet is gone (:func:`..lifeline.exit_when_orphaned`).
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile
import threading
import time

from threadloom.wire import WORKER_RAY

from ..gauges import MemoryGauge
from ..lifeline import exit_when_orphaned
from ..recorder import CallRecorder
from ..transfer import hand_over, run_handed_over
from ..workload import StepContext, now
from ._spec import GIL_PER_WORKER, ModelSpec, all_steps_on


def default_pool_size(cpu_count: int):
    return cpu_count  # ray.init's own default: every CPU of the machine


SPEC = ModelSpec(
    name="ray",
    description="Ray remote functions on a local Ray (pool_size CPUs) or a cluster; a process (and GIL) per worker",
    hint="Ray's workers are processes, here or on other machines: CPU-bound work runs in parallel, each call "
    "pays a round trip.",
    lesson=(
        "Each Ray worker is a process with its own interpreter and GIL, on this machine or on another node of a "
        "cluster, so CPU-bound Python runs in parallel as in a process pool. What Ray adds: every call goes "
        "through its scheduler and object store, and arguments and results are pickled on the way; in exchange "
        "the same code spreads over as many machines as the cluster has."
    ),
    worker_kinds=(WORKER_RAY,),
    gil=GIL_PER_WORKER,
    step_places=all_steps_on(WORKER_RAY),
    default_pool_size=default_pool_size,
    # As a process pool: each worker is an interpreter of its own.
    max_pool_size=64,
    packages=("ray",),
    address_help=(
        "a Ray cluster to run on (host:port of its head, ray://host:10001, or auto); empty: a local Ray started "
        "for the run"
    ),
)

#: What a probe without Ray says, in the words ``threadloom interpreters`` uses.
MISSING = "the ray model needs ray, not installed for this interpreter: pip install 'threadloom[ray]'"
#: Round trips per node to estimate its clock's offset; the shortest one counts.
CLOCK_TRIPS = 8
#: How long joining a cluster may take before the run gives up (ray.init itself would wait for ever).
CONNECT_TIMEOUT_S = 60.0
#: How long every worker may take to start before the clock starts.
WARM_UP_TIMEOUT_S = 60.0
#: A Unix socket's path holds at most 107 bytes; Ray puts ``session_<date>_<pid>/sockets/plasma_store``
#: (about 70) under its temporary folder.
MAX_TEMP_DIR = 36
#: Worker ids: ``node index * NODE_STRIDE + pid * 100``; pids stay below 2**22, so ids never overlap.
NODE_STRIDE = 10**10


def run(run) -> None:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(MISSING) from exc

    address = (run.config.get("address") or "").strip() or None
    # What Ray prints, and what the processes it starts inherit as fd 1, goes to stderr: the probe
    # moved its wire off fd 1 before any model ran (main._wire_out).
    temp_dir = None
    try:
        temp_dir = _start(ray, address, run.pool_size)
        # After the trailer: a second or two that is not the run's.
        run.on_close(lambda: _shut_down(ray, temp_dir))
        _run_tasks(run, ray, address)
    except BaseException:
        _shut_down(ray, temp_dir)
        raise


# -- starting and ending Ray -------------------------------------------------


def _start(ray, address, pool_size: int):
    """Start a local Ray (returning a temporary folder to remove, if one was made) or join ``address``."""
    # No usage statistics sent home from a measuring tool, and no prompt about them.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    own_temp = None
    if address is None:
        # Ray runs its workers at nice 15 by default, so its head processes keep priority; on a busy
        # machine that starves them against everything else. Ours run as a process pool's do.
        os.environ.setdefault("RAY_worker_niceness", "0")
        temp_dir = os.environ.get("TMPDIR") or tempfile.gettempdir()
        if len(temp_dir) > MAX_TEMP_DIR:
            temp_dir = own_temp = tempfile.mkdtemp(prefix="tlray-", dir="/tmp" if os.path.isdir("/tmp") else None)
        ray.init(num_cpus=pool_size, _temp_dir=temp_dir, **options)
        return own_temp
    _check_reachable(address)
    # The workers of a cluster have no threadloom of their own: ship the probe's package with the job.
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    _with_deadline(
        lambda: ray.init(address=address, runtime_env={"py_modules": [package]}, **options),
        CONNECT_TIMEOUT_S,
        "the ray model could not join the Ray cluster at %s within %g s" % (address, CONNECT_TIMEOUT_S),
    )
    return None


def _check_reachable(address: str) -> None:
    """Refuse an address where nothing listens, in one line: ray.init would retry it for ever."""
    if address in ("auto", "local"):
        return
    where = address[len("ray://") :] if address.startswith("ray://") else address
    host, _, port = where.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("the ray model's address must be host:port, ray://host:port or auto, got %r" % address)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ConnectionError(
            "the ray model cannot reach a Ray cluster at %s (%s): start a head node there (Ray's `ray start` command), "
            "or leave the address empty to start a local Ray for the run" % (address, why)
        ) from None


def _with_deadline(call, timeout_s: float, message: str) -> None:
    """Run ``call`` on a thread; raise TimeoutError with ``message`` if it has not returned in time.

    The thread is left behind: the probe exits after a failed run, which ends it.
    """
    failure: list = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name="threadloom-ray-connect", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(message)
    if failure:
        raise failure[0]


def _shut_down(ray, temp_dir) -> None:
    try:
        if ray.is_initialized():
            ray.shutdown()
    except Exception as exc:  # the run's outcome is already on the wire: say so, do not fail
        sys.stderr.write("threadloom probe: ray.shutdown failed: %s\n" % exc)
    if temp_dir:
        import shutil

        shutil.rmtree(temp_dir, ignore_errors=True)


# -- the run -----------------------------------------------------------------


def _run_tasks(run, ray, address) -> None:
    ctx = run.ctx
    nodes = _nodes(ray)
    _estimate_offsets(ray, nodes)
    if any(not n["same_clock"] for n in nodes) and any(k == "net" for t in run.tasks for k, _ in t["steps"]):
        raise ValueError(
            "net steps talk to an echo peer on the probe's machine (127.0.0.1), which the cluster's other nodes "
            "cannot reach; run this scenario on a local Ray, or without net steps"
        )
    config = {
        **ctx.worker_config(),
        "token": "%d-%d" % (os.getpid(), time.time_ns()),
        "nodes": {n["node_id"]: (n["index"], n["clock_offset_ns"], n["node"]) for n in nodes},
        "lock": _shared_lock(ray) if any(k == "lock" for t in run.tasks for k, _ in t["steps"]) else None,
    }
    config_ref = ray.put(config)
    remote = ray.remote(num_cpus=1, max_retries=0)(_run_remote)
    if address is not None:
        # A cluster's pool is every CPU it has: the header says how many.
        run.pool_size = max(1, int(ray.cluster_resources().get("CPU", 1)))
    _warm_up(ray, config_ref, run.pool_size)
    run.header["ray"] = {
        "address": address or "local",
        "version": ray.__version__,
        "nodes": [
            {
                k: n[k]
                for k in (
                    "node",
                    "node_id",
                    "clock_offset_ns",
                    "uncertainty_ns",
                    "measured_offset_ns",
                    "round_trip_ns",
                    "same_clock",
                )
            }
            for n in nodes
        ],
    }
    run.header["pool_size"] = run.pool_size
    run.start_clock()

    pending = {}
    for task in run.tasks:
        argument = hand_over(ctx, task)  # Ray pickles it in .remote(), here
        submitted = now()
        pending[remote.remote(config_ref, task, argument, submitted)] = task
    refs = list(pending)
    while refs:
        ready, refs = ray.wait(refs, num_returns=1)
        if refs:  # everything else that is ready by now, in one go: a wait per task costs O(n) each
            more, refs = ray.wait(refs, num_returns=len(refs), timeout=0)
            ready += more
        for ref in ready:
            _take_result(run, pending.pop(ref), _result(ray, ref))


def _result(ray, ref):
    """A call's result; a task that failed raises what it raised, not Ray's wrapper with its traceback."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise RuntimeError(str(exc).strip().splitlines()[-1]) from None


def _take_result(run, task: dict, result) -> None:
    """Write one call's frames to the stream, then (for a task that hands data back) its ``done``."""
    pid, memory, ops, frames, landed, last_ns = result
    run.processes[pid] = memory
    run.recorder.flush()  # this task's queued event, in the probe's buffer, goes first
    run.write(frames)
    if landed is not None:
        for event in landed.events(last_ns):  # never before the worker's last event, whatever the offset
            run.ctx.emit(event)
    for (group, kind), lat in ops.items():
        run.ctx.add_ops(group, {kind: lat})


def _nodes(ray) -> list:
    """The cluster's live nodes, the probe's own first, then by address: the order of their rows."""
    here = ray.get_runtime_context().get_node_id()
    alive = [n for n in ray.nodes() if n.get("Alive")]
    alive.sort(key=lambda n: (n["NodeID"] != here, n.get("NodeManagerAddress", "")))
    return [{"index": i, "node_id": n["NodeID"], "node": n.get("NodeManagerAddress", "?")} for i, n in enumerate(alive)]


def _estimate_offsets(ray, nodes: list) -> None:
    """Fill each node's ``clock_offset_ns`` (its monotonic clock minus the probe's) and ``uncertainty_ns``."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    clock = ray.remote(num_cpus=0, max_retries=0)(_clock)
    mine = _boot_id()
    for node in nodes:
        on_node = clock.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["node_id"], soft=False))
        trips = []
        remote_boot = ""
        for trip in range(CLOCK_TRIPS + 1):
            sent = now()
            remote_ns, remote_boot = ray.get(on_node.remote())
            back = now()
            if trip:  # the first trip starts a worker there: too slow to count
                trips.append((back - sent, remote_ns - (sent + back) // 2))
        best = min(trips)
        node["same_clock"] = bool(mine) and remote_boot == mine
        node["uncertainty_ns"] = 0 if node["same_clock"] else best[0] // 2
        node["clock_offset_ns"] = 0 if node["same_clock"] else best[1]
        # What the trips say, even where the clock is known to be shared: a check on the method.
        node["measured_offset_ns"] = best[1]
        node["round_trip_ns"] = best[0]


def _shared_lock(ray):
    """The scenario's one lock for workers on any node: a token in a Ray queue (an actor of its own).

    Taking the token is taking the lock; the holder puts back when it released
    it, in the probe's clock, which is the ``lock_stamp`` the next taker needs.
    """
    from ray.util.queue import Queue

    queue = Queue(maxsize=1, actor_options={"num_cpus": 0})
    queue.put(None)  # free, and never held yet
    return queue


def _warm_up(ray, config_ref, size: int) -> None:
    """Start ``size`` worker processes before the clock starts, as a long-lived service would have.

    Each call holds its CPU a moment, so Ray must run ``size`` of them at once
    on different workers; repeated until as many distinct workers answered.
    """
    check_in = ray.remote(num_cpus=1, max_retries=0)(_check_in)
    deadline = time.monotonic() + WARM_UP_TIMEOUT_S
    seen: set = set()
    while len(seen) < size and time.monotonic() < deadline:
        seen.update(ray.get([check_in.remote(config_ref, 0.2) for _ in range(size)]))


# -- in the worker processes -------------------------------------------------


class _TokenLock:
    """``acquire``/``release`` on the shared Ray queue, keeping the step context's ``lock_stamp`` in this
    node's clock."""

    def __init__(self, queue, stamp, offset_ns: int) -> None:
        self._queue = queue
        self._stamp = stamp
        self._offset = offset_ns

    def acquire(self, blocking: bool = True) -> bool:
        from ray.util.queue import Empty

        try:
            token = self._queue.get(block=blocking) if blocking else self._queue.get_nowait()
        except Empty:
            return False
        if token is not None:
            self._stamp.value = token + self._offset
        return True

    def release(self) -> None:
        self._queue.put(self._stamp.value - self._offset)


class _Worker:
    """What one worker process keeps between calls: its step context, recorder, memory gauge."""

    def __init__(self, config: dict) -> None:
        import ray

        self.token = config["token"]
        node_id = ray.get_runtime_context().get_node_id()
        index, offset, address = config["nodes"].get(node_id, (len(config["nodes"]), 0, "?"))
        self.memory = MemoryGauge()
        self.memory.start()
        self.id = index * NODE_STRIDE + os.getpid() * 100
        self.offset = offset
        self.recorder = CallRecorder(self.id, WORKER_RAY, "ray worker on node %s" % address, offset)
        self.ctx = StepContext.for_worker(self.recorder, config)
        if config["lock"] is not None:
            self.ctx.lock = _TokenLock(config["lock"], self.ctx.lock_stamp, offset)
        #: When this worker last finished a call (in its own clock): from then on it could take data in.
        self.free_since = now()
        # Ray puts each worker in a process group of its own, out of reach of the signal that ends the
        # probe's: this worker exits once its raylet (its parent) is gone.
        exit_when_orphaned()


_worker = None


def _this_worker(config: dict) -> _Worker:
    global _worker
    if _worker is None or _worker.token != config["token"]:
        _worker = _Worker(config)
    return _worker


def _check_in(config: dict, hold_s: float) -> int:
    """Warm-up: make this process's worker state, hold the CPU a moment; return who answered."""
    worker = _this_worker(config)
    time.sleep(hold_s)
    worker.memory.start()  # the baseline, as the clock is about to start
    worker.free_since = now()
    return worker.id


def _clock() -> tuple:
    return time.monotonic_ns(), _boot_id()


def _boot_id() -> str:
    """This boot of this machine's kernel ("" where unknown): equal ids share one monotonic clock."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _run_remote(config: dict, task: dict, argument, submitted_ns: int):
    """Run one task in this worker; return ``(pid, memory, ops, frames, result, last event time)``.

    With an ``argument`` (the task has ``data`` steps, which Ray unpickled before
    this call) the result is as big, and Ray pickles it after this call; the
    probe records the task done once it has unpickled that. Times handed in and
    out are the probe's.
    """
    worker = _this_worker(config)
    ctx = worker.ctx
    try:
        since = max(submitted_ns + worker.offset, worker.free_since)
        result = run_handed_over(ctx, task, WORKER_RAY, argument, since, worker.offset)
    finally:
        worker.free_since = now()
    frames, last = worker.recorder.frames(submitted_ns)
    return os.getpid(), worker.memory.figures(), ctx.take_ops(), frames, result, last
