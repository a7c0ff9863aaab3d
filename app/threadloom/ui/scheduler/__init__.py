"""The scheduler view: draws what :mod:`threadloom.viewmodel.instant` and :mod:`threadloom.viewmodel.narrate` say.

``view`` is the widget; ``sections`` paints its bands; ``paint`` holds the cards, chips and the GIL coin.
"""

from .view import SchedulerView

__all__ = ["SchedulerView"]
