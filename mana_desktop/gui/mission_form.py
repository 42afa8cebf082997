"""Create or edit a mission: title, objective, concept (Markdown with preview), cadence."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.markdown_view import MarkdownView

translate = QCoreApplication.translate


def day_names() -> list[str]:
    return [
        translate("Missions", "Sunday"),
        translate("Missions", "Monday"),
        translate("Missions", "Tuesday"),
        translate("Missions", "Wednesday"),
        translate("Missions", "Thursday"),
        translate("Missions", "Friday"),
        translate("Missions", "Saturday"),
    ]


class MissionForm(QDialog):
    """`values()` after accept: title, objective, concept_markdown, cadence (upstream shape)."""

    def __init__(self, mission: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Missions", "Edit mission") if mission else translate("Missions", "New mission"))
        self.resize(560, 560)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.title = QLineEdit(getattr(mission, "title", ""))
        self.title.setPlaceholderText(translate("Missions", "e.g. Weekly goals review"))
        self.objective = QLineEdit(getattr(mission, "objective", ""))
        self.objective.setPlaceholderText(translate("Missions", "What exactly should the AI achieve?"))
        form.addRow(translate("Missions", "Title"), self.title)
        form.addRow(translate("Missions", "Objective"), self.objective)
        layout.addLayout(form)
        self.concept = QPlainTextEdit(getattr(mission, "concept_markdown", ""))
        self.preview = MarkdownView()
        tabs = QTabWidget()
        tabs.addTab(self.concept, translate("Missions", "Concept (Markdown)"))
        tabs.addTab(self.preview, translate("Missions", "Preview"))
        tabs.currentChanged.connect(lambda _i: self.preview.set_markdown_text(self.concept.toPlainText()))
        layout.addWidget(tabs, 1)
        layout.addWidget(self._cadence_box(getattr(mission, "cadence", None) or {"kind": "manual"}))
        self.error = QLabel()
        self.error.setObjectName("errorText")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _cadence_box(self, cadence: dict[str, Any]) -> QGroupBox:
        box = QGroupBox(translate("Missions", "Cadence"))
        grid = QGridLayout(box)
        self.kinds = QButtonGroup(self)
        self.radio: dict[str, QRadioButton] = {}
        for row, (kind, label) in enumerate((
            ("manual", translate("Missions", "Manual")),
            ("interval", translate("Missions", "Every")),
            ("daily", translate("Missions", "Daily at")),
            ("weekly", translate("Missions", "Weekly on")),
        )):  # fmt: skip
            radio = QRadioButton(label)
            self.kinds.addButton(radio)
            self.radio[kind] = radio
            grid.addWidget(radio, row, 0)
        self.minutes = QSpinBox(minimum=5, maximum=1440, value=int(cadence.get("everyMinutes", 60)))
        self.minutes.setSuffix(" min")
        grid.addWidget(self.minutes, 1, 1)
        self.daily_at = QTimeEdit()
        self.daily_at.setDisplayFormat("HH:mm")
        self.daily_at.setTime(self.daily_at.time().fromString(
            f"{int(cadence.get('atHour', 9)):02d}:{int(cadence.get('atMinute', 0)):02d}", "HH:mm"))  # fmt: skip
        grid.addWidget(self.daily_at, 2, 1)
        self.weekday = QComboBox()
        self.weekday.addItems(day_names())
        self.weekday.setCurrentIndex(int(cadence.get("dayOfWeek", 1)))
        self.week_hour = QSpinBox(minimum=0, maximum=23, value=int(cadence.get("atHour", 9)))
        self.week_hour.setSuffix(":00")
        grid.addWidget(self.weekday, 3, 1)
        grid.addWidget(self.week_hour, 3, 2)
        self.radio.get(str(cadence.get("kind")), self.radio["manual"]).setChecked(True)
        return box

    def cadence(self) -> dict[str, Any]:
        if self.radio["interval"].isChecked():
            return {"kind": "interval", "everyMinutes": self.minutes.value()}
        if self.radio["daily"].isChecked():
            t = self.daily_at.time()
            return {"kind": "daily", "atHour": t.hour(), "atMinute": t.minute()}
        if self.radio["weekly"].isChecked():
            return {"kind": "weekly", "dayOfWeek": self.weekday.currentIndex(), "atHour": self.week_hour.value()}
        return {"kind": "manual"}

    def values(self) -> dict[str, Any]:
        return {
            "title": self.title.text().strip(),
            "objective": self.objective.text().strip(),
            "concept_markdown": self.concept.toPlainText(),
            "cadence": self.cadence(),
        }

    def accept(self) -> None:
        if not self.title.text().strip() or not self.objective.text().strip():
            self.error.setText(translate("Missions", "A mission needs a title and an objective."))
            self.error.show()
            return
        super().accept()
