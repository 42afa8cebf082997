"""Settings → Security against the reference server's vault: the recovery code shown once,
zero-knowledge on and off, buttons disabled while signed out / locked / busy, German texts,
screenshots (light, dark).

Real parts: the reference server on 127.0.0.1:0 with its vault, a replica file, Qt offscreen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QFontInfo, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from mana_desktop.gui import i18n, theme
from mana_desktop.gui.app import Opened
from mana_desktop.gui.security_section import SecuritySection, state_words
from mana_desktop.gui.session import Session
from mana_desktop.gui.settings_page import SettingsPage
from mana_desktop.store.profile import Profile
from mana_desktop.sync.vault import VaultClient
from tests.fixtures.gui import unlocked_settings_page

WAIT = 15000


def test_recovery_code_shown_once_and_zero_knowledge_round_trip(
    qtbot: Any, signed_in: tuple[Opened, Session], reference_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    opened, session = signed_in
    assert opened.vault is not None
    section = unlocked_settings_page(qtbot, session).security
    key = opened.vault.vault.key.to_b64()
    assert section.code_label.text() == "none"
    section.create_code.click()
    assert not section.create_code.isEnabled() and not section.zk_on.isEnabled()  # busy
    qtbot.waitUntil(lambda: section.code_dialog is not None and section.code_dialog.isVisible(), timeout=WAIT)
    dialog = section.code_dialog
    assert dialog is not None
    code = dialog.code.text()
    assert len(code) == 79 and code.count("-") == 15
    assert QFontInfo(dialog.code.font()).fixedPitch()
    assert not dialog.done_button.isEnabled()  # confirm it was stored first
    dialog.reject()  # Esc does not throw the only showing away
    assert dialog.isVisible()
    dialog.copy.click()
    assert QGuiApplication.clipboard().text() == code
    dialog.stored.setChecked(True)
    dialog.done_button.click()
    qtbot.waitUntil(lambda: section.code_dialog is None, timeout=WAIT)
    qtbot.waitUntil(lambda: section.code_label.text().startswith("created"), timeout=WAIT)

    # Turn on: the code just shown is retyped; a wrong one is refused in words.
    section.zk_on.click()
    retype = section.retype_dialog
    assert retype is not None and "servers can no longer read" in retype.findChildren(type(section.state_label))[0].text()
    retype.code.setText("0000-" + code[5:])
    retype.ok_button.click()
    qtbot.waitUntil(lambda: section.error.isVisible(), timeout=WAIT)
    assert "does not match" in section.error.text() and section.zk_label.text() == "off"
    section.zk_on.click()
    retype = section.retype_dialog
    assert retype is not None
    retype.code.setText(code.lower())
    retype.ok_button.click()
    qtbot.waitUntil(lambda: section.zk_label.text() == "on" and section.zk_off.isEnabled(), timeout=WAIT)
    assert not section.zk_on.isEnabled() and not section.error.isVisible()

    # The server forgot its wrap: a fresh client needs the code, which opens the same key.
    fresh = VaultClient(reference_server.url, lambda: reference_server.token("alice@example.com"))
    assert fresh.unlock() == "awaiting-recovery-code"
    assert fresh.submit_recovery_code(code) == "unlocked" and fresh.key is not None and fresh.key.to_b64() == key

    # Turn off (confirmed): the server holds the key again.
    section.zk_off.click()
    box = section.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: section.zk_label.text() == "off" and section.zk_on.isEnabled(), timeout=WAIT)
    again = VaultClient(reference_server.url, lambda: reference_server.token("alice@example.com"))
    assert again.unlock() == "unlocked" and again.key is not None and again.key.to_b64() == key
    assert not any(code in r.getMessage() for r in caplog.records)  # never logged


def test_turning_off_needs_a_confirmation(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    _opened, session = signed_in
    section = unlocked_settings_page(qtbot, session).security
    calls: list[str] = []
    section.info = type("Info", (), {"zero_knowledge": True, "vault_exists": True})()
    section.update_buttons()
    vault = section._vault()
    vault.disable_zero_knowledge = lambda: calls.append("off")
    section.zk_off.click()
    box = section.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: section.confirm_box is None, timeout=WAIT)
    assert calls == [] and session.bridge.pending_jobs() == 0


def test_buttons_disabled_while_signed_out_or_locked(
    qtbot: Any, signed_in: tuple[Opened, Session], gui_workbench: tuple[Any, Any], tmp_path: Path
) -> None:
    wb, replica = gui_workbench
    signed_out = Session(wb, replica=replica, profile=Profile(tmp_path / "p"), settings=wb.settings)
    section = SecuritySection(signed_out)
    qtbot.addWidget(section)
    assert section.state_label.text().startswith("Not signed in")
    assert not any(b.isEnabled() for b in (section.create_code, section.zk_on, section.zk_off))
    signed_out.close()

    _opened, session = signed_in  # signed in, vault still locked: the status loads, keys are needed
    locked = SecuritySection(session)
    qtbot.addWidget(locked)
    qtbot.waitUntil(lambda: locked.zk_label.text().startswith("no vault yet"), timeout=WAIT)
    assert locked.state_label.text().startswith("Locked")
    assert not any(b.isEnabled() for b in (locked.create_code, locked.zk_on, locked.zk_off))
    with qtbot.waitSignal(session.sig_vault_changed, timeout=WAIT):
        session.unlock_vault()
    qtbot.waitUntil(lambda: locked.create_code.isEnabled() and locked.zk_on.isEnabled(), timeout=WAIT)
    assert locked.zk_label.text() == "off"  # the unlock created the vault; its status reloaded
    assert locked.state_label.text().startswith("Unlocked") and not locked.zk_off.isEnabled()


def test_vault_errors_are_shown_in_words(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    from mana_desktop.sync.vault import VaultError

    _opened, session = signed_in
    section = unlocked_settings_page(qtbot, session).security
    vault = section._vault()

    def refuse() -> str:
        raise VaultError("The account server refused: vault not initialised", reason="server")

    vault.create_recovery_code = refuse
    section.create_code.click()
    qtbot.waitUntil(section.error.isVisible, timeout=WAIT)
    assert section.error.text() == "The account server refused: vault not initialised"
    assert section.create_code.isEnabled() and section.code_dialog is None


def test_keyring_switch_lives_in_security(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    _opened, session = signed_in
    page = SettingsPage(session)
    qtbot.addWidget(page)
    assert page.keyring_cache is page.security.keyring_cache
    assert page.tabs.tabText(2) == "Security" and page.security.isAncestorOf(page.keyring_cache)


def test_security_texts_are_translated(qapp: Any) -> None:
    try:
        assert i18n.install(qapp, "de") == "de"
        assert state_words("unlocked").startswith("Entsperrt")
        assert state_words(None).startswith("Nicht angemeldet")
        from mana_desktop.gui.recovery_dialogs import zero_knowledge_sentence

        assert "Wiederherstellungscode" in zero_knowledge_sentence()
    finally:
        i18n.install(qapp, "en")
    assert state_words("unlocked").startswith("Unlocked")


@pytest.fixture
def styled_app(qapp: Any) -> Iterator[Any]:
    original = QApplication.palette()
    yield qapp
    QApplication.setPalette(original)
    qapp.setStyleSheet("")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_security_screenshot(
    qtbot: Any, signed_in: tuple[Opened, Session], styled_app: Any, artifacts_dir: Path, dark: bool
) -> None:
    theme.apply_style(styled_app, dark=dark)
    _opened, session = signed_in
    page = unlocked_settings_page(qtbot, session)
    page.resize(900, 600)
    qtbot.waitUntil(lambda: page.security.create_code.isEnabled(), timeout=WAIT)
    image = page.grab().toImage()
    name = "dark" if dark else "light"
    image.save(str(artifacts_dir / f"security-{name}.png"))
    assert not image.isNull() and image.width() == 900
    assert (page.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5) == dark


def test_tabs_are_reachable_by_keyboard(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    from PySide6.QtCore import Qt

    _opened, session = signed_in
    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.show()
    page.language.setFocus()
    qtbot.keyClick(page.language, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert page.tabs.currentIndex() == 1
    qtbot.keyClick(page.tabs.currentWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert page.tabs.currentWidget() is page.security
    assert all(b.focusPolicy() & Qt.FocusPolicy.TabFocus for b in (page.security.create_code, page.security.zk_on))


def test_dark_palette_dims_disabled_buttons() -> None:
    palette = theme.dark_palette()
    enabled = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    assert disabled.lightnessF() < enabled.lightnessF() - 0.3


def test_working_offline_makes_no_vault_requests(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    _opened, session = signed_in
    page = unlocked_settings_page(qtbot, session)
    section = page.security
    calls: list[str] = []
    vault = section._vault()
    real_info = vault.info
    vault.info = lambda: calls.append("info") or real_info()
    session.settings = session.settings.model_copy(update={"work_offline": True})
    page.set_offline(True)
    assert calls == [] and session.bridge.pending_jobs() == 0
    assert "Working offline" in section.state_label.text() and section.zk_label.text() == "—"
    assert not any(b.isEnabled() for b in (section.create_code, section.zk_on, section.zk_off))
    session.settings = session.settings.model_copy(update={"work_offline": False})
    page.set_offline(False)
    qtbot.waitUntil(lambda: section.zk_label.text() == "off" and section.create_code.isEnabled(), timeout=WAIT)
    assert calls == ["info"]
