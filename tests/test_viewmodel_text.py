"""The words beside compare bands: the makespan first, in one unit for every band."""

from __future__ import annotations

from threadloom.viewmodel.timeline_text import band_subtitle
from threadloom.wire import STATE_CODES, TASK_DONE

from .test_model_metrics import build

R = STATE_CODES["running"]


def _run_of(ms: float):
    return build([(0, 0, 0, R), (ms, 0, 0, TASK_DONE)], {"g": ["cpu"]}, ["g"])


def test_band_subtitles_lead_with_the_makespan_in_the_same_unit():
    short, long = band_subtitle(_run_of(804.7)), band_subtitle(_run_of(1605.8))
    assert short.startswith("makespan 805 ms") and long.startswith("makespan 1,606 ms")
    assert "model threads" in short
