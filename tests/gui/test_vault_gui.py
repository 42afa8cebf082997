"""The GUI with encrypted fields: locked state, shared Spaces, settings, sign-out, 402 link-out.

Real parts: a replica file, the reference server on 127.0.0.1:0 with its vault, Qt offscreen.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.domain.crypto import MasterKey, RecordCipher, encrypt_record
from mana_desktop.domain.spaces import Space, SpaceContext
from mana_desktop.gui.app import Opened
from mana_desktop.gui.main_window import MainWindow
from mana_desktop.gui.modules import BY_KEY
from mana_desktop.gui.records_panel import RecordsPanel, record_rows
from mana_desktop.gui.session import Session
from mana_desktop.gui.settings_page import SettingsPage
from mana_desktop.gui.vault_link import BILLING_URL
from mana_desktop.store.profile import Profile
from mana_desktop.store.replica import Replica
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.status import SyncStatus
from tests.fixtures.replica import USER

NOTES = BY_KEY["notes"]


def idle(qtbot: Any, session: Session) -> None:
    qtbot.waitUntil(lambda: session.bridge.pending_jobs() == 0, timeout=15000)


class _Key:
    def __init__(self) -> None:
        self.key: MasterKey | None = MasterKey(os.urandom(32))


def _remote_note(replica: Replica, note_id: str, data: dict[str, Any]) -> None:
    replica.apply_remote("notes", [{"eventId": f"e-{note_id}", "table": "notes", "id": note_id,
                                    "op": "insert", "data": {"id": note_id, **data}}],
                         collection="notes")  # fmt: skip


def test_records_show_plaintext_locks_and_shared_marks_never_ciphertext(tmp_path: Path) -> None:
    key, other = _Key(), _Key()
    assert key.key is not None and other.key is not None
    spaces = SpaceContext("u-1", None, {"team": Space("team", "Team", "team")})
    cipher = RecordCipher("u-1", lambda: key.key, spaces)
    with Replica.open(tmp_path / "r.db") as replica:
        _remote_note(replica, "mine", encrypt_record("notes", {"title": "Diary"}, key.key))
        _remote_note(replica, "foreign", encrypt_record("notes", {"title": "Theirs"}, other.key))
        _remote_note(replica, "team", {"title": "Team plan", "spaceId": "team"})
        _remote_note(replica, "hidden", {"title": "Bob's", "authorId": "bob", "visibility": "private"})
        rows = {r.id: r for r in record_rows(replica, {}, NOTES, cipher)}
        assert rows["mine"].title == "Diary" and not rows["mine"].shared
        assert rows["foreign"].title == "🔒 can't be decrypted"
        assert rows["team"].title == "Team plan" and rows["team"].shared
        assert "hidden" not in rows
        key.key = None  # the vault locks
        rows = {r.id: r for r in record_rows(replica, {}, NOTES, cipher)}
        assert rows["mine"].title == "🔒 locked"
        plain = record_rows(replica, {}, NOTES, None)  # no account at all
        assert not any(r.title.startswith("enc:") for r in plain)


def test_the_app_unlocks_on_the_worker_and_panels_decrypt_what_the_webapp_wrote(
    qtbot: Any, signed_in: tuple[Opened, Session], reference_server: Any
) -> None:
    opened, session = signed_in
    assert opened.vault is not None and opened.replica.cipher is opened.vault.cipher
    with qtbot.waitSignal(session.sig_vault_changed, timeout=15000) as unlocked:
        session.unlock_vault()
    assert unlocked.args == ["unlocked"]
    key = opened.vault.vault.key
    reference_server.append_changes(
        "alice@example.com", "notes",
        [{"table": "notes", "id": "web-1", "op": "insert",
          "data": encrypt_record("notes", {"id": "web-1", "title": "Browser note"}, key)}],
    )  # fmt: skip
    assert opened.engine.run_once().ok
    panel = RecordsPanel(session, NOTES)
    qtbot.addWidget(panel)
    panel.reload()
    qtbot.waitUntil(lambda: any(r.title == "Browser note" for r in panel.model.rows), timeout=15000)
    # Written on the desktop: sealed in the replica and on the wire.
    with opened.replica.write() as tx:
        note = tx.insert("notes", "notes", {"title": "Desk note"}, actor=USER)
    stored = opened.replica.get("notes", "notes", note)
    assert stored is not None and stored.data["title"].startswith("enc:1:")
    with qtbot.waitSignal(session.sig_vault_changed, timeout=15000):
        opened.vault.vault.lock()
    panel.reload()
    qtbot.waitUntil(lambda: {r.title for r in panel.model.rows} == {"🔒 locked"}, timeout=15000)


def test_vault_error_banner_retries_and_sign_out_wipes_key_and_tokens(
    qtbot: Any, signed_in: tuple[Opened, Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened, session = signed_in
    profile = session.profile
    win = MainWindow(session, settings_key="vault-test")
    qtbot.addWidget(win)
    win.show()
    session.bridge.notify_vault("error")
    qtbot.waitUntil(lambda: win.banner.isVisible() and win.banner.kind == "vault", timeout=15000)
    assert "locked" in win.banner.label.text() and win.banner.button.text() == "Retry"
    with qtbot.waitSignal(session.sig_vault_changed, timeout=15000) as unlocked:
        win.banner.button.click()  # retry: unlocks on the worker
    assert unlocked.args == ["unlocked"]
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=15000)
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert opened.vault is not None and opened.vault.vault.key is not None
    win.sign_out()
    idle(qtbot, session)
    assert opened.vault.vault.key is None and opened.vault.cipher.locked
    assert not Credentials(profile).signed_in()


def test_402_banner_shows_the_server_message_and_links_out(
    qtbot: Any, gui_workbench: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wb, replica = gui_workbench
    session = Session(wb, replica=replica, profile=Profile(tmp_path / "p"), settings=wb.settings)
    session.attach()
    win = MainWindow(session, settings_key="paid")
    qtbot.addWidget(win)
    opened: list[str] = []
    monkeypatch.setattr(win, "open_url", opened.append)
    message = "Cloud Sync ist nicht aktiv. <b>Aktiviere</b> Sync in den Einstellungen."
    session.bridge.notify_status(SyncStatus(state="paused", paused_message=message))
    qtbot.waitUntil(lambda: win.banner.kind == "paused", timeout=15000)
    assert message in win.banner.label.text()  # plain text, markup shown as is
    assert win.banner.button.text() == "Open Mana settings"
    win.banner.button.click()
    assert opened == [BILLING_URL]
    session.close()


def test_settings_save_the_auth_url_and_the_keyring_opt_in(
    qtbot: Any, gui_workbench: tuple[Any, Any], tmp_path: Path
) -> None:
    wb, replica = gui_workbench
    profile = Profile(tmp_path / "p")
    session = Session(wb, replica=replica, profile=profile, settings=profile.load_settings())
    page = SettingsPage(session)
    qtbot.addWidget(page)
    page.auth_url.setText("not a url")
    page.auth_url.editingFinished.emit()
    idle(qtbot, session)
    assert profile.load_settings().auth_url is None  # a bad address is never saved
    page.auth_url.setText("https://auth.mana.how")
    page.auth_url.editingFinished.emit()
    page.keyring_cache.setChecked(True)
    idle(qtbot, session)
    saved = profile.load_settings()
    assert saved.auth_url == "https://auth.mana.how" and saved.vault_keyring_cache is True
    session.close()


def test_lock_texts_are_translated(qapp: Any) -> None:
    from mana_desktop.domain.crypto import LockedValue
    from mana_desktop.gui import i18n
    from mana_desktop.gui.vault_link import locked_text

    try:
        assert i18n.install(qapp, "de") == "de"
        assert locked_text(LockedValue("enc:1:x", "locked")) == "🔒 gesperrt"
        assert locked_text(LockedValue("enc:1:x", "undecryptable")) == "🔒 nicht entschlüsselbar"
    finally:
        i18n.install(qapp, "en")
    assert locked_text(LockedValue("enc:1:x", "locked")) == "🔒 locked"


def test_working_offline_does_not_fetch_the_key_until_back_online(
    qtbot: Any, signed_in: tuple[Opened, Session]
) -> None:
    opened, session = signed_in
    assert opened.vault is not None
    calls: list[str] = []
    real_unlock = opened.vault.unlock
    opened.vault.unlock = lambda: calls.append("unlock") or real_unlock()  # type: ignore[method-assign]
    real_start = opened.vault.start
    opened.vault.start = lambda: calls.append("start") or real_start()  # type: ignore[method-assign]
    session.settings = session.settings.model_copy(update={"work_offline": True})
    session.unlock_vault()
    assert calls == [] and opened.vault.state == "locked"  # no thread, no request
    win = MainWindow(session, settings_key="offline-vault")
    qtbot.addWidget(win)
    with qtbot.waitSignal(session.sig_vault_changed, timeout=15000) as unlocked:
        win.set_offline(False)
    assert unlocked.args == ["unlocked"] and opened.vault.vault.key is not None
    assert calls == ["start"]  # the account's start: the key, then the Spaces
    idle(qtbot, session)
