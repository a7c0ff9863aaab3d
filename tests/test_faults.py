"""Faults during a run: a killed probe, pool worker or echo peer, fake interpreters, a parent that stops
reading, several runs at once. Each test counts processes before and after: nothing may be left running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from threadloom.engine import ProbeSession, RunRequest
from threadloom.errors import ProbeError, WireFormatError

from .conftest import alive_in_group, processes, scenario, threadloom_cmd, wait_for
from .test_hardening import GOOD, script

#: Long enough to be hit mid-run (each task about 10 s), with every kind of child: echo peer, pool.
TALK = """
[[groups]]
name = "talk"
count = 2
repeat = 2000
steps = [{ net = 1 }, { io = 5 }]
"""


def my_children() -> set[int]:
    me = os.getpid()
    return {pid for pid, state, ppid, _ in processes() if ppid == me and state not in ("Z", "X")}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def echo_peer(pgid: int) -> int | None:
    return next((p for p in alive_in_group(pgid) if "threadloom.probe.echo" in cmdline(p)), None)


def pool_worker(pgid: int) -> int | None:
    """A process-pool worker: a process of the group whose parent is not the probe (the forkserver's child)."""
    parents = {pid: ppid for pid, _, ppid, _ in processes()}
    return next((p for p in alive_in_group(pgid) if p != pgid and parents.get(p) not in (pgid, None)), None)


async def _run_with_fault(text: str, model: str, ready, fault, pool_size: int | None = 2):
    """Start a run, wait until ``ready(pgid)``, apply ``fault(pgid)``; return (result or error, pgid)."""
    session = ProbeSession(RunRequest(scenario(text), model, pool_size=pool_size))
    task = asyncio.ensure_future(session.run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not (session.pid and len(session.trace.workers) and ready(session.pid)):
        assert loop.time() < deadline, "the run never got going"
        assert not task.done(), task.result()
        await asyncio.sleep(0.05)
    pgid = session.pid
    fault(pgid)
    started = loop.time()
    try:
        outcome = await asyncio.wait_for(task, 20)
    except ProbeError as exc:
        outcome = exc
    return outcome, pgid, loop.time() - started


def _check_clean(before: set[int], pgid: int) -> None:
    wait_for(lambda: not alive_in_group(pgid), timeout=10, what=f"group {pgid} to end")
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


def _kill(find):
    def fault(pgid: int) -> None:
        pid = find(pgid)
        assert pid, "nothing to kill"
        os.kill(pid, signal.SIGKILL)

    return fault


@pytest.mark.parametrize("model", ["threads", "thread-pool", "process-pool"])
def test_sigkill_to_the_probe(model):
    before = my_children()
    need = 4 if model == "process-pool" else 2
    outcome, pgid, took = asyncio.run(
        _run_with_fault(TALK, model, lambda g: len(alive_in_group(g)) >= need, _kill(lambda g: g))
    )
    assert isinstance(outcome, ProbeError) and "SIGKILL" in str(outcome), outcome
    assert took < 8  # it used to hang for ever
    _check_clean(before, pgid)


@pytest.mark.parametrize("model", ["threads", "thread-pool", "process-pool"])
def test_sigkill_to_the_echo_peer(model):
    before = my_children()
    outcome, pgid, took = asyncio.run(_run_with_fault(TALK, model, echo_peer, _kill(echo_peer)))
    assert isinstance(outcome, ProbeError), outcome
    assert "\n" not in str(outcome) and took < 10
    _check_clean(before, pgid)


def test_sigkill_to_a_process_pool_worker():
    before = my_children()
    outcome, pgid, took = asyncio.run(_run_with_fault(TALK, "process-pool", pool_worker, _kill(pool_worker)))
    assert isinstance(outcome, ProbeError), outcome
    assert "\n" not in str(outcome) and took < 10
    _check_clean(before, pgid)


def _fake_run(fake: str, **kw):
    session = ProbeSession(RunRequest(scenario(GOOD), "threads", interpreter=fake), **kw)
    return session, asyncio.run(asyncio.wait_for(session.run(), 20))


def test_an_interpreter_that_stops_mid_frame(tmp_path):
    before = my_children()
    fake = script(tmp_path, "python-cut", "cat > /dev/null & printf 'THREADLOOM-WIRE 1\\nJ 500\\n{\"type\"'; exit 0")
    with pytest.raises(ProbeError, match="mid-frame") as info:
        _fake_run(fake)
    assert "\n" not in str(info.value)
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


def test_an_interpreter_that_prints_binary_garbage(tmp_path):
    before = my_children()
    fake = script(tmp_path, "python-noise", "cat > /dev/null & head -c 4000 /dev/urandom; sleep 0.2")
    with pytest.raises(WireFormatError) as info:
        _fake_run(fake)
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


def test_an_interpreter_that_stalls_after_the_magic_line_is_reported_and_stopped(tmp_path):
    before = my_children()
    fake = script(tmp_path, "python-stall", "printf 'THREADLOOM-WIRE 1\\n'; exec sleep 60")
    notes: list[str] = []
    session = ProbeSession(
        RunRequest(scenario(GOOD), "threads", interpreter=fake), on_silence=notes.append, silence_s=0.3
    )

    async def main():
        task = asyncio.ensure_future(session.run())
        while not notes:
            await asyncio.sleep(0.05)
        session.stop()
        return await asyncio.wait_for(task, 10)

    assert asyncio.run(main()).stopped
    assert len(notes) == 1 and "stalled" in notes[0]
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


def test_a_child_that_escapes_into_its_own_session_after_a_normal_run(tmp_path):
    """A real probe run whose wrapper leaves a setsid'd child holding stdout: the run still completes."""
    marker = tmp_path / "escaped.pid"
    fake = script(
        tmp_path,
        "python-leaves",
        f"setsid sh -c 'echo $$ > {marker}; exec sleep 60' & while [ ! -s {marker} ]; do sleep 0.01; done; "
        f'exec {os.sys.executable} "$@"',
    )
    try:
        t0 = time.monotonic()
        _session, result = _fake_run(fake)
        assert result.trace.complete and time.monotonic() - t0 < 10
    finally:
        pid = wait_for(lambda: marker.exists() and marker.read_text().strip(), what="the escaped child")
        os.kill(int(pid), signal.SIGKILL)


def test_a_parent_that_stops_reading_for_seconds_loses_nothing():
    """The probe blocks on a full pipe while the parent is busy; then the run goes on and completes."""
    text = GOOD.replace("count = 2", "count = 20").replace("steps = [{ io = 5 }]", "repeat = 200\nsteps = [{ io = 1 }]")
    stalls = []

    def busy(trace):
        if not stalls:
            stalls.append(time.monotonic())
            time.sleep(2.5)  # the event loop is blocked: nobody reads the pipe

    before = my_children()
    session = ProbeSession(RunRequest(scenario(text), "thread-pool", pool_size=4), on_update=busy)
    result = asyncio.run(asyncio.wait_for(session.run(), 60))
    assert stalls and result.trace.complete
    assert (result.trace.finished >= 0).all()
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


def test_four_runs_at_once_from_the_cli(tmp_path):
    tmp = Path(tempfile.mkdtemp(prefix="tlf-", dir="/tmp"))
    try:
        path = tmp_path / "s.toml"
        path.write_text(GOOD.replace("io = 5", "net = 2").replace("count = 2", "count = 3"))
        env = {**os.environ, "TMPDIR": str(tmp)}
        procs = [
            subprocess.Popen(
                threadloom_cmd("run", str(path), "--model", model, "--pool-size", "2", "-q"),
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for model in ("threads", "thread-pool", "asyncio", "process-pool")
        ]
        pgids: set[int] = set()
        for proc in procs:
            err = proc.communicate(timeout=90)[1]
            assert proc.returncode == 0, err
        pgids |= {g for _, _, ppid, g in processes() if ppid in {p.pid for p in procs}}
        assert not any(alive_in_group(g) for g in pgids)
        assert list(tmp.iterdir()) == []
    finally:
        for proc in procs:
            proc.kill()
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


@pytest.mark.gui
def test_the_app_shows_the_watchdog_and_stop_still_works(qapp, tmp_path, monkeypatch):
    import qasync

    from threadloom.engine import session as session_module
    from threadloom.ui.runner import PlannedRun, RunController

    monkeypatch.setattr(session_module, "SILENCE_S", 0.3)
    fake = script(tmp_path, "python-stall", "printf 'THREADLOOM-WIRE 1\\n'; exec sleep 60")
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    before = my_children()
    try:
        controller = RunController()
        notes: list[str] = []
        controller.stalled.connect(notes.append)

        async def main():
            task = asyncio.ensure_future(
                controller.run([PlannedRun(RunRequest(scenario(GOOD), "threads", interpreter=fake), "threads")])
            )
            while not notes:
                await asyncio.sleep(0.05)
            controller.stop()
            return await asyncio.wait_for(task, 10)

        outcome = loop.run_until_complete(asyncio.wait_for(main(), 20))
        assert outcome.stopped and "stalled" in notes[0]
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    wait_for(lambda: my_children() <= before, timeout=5, what="no new children")


@pytest.mark.gui
def test_the_window_puts_the_watchdog_in_its_status_bar(qapp, tmp_path):
    from PySide6.QtCore import QSettings

    from threadloom.ui.window import MainWindow

    w = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    try:
        w.runner.stalled.emit("the probe has sent nothing for 30 s; it may be stalled")
        assert "stalled" in w.status_message() and "Stop" in w.status_message()
    finally:
        w.close()
        w.deleteLater()
