"""One greenlet per task on gevent's hub, in a probe whose standard library gevent has patched.

When to patch: gevent wants ``monkey.patch_all()`` before anything imports
``socket`` or ``threading``, but the probe has imported both (and started its
recorder's flusher and its lifeline watchers as OS threads) before any model
runs. This model patches at the top of :func:`run` anyway, on purpose:

- the probe's own threads must stay real OS threads, so the flusher keeps
  shipping events while a greenlet crunches; patched earlier, they would be
  greenlets that run only when the workload yields;
- the workload looks ``time.sleep``, ``socket.create_connection`` and ``socket``
  methods up when it calls them, so the patched versions are what it gets;
- the objects the probe made before patching (the recorder's locks, the step
  context's ``threading.local``) stay real. That is why the steps that would
  share one (the echo connection, the scenario's lock) are set up here again.

Everything is patched but ``threading`` (``patch_all(thread=False)``). Patching it
late swaps the locks that ``threading.Condition`` and the import system allocate
for gevent's, and the probe's own threads then make hubs of their own: the
flusher's ``Event.wait`` and an import on the main thread deadlocked on them in
about one run in ten. The workload needs no patched thread: its one lock is made
here from ``gevent.lock``.

So ``io`` and ``block`` (``time.sleep``) and ``net`` (a socket) switch to the hub,
which runs whichever greenlet is ready next; ``cpu`` and ``native`` never switch.
"""

from __future__ import annotations

import socket
import time

from threadloom.wire import TASK_DONE, WORKER_HUB

from ..workload import BLOCKED, IO, READY, RUNNING, SYNC_STEPS, _op_arrays, now, round_trips, work_steps
from ._spec import GIL_SHARED, WORK_CPU, WORK_WAITS, ModelSpec, all_steps_on

SPEC = ModelSpec(
    name="gevent",
    description="one greenlet per task on gevent's hub, stdlib monkey-patched; cpu and native steps stall it",
    hint="Blocking calls that gevent patched (sleep, sockets) yield to the hub; computing never does.",
    lesson=(
        "Why does time.sleep not freeze these tasks, when it freezes asyncio? gevent patched the standard "
        "library: sleep and socket calls look blocking, but they switch to the hub, which runs whichever "
        "greenlet is ready. The code reads like threads and schedules like coroutines. A long computation "
        "still never switches: then everyone waits, as on an event loop."
    ),
    lessons={
        WORK_CPU: (
            "Greenlets are not preempted: a greenlet computing keeps the hub until it finishes or calls something "
            "gevent patched. Two crunchers run one after the other, exactly as long as running them in sequence."
        ),
        WORK_WAITS: (
            "Every wait here (sleep, a socket, even a call that blocks a thread) goes through gevent's patched "
            "standard library, so it hands the hub to the next ready greenlet and the waits overlap, as coroutines "
            "would, without async or await anywhere."
        ),
    },
    worker_kinds=(WORKER_HUB,),
    gil=GIL_SHARED,
    step_places=all_steps_on(WORKER_HUB),
    packages=("gevent",),
)

#: What a probe without gevent says, in the words ``threadloom interpreters`` uses.
MISSING = "the gevent model needs gevent, not installed for this interpreter: pip install gevent"


def run(run) -> None:
    try:
        import gevent
        import gevent.lock
        from gevent import monkey
    except ImportError as exc:
        raise ImportError(MISSING) from exc

    gevent.get_hub()  # made (and its event loop imported) before anything is patched
    # Everything but threading; see the module docstring.
    monkey.patch_all(thread=False)

    ctx = run.ctx
    # Made after patching: the scenario's lock is a greenlet lock (a real one is never contended here:
    # the holder computes, which never switches, so nobody else runs until it has released it).
    ctx.lock = gevent.lock.BoundedSemaphore(1)
    hub = ctx.worker(WORKER_HUB)
    run.start_clock()
    greenlets = []
    for task in run.tasks:
        ctx.emit((now(), task["id"], hub, READY))
        greenlets.append(gevent.spawn(run_greenlet, ctx, task, hub))
    gevent.joinall(greenlets, raise_error=True)


def run_greenlet(ctx, task: dict, hub: int) -> None:
    """Run one task to the end in the calling greenlet."""
    tid = task["id"]
    emit = ctx.emit
    emit((now(), tid, hub, RUNNING))
    ops = _op_arrays(ctx, task)
    sock = None
    steps = work_steps(task)  # a data step is free: the greenlets share one memory
    for _ in range(task["repeat"]):
        for kind, amount in steps:
            lat = ops.get(kind)
            start = now()
            if kind == "net":
                if sock is None:
                    sock = _connect(ctx, tid, hub)
                round_trips(ctx, sock, tid, hub, amount, lat)
                continue  # each round trip is an operation of its own
            if kind == "block":
                # A call that would block a thread; patched, it waits off the hub (on no worker).
                t0 = now()
                emit((t0, tid, -1, BLOCKED))
                time.sleep(amount / 1000)
                ctx.resumed(tid, hub, t0 + int(amount * 1e6))
            else:
                SYNC_STEPS[kind](ctx, tid, hub, amount)  # io sleeps (patched: switches); cpu, native, lock do not
            if lat is not None:
                lat.append(now() - start)
    if sock is not None:
        sock.close()
    emit((now(), tid, hub, TASK_DONE))
    ctx.add_ops(task["group"], ops)


def _connect(ctx, tid: int, hub: int):
    """This greenlet's own connection to the echo peer (the step context's is per OS thread, shared here)."""
    t0 = now()
    ctx.emit((t0, tid, hub, IO))
    sock = socket.create_connection(("127.0.0.1", ctx.peer_port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ctx.resumed(tid, hub, now())
    return sock
