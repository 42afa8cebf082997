"""Edit dialog from the tool schema, diagnostics redaction, first run, single instance."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDateEdit, QDateTimeEdit, QDoubleSpinBox, QLineEdit

from mana_desktop.gui.diagnostics import DiagnosticsDialog, collect, redact, report_text
from mana_desktop.gui.dialogs import FirstRunDialog
from mana_desktop.gui.edit_dialog import EditDialog
from mana_desktop.gui.session import Session
from mana_desktop.gui.single_instance import InstanceServer, ask_running_instance, server_name


def test_edit_dialog_widgets_follow_the_schema(qtbot):
    dialog = EditDialog("create_task", {"title": "Buy milk", "priority": "low"})
    qtbot.addWidget(dialog)
    assert isinstance(dialog.fields["title"].widget, QLineEdit)
    assert isinstance(dialog.fields["dueDate"].widget, QDateEdit)
    assert isinstance(dialog.fields["priority"].widget, QComboBox)
    event = EditDialog("create_event", {"title": "x", "startTime": "2026-12-04T14:00:00", "endTime": "2026-12-04T15:00:00"})
    qtbot.addWidget(event)
    assert isinstance(event.fields["startTime"].widget, QDateTimeEdit)
    place = EditDialog("create_place", {"name": "Café", "latitude": 52.5, "longitude": 13.4})
    qtbot.addWidget(place)
    assert isinstance(place.fields["latitude"].widget, QDoubleSpinBox)


def test_edit_dialog_validates_and_restores(qtbot):
    dialog = EditDialog("create_task", {"title": "Buy milk", "priority": "low"})
    qtbot.addWidget(dialog)
    title = dialog.fields["title"].widget
    assert isinstance(title, QLineEdit)
    title.setText("")
    title.textEdited.emit("")
    dialog.accept()
    assert dialog.result() == 0  # not accepted: the required title is empty
    assert "title" in dialog.errors.text()
    dialog.fields["title"].restore()
    assert title.text() == "Buy milk"
    priority = dialog.fields["priority"].widget
    assert isinstance(priority, QComboBox)
    priority.setCurrentIndex(priority.findData("high"))
    dialog.accept()
    assert dialog.params() == {"title": "Buy milk", "priority": "high"}  # dueDate stays absent


def test_redact_removes_tokens():
    text = 'Authorization: Bearer abc.def.ghi {"access_token": "s3cret", "refresh_token":"r3"} eyJhbGciOi.eyJzdWIiOi.sig'
    clean = redact(text)
    for secret in ("abc.def.ghi", "s3cret", "r3", "eyJhbGciOi"):
        assert secret not in clean
    assert clean.count("[redacted]") >= 3


def test_diagnostics_reads_replica_on_worker(qtbot, gui_workbench):
    wb, replica = gui_workbench
    sections = collect(replica, None)
    assert {"outbox", "cursors", "quarantined", "journal"} <= set(sections)
    session = Session(wb, replica=replica)
    dialog = DiagnosticsDialog(session)
    qtbot.addWidget(dialog)
    dialog.load()
    qtbot.waitUntil(lambda: dialog.tabs.count() >= 4, timeout=15000)
    dialog.copy()
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == report_text(dialog.sections)
    session.close()


def test_first_run_needs_all_fields(qtbot):
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.sign_in.click()
    assert dialog.choice is None and "needed" in dialog.error.text()
    dialog.demo.click()
    assert dialog.choice == "demo"


def test_second_launch_raises_the_first(qtbot, tmp_path):
    name = server_name(tmp_path / "profile")
    assert not ask_running_instance(name, 100)
    server = InstanceServer(name)
    try:
        with qtbot.waitSignal(server.sig_raise_requested, timeout=15000):
            assert ask_running_instance(name)
    finally:
        server.close()
