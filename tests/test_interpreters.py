"""Which interpreters can run which models, and free-threaded builds with the GIL on or off.

No free-threaded CPython can be installed on this machine, so the no-GIL paths run
under a stub: the real interpreter with a ``sitecustomize`` that makes it report a
free-threaded build whose GIL follows ``PYTHON_GIL``. Threads then still take turns
on the real GIL; what is tested is that detection, ``--gil`` and the trace's
no-GIL handling follow what the interpreter says. The stub is the ``free_threaded_stub``
fixture of ``conftest.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from threadloom.engine import InterpreterInfo, describe_interpreter
from threadloom.errors import ProbeError
from threadloom.model.gil import GIL_NONE, GIL_ONE, gil_mode
from threadloom.probe.models import model_names, spec_of

from .conftest import group, run, scenario_text, stub_interpreter, threadloom_cmd

#: The models that need a package beyond the standard library (gevent, say).
NEED_PACKAGES = {name for name in model_names() if spec_of(name).packages}


def too_new_for(version: tuple[int, int]) -> set[str]:
    """The models that need a newer Python than ``version`` (interpreter-pool before 3.14)."""
    return {name for name in model_names() if spec_of(name).min_python > version}


WAITS = scenario_text(group("wait", count=2, io=20), name="two waits")


def test_a_free_threaded_build_is_detected_with_its_gil_state(free_threaded_stub, monkeypatch):
    info = asyncio.run(describe_interpreter(free_threaded_stub))
    assert info.gil_optional and not info.gil_enabled
    assert "free-threaded" in info.label
    monkeypatch.setenv("PYTHON_GIL", "1")
    assert asyncio.run(describe_interpreter(free_threaded_stub)).gil_enabled
    this = asyncio.run(describe_interpreter(sys.executable))
    assert not this.gil_optional and this.gil_enabled


def test_gil_off_runs_without_a_gil_and_the_trace_says_so(free_threaded_stub):
    trace_off, metrics_off = run(WAITS, "threads", interpreter=free_threaded_stub, gil=False)
    assert trace_off.header["interpreter"]["free_threaded_build"] is True
    assert metrics_off.gil_enabled is False and gil_mode(trace_off) == GIL_NONE
    trace_on, metrics_on = run(WAITS, "threads", interpreter=free_threaded_stub, gil=True)
    assert metrics_on.gil_enabled is True and gil_mode(trace_on) == GIL_ONE


def test_cli_gil_flag_needs_a_free_threaded_build(free_threaded_stub, tmp_path, tmp_toml):
    path = tmp_toml(WAITS)
    refused = subprocess.run(threadloom_cmd("run", str(path), "--gil", "off"), capture_output=True, text=True)
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1 and "not a free-threaded build" in refused.stderr
    bad = subprocess.run(threadloom_cmd("run", str(path), "--gil", "maybe"), capture_output=True, text=True)
    assert bad.returncode == 2 and "must be on or off" in bad.stderr
    out = tmp_path / "off.json"
    ok = subprocess.run(
        threadloom_cmd("run", str(path), "--interpreter", free_threaded_stub, "--gil", "off", "--json", str(out), "-q"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(out.read_text())["runs"][0]["gil_enabled"] is False


def test_models_an_interpreter_cannot_run_say_why():
    old = InterpreterInfo("/usr/bin/python3.8", "3.8.18", "CPython", False)
    assert old.models() == []
    # Each says the oldest Python it runs under: 3.9 for most, newer for the models that need more.
    assert all(
        f"needs Python {'.'.join(map(str, spec_of(name).min_python))} or newer" in why
        for name, why in old.unavailable().items()
    )
    new = InterpreterInfo("/usr/bin/python3.13", "3.13.0", "CPython", False)
    assert "threads" in new.models() and set(new.unavailable()) == NEED_PACKAGES | too_new_for((3, 13))
    assert new.unavailable()["gevent"] == "needs gevent, not installed for this interpreter: pip install gevent"
    with_gevent = InterpreterInfo("/usr/bin/python3.13", "3.13.0", "CPython", False, importable=frozenset({"gevent"}))
    assert "gevent" in with_gevent.models()
    assert InterpreterInfo("/x", "3.10.0rc1", "CPython", False).version_tuple == (3, 10)


def test_a_model_that_needs_a_package_is_unavailable_where_it_is_missing(monkeypatch):
    from dataclasses import replace

    from threadloom.probe.models import MODELS

    module = MODELS["sequential"]
    monkeypatch.setattr(module, "SPEC", replace(module.SPEC, packages=("threadloom_no_such_package",)))
    info = InterpreterInfo("/x", "3.11.7", "CPython", False, importable=frozenset())
    assert "threadloom_no_such_package" in info.unavailable()["sequential"]
    assert "sequential" not in info.models()


def test_interpreters_command_lists_this_python_and_writes_json(tmp_path):
    out = tmp_path / "interpreters.json"
    result = subprocess.run(
        threadloom_cmd("interpreters", sys.executable, "/no/such/python", "--json", str(out)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "/no/such/python" in result.stdout and "cannot run the probe" in result.stdout
    listed = json.loads(out.read_text())["interpreters"]
    mine = [i for i in listed if os.path.realpath(i["path"]) == os.path.realpath(sys.executable)]
    assert mine, listed
    entry = mine[0]
    assert set(entry) == {"path", "version", "implementation", "free_threaded", "gil_enabled", "models", "unavailable"}
    refusable = NEED_PACKAGES | too_new_for(tuple(sys.version_info[:2]))
    assert "threads" in entry["models"] and set(entry["unavailable"]) <= refusable


@pytest.mark.skipif(not Path("/usr/bin/pypy3").exists(), reason="pypy3 is not installed (CI installs it)")
def test_pypy_runs_the_probe():
    trace, metrics = run(WAITS, "threads", interpreter="/usr/bin/pypy3")
    assert trace.complete and trace.header["interpreter"]["implementation"] == "PyPy"
    assert metrics.groups["wait"].count == 2


@pytest.mark.physics
@pytest.mark.skipif(not Path("/usr/bin/pypy3").exists(), reason="pypy3 is not installed (CI installs it)")
def test_pypy_threads_take_turns_on_its_gil():
    """PyPy has a GIL too: two crunching threads take about twice as long as one."""
    from .test_physics import holds_within_attempts

    def measure():
        _, one = run(scenario_text(group("crunch", cpu=200)), "threads", interpreter="/usr/bin/pypy3")
        _, two = run(scenario_text(group("crunch", count=2, cpu=200)), "threads", interpreter="/usr/bin/pypy3")
        ratio = two.makespan_ms / one.makespan_ms
        assert 1.5 < ratio < 2.8, f"two PyPy threads vs one: {ratio:.2f}x, expected about 2x"
        return ratio

    holds_within_attempts(measure)


@pytest.mark.skipif(not Path("/usr/bin/pypy3").exists(), reason="pypy3 is not installed (CI installs it)")
def test_a_model_whose_package_is_missing_there_says_how_to_get_it():
    pypy = asyncio.run(describe_interpreter("/usr/bin/pypy3"))
    if "gevent" in pypy.importable:
        pytest.skip("this PyPy has gevent")
    assert "pip install gevent" in pypy.unavailable()["gevent"]
    with pytest.raises(ProbeError, match="needs gevent, not installed for this interpreter: pip install gevent"):
        run(WAITS, "gevent", interpreter="/usr/bin/pypy3")


# -- interpreter-pool: concurrent.futures.InterpreterPoolExecutor, Python 3.14+ ------------------------------

HAS_INTERPRETER_POOL = sys.version_info >= (3, 14)
POOL_SOURCE = Path(__file__).resolve().parents[1] / "app/threadloom/probe/models/interpreter_pool.py"


def test_interpreter_pool_is_offered_only_where_the_interpreter_has_it():
    assert spec_of("interpreter-pool").min_python == (3, 14)
    old = InterpreterInfo("/usr/bin/python3.13", "3.13.0", "CPython", False)
    assert old.unavailable()["interpreter-pool"] == "needs Python 3.14 or newer; this is 3.13.0"
    assert "interpreter-pool" not in old.models()
    assert "interpreter-pool" in InterpreterInfo("/usr/bin/python3.14", "3.14.0", "CPython", False).models()
    assert "interpreter-pool" in InterpreterInfo("/x/python3.14t", "3.14.1", "CPython", True, False).models()


@pytest.mark.skipif(HAS_INTERPRETER_POOL, reason="this Python has InterpreterPoolExecutor")
def test_interpreters_command_says_why_interpreter_pool_is_unavailable():
    done = subprocess.run(threadloom_cmd("interpreters", sys.executable), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    version = ".".join(map(str, sys.version_info[:3]))
    assert f"not interpreter-pool: needs Python 3.14 or newer; this is {version}" in done.stdout


def test_the_interpreter_pool_model_compiles_here():
    """It cannot run before 3.14, but the registry imports it everywhere, down to the probe's oldest Python."""
    subprocess.run(["python3", "-m", "py_compile", str(POOL_SOURCE)], check=True, timeout=60)
    subprocess.run([sys.executable, "-m", "py_compile", str(POOL_SOURCE)], check=True, timeout=60)


