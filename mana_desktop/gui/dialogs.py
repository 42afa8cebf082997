"""Small dialogs: the shortcut sheet, the first-run choice, confirmations."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

translate = QCoreApplication.translate


def shortcuts() -> list[tuple[str, str]]:
    return [
        ("J / K, ↓ / ↑", translate("Help", "next / previous card")),
        ("A", translate("Help", "approve")),
        ("R", translate("Help", "reject (with a reason)")),
        ("E", translate("Help", "edit, then approve")),
        ("Shift+A / Shift+R", translate("Help", "approve / reject the whole iteration")),
        ("G then I / M / A", translate("Help", "go to inbox / missions / activity")),
        ("Space, Shift/Ctrl+click", translate("Help", "select for a batch decision")),
        ("Ctrl+Z", translate("Help", "undo the last decision")),
        ("?", translate("Help", "this sheet")),
    ]


class ShortcutSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Help", "Keyboard shortcuts"))
        grid = QGridLayout(self)
        for row, (keys, what) in enumerate(shortcuts()):
            key_label = QLabel(keys)
            key_label.setObjectName("shortcutKey")
            grid.addWidget(key_label, row, 0)
            grid.addWidget(QLabel(what), row, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        grid.addWidget(close, len(shortcuts()), 0, 1, 2)


class FirstRunDialog(QDialog):
    """Sign in to a Mana server, or try the demo (`choice` says which)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("FirstRun", "Welcome to Mana"))
        self.choice: str | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(translate("FirstRun", "Sign in to Mana to review your missions' suggestions, or try the demo."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.server = QLineEdit()
        self.server.setPlaceholderText("https://sync.example.org")
        self.email = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth_url = QLineEdit()
        self.auth_url.setPlaceholderText(translate("FirstRun", "optional: when sign-in lives elsewhere"))
        form.addRow(translate("FirstRun", "Server"), self.server)
        form.addRow(translate("FirstRun", "Account server"), self.auth_url)
        form.addRow(translate("FirstRun", "E-mail"), self.email)
        form.addRow(translate("FirstRun", "Password"), self.password)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setObjectName("errorText")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox()
        self.sign_in = QPushButton(translate("FirstRun", "Sign in"))
        self.demo = QPushButton(translate("FirstRun", "Try the demo"))
        buttons.addButton(self.demo, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.sign_in, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in.clicked.connect(self._sign_in)
        self.demo.clicked.connect(self._demo)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _sign_in(self) -> None:
        if not (self.server.text().strip() and self.email.text().strip() and self.password.text()):
            self.show_error(translate("FirstRun", "Server, e-mail and password are all needed."))
            return
        self.choice = "sign-in"
        self.accept()

    def _demo(self) -> None:
        self.choice = "demo"
        self.accept()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
