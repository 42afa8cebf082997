"""Missions and activity pages on the real Workbench; status words; the app command."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import QMessageBox

from mana_desktop.gui.activity_page import ActivityPage
from mana_desktop.gui.missions_page import MissionsPage, timeline_html
from mana_desktop.gui.session import Session
from mana_desktop.gui.status_text import status_text
from mana_desktop.sync.status import SyncStatus
from tests.fixtures.gui import seed_proposals


def idle(qtbot, session):
    qtbot.waitUntil(lambda: session.bridge.pending_jobs() == 0, timeout=15000)


def test_missions_list_detail_and_pause(qtbot, gui_workbench):
    wb, replica = gui_workbench
    seed_proposals(replica, wb, missions=2, per_iteration=1)
    session = Session(wb, replica=replica)
    page = MissionsPage(session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.show()
    assert page.list.count() == 2
    assert page.heading.text().startswith("Weekly review")
    assert "1 iteration" in page.list.item(0).text()
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.act("pause")
    assert wb.mission(page.current_id()).state == "paused"
    assert page.buttons["resume"].isVisibleTo(page)
    session.close()


def test_timeline_escapes_server_text():
    from tests.gui.fake_workbench import make_mission

    mission = make_mission()
    html = timeline_html(mission)
    assert "<b>" not in html.replace("<h4>", "")  # only our own tags
    assert "Buy oat milk" in html


def test_activity_revert(qtbot, gui_workbench, monkeypatch):
    wb, replica = gui_workbench
    seed_proposals(replica, wb, per_iteration=2)
    first = wb.proposals()[0]
    wb.approve(first.id)
    session = Session(wb, replica=replica)
    page = ActivityPage(session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.show()
    assert len(page.groups) == 1 and page.revert_buttons[0].isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.revert(page.groups[0])
    assert replica.list("todo", "tasks") == []
    session.close()


def test_status_words():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert status_text(SyncStatus(), now).startswith("● In sync")
    text = status_text(SyncStatus(state="error", last_error="server error\ndetails", retry_at="2026-11-24T12:00:20.000Z"), now)
    assert text.startswith("⚠ Can't sync: server error") and "retrying in 20 s" in text
    offline = status_text(SyncStatus(state="offline", pending=3, oldest_pending_at="2026-11-24T11:48:00.000Z"), now)
    assert offline.startswith("○ Offline — 3 waiting to send (oldest 12 min)")
    assert status_text(SyncStatus(state="paused", paused_message="subscription inactive"), now) == "⏸ Sync paused: subscription inactive"
    held = status_text(SyncStatus(pending=5, waiting_for_key=2, waiting_for_spaces=1), now)
    assert "5 waiting to send · 2 held until the encryption key is unlocked · 1 held until your Spaces have loaded" in held
    assert "held" not in status_text(SyncStatus(pending=5), now)


def test_app_command_is_registered():
    from mana_desktop.cli import build_parser

    args = build_parser().parse_args(["app", "--data-dir", "/tmp/x"])
    assert args.command == "app" and args.data_dir == "/tmp/x" and callable(args.handler)


def test_mission_form_builds_upstream_cadence(qtbot):
    from mana_desktop.gui.mission_form import MissionForm

    form = MissionForm()
    qtbot.addWidget(form)
    form.accept()
    assert form.result() == 0 and "title" in form.error.text()
    form.title.setText("Weekly review")
    form.objective.setText("Keep the week tidy")
    form.radio["weekly"].setChecked(True)
    form.weekday.setCurrentIndex(1)
    form.week_hour.setValue(9)
    assert form.values()["cadence"] == {"kind": "weekly", "dayOfWeek": 1, "atHour": 9}
    form.radio["interval"].setChecked(True)
    form.minutes.setValue(30)
    assert form.values()["cadence"] == {"kind": "interval", "everyMinutes": 30}


def test_create_mission_through_the_page(qtbot, gui_workbench, monkeypatch):
    from PySide6.QtWidgets import QDialog

    from mana_desktop.gui import missions_page

    wb, replica = gui_workbench
    session = Session(wb, replica=replica)
    page = MissionsPage(session)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.show()

    class FilledForm(missions_page.MissionForm):
        def exec(self) -> int:
            self.title.setText("Plan meals")
            self.objective.setText("Three dinners a week")
            return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(missions_page, "MissionForm", FilledForm)
    with qtbot.waitSignal(page.sig_loaded, timeout=15000):
        page.new_mission()
    assert [m.title for m in wb.missions()] == ["Plan meals"]
    assert page.heading.text() == "Plan meals"
    session.close()
