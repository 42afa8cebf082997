"""The inline reject reason picker: five reason chips and a one-line text field."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.qtcompat import emit

translate = QCoreApplication.translate

REASONS = ("wrong-time", "wrong-content", "duplicate", "not-needed", "other")


def reason_label(code: str) -> str:
    return {
        "wrong-time": translate("Reject", "Wrong time"),
        "wrong-content": translate("Reject", "Wrong content"),
        "duplicate": translate("Reject", "Duplicate"),
        "not-needed": translate("Reject", "Not needed"),
        "other": translate("Reject", "Other"),
    }[code]


class RejectPicker(QFrame):
    """Enter confirms, Esc cancels; the chosen reason and text go to the next plan."""

    sig_confirmed = Signal(object, str)
    """(reason code or None, feedback text)."""
    sig_cancelled = Signal()
    """The picker was dismissed without rejecting."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rejectPicker")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        self.title = QLabel(translate("Reject", "Why not? (optional, helps the next plan)"))
        layout.addWidget(self.title)
        chips = QHBoxLayout()
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.chips: dict[str, QPushButton] = {}
        for code in REASONS:
            chip = QPushButton(reason_label(code))
            chip.setCheckable(True)
            chip.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            chip.setProperty("chip", True)
            self.group.addButton(chip)
            self.chips[code] = chip
            chips.addWidget(chip)
        chips.addStretch(1)
        layout.addLayout(chips)
        row = QHBoxLayout()
        self.text = QLineEdit()
        self.text.setPlaceholderText(translate("Reject", "Say more (Enter rejects, Esc cancels)"))
        self.text.returnPressed.connect(self.confirm)
        row.addWidget(self.text, 1)
        self.reject_button = QPushButton(translate("Reject", "Reject"))
        self.reject_button.clicked.connect(self.confirm)
        row.addWidget(self.reject_button)
        layout.addLayout(row)
        self.ids: list[str] = []
        self.iteration_id: str | None = None

    def open_for(self, ids: list[str], iteration_id: str | None = None) -> None:
        self.ids = ids
        self.iteration_id = iteration_id
        checked = self.group.checkedButton()
        if checked is not None:
            self.group.setExclusive(False)
            checked.setChecked(False)
            self.group.setExclusive(True)
        self.text.clear()
        self.show()
        self.raise_()
        self.text.setFocus()

    def reason(self) -> str | None:
        for code, chip in self.chips.items():
            if chip.isChecked():
                return code
        return None

    def confirm(self) -> None:
        self.hide()
        emit(self.sig_confirmed, self.reason(), self.text.text().strip())

    def cancel(self) -> None:
        self.hide()
        emit(self.sig_cancelled)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return
        # Digits pick a chip without leaving the keyboard.
        if Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_5 and not self.text.text():
            self.chips[REASONS[event.key() - Qt.Key.Key_1]].setChecked(True)
            return
        super().keyPressEvent(event)
