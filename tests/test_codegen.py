"""The plain programs behind scenarios: they compile, pass ruff, are stable, say the right things, and do the work.

The physics test runs a few generated programs and compares the makespan each prints with the
probe's for the same scenario (ratios, wide margins): run it under
``flock /tmp/threadloom-physics.lock``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from threadloom.codegen import TEMPLATES, code_models, generate_program, program_file_name
from threadloom.errors import UsageError
from threadloom.probe.models import MODELS
from threadloom.scenario import list_presets
from threadloom.scenario.load import STEP_KINDS

from .conftest import REPO, run, scenario, threadloom_cmd

PRESETS = {p.key: p.scenario for p in list_presets()}
BUILT_IN = ("threads", "thread-pool", "asyncio", "asyncio-offload", "process-pool", "sequential")
RUFF = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
CASES = [(key, model) for key in sorted(PRESETS) for model in code_models()]


def _programs() -> dict[tuple[str, str], str]:
    return {(key, model): generate_program(PRESETS[key], model) for key, model in CASES}


@pytest.fixture(scope="module")
def programs() -> dict[tuple[str, str], str]:
    return _programs()


@pytest.fixture(scope="module")
def program_dir(programs, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("programs")
    for (key, model), text in programs.items():
        (folder / f"{key}--{model}.py").write_text(text)
    return folder


def test_every_built_in_model_has_a_program_shape():
    assert set(BUILT_IN) <= set(TEMPLATES)
    assert [m for m in code_models() if m in BUILT_IN] == [m for m in MODELS if m in BUILT_IN]


def test_every_preset_under_every_model_compiles(programs):
    assert len(programs) == len(PRESETS) * len(code_models()) >= 7 * 6
    for (key, model), text in programs.items():
        compile(text, f"{key}--{model}.py", "exec")
        assert f"under {model}." in text.splitlines()[0]
        assert text.rstrip().endswith('if __name__ == "__main__":\n    main()')
        assert 'print(f"makespan: ' in text
        assert "threadloom" not in re.sub(r"`threadloom code`", "", text), "no instrumentation, no imports of ours"


def test_programs_are_deterministic(programs):
    assert _programs() == programs


def test_programs_use_the_standard_library_only(programs):
    allowed = {
        "asyncio",
        "hashlib",
        "multiprocessing",
        "os",
        "socket",
        "socketserver",
        "sys",
        "threading",
        "time",
        "concurrent.futures",
    }
    for text in programs.values():
        imported = set(re.findall(r"^(?:import|from) ([\w.]+)", text, re.MULTILINE))
        assert imported <= allowed, imported - allowed


def test_programs_pass_ruff_check_with_default_rules(program_dir):
    done = subprocess.run([RUFF, "check", "--isolated", "--no-cache", str(program_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_programs_pass_the_repos_stricter_rules_too(program_dir):
    rules = "E,F,W,I,B,RUF"
    done = subprocess.run(
        [
            RUFF,
            "check",
            "--isolated",
            "--no-cache",
            "--select",
            rules,
            "--ignore",
            "RUF001,RUF002,RUF003",
            str(program_dir),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_programs_are_ruff_formatted(program_dir):
    done = subprocess.run(
        [RUFF, "format", "--isolated", "--no-cache", "--check", str(program_dir)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_reads_a_program_from_stdin_the_same(programs):
    text = programs[("convoy", "asyncio-offload")]
    done = subprocess.run([RUFF, "check", "--isolated", "-"], input=text, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_asyncio_programs_have_coroutines_and_threads_programs_do_not(programs):
    for (key, model), text in programs.items():
        if model.startswith("asyncio"):
            assert "async def " in text and "asyncio.run(" in text, key
            assert "threading.Thread" not in text
        else:
            assert "async def" not in text and "await " not in text, (key, model)
    threads = programs[("io-bound", "threads")]
    assert "threading.Thread(target=fetch, args=(server,))" in threads and "thread.join()" in threads
    asyncio_text = programs[("io-bound", "asyncio")]
    for fn in ("wait", "connect", "round_trip", "fetch", "run_all"):
        assert f"async def {fn}(" in asyncio_text
    assert "await asyncio.gather(*tasks)" in asyncio_text


def test_the_offload_program_hands_blocking_steps_to_a_thread(programs):
    plain = programs[("blocking-in-loop", "asyncio")]
    offload = programs[("blocking-in-loop", "asyncio-offload")]
    assert "    blocking_call(200)\n" in plain and "to_thread" not in plain
    assert "    await asyncio.to_thread(blocking_call, 200)\n" in offload
    assert "    await wait(60)\n" in offload  # waits stay on the loop
    assert "ThreadPoolExecutor(max_workers=4)" in offload  # [run].pool_size sizes the offload pool
    mixed = programs[("mixed", "asyncio-offload")]
    assert "await asyncio.to_thread(crunch, 4)" in mixed and "await asyncio.to_thread(hash_bytes, 80)" in mixed


def test_pools_processes_and_the_baseline_have_their_shapes(programs):
    pool = programs[("pool-starvation", "thread-pool")]
    assert "with ThreadPoolExecutor(max_workers=2) as pool:" in pool
    assert "futures = [pool.submit(slow_call) for _ in range(16)]" in pool
    processes = programs[("cpu-bound", "process-pool")]
    assert "ProcessPoolExecutor(workers)" in processes and "workers = os.cpu_count()" in processes
    assert "list(pool.map(time.sleep, [0.1] * workers))" in processes
    sequential = programs[("cpu-bound", "sequential")]
    assert "    for _ in range(4):\n        crunch_task()\n" in sequential  # the group "crunch" meets crunch()


def test_run_settings_reach_the_program(programs):
    convoy = programs[("convoy", "threads")]
    assert "sys.setswitchinterval(0.005)" in convoy and "PEER_DELAY_S = 0.001" in convoy
    assert "time.sleep(PEER_DELAY_S)" in convoy
    assert "sys.setswitchinterval" not in programs[("io-bound", "threads")]
    assert "PEER_DELAY_S" not in programs[("io-bound", "threads")]
    half = generate_program(PRESETS["convoy"], "process-pool", switch_interval_ms=0.5, pool_size=3)
    assert "initializer=sys.setswitchinterval, initargs=(0.0005,)" in half and "workers = 3" in half
    tiny = generate_program(PRESETS["convoy"], "threads", switch_interval_ms=0.01)
    assert "sys.setswitchinterval(0.00001)" in tiny  # never 1e-05
    # A model without a pool ignores pool_size; asyncio without offloading has no executor to size.
    assert "max_workers" not in generate_program(PRESETS["pool-starvation"], "threads", pool_size=9)
    assert "ThreadPoolExecutor" not in programs[("blocking-in-loop", "asyncio")]


def test_group_names_become_unique_safe_identifiers():
    text = """
