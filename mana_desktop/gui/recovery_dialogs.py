"""The recovery-code dialogs of Settings → Security: show a new code once, retype it.

The code is the only way into a zero-knowledge vault, so it is shown once, in a monospace
field the person can copy, and the dialog only closes with "Done" after they confirm it is
stored. It is never logged and never kept after the dialog closes.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

translate = QCoreApplication.translate


def _monospace(field: QLineEdit) -> None:
    field.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    field.setMinimumWidth(field.fontMetrics().horizontalAdvance("0" * 82))


def _label(text: str, object_name: str | None = None) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if object_name:
        label.setObjectName(object_name)
    return label


class RecoveryCodeDialog(QDialog):
    """Shows a freshly created recovery code once; "Done" needs the stored-it confirmation."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Security", "Your recovery code"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.addWidget(_label(translate("Security", "This code is shown only once. Store it somewhere safe, away from this computer (a password manager or on paper).")))  # fmt: skip
        self.code = QLineEdit(code)
        self.code.setReadOnly(True)
        self.code.setAccessibleName(translate("Security", "Recovery code"))
        _monospace(self.code)
        layout.addWidget(self.code)
        self.copy = QPushButton(translate("Security", "Copy"))
        self.copy.clicked.connect(self._copy)
        layout.addWidget(self.copy, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(_label(translate("Security", "Anyone with this code can unlock your encrypted data. If zero-knowledge is on and you lose it, your encrypted data cannot be recovered, not even by Mana."), "warning"))  # fmt: skip
        self.stored = QCheckBox(translate("Security", "I have stored this code somewhere safe"))
        layout.addWidget(self.stored)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.done_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.done_button.setText(translate("Security", "Done"))
        self.done_button.setEnabled(False)
        self.stored.toggled.connect(self.done_button.setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout.addWidget(self.buttons)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code.text())
        self.copy.setText(translate("Security", "Copied"))

    def reject(self) -> None:
        # Esc or the close box must not lose the only showing of the code unconfirmed.
        if self.stored.isChecked():
            self.accept()

    def done(self, result: int) -> None:
        self.code.clear()  # the code does not outlive the dialog
        super().done(result)


class RetypeCodeDialog(QDialog):
    """Asks for the code just shown before zero-knowledge is switched on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("Security", "Turn on zero-knowledge"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        layout.addWidget(_label(zero_knowledge_sentence()))
        layout.addWidget(_label(translate("Security", "Type the recovery code you just stored to confirm you have it:")))  # fmt: skip
        self.code = QLineEdit()
        self.code.setPlaceholderText("XXXX-XXXX-…")
        self.code.setAccessibleName(translate("Security", "Recovery code"))
        _monospace(self.code)
        layout.addWidget(self.code)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(translate("Security", "Turn on"))
        self.ok_button.setEnabled(False)
        self.code.textChanged.connect(lambda text: self.ok_button.setEnabled(bool(text.strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)


def zero_knowledge_sentence() -> str:
    return translate("Security", "With zero-knowledge on, Mana's servers can no longer read your key: only your recovery code unlocks your data, and losing the code loses the data.")  # fmt: skip
