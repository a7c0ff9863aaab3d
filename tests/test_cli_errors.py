"""Bad input gets one readable line that names the file and field, never a traceback."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, threadloom_cmd

GOOD = """
name = "tiny"
[[groups]]
name = "w"
count = 2
steps = [{ io = 5 }]
"""


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(threadloom_cmd(*args), capture_output=True, text=True, timeout=timeout)


def assert_one_line(result: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    err = result.stderr.strip()
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("name = 'x'\ncount = = 3\n", ["not valid TOML", "line 2"]),
        (GOOD.replace("io = 5", "io = -5"), ["groups[0].steps[0].io", "greater than 0", "-5"]),
        (GOOD.replace("io = 5", 'io = "five"'), ["groups[0].steps[0].io", "'five'"]),
        (GOOD.replace("io = 5", "disk = 5"), ["unknown step kind 'disk'", "cpu, native, io, net, block"]),
        (GOOD.replace("count = 2", "count = 0"), ["groups[0].count", "from 1 to"]),
        (GOOD.replace("count = 2", "count = 10000000"), ["groups[0].count", "10000000"]),
        (GOOD + '[run]\nmodel = "fibers"\n', ["[run].model", "threads", "'fibers'"]),
        (GOOD.replace("count = 2", "count = 5000\nrepeat = 1000000"), ["step executions", "lower count or repeat"]),
        ('name = "x"\n', ["groups", "non-empty array"]),
        (GOOD + "colour = 1\n", ["unknown key 'colour'"]),
        (GOOD + "[run]\npeer_delay_ms = -1\n", ["[run].peer_delay_ms", "at least 0"]),
    ],
)
def test_bad_scenarios_exit_1_with_the_file_and_field(tmp_toml, text, needles):
    path = tmp_toml(text, "bad.toml")
    assert_one_line(cli("run", str(path)), 1, "bad.toml", *needles)


def test_missing_scenario_file_names_it(tmp_path):
    assert_one_line(cli("run", str(tmp_path / "nope.toml")), 1, "nope.toml", "no such file")


def test_unknown_preset_lists_the_presets():
    assert_one_line(cli("run", "convoyy"), 1, "convoyy", "convoy", "cpu-bound")


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--model", "fibers"], ["--model", "fibers", "asyncio"]),
        (["--switch-interval", "0"], ["--switch-interval", "0.001 or more"]),
        (["--switch-interval", "fast"], ["--switch-interval", "'fast'"]),
        (["--pool-size", "-3"], ["--pool-size", "'-3'"]),
        (["--pool-size", "99999"], ["--pool-size", "1024"]),
    ],
)
def test_bad_flags_exit_2(tmp_toml, flags, needles):
    assert_one_line(cli("run", str(tmp_toml(GOOD)), *flags), 2, *needles)


def test_threads_model_refuses_more_threads_than_allowed(tmp_toml):
    path = tmp_toml(GOOD.replace("count = 2", "count = 5000"), "many.toml")
    assert_one_line(cli("run", str(path), "--model", "threads"), 1, "many.toml", "one OS thread per task", "2000")


def test_missing_interpreter(tmp_toml):
    assert_one_line(
        cli("run", str(tmp_toml(GOOD)), "--interpreter", "/no/such/python"), 1, "/no/such/python", "no such interpreter"
    )


def _script(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_crashing_interpreter(tmp_toml, tmp_path):
    fake = _script(tmp_path, "python-crash", "echo 'Fatal Python error: init failed' >&2; exit 1")
    assert_one_line(cli("run", str(tmp_toml(GOOD)), "--interpreter", fake), 1, "python-crash", "init failed")


def test_interpreter_that_prints_garbage(tmp_toml, tmp_path):
    fake = _script(tmp_path, "python-garbage", "cat > /dev/null & echo 'hello there, I am not a probe'; sleep 1")
    assert_one_line(
        cli("run", str(tmp_toml(GOOD)), "--interpreter", fake), 1, "not a Threadloom event stream", "hello there"
    )


def test_probe_killed_mid_run_keeps_a_clear_message(tmp_toml, tmp_path):
    # The interpreter wrapper runs the real probe, then kills it with SIGKILL after a moment.
    fake = _script(tmp_path, "python-dies", f'{sys.executable} "$@" & P=$!; sleep 1.5; kill -9 $P; wait $P')
    long = GOOD.replace("io = 5", "io = 5000")
    result = cli("run", str(tmp_toml(long)), "--interpreter", fake)
    assert_one_line(result, 1, "python-dies")


def test_good_run_writes_json_with_the_documented_keys(tmp_toml, tmp_path):
    out = tmp_path / "out.json"
    result = cli("run", str(tmp_toml(GOOD)), "--model", "threads,asyncio", "--json", str(out))
    assert result.returncode == 0, result.stderr
    runs = json.loads(out.read_text())["runs"]
    assert [r["model"] for r in runs] == ["threads", "asyncio"]
    keys = {
        "model",
        "interpreter",
        "gil_enabled",
        "switch_interval_ms",
        "pool_size",
        "makespan_ms",
        "latency_ms",
        "ready_ms",
        "queued_ms",
        "cpu_utilization",
        "peak_rss_mb",
        "peak_threads",
        "context_switches",
        "median_running_slice_ms",
        "state_ms",
        "groups",
    }
    for r in runs:
        assert keys <= r.keys()
        assert set(r["latency_ms"]) == {"p50", "p95", "p99"}
        assert r["groups"]["w"]["count"] == 2
        assert set(r["state_ms"]) >= {"running", "ready", "io", "queued", "idle"}
    # A second run will not clobber the file without --force.
    again = cli("run", str(tmp_toml(GOOD)), "--json", str(out))
    assert_one_line(again, 2, "already exists", "--force")


def test_presets_lists_every_shipped_preset():
    result = cli("presets")
    assert result.returncode == 0
    for name in ("convoy", "cpu-bound", "io-bound", "pool-starvation", "blocking-in-loop", "native-cpu", "mixed"):
        assert name in result.stdout


@pytest.mark.skipif(not os.path.exists("/root/.pyenv/versions/3.9.18/bin/python3"), reason="no Python 3.9 here")
def test_probe_runs_under_python_3_9(tmp_toml, tmp_path):
    out = tmp_path / "out.json"
    result = cli(
        "run",
        str(tmp_toml(GOOD.replace("io = 5", "net = 3"))),
        "--model",
        "asyncio,process-pool",
        "--interpreter",
        "/root/.pyenv/versions/3.9.18/bin/python3",
        "--json",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    runs = json.loads(out.read_text())["runs"]
    assert all(r["interpreter"]["version"].startswith("3.9") for r in runs)


#: A command-line flag inside a message: "--model", "--force" (not "---" rules or "a--b").
_FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*")
PACKAGE = REPO / "app" / "threadloom"


def _library_modules() -> list[Path]:
    """Every module but the CLI's own: they raise errors about values and files, never about flags."""
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "cli" not in p.relative_to(PACKAGE).parts[:1]]


