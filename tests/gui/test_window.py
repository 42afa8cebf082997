"""The main window on a real replica and Workbench: decisions, undo, counts, status, memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from mana_desktop.gui.inbox_page import InboxPage
from mana_desktop.gui.main_window import MainWindow
from mana_desktop.gui.session import Session
from mana_desktop.store.profile import Profile
from mana_desktop.sync.status import SyncStatus
from tests.fixtures.gui import seed_proposals


@pytest.fixture
def window(qtbot, gui_workbench, tmp_path: Path):
    sessions = []

    def build(**seed):
        wb, replica = gui_workbench
        seed_proposals(replica, wb, **seed)
        profile = Profile(tmp_path / "profile")
        session = Session(wb, replica=replica, profile=profile, settings=wb.settings)
        session.attach()
        sessions.append(session)
        win = MainWindow(session, settings_key="test")
        qtbot.addWidget(win)
        win.show()
        page = win.page("all")
        assert isinstance(page, InboxPage)
        qtbot.waitUntil(lambda: len(page.model.card_ids()) > 0, timeout=15000)
        # The start-up work is over once the notifier's baseline (a timer, then a worker read
        # of every pending proposal) is in; tests that count workbench reads start after it.
        qtbot.waitUntil(lambda: win.notifier.seen is not None, timeout=15000)
        return win, wb, replica, session

    yield build
    for session in sessions:
        session.close()


def idle(qtbot, session):
    qtbot.waitUntil(lambda: session.bridge.pending_jobs() == 0, timeout=15000)


def inbox(win: MainWindow, page: str = "all") -> InboxPage:
    widget = win.page(page)
    assert isinstance(widget, InboxPage)
    return widget


def test_pending_counts_in_sidebar(qtbot, window):
    win, _wb, _r, _s = window(missions=2, per_iteration=3)
    qtbot.waitUntil(lambda: win.sidebar.count_of("todo") == 6, timeout=15000)
    assert win.sidebar.count_of("all") == 6
    assert win.sidebar.count_of("calendar") == 0


def test_approve_writes_record_attributed_to_mission(qtbot, window):
    win, wb, _replica, s = window(per_iteration=2)
    page = inbox(win)
    first = page.view.current_card_id()
    qtbot.keyClick(page.view, Qt.Key.Key_A)
    idle(qtbot, s)
    assert wb.proposal(first).status == "approved"
    qtbot.waitUntil(lambda: win.sidebar.count_of("todo") == 1, timeout=15000)
    assert win.undo_bar.isVisible() and "Approved" in win.undo_bar.label.text()
    win.show_page("todo")
    todo = inbox(win, "todo")
    qtbot.waitUntil(lambda: todo.records is not None and todo.records.model.rowCount() == 1, timeout=15000)
    row = todo.records.model.rows[0]
    assert row.mission_title == "Weekly review 0"


def test_ctrl_z_undoes_last_decision(qtbot, window):
    win, wb, _r, s = window(per_iteration=2)
    page = inbox(win)
    first = page.view.current_card_id()
    qtbot.keyClick(page.view, Qt.Key.Key_A)
    idle(qtbot, s)
    assert wb.proposal(first).status == "approved"
    qtbot.keyClick(page.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    idle(qtbot, s)
    assert wb.proposal(first).status == "pending"
    qtbot.waitUntil(lambda: page.model.row_of_card(first) is not None, timeout=15000)


def test_reject_with_reason_reaches_workbench(qtbot, window):
    win, wb, _r, s = window(per_iteration=2)
    page = inbox(win)
    first = page.view.current_card_id()
    qtbot.keyClick(page.view, Qt.Key.Key_R)
    page.picker.chips["duplicate"].setChecked(True)
    qtbot.keyClicks(page.picker.text, "have it")
    qtbot.keyClick(page.picker.text, Qt.Key.Key_Return)
    idle(qtbot, s)
    rejected = wb.proposal(first)
    assert rejected.status == "rejected"
    assert rejected.reason == "duplicate"
    assert "have it" in (rejected.feedback or "")


def test_batch_approve_iteration_with_shift_a(qtbot, window):
    win, wb, _r, s = window(per_iteration=4, iterations=2)
    page = inbox(win)
    first = page.model.view(page.view.current_card_id())
    qtbot.keyClick(page.view, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    idle(qtbot, s)
    statuses = {v.status for v in wb.proposals() if v.iteration_id == first.iteration_id}
    assert statuses == {"approved"}
    others = {v.status for v in wb.proposals() if v.iteration_id != first.iteration_id}
    assert others == {"pending"}


def test_edit_then_approve_uses_edited_params(qtbot, window):
    win, _wb, replica, s = window(per_iteration=1)
    page = inbox(win)
    pid = page.view.current_card_id()
    page._decide("approve", [pid], params={"title": "Oat milk (edited)", "priority": "high"})
    idle(qtbot, s)
    titles = [r.data["title"] for r in replica.list("todo", "tasks")]
    assert titles == ["Oat milk (edited)"]


def test_status_transitions_and_banners(qtbot, window):
    win, _wb, _r, s = window(per_iteration=1)
    s.bridge.notify_status(SyncStatus(state="syncing", progress=0.42))
    qtbot.waitUntil(lambda: "42 %" in win.status_button.text(), timeout=15000)
    s.bridge.notify_status(SyncStatus(state="offline", pending=3, work_offline=True))
    qtbot.waitUntil(lambda: "offline" in win.status_button.text().lower(), timeout=15000)
    assert "3 waiting to send" in win.status_button.text()
    s.bridge.notify_status(SyncStatus(state="signed-out"))
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=15000)
    assert "401" in win.banner.label.text()
    s.bridge.notify_status(SyncStatus(state="paused", paused_message="subscription inactive"))
    qtbot.waitUntil(lambda: "402" in win.banner.label.text(), timeout=15000)
    s.bridge.notify_status(SyncStatus(state="idle"))
    qtbot.waitUntil(lambda: "In sync" in win.status_button.text(), timeout=15000)
    assert not win.banner.isVisible()


def test_work_offline_toggle_saves_setting(qtbot, window, tmp_path):
    win, _wb, _r, s = window(per_iteration=1)
    win.status_button.offline_action.trigger()
    idle(qtbot, s)
    assert Profile(tmp_path / "profile").load_settings().work_offline is True
    assert win.status_button.offline_action.isChecked()


def test_geometry_and_last_page_remembered(qtbot, window):
    win, _wb, _r, s = window(per_iteration=1)
    win.resize(700, 500)  # the offscreen screen is 800 px wide
    win.show_page("missions")
    win.close()
    again = MainWindow(s, settings_key="test")
    qtbot.addWidget(again)
    assert again.current_page() == "missions"
    # The width is clamped to the window's minimum; the height shows the restore.
    assert again.size().height() == 500


def test_one_notification_per_new_iteration_when_unfocused(qtbot, window, monkeypatch):
    win, wb, replica, s = window(per_iteration=2)
    monkeypatch.setattr(win, "is_focused", lambda: False)  # offscreen windows are always active
    idle(qtbot, s)
    qtbot.waitUntil(lambda: win.notifier.seen is not None, timeout=15000)
    notified = []
    win.notifier.sig_notified.connect(lambda it, text: notified.append(text))
    from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step

    steps = [tool_step(f"n{i}", "create_task", {"title": f"N {i}"}) for i in range(3)]
    server_insert_mission(replica, mission_data("mx", [iteration("itx", *steps)], title="Inbox zero"))
    wb.stage({("ai", "aiMissions"): {"mx"}})
    qtbot.waitUntil(lambda: len(notified) == 1, timeout=15000)
    assert "Inbox zero" in notified[0] and "3" in notified[0]
    s.refresh_counts()
    idle(qtbot, s)
    win._check_notifications()
    idle(qtbot, s)
    assert len(notified) == 1  # the same iteration never notifies twice


def test_g_chords_go_to_pages(qtbot, window):
    win, _wb, _r, _s = window(per_iteration=1)
    page = inbox(win)
    page.view.setFocus()
    qtbot.keyClicks(page.view, "gm")
    assert win.current_page() == "missions"
    qtbot.keyClicks(win.focusWidget() or win, "ga")
    assert win.current_page() == "activity"
    qtbot.keyClicks(win.focusWidget() or win, "gi")
    assert win.current_page() == "all"


def test_new_iteration_refreshes_only_its_mission(qtbot, window):
    win, wb, replica, s = window(missions=3, per_iteration=2)
    page = inbox(win)
    idle(qtbot, s)
    calls: list[object] = []
    original = wb.proposals

    def counting(module=None, mission_id=None, status=None):
        calls.append(mission_id)
        return original(module=module, mission_id=mission_id, status=status)

    wb.proposals = counting
    from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step

    steps = [tool_step(f"q{i}", "create_task", {"title": f"Q {i}"}) for i in range(2)]
    server_insert_mission(replica, mission_data("mq", [iteration("itq", *steps)], title="Quick"))
    wb.stage({("ai", "aiMissions"): {"mq"}})
    qtbot.waitUntil(lambda: len(page.model.card_ids()) == 8, timeout=15000)
    assert "mq" in calls
    # A decision of our own updates its card without re-reading the whole inbox.
    calls.clear()
    qtbot.keyClick(page.view, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: len(page.model.card_ids()) == 7, timeout=15000)
    idle(qtbot, s)
    qtbot.waitUntil(lambda: not s._coalesce.isActive(), timeout=15000)
    idle(qtbot, s)
    assert None not in [c for c in calls if c != "status"]


def test_each_test_starts_on_the_inbox(qtbot, window, gui_settings):
    """The last page is remembered per test folder, never across tests."""
    win, _wb, _r, _s = window(per_iteration=1)
    assert win.current_page() == "all"
    assert win.qsettings.fileName().startswith(str(gui_settings))
    win.show_page("todo")
