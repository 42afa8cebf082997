"""GUI figures with many pending proposals (issue 5 "Performance").

- first paint: from asking the inbox to load (workbench read + formatting on the worker) to
  the first painted frame of cards; floor: a QListView over a QStringListModel of as many rows;
- scroll repaint: one page down plus a synchronous repaint; floor: the same plain list;
- decision to updated card: approve on the worker to the card gone from the list
  (and the optimistic repaint alone);
- RSS of this process after loading; launch to first window in a fresh process.
Quick mode uses 1,000 proposals; `--full` uses 10,000.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.report import Result

ROOT = Path(__file__).resolve().parents[1]
AREA = "gui"


def _seed(data_dir: Path, count: int) -> None:
    """Missions of 10 iterations x 10 create_task steps, staged by the real workbench."""
    sys.path.insert(0, str(ROOT))
    from mana_desktop.store.profile import Profile
    from mana_desktop.store.settings import Settings
    from mana_desktop.workbench.service import Workbench
    from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step

    profile = Profile(data_dir)
    profile.save_settings(Settings(user_id="u-1", display_name="Bench", demo=True))
    replica = profile.open_replica()
    wb = Workbench(replica, profile.load_settings())
    per_mission = 100
    ids = set()
    for m in range(max(1, count // per_mission)):
        its = [
            iteration(f"it{m}-{i}", *[
                tool_step(f"s{m}-{i}-{s}", "create_task",
                          {"title": f"Task {m}.{i}.{s}", "dueDate": "2026-12-01", "priority": "low"},
                          rationale="A rationale long enough to wrap onto a second line of the card, "
                                    "as real ones often do when the planner explains itself.")
                for s in range(10)
            ], startedAt=f"2026-11-{1 + i:02d}T10:{m % 60:02d}:00.000Z")
            for i in range(per_mission // 10)
        ]  # fmt: skip
        server_insert_mission(replica, mission_data(f"m{m}", its, title=f"Mission {m}"))
        ids.add(f"m{m}")
    wb.stage({("ai", "aiMissions"): ids})
    replica.close()


def _wait(app: Any, condition: Any, timeout: float = 60.0) -> None:
    """Run a real event loop until `condition()`: it sleeps between events and so leaves the
    GIL to the worker, as the app does (a processEvents() spin would starve the worker)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return
    loop = QEventLoop()
    end = time.perf_counter() + timeout

    def check() -> None:
        if condition() or time.perf_counter() > end:
            loop.quit()

    timer = QTimer(interval=1)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError("benchmark condition not reached")


def _first_paint(app: Any, session: Any, count: int, module: str | None = None) -> tuple[float, float, Any]:
    """(ms to the first painted frame of cards, ms until all `count` cards are in the model)."""
    from mana_desktop.gui.inbox_page import InboxPage

    page = InboxPage(session, module)
    page.resize(1000, 800)
    page.show()
    app.processEvents()
    start = time.perf_counter()
    page.reload()
    _wait(app, lambda: page.model.rowCount() > 0)
    page.view.viewport().repaint()
    first = (time.perf_counter() - start) * 1000
    _wait(app, lambda: len(page.model.card_ids()) >= count and not page._loading)
    page.view.viewport().repaint()
    loaded = (time.perf_counter() - start) * 1000
    _wait(app, lambda: session.bridge.pending_jobs() == 0)  # its records read, before the next
    return first, loaded, page


def _gui_paint(app: Any, session: Any, views: list[Any]) -> float:
    """The GUI thread's share of first paint: views in hand -> model, layout, painted cards."""
    from mana_desktop.gui.inbox_page import InboxPage

    page = InboxPage(session, None)
    page.resize(1000, 800)
    page.show()
    app.processEvents()
    start = time.perf_counter()
    page._loaded((views, {}))
    page.view.viewport().repaint()
    elapsed = (time.perf_counter() - start) * 1000
    page.deleteLater()
    return elapsed


def _plain_list(app: Any, count: int) -> tuple[float, Any]:
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import QListView

    view = QListView()
    view.resize(1000, 800)
    view.show()
    app.processEvents()
    start = time.perf_counter()
    view.setModel(QStringListModel([f"Task {i}" for i in range(count)]))
    view.viewport().repaint()
    return (time.perf_counter() - start) * 1000, view


def _scroll(app: Any, view: Any, steps: int = 40) -> float:
    bar = view.verticalScrollBar()
    times = []
    for _ in range(steps):
        bar.setValue(bar.value() + max(1, bar.pageStep()))
        start = time.perf_counter()
        view.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
        app.processEvents()
    return statistics.median(times)