name = "names"
[[groups]]
name = "main"
steps = [{ io = 1 }]
[[groups]]
name = "class"
steps = [{ io = 1 }]
[[groups]]
name = "2 fast-2 furious"
steps = [{ io = 1 }]
[[groups]]
name = "wait"
steps = [{ io = 1 }]
[[groups]]
name = "Wait!"
steps = [{ io = 1 }]
[[groups]]
name = "a-very-long-group-name-that-goes-on-and-on"
count = 19990
steps = [{ io = 1 }]
"""
    sc = scenario(text)
    for model in code_models():
        program = generate_program(sc, model)
        compile(program, model, "exec")
        defs = re.findall(r"^(?:async )?def (\w+)\(", program, re.MULTILINE)
        assert len(defs) == len(set(defs)), defs
        assert max(len(line) for line in program.splitlines()) <= 88
    names = re.findall(r"^def (\w+)\(", generate_program(sc, "sequential"), re.MULTILINE)
    assert {"main_task", "class_task", "group2", "wait_task", "wait_task_2"} <= set(names)


def test_hostile_descriptions_stay_inside_the_docstring():
    sc = scenario(
        'name = "x\\"\\"\\" + 1"\ndescription = "ends with a quote \\" and a \\\\ backslash"\n'
        "[[groups]]\nsteps = [{ cpu = 1 }]\n"
    )
    program = generate_program(sc, "threads")
    compile(program, "hostile", "exec")
    assert program.count('"""') == 4  # the module docstring and crunch's


@pytest.mark.skipif("lock" not in STEP_KINDS, reason="no lock step kind in this tree")
def test_lock_steps_take_the_one_shared_lock():
    sc = scenario('name = "locks"\n[[groups]]\ncount = 2\nsteps = [{ lock = 5 }, { io = 1 }]\n')
    threads = generate_program(sc, "threads")
    assert "lock = threading.Lock()" in threads and "    with lock:\n        crunch(5)\n" in threads
    loop = generate_program(sc, "asyncio")
    assert "lock = asyncio.Lock()" in loop and "    async with lock:\n        crunch(5)\n" in loop
    offload = generate_program(sc, "asyncio-offload")
    assert "    async with lock:\n        await asyncio.to_thread(crunch, 5)\n" in offload
    processes = generate_program(sc, "process-pool")
    assert "initializer=init_worker, initargs=(multiprocessing.Lock(),)" in processes
    for model in code_models():
        compile(generate_program(sc, model), model, "exec")


