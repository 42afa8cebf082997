"""The bar after each decision: "Approved “Buy oat milk”. Undo Ctrl+Z" with the time left."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from mana_desktop.gui.qtcompat import emit

translate = QCoreApplication.translate


class UndoBar(QFrame):
    """Shown for the undo window after a decision; Undo asks the session to undo its group."""

    sig_undo = Signal(str)
    """The group to undo ("": the last decision)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.label, 1)
        self.button = QPushButton(translate("Undo", "Undo  Ctrl+Z"))
        self.button.clicked.connect(self.undo)
        layout.addWidget(self.button)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setFixedWidth(90)
        self.progress.setRange(0, 1000)
        layout.addWidget(self.progress)
        self.group: object = None
        self._until = 0.0
        self._window = 1.0
        self._tick = QTimer(self, interval=100)
        self._tick.timeout.connect(self._update)
        self.hide()

    def show_decision(self, text: str, group: object, window_s: float, undoable: bool = True) -> None:
        self.group = group
        self.label.setText(text)
        self.button.setVisible(undoable)
        self.progress.setVisible(undoable)
        self._window = max(0.5, window_s)
        self._until = time.monotonic() + self._window
        self.progress.setValue(1000)
        self.show()
        self._tick.start()

    def show_message(self, text: str, window_s: float = 6.0) -> None:
        self.show_decision(text, None, window_s, undoable=False)

    def can_undo(self) -> bool:
        return self.isVisible() and self.button.isVisible() and time.monotonic() < self._until

    def undo(self) -> None:
        if self.can_undo():
            group, self.group = self.group, None
            self.hide()
            self._tick.stop()
            emit(self.sig_undo, group if isinstance(group, str) else "")

    def _update(self) -> None:
        left = self._until - time.monotonic()
        if left <= 0:
            self._tick.stop()
            self.hide()
            return
        self.progress.setValue(int(1000 * left / self._window))
