"""Presets: scenario files shipped in resources/presets, found by name."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ScenarioError
from ..resources import resource_path
from .load import Scenario, load_scenario


@dataclass(frozen=True)
class Preset:
    key: str
    path: Path
    scenario: Scenario


def presets_dir() -> Path:
    return resource_path("presets")


def list_presets() -> list[Preset]:
    return [Preset(p.stem, p, load_scenario(p)) for p in sorted(presets_dir().glob("*.toml"))]


def find_preset(name: str) -> Path | None:
    path = presets_dir() / f"{name}.toml"
    return path if path.is_file() else None


def resolve_scenario(spec: str) -> Scenario:
    """A path to a TOML file, or a preset's name."""
    path = Path(spec)
    if path.suffix.lower() != ".toml" and not path.exists():
        preset = find_preset(spec)
        if preset is None:
            names = ", ".join(p.stem for p in sorted(presets_dir().glob("*.toml")))
            raise ScenarioError(f"{spec}: no such file or preset (presets: {names})")
        return load_scenario(preset)
    return load_scenario(path)
