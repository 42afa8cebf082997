"""Settings → Security: the vault in words, the recovery code, zero-knowledge, the keyring.

Every vault call is HTTP and runs on the bridge worker (`session.run`); while one runs the
buttons are disabled. Buttons whose call needs the key are disabled while signed out or
locked. The vault is looked up on the session at each use: switching accounts replaces it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.formatting import format_moment
from mana_desktop.gui.recovery_dialogs import (
    RecoveryCodeDialog,
    RetypeCodeDialog,
    zero_knowledge_sentence,
)
from mana_desktop.gui.session import Session
from mana_desktop.gui.theme import error_color

translate = QCoreApplication.translate


def state_words(state: str | None, error: Any = None) -> str:
    """The vault state as a sentence (None: signed out)."""
    if state is None:
        return translate("Security", "Not signed in: there is no encryption key on this computer.")
    if state == "unlocked":
        return translate("Security", "Unlocked: encrypted fields can be read and written on this computer.")
    if state == "awaiting-recovery-code":
        return translate("Security", "Locked: zero-knowledge is on, enter your recovery code to unlock.")
    if state == "error":
        why = str(error) if error is not None else translate("Security", "unknown error")
        return translate("Security", "Can't unlock: {why}").format(why=why)
    return translate("Security", "Locked: encrypted fields are hidden and nothing encrypted is written.")


def info_words(info: Any) -> tuple[str, str]:
    """(zero-knowledge, recovery code) lines from a `VaultInfo`."""
    if not getattr(info, "vault_exists", True):
        none = translate("Security", "no vault yet (created at the first unlock)")
        return none, none
    zk = translate("Security", "on") if info.zero_knowledge else translate("Security", "off")
    if not info.has_recovery_wrap:
        code = translate("Security", "none")
    elif info.recovery_set_at:
        code = translate("Security", "created {when}").format(when=format_moment(info.recovery_set_at))
    else:
        code = translate("Security", "created")
    return zk, code


def _plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)  # error texts come from the server
    return label


def error_label() -> QLabel:
    """A hidden plain-text label in the palette's error red (light and dark)."""
    label = _plain()
    label.setObjectName("errorText")
    palette = label.palette()
    palette.setColor(QPalette.ColorRole.WindowText, error_color(palette))
    label.setPalette(palette)
    label.hide()
    return label


