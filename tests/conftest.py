"""Shared helpers: run the real probe on small scenarios written inline."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from threadloom.engine import RunRequest, run_blocking
from threadloom.model import Trace, compute_metrics
from threadloom.scenario import parse_scenario

REPO = Path(__file__).resolve().parents[1]


def scenario(text: str, source: str = "test.toml"):
    return parse_scenario(text, source=source)


def run(text: str, model: str, *, switch_interval_ms: float | None = None, pool_size: int | None = None,
        interpreter: str | None = None) -> tuple[Trace, object]:
    """Run scenario TOML under one model with the real probe; return the trace and its metrics."""
    trace = run_blocking(RunRequest(scenario(text), model, switch_interval_ms, pool_size, interpreter))
    return trace, compute_metrics(trace)


def threadloom_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "threadloom", *args]


@pytest.fixture
def tmp_toml(tmp_path):
    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
