"""`threadloom run --save/--trace/--csv/--screenshot`, `render` and `open` from the command line."""

from __future__ import annotations

import json
import os
import struct
import subprocess

import pytest

from .conftest import group, scenario_text, threadloom_cmd

TINY = scenario_text(
    group("crunch", count=2, cpu=40),
    group("waiter", count=3, io=15),
    name="cli export",
    model="thread-pool",
    pool_size=2,
)


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run(threadloom_cmd(*args), capture_output=True, text=True, timeout=timeout, env=env)


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def one_line_error(result: subprocess.CompletedProcess, code: int, *needles: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    err = result.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    (d / "tiny.toml").write_text(TINY)
    result = cli(
        "run",
        str(d / "tiny.toml"),
        "-q",
        "--save",
        str(d / "run.tlrun"),
        "--trace",
        str(d / "run.json"),
        "--csv",
        str(d / "run.csv"),
        "--screenshot",
        str(d / "shot.png"),
        "--size",
        "1200x700",
    )
    assert result.returncode == 0, result.stderr
    return d, result


def test_run_writes_every_export_headless(outputs):
    d, result = outputs
    for name in ("run.tlrun", "run.json", "run.csv", "shot.png"):
        assert f"Wrote {d / name}" in result.stderr
    assert png_size(d / "shot.png") == (1200, 700)
    events = json.loads((d / "run.json").read_text())["traceEvents"]
    assert sum(e["ph"] == "X" for e in events) > 10
    assert (d / "run.csv").read_text().startswith("run,task,group,worker,state,start_ms,end_ms\n")


def test_render_draws_a_saved_run(outputs):
    d, _ = outputs
    result = cli(
        "render",
        str(d / "run.tlrun"),
        "--out",
        str(d / "r.png"),
        "--view",
        "timeline",
        "--at",
        "30",
        "--size",
        "640x360",
    )
    assert result.returncode == 0, result.stderr
    assert png_size(d / "r.png") == (640, 360)
    one_line_error(cli("render", str(d / "run.tlrun"), "--out", str(d / "r.png")), 2, "already exists", "--force")


@pytest.mark.parametrize(
    ("flags", "needles"),
    [
        (["--screenshot", "x.png", "--size", "wide"], ["--size", "WIDTHxHEIGHT", "'wide'"]),
        (["--screenshot", "x.png", "--size", "10x10"], ["--size", "320x240"]),
        (["--screenshot", "x.bmp"], ["--screenshot", ".png, .svg or .pdf"]),
        (["--size", "800x600"], ["--size", "only applies to --screenshot"]),
        (["--save", "same.out", "--csv", "same.out"], ["--csv", "also the --save output"]),
        (["--save", "no/such/dir/x.tlrun"], ["the folder no/such/dir does not exist"]),
    ],
)
def test_bad_export_options_are_refused_before_running(outputs, flags, needles):
    d, _ = outputs
    one_line_error(cli("run", str(d / "tiny.toml"), *flags), 2, *needles)


def test_an_existing_output_is_kept_without_force(outputs):
    d, _ = outputs
    before = (d / "run.tlrun").read_bytes()
    result = cli("run", str(d / "tiny.toml"), "--save", str(d / "run.tlrun"), "--csv", str(d / "new.csv"))
    one_line_error(result, 2, "run.tlrun", "already exists", "--force")
    assert (d / "run.tlrun").read_bytes() == before and not (d / "new.csv").exists()


def test_open_and_render_refuse_a_damaged_file_in_one_line(outputs):
    d, _ = outputs
    bad = d / "bad.tlrun"
    bad.write_bytes((d / "run.tlrun").read_bytes()[:100])
    one_line_error(cli("open", str(bad)), 1, "bad.tlrun", "truncated")
    one_line_error(cli(str(bad)), 1, "bad.tlrun", "truncated")
    one_line_error(cli("render", str(bad), "--out", str(d / "bad.png")), 1, "bad.tlrun", "truncated")
    assert not (d / "bad.png").exists()