@pytest.mark.skipif(HAS_INTERPRETER_POOL, reason="this Python has InterpreterPoolExecutor")
def test_a_sweep_under_interpreter_pool_is_refused_before_it_starts(tmp_toml):
    """``threadloom sweep`` started the sweep and let the probe refuse the model at its first point, in a
    line naming the point; ``run`` refuses it up front. A sweep now checks first, the same way."""
    path = tmp_toml(scenario_text(group("crunch", count=2, cpu=20)))
    done = subprocess.run(
        threadloom_cmd("sweep", str(path), "--model", "interpreter-pool", "--param", "pool-size", "--values", "1,2"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Running" not in done.stdout + done.stderr, "the sweep started before it checked"
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("threadloom: the interpreter-pool model cannot run under CPython")


@pytest.mark.skipif(HAS_INTERPRETER_POOL, reason="this Python has InterpreterPoolExecutor")
def test_a_run_under_interpreter_pool_is_refused_here_in_one_line(tmp_toml):
    path = tmp_toml(scenario_text(group("crunch", count=2, cpu=20)))
    done = subprocess.run(
        threadloom_cmd("run", str(path), "--model", "interpreter-pool"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("threadloom: the interpreter-pool model cannot run under CPython")
    assert line.endswith("needs Python 3.14 or newer; this is " + ".".join(map(str, sys.version_info[:3])))
    # The probe itself, asked anyway (the app checks before it asks), says the same.
    with pytest.raises(
        ProbeError, match=r"needs Python 3\.14 or newer \(concurrent\.futures\.InterpreterPoolExecutor\)"
    ):
        run(WAITS, "interpreter-pool")


#: Stands in for Python 3.14's interpreters where there are none: a ``sitecustomize`` that gives
#: ``concurrent.futures`` an InterpreterPoolExecutor of threads and ``concurrent.interpreters`` a queue.
#: The model's module globals are then shared by every "interpreter": runs use one worker.
POOL_STUB_SITE = """
import concurrent, concurrent.futures, itertools, pickle, queue, sys, threading, types
mod = types.ModuleType("concurrent.interpreters")
_ids = itertools.count(1)
_queues = {}
def _queue(id):
    return _queues[id]
class Queue:
    def __init__(self, maxsize):
        self._q, self.id = queue.Queue(maxsize), next(_ids)
        _queues[self.id] = self
    def __reduce__(self):  # shared, as real interpreter queues are: never copied
        return (_queue, (self.id,))
    def put(self, item):
        self._q.put(item)
    def get_nowait(self):
        return self._q.get_nowait()
class Interpreter:
    def __init__(self):
        self.id = next(_ids)
_here = threading.local()
def get_current():
    if not hasattr(_here, "interp"):
        _here.interp = Interpreter()
    return _here.interp
mod.create_queue, mod.get_current = Queue, get_current
sys.modules["concurrent.interpreters"] = concurrent.interpreters = mod
def _across(blob):
    fn, args = pickle.loads(blob)
    return pickle.dumps(fn(*args))
class InterpreterPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    # What the real pool does with what interpreters cannot share: pickle the call, and the result back.
    def submit(self, fn, *args):
        inner = super().submit(_across, pickle.dumps((fn, args)))
        outer = concurrent.futures.Future()
        def land(done):
            if done.exception() is not None:
                outer.set_exception(done.exception())
            else:
                outer.set_result(pickle.loads(done.result()))
        inner.add_done_callback(land)
        return outer
concurrent.futures.InterpreterPoolExecutor = InterpreterPoolExecutor
"""


@pytest.fixture(scope="module")
def interpreter_pool_stub(tmp_path_factory) -> str:
    return stub_interpreter(tmp_path_factory.mktemp("pool-stub"), "python3.14", POOL_STUB_SITE)


def test_interpreter_pool_events_data_and_lock_reach_the_trace(interpreter_pool_stub):
    """The model's own code, on a stand-in pool: each call's frames, a data task's done, the queue's lock."""
    text = scenario_text(
        group("crunch", count=2, steps=[("cpu", 5), ("lock", 2)]), group("hand", count=2, steps=[("data", 2000)])
    )
    trace, metrics = run(text, "interpreter-pool", pool_size=1, interpreter=interpreter_pool_stub)
    assert trace.complete and (trace.finished >= 0).all()
    [worker] = trace.workers.values()
    assert worker.kind == "interpreter" and worker.name.startswith("interpreter ")
    assert metrics.transfer_ms > 0
    assert set(metrics.groups["crunch"].op_latency_ms) == {"cpu", "lock"}


@pytest.mark.physics
@pytest.mark.skipif(not HAS_INTERPRETER_POOL, reason="InterpreterPoolExecutor needs Python 3.14 or newer")
def test_interpreter_pool_runs_cpu_tasks_in_parallel():
    """Each interpreter has its own GIL: two crunchers on two CPUs take clearly less than two threads do."""
    from .test_physics import holds_within_attempts

    crunch = scenario_text(group("crunch", count=2, cpu=300))

    def measure():
        trace, pool = run(crunch, "interpreter-pool", pool_size=2)
        _, threads = run(crunch, "threads")
        assert pool.makespan_ms < 0.8 * threads.makespan_ms
        assert len({w.id for w in trace.workers.values() if w.kind == "interpreter"}) == 2
        return pool

    holds_within_attempts(measure)
