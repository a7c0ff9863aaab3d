"""The Experiments menu: the sweep page and the cost page, each a window of its own beside the main one.

:func:`install_experiments` adds the menu to a main window and returns the
:class:`Experiments` that owns the two pages. A click on a sweep's point shows
that run in the main window (timeline, scheduler and replay); a saved sweep
reopens on the sweep page with its plot.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from ..errors import ThreadloomError
from .cost_page import CostPage
from .menus import add_action
from .sweep_page import SweepPage


class Experiments(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._sweep: SweepPage | None = None
        self._cost: CostPage | None = None
        bar = window.menuBar()
        menu = QMenu("E&xperiments", bar)
        help_menu = next((a for a in bar.actions() if a.text().replace("&", "") == "Help"), None)
        if help_menu is not None:
            bar.insertMenu(help_menu, menu)
        else:
            bar.addMenu(menu)
        self.menu = menu
        self.sweep_action = add_action(
            menu,
            window,
            "&Sweep…",
            self.show_sweep_page,
            ["Ctrl+Shift+W"],
            "Run the scenario at each value of one parameter and plot any metric against it",
        )
        self.cost_action = add_action(
            menu,
            window,
            "What a Unit &Costs…",
            self.show_cost_page,
            ["Ctrl+Shift+U"],
            "Memory and start time of threads, asyncio Tasks and processes, and the price of a switch",
        )
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    @property
    def sweep_page(self) -> SweepPage:
        if self._sweep is None:
            self._sweep = SweepPage(self.window)
            self._sweep.setWindowFlag(Qt.WindowType.Window, True)
            self._sweep.resize(1300, 850)
            self._sweep.openRun.connect(self.open_run)
        return self._sweep

    @property
    def cost_page(self) -> CostPage:
        if self._cost is None:
            self._cost = CostPage(self.window)
            self._cost.setWindowFlag(Qt.WindowType.Window, True)
            self._cost.resize(1300, 850)
        return self._cost

    def show_sweep_page(self) -> SweepPage:
        page = self.sweep_page
        if not page.running:
            controls = getattr(self.window, "controls", None)
            if controls is not None:
                page.interpreter = controls.interpreter()
                page.set_scenario(controls.current_scenario(), controls.selected_models() or None)
        page.show()
        page.raise_()
        return page

    def show_cost_page(self) -> CostPage:
        page = self.cost_page
        controls = getattr(self.window, "controls", None)
        if controls is not None and not page.running and not page.interpreter.text():
            page.interpreter.setText(controls.interpreter() or "")
        page.show()
        page.raise_()
        return page

    def show_saved_sweep(self, saved) -> SweepPage:
        """Reopen a saved sweep (a loaded :class:`~threadloom.export.savefile.SavedRuns` with a sweep) with its plot."""
        from ..export.sweep_export import sweep_from_saved
        from ..scenario import parse_scenario

        sweep = sweep_from_saved(saved)
        page = self.sweep_page
        try:
            page.set_scenario(parse_scenario(saved.scenario_text, saved.scenario_name or "saved sweep"))
        except ThreadloomError:
            page.set_scenario(None)
        page.show_sweep(sweep)
        name = saved.path.name if saved.path else "the saved sweep"
        page.status.setText(f"Opened {name}: {len(sweep.points)} runs. Nothing was run; click a point to open it.")
        page.show()
        page.raise_()
        return page

    def open_run(self, trace, label: str) -> None:
        self.window.show_traces([trace], [label])
        self.window.set_status(f"Showing {label} from the sweep; press play to replay it.")
        self.window.raise_()
        self.window.activateWindow()

    def stop(self) -> None:
        for page in (self._sweep, self._cost):
            if page is not None:
                page.cancel()


def install_experiments(window: QMainWindow) -> Experiments:
    return Experiments(window)
