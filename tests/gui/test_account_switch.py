"""Switching accounts without a restart: sign-in from a signed-out start, sign-out, sign-in as
another account, the refusal when the replica holds another account's data.

Real parts: the reference server on 127.0.0.1:0 with its vault, a profile in tmp_path, Qt
offscreen. Engines started by a sign-in are stopped at teardown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from mana_desktop.domain.crypto import MasterKey, decrypt_record
from mana_desktop.gui.session import Session
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.vault import VaultClient
from tests.fixtures.gui import App
from tests.fixtures.replica import USER

WAIT = 20000


def server_key(server: Any, email: str) -> MasterKey:
    vault = VaultClient(server.url, lambda: server.token(email))
    vault.unlock()
    assert vault.key is not None
    return vault.key


def write_note(qtbot: Any, session: Session, title: str) -> str:
    """A note written on the worker (as the app writes); returns its id."""
    replica = session.replica
    ids: list[str] = []

    def job() -> str:
        with replica.write() as tx:
            return str(tx.insert("notes", "notes", {"title": title}, actor=USER))

    session.run(job, ids.append)
    qtbot.waitUntil(lambda: bool(ids), timeout=WAIT)
    return ids[0]


def signed_in_and_unlocked(qtbot: Any, app: App, email: str) -> None:
    qtbot.waitUntil(lambda: app.session.vault is not None and app.session.vault.state == "unlocked"
                    and app.session.settings.account_email == email, timeout=WAIT)  # fmt: skip



def alice_app(qtbot: Any, tmp_path: Path, server: Any, make_app: Any) -> tuple[Profile, Any]:
    """A profile signed in as Alice (outside the app), and its app with the vault unlocked."""
    profile = Profile(tmp_path / "p")
    Credentials(profile).login(server.url, "alice@example.com", "alice-password")
    app = make_app(profile)
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    return profile, app

def test_sign_in_from_a_signed_out_start_builds_engine_cipher_and_unlocks(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    app = make_app(Profile(tmp_path / "fresh"))
    assert app.session.engine is None and app.session.vault is None and app.session.replica.cipher is None
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_in_as(reference_server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    alice = reference_server.users["alice@example.com"]
    assert app.session.engine is not None and app.session.replica.cipher is app.session.vault.cipher
    assert app.session.workbench._ctx.cipher is app.session.vault.cipher  # no public getter
    note = write_note(qtbot, app.session, "After sign-in")
    stored = app.session.replica.get("notes", "notes", note)
    assert stored is not None and stored.data["title"].startswith("enc:1:")
    assert stored.data["authorId"] == alice
    assert decrypt_record(stored.data, server_key(reference_server, "alice@example.com"))["title"] == "After sign-in"
    page = app.window.page("settings")
    assert page.account.text() == "alice@example.com" and page.sign_out.isEnabled()


def test_sign_out_then_sign_in_again_rebuilds_the_account(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile, app = alice_app(qtbot, tmp_path, reference_server, make_app)
    first = app.session.vault
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_out()
    assert app.session.vault is None and app.session.engine is None
    assert first.vault.key is None and not Credentials(profile).signed_in()
    assert app.session.replica.cipher is not None and app.session.replica.cipher.locked  # nothing in plaintext
    qtbot.waitUntil(lambda: app.window.banner.kind == "signed-out", timeout=WAIT)
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_in_as(reference_server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    assert app.session.vault is not first and app.session.replica.cipher is app.session.vault.cipher
    note = write_note(qtbot, app.session, "Back again")
    stored = app.session.replica.get("notes", "notes", note)
    assert stored is not None
    assert decrypt_record(stored.data, server_key(reference_server, "alice@example.com"))["title"] == "Back again"


def test_a_failed_sign_in_changes_nothing(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    profile, app = alice_app(qtbot, tmp_path, reference_server, make_app)
    vault, engine = app.session.vault, app.session.engine
    app.window.sign_in_as(reference_server.url, "alice@example.com", "wrong password")
    qtbot.waitUntil(lambda: app.window.banner.kind == "error", timeout=WAIT)
    assert app.session.vault is vault and app.session.engine is engine and vault.state == "unlocked"
    assert Credentials(profile).signed_in()


def sign_out(qtbot: Any, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_out()


def test_another_account_on_a_profile_without_data_gets_its_own_key_and_id(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(Profile(tmp_path / "fresh"))
    app.window.sign_in_as(reference_server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    sign_out(qtbot, app, monkeypatch)  # alice wrote nothing: the replica holds no data of hers
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_in_as(reference_server.url, "bob@example.com", "bob-password")
    signed_in_and_unlocked(qtbot, app, "bob@example.com")
    bob = reference_server.users["bob@example.com"]
    assert app.session.vault.user_id == bob and app.session.replica.cipher.user_id == bob
    note = write_note(qtbot, app.session, "Bob's note")
    stored = app.session.replica.get("notes", "notes", note)
    assert stored is not None and stored.data["authorId"] == bob
    assert decrypt_record(stored.data, server_key(reference_server, "bob@example.com"))["title"] == "Bob's note"
    alice_view = decrypt_record(stored.data, server_key(reference_server, "alice@example.com"))
    assert alice_view["title"] != "Bob's note"  # alice's key cannot open it (a lock marker)


def test_signing_in_as_another_account_over_its_data_is_refused_and_loses_nothing(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = Profile(tmp_path / "p")
    app = make_app(profile)
    app.window.sign_in_as(reference_server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    note = write_note(qtbot, app.session, "Alice's diary")
    sign_out(qtbot, app, monkeypatch)
    before = app.session.replica.get("notes", "notes", note)
    app.window.sign_in_as(reference_server.url, "bob@example.com", "bob-password")
    qtbot.waitUntil(lambda: app.window.banner.kind == "error", timeout=WAIT)
    assert "another account" in app.window.banner.label.text()
    assert app.session.vault is None and app.session.engine is None
    assert not Credentials(profile).signed_in() and profile.load_settings().account_email is None
    assert app.session.replica.get("notes", "notes", note) == before
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):  # alice may come back
        app.window.sign_in_as(reference_server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")


def test_a_new_account_server_address_rebuilds_the_account(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    _profile, app = alice_app(qtbot, tmp_path, reference_server, make_app)
    first = app.session.vault
    page = app.window.page("settings")
    dead = "http://127.0.0.1:9"  # nothing listens: the new vault cannot be reached
    page.auth_url.setText(dead)
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        page.auth_url.editingFinished.emit()
    assert app.session.vault is not first and app.session.vault.vault.auth_url == dead
    assert first.vault.key is None  # the old account's key left memory
    qtbot.waitUntil(lambda: app.session.vault.state == "error", timeout=WAIT)
    assert app.session.vault.vault.error.reason == "network"
    qtbot.waitUntil(lambda: app.window.banner.kind == "vault", timeout=WAIT)
    page.auth_url.setText("")  # back to "same as the sync server"
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        page.auth_url.editingFinished.emit()
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    assert app.session.replica.cipher is app.session.vault.cipher


def test_the_first_run_sign_in_refuses_another_accounts_data_too(tmp_path: Path, reference_server: Any) -> None:
    from mana_desktop.gui.app import login_checked
    from mana_desktop.sync.account import AccountMismatchError

    profile = Profile(tmp_path / "p")
    login_checked(profile, reference_server.url, "alice@example.com", "alice-password")
    replica = profile.open_replica()
    try:
        with replica.write() as tx:
            tx.insert("todo", "tasks", {"title": "Alice's task"}, actor=USER)
    finally:
        replica.close()
    Credentials(profile).logout()
    with pytest.raises(AccountMismatchError, match="another account"):
        login_checked(profile, reference_server.url, "bob@example.com", "bob-password")
    assert not Credentials(profile).signed_in() and profile.load_settings().account_email is None
    login_checked(profile, reference_server.url, "alice@example.com", "alice-password")
    assert profile.load_settings().account_email == "alice@example.com"


def test_a_start_overtaken_by_a_sign_out_brings_nothing_back(tmp_path: Path, reference_server: Any) -> None:
    from mana_desktop.gui.vault_link import AccountVault

    profile = Profile(tmp_path / "p")
    reference_server.add_space("Family", "family", ["alice@example.com"])
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    account = AccountVault.open(profile, profile.load_settings(), Credentials(profile))
    assert account is not None
    account.close(forget=True)  # the sign-out ran first ...
    account.start()  # ... the start thread finishes later
    assert account.vault.key is None and account.spaces.spaces() == []
    assert not (profile.data_dir / "spaces.json").exists()
    assert account.unlock() != "" and account.vault.key is None


def test_two_rebuilds_in_a_row_close_each_account_they_replace(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    _profile, app = alice_app(qtbot, tmp_path, reference_server, make_app)
    seen: list[Any] = []
    app.session.sig_account_changed.connect(lambda: seen.append((app.session.vault, app.session.engine)))
    app.window.rebuild_account()
    app.window.rebuild_account()  # asked for while the first one is on the worker
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT)
    (first, first_engine), (second, second_engine) = seen
    assert first is not second and first_engine is not second_engine
    assert app.session.vault is second and app.session.replica.cipher is second.cipher
    qtbot.waitUntil(lambda: first.vault.key is None, timeout=WAIT)  # closed by the second rebuild
    signed_in_and_unlocked(qtbot, app, "alice@example.com")


def test_a_sign_in_without_a_renewable_session_says_so_and_can_be_dismissed(
    qtbot: Any, tmp_path: Path, server_factory: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like upstream mana-auth: /login sets no cookie; and this server lacks the route that
    # would (the client asks a path that answers 404), so the session cannot be renewed.
    import mana_desktop.sync.credentials as credentials

    server = server_factory(login_sets_cookie=False)
    monkeypatch.setattr(credentials, "NATIVE_SIGN_IN_PATH", "/api/auth/sign-in/not-here")
    app = make_app(Profile(tmp_path / "fresh"))
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_in_as(server.url, "alice@example.com", "alice-password")
    banner = app.window.banner
    qtbot.waitUntil(lambda: banner.kind == "session" and banner.isVisible(), timeout=WAIT)
    assert "sign in again" in banner.label.text()
    banner.button.click()
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT)


def test_a_sign_in_with_a_session_cookie_shows_no_warning(
    qtbot: Any, tmp_path: Path, server_factory: Any, make_app: Any
) -> None:
    server = server_factory(login_sets_cookie=False)  # the native sign-in gives the cookie
    app = make_app(Profile(tmp_path / "fresh"))
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_in_as(server.url, "alice@example.com", "alice-password")
    signed_in_and_unlocked(qtbot, app, "alice@example.com")
    assert app.window.banner.kind != "session"
