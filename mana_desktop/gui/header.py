"""The header: app name, the sync status you can trust (click: diagnostics), and banners."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.status_text import status_text

translate = QCoreApplication.translate


class StatusButton(QToolButton):
    """Status in words; a click opens diagnostics, the arrow holds Work offline and Sync now."""

    sig_diagnostics = Signal()
    """Open the diagnostics pane."""
    sig_offline_toggled = Signal(bool)
    """Work offline on/off."""
    sig_sync_now = Signal()
    """Wake the engine."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusButton")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.status: Any = None
        menu = QMenu(self)
        self.diagnostics_action = menu.addAction(translate("Header", "Diagnostics…"))
        self.diagnostics_action.triggered.connect(self.sig_diagnostics)
        self.sync_action = menu.addAction(translate("Header", "Sync now"))
        self.sync_action.triggered.connect(self.sig_sync_now)
        self.offline_action = QAction(translate("Header", "Work offline"), self, checkable=True)
        self.offline_action.toggled.connect(self.sig_offline_toggled)
        menu.addAction(self.offline_action)
        self.setMenu(menu)
        self.clicked.connect(self.sig_diagnostics)
        self.setText(translate("Header", "No sync (demo)"))
        # Ages ("oldest 12 min") and "retrying in 20 s" move even when the status does not.
        self._tick = QTimer(self, interval=10_000)
        self._tick.timeout.connect(self.refresh)
        self._tick.start()

    def set_status(self, status: Any) -> None:
        self.status = status
        self.refresh()

    def refresh(self) -> None:
        if self.status is not None:
            self.setText(status_text(self.status, datetime.now(UTC)))

    def set_offline(self, on: bool) -> None:
        self.offline_action.blockSignals(True)
        self.offline_action.setChecked(on)
        self.offline_action.blockSignals(False)


class Banner(QFrame):
    """A non-modal message under the header (401, 402, background errors)."""

    sig_action = Signal(str)
    """The banner's action button was clicked (its kind: "sign-in", "dismiss")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.button = QPushButton()
        self.button.clicked.connect(lambda: emit(self.sig_action, self.kind))
        layout.addWidget(self.button)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.close_button)
        self.kind: str = ""
        self.hide()

    def show_message(self, kind: str, text: str, action: str | None = None) -> None:
        self.kind = kind
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.button.setVisible(action is not None)
        self.button.setText(action or "")
        self.show()


def banner_for_status(status: Any) -> tuple[str, str, str | None] | None:
    """(kind, text, action) for states that need the person: 401 and 402."""
    state = getattr(status, "state", "")
    if state == "signed-out":
        return ("signed-out", translate("Header", "The server signed you out (401). Sign in again to keep syncing; your changes wait safely."),
                translate("Header", "Sign in…"))  # fmt: skip
    if state == "paused":
        message = getattr(status, "paused_message", None) or ""
        # The server's message as plain text; local work and the outbox carry on meanwhile.
        text = translate("Header", "Sync is paused (402): {message}").format(message=message).rstrip(": ")
        return ("paused", text + " " + translate("Header", "Your changes stay on this computer."),
                translate("Header", "Open Mana settings"))  # fmt: skip
    return None