def _texts(node: ast.AST) -> list[str]:
    """The literal text in an expression, f-strings' fixed parts included."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_library_errors_name_no_cli_flag():
    """Messages raised outside cli/ (and the defaults that would go into them) name no flag: the CLI adds it."""
    found = []
    for path in _library_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                texts = _texts(node.exc)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                texts = [t for d in node.args.defaults + node.args.kw_defaults if d is not None for t in _texts(d)]
            else:
                continue
            found += [f"{path.relative_to(PACKAGE)}:{node.lineno}: {t!r}" for t in texts if _FLAG.search(t)]
    assert found == []
    assert len(_library_modules()) > 30  # the walk found the package


def test_library_errors_read_without_the_cli(tmp_path):
    """The errors people meet most, raised by library calls: each says what is wrong, and no flag."""
    from threadloom.engine import ProbeSession, RunRequest
    from threadloom.errors import ThreadloomError
    from threadloom.export.caption import picture_format
    from threadloom.export.savefile import load_runs, runs_from_bytes, runs_to_bytes
    from threadloom.scenario import parse_scenario

    many = parse_scenario(GOOD.replace("count = 2", "count = 5000"), source="many.toml")
    calls = [
        (lambda: picture_format("shot.bmp"), "shot.bmp"),
        (lambda: runs_to_bytes([]), "nothing to save"),
        (lambda: load_runs(tmp_path / "nope.tlrun"), "nope.tlrun"),
        (lambda: runs_from_bytes(b"PK\x03\x04 truncated", "cut.tlrun"), "cut.tlrun"),
        (lambda: many.check_run("threads", None), "many.toml"),
        (lambda: many.check_run("thread-pool", 100_000), "pool_size"),
        (lambda: parse_scenario(GOOD.replace("io = 5", "io = -5"), source="bad.toml"), "bad.toml"),
        (
            lambda: asyncio.run(
                ProbeSession(RunRequest(parse_scenario(GOOD), "threads", interpreter="/no/such/python")).run()
            ),
            "/no/such/python",
        ),
    ]
    for call, needle in calls:
        with pytest.raises(ThreadloomError) as info:
            call()
        message = str(info.value)
        assert needle in message and not _FLAG.search(message), message
        assert len(message.splitlines()) == 1, message
