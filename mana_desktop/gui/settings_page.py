"""Settings: General (language, undo window, poll, offline), Account (sign-in, Spaces),
Security (vault, recovery code, zero-knowledge, keyring)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.security_section import SecuritySection
from mana_desktop.gui.session import Session
from mana_desktop.gui.spaces_section import SpacesSection


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
    sig_sign_in = Signal()
    """The user asked to sign in (again, or as someone else)."""
    sig_auth_url_changed = Signal()
    """The account server address changed and was saved: the account layer is rebuilt."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QVBoxLayout(self)
        title = QLabel(translate("Settings", "Settings"))
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        # Tabs: keyboard reachable with Tab / arrow keys and Ctrl+Tab / Ctrl+Shift+Tab.
        self.tabs = QTabWidget()
        self.tabs.addTab(self._general_tab(), translate("Settings", "General"))
        self.tabs.addTab(self._account_tab(), translate("Settings", "Account"))
        self.security = SecuritySection(session)
        self.tabs.addTab(self.security, translate("Settings", "Security"))
        layout.addWidget(self.tabs, 1)
        self.keyring_cache = self.security.keyring_cache  # moved to Security; the name stays
        self.language.currentIndexChanged.connect(self._save)
        self.undo_window.editingFinished.connect(self._save)
        self.poll.editingFinished.connect(self._save)
        self.offline.toggled.connect(self._offline)
        self.auth_url.editingFinished.connect(self._save)
        self.keyring_cache.toggled.connect(self._keyring_toggled)
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+Shift+Tab", -1)):
            QShortcut(QKeySequence(keys), self, lambda s=step: self._step_tab(s),
                      Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _step_tab(self, step: int) -> None:
        self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def show_tab(self, name: str) -> None:
        """"general", "account" or "security"."""
        self.tabs.setCurrentIndex({"general": 0, "account": 1, "security": 2}.get(name, 0))

    def _general_tab(self) -> QWidget:
        settings = self.session.settings
        tab = QWidget()
        form = QFormLayout(tab)
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
        return tab

    def _account_tab(self) -> QWidget:
        settings = self.session.settings
        tab = QWidget()
        layout = QVBoxLayout(tab)
        form = QFormLayout()
        self.account = QLabel()
        self.account.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(translate("Settings", "Account"), self.account)
        # mana-auth (sign-in and the encryption vault) may live apart from the sync server.
        self.auth_url = QLineEdit(getattr(settings, "auth_url", None) or "")
        self.auth_url.setPlaceholderText(translate("Settings", "same as the sync server"))
        form.addRow(translate("Settings", "Account server (mana-auth)"), self.auth_url)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.sign_in = QPushButton(translate("Settings", "Sign in…"))
        self.sign_in.clicked.connect(self.sig_sign_in)
        self.sign_out = QPushButton(translate("Settings", "Sign out"))
        self.sign_out.clicked.connect(self.sig_sign_out)
        buttons.addWidget(self.sign_in)
        buttons.addWidget(self.sign_out)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.spaces = SpacesSection(self.session)
        layout.addWidget(self.spaces, 1)
        self._account_line()
        return tab

    def update_account(self) -> None:
        """After a sign-in, sign-out or account server change (the session is swapped)."""
        self._account_line()
        self.spaces.reload()
        self.security.refresh()

    def _account_line(self) -> None:
        settings = self.session.settings
        email = getattr(settings, "account_email", None)
        self.account.setText(email or translate("Settings", "not signed in (demo)"))
        self.sign_out.setEnabled(bool(email))
        self.auth_url.setText(getattr(settings, "auth_url", None) or "")

    def _keyring_toggled(self, on: bool) -> None:
        self._save()
        vault = getattr(self.session, "vault", None)
        if vault is not None:  # keyring calls may block: on the worker
            self.session.run(lambda: vault.remember_in_keyring(on))

    def _offline(self, on: bool) -> None:
        emit(self.sig_offline_toggled, on)

    def set_offline(self, on: bool) -> None:
        """The window switched Work offline (settings already updated on the session)."""
        self.offline.blockSignals(True)
        self.offline.setChecked(on)
        self.offline.blockSignals(False)
        self.security.refresh()

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
        auth_changed = auth_url != getattr(settings, "auth_url", None)
        updated = copy_settings(settings, language=language, undo_window_s=self.undo_window.value(),
                        poll_interval_s=self.poll.value(), auth_url=auth_url,
                        vault_keyring_cache=self.keyring_cache.isChecked())  # fmt: skip
        self.session.settings = updated
        profile = self.session.profile
        if profile is not None:
            self.session.run(lambda: profile.save_settings(updated), lambda _r: self._saved(auth_changed))
        if changed_language:
            emit(self.sig_language_changed, language)

    def _saved(self, auth_changed: bool) -> None:
        emit(self.sig_saved)
        if auth_changed:
            emit(self.sig_auth_url_changed)
