"""Slow-motion replay of a finished run: the QTimer that drives the clock, and its control bar.

The clock itself (:class:`~threadloom.viewmodel.replay.ReplayClock`) is Qt-free
arithmetic; :class:`ReplayDriver` ticks it from a ``QTimer`` using the real
elapsed time, so a slow frame does not slow the replay down.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap, QPolygonF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from ..viewmodel.replay import SPEEDS, ReplayClock, replay_speed_for
from ..viewmodel.text import clock_ms
from ..viewmodel.text import speed as speed_text

_FRAME_MS = 33  # ~30 frames a second is smooth enough for a token moving between boxes
_SLIDER_STEPS = 10_000


class ReplayDriver(QObject):
    """Ticks a :class:`ReplayClock` from a ``QTimer`` and reports every change."""

    timeChanged = Signal(float)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    durationChanged = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = ReplayClock()
        self._timer = QTimer(self)
        self._timer.setInterval(_FRAME_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._last_tick = 0.0
        #: Whether the user picked the speed; until then each run gets one that suits its length.
        self.speed_chosen = False

    @property
    def position_ms(self) -> float:
        return self.clock.position_ms

    @property
    def playing(self) -> bool:
        return self.clock.playing

    def set_duration(self, ms: float) -> None:
        before = self.clock.position_ms
        self.clock.set_duration(ms)
        self.durationChanged.emit(self.clock.duration_ms)
        if self.clock.position_ms != before:
            self.timeChanged.emit(self.clock.position_ms)

    def seek(self, ms: float) -> None:
        self.clock.seek(ms)
        self.timeChanged.emit(self.clock.position_ms)

    def play(self) -> None:
        was = self.clock.position_ms
        self.clock.play()
        if self.clock.position_ms != was:
            self.timeChanged.emit(self.clock.position_ms)
        self._sync_timer()

    def pause(self) -> None:
        self.clock.pause()
        self._sync_timer()

    def toggle(self) -> None:
        self.pause() if self.clock.playing else self.play()

    def set_speed(self, speed: float, chosen: bool = True) -> None:
        """Set the speed; ``chosen=False`` for a speed the app picked (the next run may pick again)."""
        self.clock.set_speed(speed)
        self.speed_chosen = self.speed_chosen or chosen
        self.speedChanged.emit(self.clock.speed)

    def suit_speed(self, duration_ms: float) -> None:
        """Unless the user picked a speed, take the one at which the whole run replays in about 10 s."""
        if not self.speed_chosen:
            self.set_speed(replay_speed_for(duration_ms), chosen=False)

    def step_speed(self, faster: bool) -> None:
        self.clock.step_speed(faster)
        self.speed_chosen = True
        self.speedChanged.emit(self.clock.speed)

    def _sync_timer(self) -> None:
        if self.clock.playing and not self._timer.isActive():
            self._last_tick = time.perf_counter()
            self._timer.start()
        elif not self.clock.playing and self._timer.isActive():
            self._timer.stop()
        self.playingChanged.emit(self.clock.playing)

    def _tick(self) -> None:
        now = time.perf_counter()
        wall_ms, self._last_tick = (now - self._last_tick) * 1000.0, now
        if self.clock.advance(wall_ms):
            self.timeChanged.emit(self.clock.position_ms)
        if not self.clock.playing:
            self._sync_timer()


def _play_pixmap(playing: bool, color: QColor, size: int = 16) -> QPixmap:
    """A play triangle or two pause bars in ``color``."""
    pix = QPixmap(size * 2, size * 2)  # drawn at twice the size: sharp on high-density screens
    pix.setDevicePixelRatio(2.0)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    if playing:
        p.drawRoundedRect(QRectF(3.5, 2.5, 3.5, 11), 1, 1)
        p.drawRoundedRect(QRectF(9, 2.5, 3.5, 11), 1, 1)
    else:
        p.drawConvexPolygon(QPolygonF([QPointF(4, 2.5), QPointF(13.5, 8), QPointF(4, 13.5)]))
    p.end()
    return pix


class ReplayBar(QWidget):
    """Play/pause, a scrub slider, the replay time and the speed, under the timeline."""

    def __init__(self, driver: ReplayDriver, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.driver = driver
        self.play_button = QToolButton(self)
        self.play_button.setAutoRaise(True)
        self.play_button.setToolTip("Play or pause the replay (Space)")
        self.play_button.clicked.connect(driver.toggle)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, _SLIDER_STEPS)
        self.slider.setToolTip("Scrub through the run: the scheduler view shows that moment (Left/Right step)")
        self.slider.valueChanged.connect(self._on_slider)
        self.time_label = QLabel(self)
        self.time_label.setMinimumWidth(150)
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.time_label.setToolTip("Replay time / length of the run, on the run's own clock")
        self.speed_box = QComboBox(self)
        self._speeds = list(SPEEDS)  # per combo entry (item data is avoided: see controls.py)
        for factor in SPEEDS:
            self.speed_box.addItem(speed_text(factor))
        self.speed_box.setToolTip(
            "Replay speed: 1x is real time, 0.001x is a thousand times slower, so that a 5 ms switch "
            "interval lasts 5 s on screen (faster: ], slower: [)"
        )
        self.speed_box.currentIndexChanged.connect(lambda i: driver.set_speed(self._speeds[i]))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(QLabel("Replay", self))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time_label)
        layout.addWidget(self.speed_box)
        driver.timeChanged.connect(self._sync)
        driver.durationChanged.connect(self._sync)
        driver.playingChanged.connect(self._on_playing)
        driver.speedChanged.connect(self._on_speed)
        self._on_playing(False)
        self._on_speed(driver.clock.speed)
        self._sync()

    def _on_slider(self, value: int) -> None:
        duration = self.driver.clock.duration_ms
        self.driver.seek(duration * value / _SLIDER_STEPS)

    def _on_playing(self, playing: bool) -> None:
        # Drawn in the palette's text colour: the style's own icon is a dark grey that vanishes on a dark window.
        pal = self.palette()
        icon = QIcon()
        for mode, group in (
            (QIcon.Mode.Normal, QPalette.ColorGroup.Active),
            (QIcon.Mode.Disabled, QPalette.ColorGroup.Disabled),
        ):
            icon.addPixmap(_play_pixmap(playing, pal.color(group, QPalette.ColorRole.ButtonText)), mode)
        self.play_button.setIcon(icon)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._on_playing(self.driver.playing)

    def _on_speed(self, speed: float) -> None:
        if speed not in self._speeds:
            self._speeds.append(speed)
            with QSignalBlocker(self.speed_box):
                self.speed_box.addItem(speed_text(speed))
        index = self._speeds.index(speed)
        with QSignalBlocker(self.speed_box):
            self.speed_box.setCurrentIndex(index)

    def _sync(self, *_args: object) -> None:
        clock = self.driver.clock
        enabled = clock.duration_ms > 0
        for widget in (self.play_button, self.slider, self.speed_box):
            widget.setEnabled(enabled)
        value = round(_SLIDER_STEPS * clock.position_ms / clock.duration_ms) if enabled else 0
        with QSignalBlocker(self.slider):
            self.slider.setValue(value)
        self.time_label.setText(f"{clock_ms(clock.position_ms)} / {clock_ms(clock.duration_ms)}" if enabled else "-")
