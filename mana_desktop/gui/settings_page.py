"""Settings: language, undo window, poll interval, work offline, account."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.session import Session


def copy_settings(settings: Any, **changes: Any) -> Any:
    from mana_desktop.gui.main_window import copy_settings as copy

    return copy(settings, **changes)

translate = QCoreApplication.translate


class SettingsPage(QWidget):
    sig_language_changed = Signal(object)
    """The chosen language ("en", "de" or None for the system's)."""
    sig_offline_toggled = Signal(bool)
    """The Work offline box changed."""
    sig_sign_out = Signal()
    """The user asked to sign out."""
    sig_saved = Signal()
    """Settings were written to disk."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        settings = session.settings
        layout = QVBoxLayout(self)
        title = QLabel(translate("Settings", "Settings"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        form = QFormLayout()
        self.language = QComboBox()
        self.language.addItem(translate("Settings", "System language"), None)
        self.language.addItem("English", "en")
        self.language.addItem("Deutsch", "de")
        self.language.setCurrentIndex(max(0, self.language.findData(getattr(settings, "language", None))))
        form.addRow(translate("Settings", "Language"), self.language)
        self.undo_window = QDoubleSpinBox(minimum=2, maximum=120, value=float(getattr(settings, "undo_window_s", 8)))
        self.undo_window.setSuffix(" s")
        form.addRow(translate("Settings", "Undo window"), self.undo_window)
        self.poll = QDoubleSpinBox(minimum=5, maximum=3600, value=float(getattr(settings, "poll_interval_s", 30)))
        self.poll.setSuffix(" s")
        form.addRow(translate("Settings", "Check the server every"), self.poll)
        self.offline = QCheckBox(translate("Settings", "Work offline"))
        self.offline.setChecked(bool(getattr(settings, "work_offline", False)))
        form.addRow("", self.offline)
        account = getattr(settings, "account_email", None) or translate("Settings", "not signed in (demo)")
        self.account = QLabel(account)
        self.account.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(translate("Settings", "Account"), self.account)
        # mana-auth (sign-in and the encryption vault) may live apart from the sync server.
        self.auth_url = QLineEdit(getattr(settings, "auth_url", None) or "")
        self.auth_url.setPlaceholderText(translate("Settings", "same as the sync server"))
        form.addRow(translate("Settings", "Account server (mana-auth)"), self.auth_url)
        self.keyring_cache = QCheckBox(translate("Settings", "Remember the encryption key in the system keyring"))
        self.keyring_cache.setToolTip(translate("Settings", "Unlocks encrypted fields at start without asking the account server. Off: the key is kept in memory only."))  # fmt: skip
        self.keyring_cache.setChecked(bool(getattr(settings, "vault_keyring_cache", False)))
        form.addRow(translate("Settings", "Encryption"), self.keyring_cache)
        layout.addLayout(form)
        self.sign_out = QPushButton(translate("Settings", "Sign out"))
        self.sign_out.setEnabled(bool(getattr(settings, "account_email", None)))
        self.sign_out.clicked.connect(self.sig_sign_out)
        layout.addWidget(self.sign_out, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.language.currentIndexChanged.connect(self._save)
        self.undo_window.editingFinished.connect(self._save)
        self.poll.editingFinished.connect(self._save)
        self.offline.toggled.connect(self._offline)
        self.auth_url.editingFinished.connect(self._save)
        self.keyring_cache.toggled.connect(self._keyring_toggled)

    def _keyring_toggled(self, on: bool) -> None:
        self._save()
        vault = getattr(self.session, "vault", None)
        if vault is not None:  # keyring calls may block: on the worker
            self.session.run(lambda: vault.remember_in_keyring(on))

    def _offline(self, on: bool) -> None:
        emit(self.sig_offline_toggled, on)

    def set_offline(self, on: bool) -> None:
        self.offline.blockSignals(True)
        self.offline.setChecked(on)
        self.offline.blockSignals(False)

    def _save(self, *_: Any) -> None:
        settings = self.session.settings
        if settings is None:
            return
        language = self.language.currentData()
        changed_language = language != getattr(settings, "language", None)
        auth_url = self.auth_url.text().strip() or None
        if auth_url is not None and not auth_url.startswith(("http://", "https://")):
            self.auth_url.setStyleSheet("color: #b91c1c")
            self.auth_url.setToolTip(translate("Settings", "An address starting with https:// (or http://)"))
            auth_url = getattr(settings, "auth_url", None)  # a bad address is never saved
        else:
            self.auth_url.setStyleSheet("")
            self.auth_url.setToolTip("")
        updated = copy_settings(settings, language=language, undo_window_s=self.undo_window.value(),
                        poll_interval_s=self.poll.value(), auth_url=auth_url,
                        vault_keyring_cache=self.keyring_cache.isChecked())  # fmt: skip
        self.session.settings = updated
        profile = self.session.profile
        if profile is not None:
            self.session.run(lambda: profile.save_settings(updated), lambda _r: emit(self.sig_saved))
        if changed_language:
            emit(self.sig_language_changed, language)