def _decision(app: Any, page: Any, rounds: int = 10) -> tuple[float, float]:
    optimistic, full = [], []
    for _ in range(rounds):
        pid = page.view.current_card_id() or page.model.card_ids()[0]
        start = time.perf_counter()
        page.approve([pid])
        page.view.viewport().repaint()
        optimistic.append((time.perf_counter() - start) * 1000)
        _wait(app, lambda pid=pid: page.model.row_of_card(pid) is None)
        page.view.viewport().repaint()
        full.append((time.perf_counter() - start) * 1000)
    return statistics.median(optimistic), statistics.median(full)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


LAUNCH = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QTimer
from mana_desktop.gui import app as gui_app
data_dir = Path(sys.argv[1])
from PySide6.QtWidgets import QApplication
def shown():
    for w in QApplication.topLevelWidgets():
        if w.isVisible() and w.windowTitle() == "Mana":
            print("shown", flush=True)
            QApplication.instance().quit()
            return
    QTimer.singleShot(5, shown)
QTimer.singleShot(0, shown)
sys.exit(gui_app.run_app(data_dir, []))
"""


FLOOR_LAUNCH = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
w = QMainWindow(); w.setWindowTitle("Mana"); w.show()
def shown():
    print("shown", flush=True); app.quit()
QTimer.singleShot(0, shown)
sys.exit(app.exec())
"""


def _launch(data_dir: Path, code: str = LAUNCH) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True,
                          timeout=120, cwd=str(ROOT), env={**os.environ, "MANA_DESKTOP_KEYRING": "file"})  # fmt: skip
    elapsed = (time.perf_counter() - start) * 1000
    if "shown" not in proc.stdout:
        raise RuntimeError(f"launch failed: {proc.stderr[-500:]}")
    return elapsed


def run(quick: bool) -> list[Result]:
    count = 1000 if quick else 10_000
    from PySide6.QtWidgets import QApplication

    import mana_desktop.gui  # noqa: F401  (applies the PySide6 workaround first)
    from mana_desktop.gui.session import Session
    from mana_desktop.store.profile import Profile
    from mana_desktop.workbench.service import Workbench

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "profile"
        _seed(data_dir, count)
        profile = Profile(data_dir)
        replica = profile.open_replica()
        wb = Workbench(replica, profile.load_settings())
        session = Session(wb, replica=replica, profile=profile, settings=wb.settings)
        start = time.perf_counter()
        views = wb.inbox()
        read_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        wb.inbox(limit=300)
        wb.inbox_counts()
        page_ms = (time.perf_counter() - start) * 1000
        gui_ms = statistics.median(_gui_paint(app, session, views) for _ in range(3))
        todo_ms, _todo_all, todo = _first_paint(app, session, count, "todo")
        todo.deleteLater()
        paint_ms, loaded_ms, page = _first_paint(app, session, count)
        floor_ms, plain = _plain_list(app, count)
        scroll_ms = _scroll(app, page.view)
        scroll_floor = _scroll(app, plain)
        optimistic_ms, decision_ms = _decision(app, page)
        rss = _rss_mb()
        session.close()
        replica.close()
        launch_ms = statistics.median(_launch(data_dir) for _ in range(3))
        launch_floor = statistics.median(_launch(data_dir, FLOOR_LAUNCH) for _ in range(3))
    n = f"{count:,} pending"
    return [
        Result(AREA, f"inbox first paint, GUI thread ({n})", gui_ms, "ms", 200, floor=floor_ms,
               note="views -> model, layout, painted; floor: QListView over QStringListModel"),
        Result(AREA, f"inbox first paint incl. worker read ({n})", paint_ms, "ms", 200,
               note="reload() to the first painted cards (first page of 300)"),
        Result(AREA, f"Todo page first paint incl. worker read ({n})", todo_ms, "ms", 200,
               note="a module page: cards above its records panel"),
        Result(AREA, f"inbox all cards loaded ({n})", loaded_ms, "ms", None,
               note="reload() to every card in the model (second read, appended)"),
        Result(AREA, f"workbench.inbox(limit=300) + inbox_counts() ({n})", page_ms, "ms", None,
               note="the worker's share of first paint"),
        Result(AREA, f"workbench.inbox() read, all ({n})", read_ms, "ms", None,
               note="the worker's share of a full load"),
        Result(AREA, f"scroll repaint ({n})", scroll_ms, "ms", 16, floor=scroll_floor, note="median of 40 pages"),
        Result(AREA, "decision to optimistic card", optimistic_ms, "ms", 50, note="median of 10"),
        Result(AREA, "decision to updated card", decision_ms, "ms", 50, note="approve on the worker, card gone"),
        Result(AREA, f"process RSS ({n})", rss, "MB", 300),
        Result(AREA, f"launch to first window ({n})", launch_ms, "ms", 1500, floor=launch_floor,
               note="fresh python process, median of 3; floor: empty PySide6 window"),
    ]  # fmt: skip
