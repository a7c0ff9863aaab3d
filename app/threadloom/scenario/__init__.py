"""Scenarios: TOML files (or preset names) validated into plain data."""

from .load import (
    MAX_POOL,
    MAX_TASKS,
    STEP_KINDS,
    Group,
    Scenario,
    load_scenario,
    parse_scenario,
)
from .presets import Preset, find_preset, list_presets, presets_dir, resolve_scenario

__all__ = [
    "MAX_POOL",
    "MAX_TASKS",
    "STEP_KINDS",
    "Group",
    "Preset",
    "Scenario",
    "find_preset",
    "list_presets",
    "load_scenario",
    "parse_scenario",
    "presets_dir",
    "resolve_scenario",
]
