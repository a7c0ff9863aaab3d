"""State colours and theme colours shared by every Threadloom view.

The seven states come from ``threadloom.model.STATES``. Their colours are based on the Okabe-Ito
palette, which stays distinguishable for the common forms of colour blindness; ``idle`` is a muted
grey so that the eye goes to the states that matter. Every view (timeline, legend, charts, exports)
takes its colours from here so that a state always looks the same.

Public API (kept stable for the main window and the exporters):

- ``STATE_COLORS_LIGHT`` / ``STATE_COLORS_DARK``: state name -> ``'#rrggbb'``.
- ``STATE_COLORS``: alias of ``STATE_COLORS_LIGHT``.
- ``STATE_DESCRIPTIONS``: state name -> one sentence that explains the state.
- ``state_colors(dark)``, ``state_color(state, dark) -> QColor``.
- ``state_legend_items(dark) -> list[LegendItem]`` in display order.
- ``THEME_LIGHT`` / ``THEME_DARK`` and ``theme(dark)``: background, text and grid colours.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtGui import QColor

from threadloom.model import STATES

from ..viewmodel.text import STATE_DESCRIPTIONS

STATE_COLORS_LIGHT: dict[str, str] = {
    "running": "#009E73",  # bluish green: holds the GIL and runs Python code
    "native": "#0072B2",  # blue: runs native code with the GIL released
    "ready": "#D55E00",  # vermillion: the costly wait, so the loudest colour
    "io": "#56B4E9",  # sky blue: waiting on the outside world
    "blocked": "#CC79A7",  # reddish purple: waiting on another task
    "queued": "#E69F00",  # orange: submitted, no worker yet
    "idle": "#D5D9DF",  # muted grey: nothing to see
    "transfer": "#7E57C2",  # violet: data on its way between processes, no work done
}

STATE_COLORS_DARK: dict[str, str] = {
    "running": "#1FBF8F",
    "native": "#3D8FD6",
    "ready": "#F07A2A",
    "io": "#7CC8F2",
    "blocked": "#DE8FBE",
    "queued": "#F2B532",
    "idle": "#3A4049",
    "transfer": "#A98BE0",
}

STATE_COLORS: dict[str, str] = STATE_COLORS_LIGHT


assert set(STATE_COLORS_LIGHT) == set(STATES) == set(STATE_COLORS_DARK) == set(STATE_DESCRIPTIONS)


class Theme(NamedTuple):
    """Non-state colours of a theme, as ``'#rrggbb'``."""

    background: str
    foreground: str
    muted: str  # secondary text: axis ticks, group headers
    grid: str
    band: str  # alternate band background in compare views
    cursor: str  # replay cursor line


THEME_LIGHT = Theme(
    background="#FFFFFF", foreground="#1F2328", muted="#5B636E", grid="#E4E7EB", band="#F5F6F8", cursor="#C0392B"
)
THEME_DARK = Theme(
    background="#1B1E23", foreground="#E6E8EB", muted="#9AA3AE", grid="#2E333A", band="#22262C", cursor="#FF6B5A"
)


class LegendItem(NamedTuple):
    """One entry of a state legend: ``state``, ``color`` (``'#rrggbb'``) and a teaching ``description``."""

    state: str
    color: str
    description: str


def theme(dark: bool) -> Theme:
    """The theme colours for a light (``dark=False``) or dark palette."""
    return THEME_DARK if dark else THEME_LIGHT


def state_colors(dark: bool) -> dict[str, str]:
    """State name -> ``'#rrggbb'`` for the light or dark palette."""
    return STATE_COLORS_DARK if dark else STATE_COLORS_LIGHT


def state_color(state: str, dark: bool = False) -> QColor:
    """The colour of ``state`` (one of ``threadloom.model.STATES``) as a ``QColor``.

    Raises ``KeyError`` naming the allowed states when ``state`` is unknown.
    """
    colors = state_colors(dark)
    if state not in colors:
        raise KeyError(f"unknown state {state!r}; allowed: {', '.join(STATES)}")
    return QColor(colors[state])


def state_legend_items(dark: bool = False) -> list[LegendItem]:
    """Legend entries in the order of ``STATES``: (state, colour, description)."""
    colors = state_colors(dark)
    return [LegendItem(state, colors[state], STATE_DESCRIPTIONS[state]) for state in STATES]
