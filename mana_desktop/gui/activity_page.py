"""Activity: what AI actors changed, grouped by iteration, with Revert per iteration."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.formatting import format_moment
from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.reloading import ReloadsWhenShown
from mana_desktop.gui.session import Session

translate = QCoreApplication.translate


def _get(obj: Any, *names: str, default: Any = "") -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value not in (None, ""):
            return value
    return default


def change_line(change: Any) -> str:
    app = _get(change, "module", "app")
    what = _get(change, "step_summary", "summary", "title", "tool_name", default="")
    line = f"{app} · {what}" if what else str(app)
    if _get(change, "reverted", default=False):
        line += "  " + translate("Activity", "(reverted)")
    return line


class ActivityPage(ReloadsWhenShown, QWidget):
    sig_loaded = Signal()
    """The activity list was (re)loaded."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        title = QLabel(translate("Activity", "What the AI changed"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.area, 1)
        self.groups: list[Any] = []
        self.revert_buttons: list[QPushButton] = []
        session.sig_data_changed.connect(self._on_data_changed)

    def reload(self) -> None:
        wb = self.session.workbench
        self.session.run(lambda: list(wb.activity()), self._loaded)

    def _loaded(self, groups: list[Any]) -> None:
        self.groups = groups
        self.revert_buttons = []
        body = QWidget()
        box = QVBoxLayout(body)
        if not groups:
            empty = QLabel(translate("Activity", "No AI activity yet. When you approve suggestions, the changes show up here."))
            empty.setWordWrap(True)
            box.addWidget(empty)
        for group in groups:
            box.addWidget(self._group_widget(group))
        box.addStretch(1)
        self.area.setWidget(body)
        emit(self.sig_loaded)

    def _group_widget(self, group: Any) -> QWidget:
        frame = QFrame()
        frame.setObjectName("activityGroup")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(frame)
        head = QHBoxLayout()
        when = format_moment(_get(group, "at", "first_at", "timestamp", default=None))
        title = QLabel(f"{when} · {_get(group, 'mission_title', 'mission_id')}")
        title.setTextFormat(Qt.TextFormat.PlainText)
        head.addWidget(title, 1)
        revert = QPushButton(translate("Activity", "Revert"))
        revert.clicked.connect(lambda _=False, g=group: self.revert(g))
        revert.setEnabled(not _get(group, "reverted", default=False))
        self.revert_buttons.append(revert)
        head.addWidget(revert)
        box.addLayout(head)
        rationale = _get(group, "rationale")
        if rationale:
            label = QLabel(f"“{rationale}”")
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setWordWrap(True)
            label.setObjectName("muted")
            box.addWidget(label)
        for change in _get(group, "items", "changes", default=[]) or []:
            line = QLabel("  " + change_line(change))
            line.setTextFormat(Qt.TextFormat.PlainText)
            box.addWidget(line)
        return frame

    def revert(self, group: Any) -> None:
        answer = QMessageBox.question(self, translate("Activity", "Revert"),
                                      translate("Activity", "Undo everything this iteration changed?"))  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        mission_id, iteration_id = _get(group, "mission_id"), _get(group, "iteration_id")
        wb = self.session.workbench
        self.session.run(lambda: wb.revert_iteration(mission_id, iteration_id), self._reverted)

    def _reverted(self, result: Any) -> None:
        self.reload()