class SecuritySection(QWidget):
    """The Security tab of Settings."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.info: Any = None  # the last VaultInfo
        self.calls = 0  # vault calls running on the worker
        self.fresh_code = False  # a code was created and shown in this session (ZK may follow)
        self.code_dialog: RecoveryCodeDialog | None = None
        self.retype_dialog: RetypeCodeDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._bound: Any = None  # the VaultClient the labels describe
        self._build()
        session.sig_vault_changed.connect(self._on_vault_changed)
        self.refresh()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.state_label = _plain()
        layout.addWidget(self.state_label)
        form = QFormLayout()
        self.zk_label = _plain("—")
        self.code_label = _plain("—")
        form.addRow(translate("Security", "Zero-knowledge"), self.zk_label)
        form.addRow(translate("Security", "Recovery code"), self.code_label)
        layout.addLayout(form)
        explain = _plain(zero_knowledge_sentence())
        explain.setObjectName("muted")
        layout.addWidget(explain)
        buttons = QHBoxLayout()
        self.create_code = QPushButton(translate("Security", "Create recovery code…"))
        self.zk_on = QPushButton(translate("Security", "Turn on zero-knowledge…"))
        self.zk_off = QPushButton(translate("Security", "Turn off zero-knowledge"))
        for button in (self.create_code, self.zk_on, self.zk_off):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.error = error_label()
        layout.addWidget(self.error)
        self.keyring_cache = QCheckBox(translate("Settings", "Remember the encryption key in the system keyring"))
        self.keyring_cache.setToolTip(translate("Settings", "Unlocks encrypted fields at start without asking the account server. Off: the key is kept in memory only."))  # fmt: skip
        self.keyring_cache.setChecked(bool(getattr(self.session.settings, "vault_keyring_cache", False)))
        layout.addWidget(self.keyring_cache)
        layout.addStretch(1)
        self.create_code.clicked.connect(lambda: self.start_create_code(then_enable=False))
        self.zk_on.clicked.connect(self.start_enable)
        self.zk_off.clicked.connect(self.start_disable)

    # -- state --------------------------------------------------------------------------------
    def _vault(self) -> Any:
        """The VaultClient of the signed-in account, or None."""
        account = getattr(self.session, "vault", None)
        return getattr(account, "vault", None) if account is not None else None

    def _state(self) -> str | None:
        vault = self._vault()
        return None if vault is None else str(getattr(vault.state, "value", vault.state))

    def _offline(self) -> bool:
        return bool(getattr(self.session.settings, "work_offline", False))

    def update_buttons(self) -> None:
        state = self._state()
        vault = self._vault()
        words = state_words(state, getattr(vault, "error", None))
        if vault is not None and self._offline():
            words += " " + translate("Security", "Working offline: go online to see or change these settings.")
        self.state_label.setText(words)
        keyed = state == "unlocked" and not self.busy and not self._offline()
        zk = getattr(self.info, "zero_knowledge", None)
        self.create_code.setEnabled(keyed and zk is not None)
        self.zk_on.setEnabled(keyed and zk is False)
        self.zk_off.setEnabled(keyed and zk is True)

    def refresh(self) -> None:
        """Reload the vault's status (`info()`, HTTP) on the worker."""
        vault = self._vault()
        if vault is not self._bound:  # another account (or none): nothing of the last one
            self._bound, self.info, self.fresh_code = vault, None, False
            self.zk_label.setText("—")
            self.code_label.setText("—")
        if vault is None or self._offline():  # offline: no requests, not even the status
            self.info = None
            self.zk_label.setText("—")
            self.code_label.setText("—")
            self.update_buttons()
            return
        self._call(vault.info, self._show_info, vault)

    def _show_info(self, info: Any) -> None:
        self.info = info
        self.zk_label.setText(info_words(info)[0])
        self.code_label.setText(info_words(info)[1])

    @property
    def busy(self) -> bool:
        return self.calls > 0

    def _on_vault_changed(self, _state: str) -> None:
        # Rare (unlock, lock, sign-in): reload the status too, an unlock may create the vault.
        if not self.busy:
            self.refresh()
        else:
            self.update_buttons()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self.busy:
            self.refresh()

    # -- calls on the worker --------------------------------------------------------------------
    def _call(self, job: Any, on_done: Any, vault: Any) -> None:
        """Run a call of `vault` on the worker. Its result or error is dropped when `vault` is
        no longer the current one (an account switch meanwhile): the tab must never show the
        last account's status or recovery code for the next one (review #9)."""
        self.calls += 1
        self.error.hide()
        self.update_buttons()

        def finish(show: Any) -> None:
            self.calls -= 1
            if vault is self._vault():
                show()
            elif not self.busy:
                self.refresh()  # the current account's status, skipped while this call ran
            self.update_buttons()

        def done(result: Any) -> None:
            finish(lambda: on_done(result))

        def failed(exc: Exception) -> None:
            finish(lambda: self.show_error(str(exc) or type(exc).__name__))

        self.session.run(job, done, failed)

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def start_create_code(self, then_enable: bool = False) -> None:
        vault = self._vault()
        if vault is not None:
            self._call(vault.create_recovery_code, lambda code: self._show_code(code, then_enable), vault)

    def _show_code(self, code: str, then_enable: bool) -> None:
        self.fresh_code = True
        dialog = RecoveryCodeDialog(code, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.refresh)
        if then_enable:
            dialog.accepted.connect(self._ask_retype)
        dialog.destroyed.connect(self._code_dialog_gone)
        self.code_dialog = dialog
        dialog.open()

    def _code_dialog_gone(self) -> None:
        self.code_dialog = None

    def start_enable(self) -> None:
        """Turn on zero-knowledge: a new code first (unless one was just shown), then retype."""
        if self.fresh_code:
            self._ask_retype()
        else:
            self.start_create_code(then_enable=True)

    def _ask_retype(self) -> None:
        dialog = RetypeCodeDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._enable(dialog.code.text()))
        dialog.destroyed.connect(self._retype_dialog_gone)
        self.retype_dialog = dialog
        dialog.open()

    def _retype_dialog_gone(self) -> None:
        self.retype_dialog = None

    def _enable(self, retyped: str) -> None:
        vault = self._vault()
        if vault is None:
            return

        def enabled(_r: Any) -> None:
            self.fresh_code = False
            self.refresh()

        self._call(lambda: vault.enable_zero_knowledge(retyped), enabled, vault)

    def start_disable(self) -> None:
        question = translate("Security", "Mana's servers will hold a copy of your key again, so you can unlock without the recovery code. Turn off zero-knowledge?")  # fmt: skip
        box = QMessageBox(QMessageBox.Icon.Question, translate("Security", "Turn off zero-knowledge"), question,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _r: self._disable_answered(box.clickedButton() is yes))
        self.confirm_box = box
        box.open()

    def _disable_answered(self, confirmed: bool) -> None:
        self.confirm_box = None
        vault = self._vault()
        if confirmed and vault is not None:
            self._call(vault.disable_zero_knowledge, lambda _r: self.refresh(), vault)