def test_unknown_models_are_refused_naming_the_allowed_ones():
    with pytest.raises(UsageError, match="allowed: threads"):
        generate_program(PRESETS["convoy"], "fibers")


def test_file_names():
    assert (
        program_file_name(PRESETS["convoy"], "asyncio-offload") == "convoy-chatty-beside-a-cruncher-asyncio-offload.py"
    )


# -- the command -----------------------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(threadloom_cmd(*args), capture_output=True, text=True, cwd=cwd or REPO, timeout=60)


def test_code_command_prints_the_program(programs):
    done = _cli("code", "blocking-in-loop", "--model", "asyncio-offload")
    assert done.returncode == 0, done.stderr
    assert done.stdout == programs[("blocking-in-loop", "asyncio-offload")]
    # Without --model: the scenario's own model.
    assert _cli("code", "io-bound").stdout == programs[("io-bound", "asyncio")]


def test_code_command_writes_a_file_and_refuses_to_overwrite(tmp_path, programs):
    out = tmp_path / "prog.py"
    done = _cli("code", "convoy", "-m", "threads", "--output", str(out))
    assert done.returncode == 0 and done.stdout.strip() == f"Wrote {out}"
    assert out.read_text() == programs[("convoy", "threads")]
    again = _cli("code", "convoy", "-m", "threads", "--output", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    assert _cli("code", "convoy", "-m", "sequential", "--output", str(out), "--force").returncode == 0
    assert out.read_text() == programs[("convoy", "sequential")]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("code", "convoy", "--model", "fibers"), 2, "unknown model"),
        (("code", "convoy", "--model", "threads,asyncio"), 2, "one model"),
        (("code", "no-such-preset", "--model", "threads"), 1, "no such file or preset"),
        (("code", "convoy", "--switch-interval", "-1"), 2, "--switch-interval"),
    ],
)
def test_code_command_errors_are_one_line(args, code, words):
    done = _cli(*args)
    assert done.returncode == code
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr


# -- physics: the programs do the work the probe measured ---------------------------------------

SMALL = {
    "waits": ('name = "waits"\n[[groups]]\ncount = 8\nrepeat = 3\nsteps = [{ io = 30 }]\n', ("threads", "asyncio")),
    "queue": (
        'name = "queue"\n[run]\npool_size = 2\n[[groups]]\ncount = 6\nsteps = [{ io = 60 }]\n',
        ("thread-pool",),
    ),
    "blocking": (
        'name = "blocking"\n[run]\npool_size = 2\n[[groups]]\nname = "tick"\ncount = 4\nrepeat = 10\n'
        'steps = [{ io = 10 }]\n[[groups]]\nname = "culprit"\nsteps = [{ io = 20 }, { block = 150 }]\n',
        ("asyncio", "asyncio-offload"),
    ),
    "crunch": (
        'name = "crunch"\n[run]\npool_size = 2\n[[groups]]\ncount = 2\nsteps = [{ cpu = 120 }]\n',
        ("sequential", "threads", "process-pool"),
    ),
    "data": (
        'name = "data"\n[run]\npool_size = 2\n[[groups]]\ncount = 4\nsteps = [{ data = 20000 }, { cpu = 20 }]\n',
        ("thread-pool", "process-pool"),
    ),
    "chatty": (
        'name = "chatty"\n[run]\npeer_delay_ms = 1\n[[groups]]\ncount = 3\nrepeat = 40\nsteps = [{ net = 1 }]\n',
        ("threads", "asyncio"),
    ),
}


def _program_makespan(text: str, tmp_path: Path, name: str) -> float:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    m = re.fullmatch(r"makespan: ([\d.]+) ms\n", done.stdout)
    assert m, done.stdout
    return float(m.group(1))


@pytest.mark.physics
@pytest.mark.parametrize("case", sorted(SMALL))
def test_a_program_takes_about_as_long_as_the_probe_measured(case, tmp_path):
    text, models = SMALL[case]
    sc = scenario(text)
    for model in models:
        # The run's settings as `threadloom run` takes them from the scenario.
        _, metrics = run(text, model, switch_interval_ms=sc.switch_interval_ms, pool_size=sc.pool_size)
        probe_ms = metrics.makespan_ms
        program_ms = _program_makespan(generate_program(sc, model), tmp_path, f"{case}-{model}")
        ratio = program_ms / probe_ms
        assert 0.4 <= ratio <= 2.5, f"{case} under {model}: program {program_ms:.1f} ms, probe {probe_ms:.1f} ms"
