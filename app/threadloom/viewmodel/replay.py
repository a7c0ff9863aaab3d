"""The replay clock: where a slow-motion replay is on the trace's clock, and how fast it moves.

Only arithmetic (position, speed, play and pause), so it is tested without Qt;
``ui/replay.py`` ticks it from a ``QTimer`` with the real elapsed time.
"""

from __future__ import annotations

import math

from ..errors import UsageError

#: Replay speeds offered, fastest first: 1x is real time, 0.001x a thousand times slower.
SPEEDS: tuple[float, ...] = (1.0, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001)
DEFAULT_SPEED = 0.01
#: How long a whole replay takes at the speed chosen for a run until the user picks one, in seconds.
REPLAY_SECONDS = 10.0


def replay_speed_for(duration_ms: float, seconds: float = REPLAY_SECONDS) -> float:
    """The offered speed at which replaying ``duration_ms`` of a run takes closest to ``seconds``.

    Runs too short for that get the slowest speed; too long, real time.
    """
    if not duration_ms > 0:
        return DEFAULT_SPEED
    wanted = duration_ms / (seconds * 1000.0)
    return min(SPEEDS, key=lambda s: abs(math.log(s / wanted)))


class ReplayClock:
    """Where the replay is on the trace's clock, and how fast it moves.

    Attributes
    ----------
    duration_ms: length of the replayed run(s); the position stays in ``[0, duration_ms]``.
    position_ms: the replay time.
    speed: trace milliseconds per wall-clock millisecond (1.0 = real time).
    playing: whether :meth:`advance` moves the position.
    """

    def __init__(self, duration_ms: float = 0.0, speed: float = DEFAULT_SPEED) -> None:
        self.duration_ms = max(0.0, float(duration_ms))
        self.position_ms = 0.0
        self.speed = speed
        self.playing = False

    def set_duration(self, duration_ms: float) -> None:
        self.duration_ms = max(0.0, float(duration_ms))
        self.position_ms = min(self.position_ms, self.duration_ms)

    def seek(self, ms: float) -> float:
        self.position_ms = min(max(0.0, float(ms)), self.duration_ms)
        return self.position_ms

    def play(self) -> None:
        if self.duration_ms <= 0:
            return
        if self.position_ms >= self.duration_ms:
            self.position_ms = 0.0  # playing from the end means "again from the start"
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        """Set the speed; :class:`~threadloom.errors.UsageError` unless it is greater than 0."""
        if not speed > 0:
            raise UsageError(f"replay speed must be greater than 0, got {speed!r}")
        self.speed = float(speed)

    def step_speed(self, faster: bool) -> float:
        """Move to the next offered speed (faster or slower) and return it."""
        nearest = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        nearest = max(0, nearest - 1) if faster else min(len(SPEEDS) - 1, nearest + 1)
        self.speed = SPEEDS[nearest]
        return self.speed

    def stepped(self, direction: int) -> float | None:
        """Where one step back (``direction`` -1) or forward (+1) lands, unclamped; ``None`` for an empty run.

        One step is a tenth of a typical switch interval, or 1/500 of the run if that is shorter.
        """
        if self.duration_ms <= 0:
            return None
        return self.position_ms + direction * min(0.5, self.duration_ms / 500)

    def advance(self, wall_ms: float) -> bool:
        """Move by ``wall_ms`` of real time at the current speed; True if the position changed."""
        if not self.playing:
            return False
        before = self.position_ms
        self.position_ms = min(self.duration_ms, self.position_ms + wall_ms * self.speed)
        if self.position_ms >= self.duration_ms:
            self.playing = False
        return self.position_ms != before


__all__ = ["DEFAULT_SPEED", "REPLAY_SECONDS", "SPEEDS", "ReplayClock", "replay_speed_for"]
