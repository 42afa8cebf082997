"""Missions: a list (title, state, cadence, next run, iterations) and the selected one's detail."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.domain import cadence as cadence_words
from mana_desktop.domain.timeutil import try_parse_instant
from mana_desktop.gui.formatting import format_moment
from mana_desktop.gui.i18n import current_language
from mana_desktop.gui.markdown_view import MarkdownView
from mana_desktop.gui.mission_form import MissionForm
from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.reloading import ReloadsWhenShown
from mana_desktop.gui.session import Session

translate = QCoreApplication.translate
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def state_badge(state: str) -> str:
    return {
        "active": translate("Missions", "active"),
        "paused": translate("Missions", "paused"),
        "done": translate("Missions", "done"),
        "archived": translate("Missions", "archived"),
    }.get(state, state)


def step_icon(status: str) -> str:
    return {"approved": "✓", "rejected": "✕", "failed": "⚠", "staged": "◌", "planned": "·", "skipped": "–"}.get(status, "·")


def list_line(m: Any) -> str:
    lang = current_language()
    parts = [cadence_words.describe(getattr(m, "cadence", {}), lang)]
    nxt = try_parse_instant(getattr(m, "next_run_at", None) or "")
    if nxt is not None:
        parts.append(translate("Missions", "next run {when}").format(
            when=cadence_words.describe_next_run(nxt, datetime.now(UTC), lang)))  # fmt: skip
    n = len(getattr(m, "iterations", ()) or ())
    parts.append(translate("Missions", "%n iteration(s)", "", n))
    return " · ".join(parts)


def timeline_html(m: Any) -> str:
    """Iterations newest first; every server text escaped (plain text inside HTML)."""
    iterations = sorted(getattr(m, "iterations", ()) or (), key=lambda i: i.started_at or "", reverse=True)
    if not iterations:
        return "<p>" + html.escape(translate("Missions", "No iteration has run yet.")) + "</p>"
    out = []
    for it in iterations:
        out.append(f"<h4>{html.escape(format_moment(it.started_at))} · {html.escape(it.overall_status)}</h4>")
        if it.summary:
            out.append(f"<p>{html.escape(it.summary)}</p>")
        out.append("<ul>")
        for step in it.plan:
            label = step.summary or step.tool_name or translate("Missions", "Note")
            out.append(f"<li>{step_icon(step.status)} {html.escape(label)} <i>({html.escape(step.status)})</i></li>")
        out.append("</ul>")
        if it.user_feedback:
            out.append(f"<blockquote>{html.escape(it.user_feedback)}</blockquote>")
    return "\n".join(out)


class MissionsPage(ReloadsWhenShown, QWidget):
    sig_loaded = Signal()
    """The mission list was (re)loaded."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.missions: dict[str, Any] = {}
        self._select_after: str | None = None
        split = QSplitter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        left = QWidget()
        lbox = QVBoxLayout(left)
        self.new_button = QPushButton(translate("Missions", "New mission"))
        self.new_button.clicked.connect(self.new_mission)
        lbox.addWidget(self.new_button)
        self.list = QListWidget()
        self.list.setObjectName("missionList")
        self.list.currentItemChanged.connect(lambda *_: self._show_current())
        lbox.addWidget(self.list, 1)
        split.addWidget(left)
        split.addWidget(self._detail_pane())
        split.setSizes([300, 700])
        session.sig_data_changed.connect(self._on_data_changed)

    def _detail_pane(self) -> QWidget:
        pane = QWidget()
        box = QVBoxLayout(pane)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setObjectName("pageTitle")
        box.addWidget(self.heading)
        actions = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for name, label in (
            ("run_now", translate("Missions", "Run now")),
            ("pause", translate("Missions", "Pause")),
            ("resume", translate("Missions", "Resume")),
            ("complete", translate("Missions", "Complete")),
            ("edit", translate("Missions", "Edit")),
            ("delete", translate("Missions", "Delete")),
        ):
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, n=name: self.act(n))
            actions.addWidget(button)
            self.buttons[name] = button
        actions.addStretch(1)
        box.addLayout(actions)
        form = QFormLayout()
        self.objective = QLabel()
        self.cadence = QLabel()
        self.next_run = QLabel()
        self.inputs_label = QLabel()
        for label in (self.objective, self.cadence, self.next_run, self.inputs_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
        form.addRow(translate("Missions", "Objective"), self.objective)
        form.addRow(translate("Missions", "Cadence"), self.cadence)
        form.addRow(translate("Missions", "Next run"), self.next_run)
        form.addRow(translate("Missions", "Inputs"), self.inputs_label)
        box.addLayout(form)
        self.concept = MarkdownView()
        box.addWidget(self.concept, 1)
        box.addWidget(QLabel(translate("Missions", "Iterations")))
        self.timeline = QTextBrowser()
        self.timeline.setOpenLinks(False)
        box.addWidget(self.timeline, 2)
        feedback = QHBoxLayout()
        self.feedback = QLineEdit()
        self.feedback.setPlaceholderText(translate("Missions", "Feedback for the next iteration…"))
        self.feedback_button = QPushButton(translate("Missions", "Save"))
        self.feedback_button.clicked.connect(self.save_feedback)
        self.feedback.textChanged.connect(lambda t: self.feedback_button.setEnabled(bool(t.strip())))
        self.feedback_button.setEnabled(False)
        feedback.addWidget(self.feedback, 1)
        feedback.addWidget(self.feedback_button)
        box.addLayout(feedback)
        self.detail = pane
        return pane

    def reload(self) -> None:
        wb = self.session.workbench
        self.session.run(lambda: list(wb.missions()), self._loaded)

    def _loaded(self, missions: list[Any]) -> None:
        current = self._select_after or self.current_id()
        self._select_after = None
        self.missions = {m.id: m for m in missions}
        self.list.blockSignals(True)
        self.list.clear()
        for m in missions:
            item = QListWidgetItem(f"{m.title}  [{state_badge(m.state)}]\n{list_line(m)}")
            item.setData(ID_ROLE, m.id)
            self.list.addItem(item)
            if m.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(0)
        self._show_current()
        emit(self.sig_loaded)

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(ID_ROLE) if item is not None else None

    def select(self, mission_id: str) -> None:
        self._select_after = mission_id
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == mission_id:
                self.list.setCurrentRow(row)

    def _show_current(self) -> None:
        m = self.missions.get(self.current_id() or "")
        self.detail.setEnabled(m is not None)
        if m is None:
            self.heading.setText(translate("Missions", "Choose a mission on the left, or create a new one."))
            return
        self.heading.setText(m.title)
        self.objective.setText(m.objective)
        self.cadence.setText(cadence_words.describe(m.cadence, current_language()))
        self.next_run.setText(format_moment(m.next_run_at) or "—")
        inputs = getattr(m, "inputs", None) or []
        self.inputs_label.setText(", ".join(f"{i.get('module')}/{i.get('id')}" if isinstance(i, dict) else str(i) for i in inputs) or "—")
        self.concept.set_markdown_text(m.concept_markdown)
        self.timeline.setHtml(timeline_html(m))
        self.buttons["pause"].setVisible(m.state == "active")
        self.buttons["resume"].setVisible(m.state == "paused")
        self.buttons["complete"].setVisible(m.state != "done")
        self.buttons["run_now"].setEnabled(m.state == "active")

    def act(self, name: str) -> None:
        mission_id = self.current_id()
        if mission_id is None:
            return
        if name == "edit":
            self.edit(mission_id)
            return
        if name == "delete" and not self.confirm_delete():
            return
        method = getattr(self.session.workbench, name)
        self.session.run(lambda: method(mission_id), lambda _r: self.reload())

    def confirm_delete(self) -> bool:
        answer = QMessageBox.question(self, translate("Missions", "Delete mission"),
                                      translate("Missions", "Delete this mission? Its iterations go with it."))  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    def new_mission(self) -> None:
        form = MissionForm(None, self)
        if form.exec() == QDialog.DialogCode.Accepted:
            values, wb = form.values(), self.session.workbench
            self.session.run(lambda: wb.create_mission(**values), self._created)
        form.deleteLater()

    def _created(self, result: Any) -> None:
        self._select_after = getattr(result, "id", result if isinstance(result, str) else None)
        self.reload()

    def edit(self, mission_id: str) -> None:
        form = MissionForm(self.missions.get(mission_id), self)
        if form.exec() == QDialog.DialogCode.Accepted:
            values, wb = form.values(), self.session.workbench
            self.session.run(lambda: wb.edit_mission(mission_id, **values), lambda _r: self.reload())
        form.deleteLater()

    def save_feedback(self) -> None:
        m = self.missions.get(self.current_id() or "")
        text = self.feedback.text().strip()
        if m is None or not text or not m.iterations:
            return
        latest = max(m.iterations, key=lambda i: i.started_at or "")
        wb = self.session.workbench
        self.session.run(lambda: wb.add_feedback(m.id, latest.id, text), lambda _r: self.reload())
        self.feedback.clear()
