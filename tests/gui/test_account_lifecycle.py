"""The account's lifecycle in the window, as review 1 asked (issue 8): sync only after the
account started (#1), sign-out stops the engine and the account's threads before the secrets
go (#3), sign-out without an open account still wipes the keyring copy and the Spaces cache
(#4), no engine without an open vault and the banner says why (#7), Security results of the
previous account are dropped (#9).

Real parts: the reference server on 127.0.0.1:0 with its vault, a profile in tmp_path, Qt
offscreen. Where a race must be hit, one real call is held on an Event the test releases.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from mana_desktop.gui.account_layer import rebuild
from mana_desktop.gui.app import Opened, _close_layers, _open_layers
from mana_desktop.gui.session import Session
from mana_desktop.store.profile import Profile
from mana_desktop.sync.account import AccountSession
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.secrets import SecretStore
from mana_desktop.sync.spaces import CACHE_FILE, SpaceDirectory
from mana_desktop.sync.vault import KeyringKeyCache, VaultClient
from tests.fixtures.gui import unlocked_settings_page
from tests.fixtures.keyring import MemoryKeyring

WAIT = 20000
ALICE = "alice@example.com"


def signed_in_profile(server: Any, path: Path) -> Profile:
    profile = Profile(path)
    Credentials(profile).login(server.url, ALICE, "alice-password")
    return profile


def yes_to_sign_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)


def test_sync_is_asked_for_only_after_the_account_started(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#1: the unlock notification alone must not start a push: without the Spaces list a
    shared Space's change would be sealed. The unlock returns only once the window has
    handled its notification, so a sync asked for on the unlock shows before start() ends,
    whichever order start() unlocks and loads the Spaces in."""
    reference_server.add_space("Family", "family", [ALICE])
    profile = signed_in_profile(reference_server, tmp_path / "p")
    events: list[str] = []
    gui_saw_unlock = threading.Event()
    unlock, start = VaultClient.unlock, AccountSession.start

    def unlock_seen_by_the_gui(self: VaultClient, *args: Any, **kwargs: Any) -> Any:
        state = unlock(self, *args, **kwargs)
        if self.key is not None:
            gui_saw_unlock.wait(10)
        return state

    def recorded_start(self: AccountSession, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        events.append("started")

    monkeypatch.setattr(VaultClient, "unlock", unlock_seen_by_the_gui)
    monkeypatch.setattr(AccountSession, "start", recorded_start)
    app = make_app(profile)  # the start thread's notifications wait for this thread's loop
    engine = app.session.engine
    sync_now = engine.sync_now
    engine.sync_now = lambda: (events.append("sync_now"), sync_now())[-1]
    # Connected after the session's own slot: runs once the session has handled the unlock.
    app.session.bridge.sig_vault_changed.connect(
        lambda state: str(getattr(state, "value", state)) == "unlocked" and gui_saw_unlock.set())
    qtbot.waitUntil(lambda: "sync_now" in events, timeout=WAIT)
    assert "started" in events and events.index("started") < events.index("sync_now"), events
    assert app.session.vault.state == "unlocked" and app.session.vault.spaces.spaces()


def test_sign_out_stops_the_engine_and_waits_for_the_start_before_logout(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#3: a refresh in flight on an account thread could write the secrets back after
    `logout()` wiped them; sign-out stops the engine and waits for those threads first."""
    profile = signed_in_profile(reference_server, tmp_path / "p")
    entered, release = threading.Event(), threading.Event()
    refresh = SpaceDirectory.refresh

    def slow_refresh(self: SpaceDirectory, *args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(10)
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(SpaceDirectory, "refresh", slow_refresh)
    app = make_app(profile)
    qtbot.waitUntil(entered.is_set, timeout=WAIT)  # the account's start thread is busy
    account, engine = app.session.vault, app.session.engine
    seen: list[tuple[bool, bool, bool]] = []
    logout = Credentials.logout

    def recording_logout(self: Credentials) -> None:
        starting = any(t.name == "mana-account-start" and t.is_alive() for t in threading.enumerate())
        seen.append((engine._thread is None, release.is_set(), starting))
        logout(self)

    monkeypatch.setattr(Credentials, "logout", recording_logout)
    yes_to_sign_out(monkeypatch)
    app.window.sign_out()
    qtbot.waitUntil(lambda: account._closed is not None, timeout=WAIT)  # the key left memory
    release.set()  # only now may the start thread end
    qtbot.waitUntil(lambda: app.session.vault is None and bool(seen), timeout=WAIT)
    assert seen == [(True, True, False)]  # engine stopped, start finished, then logout
    assert not Credentials(profile).signed_in() and account.vault.key is None
    assert not (profile.data_dir / CACHE_FILE).exists()


def test_sign_out_without_an_open_account_wipes_the_keyring_copy_and_spaces(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch,
    keyring: MemoryKeyring,
) -> None:
    """#4: the account's secrets are gone (no vault opens), but its keyring key copy and the
    Spaces cache are still there: sign-out removes them too."""
    reference_server.add_space("Family", "family", [ALICE])
    profile = signed_in_profile(reference_server, tmp_path / "p")
    profile.save_settings(profile.load_settings().model_copy(update={"vault_keyring_cache": True}))
    from mana_desktop.gui.vault_link import AccountVault

    account = AccountVault.open(profile, profile.load_settings(), Credentials(profile))
    assert account is not None
    account.start()  # online once: the key goes to the keyring, the Spaces to the cache
    user_id = account.user_id
    assert KeyringKeyCache(profile.data_dir, user_id).load() is not None
    assert (profile.data_dir / CACHE_FILE).exists()
    SecretStore(profile.data_dir).delete(ALICE)  # e.g. removed from the keyring by hand
    app = make_app(profile)
    assert app.session.vault is None and app.session.engine is None
    yes_to_sign_out(monkeypatch)
    with qtbot.waitSignal(app.session.sig_account_changed, timeout=WAIT):
        app.window.sign_out()
    assert KeyringKeyCache(profile.data_dir, user_id).load() is None and keyring.entries == {}
    assert not (profile.data_dir / CACHE_FILE).exists()
    assert profile.load_settings().account_email is None


def test_no_engine_without_an_open_vault_and_the_banner_says_why(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    """#7: the settings name an account whose secrets are gone: no engine (it would push
    unsealed, unstamped writes once a terminal signs in), a key-less cipher, and why."""
    profile = signed_in_profile(reference_server, tmp_path / "p")
    user_id = profile.load_settings().user_id
    SecretStore(profile.data_dir).delete(ALICE)
    opened = _open_layers(profile, profile.load_settings())
    try:
        assert opened.vault is None and opened.engine is None
        assert opened.error is not None and ALICE in opened.error
        cipher = opened.replica.cipher
        assert cipher is not None and cipher.locked and cipher.user_id == user_id
        built = rebuild(profile, opened.replica, opened.workbench, None, None, forget=False)
        assert built.vault is None and built.engine is None and built.error == opened.error
    finally:
        _close_layers(opened)
    app = make_app(profile)
    app.window.rebuild_account()
    qtbot.waitUntil(lambda: app.window.banner.kind == "error" and ALICE in app.window.banner.label.text(),
                    timeout=WAIT)  # fmt: skip
    assert app.session.engine is None


def test_a_failing_account_open_starts_no_engine(
    tmp_path: Path, reference_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#7: `AccountVault.open` raising (an unreadable keyring) is shown, and nothing syncs."""
    from mana_desktop.gui.vault_link import AccountVault

    profile = signed_in_profile(reference_server, tmp_path / "p")

    def broken(*_a: Any, **_k: Any) -> None:
        raise OSError("the keyring is locked")

    monkeypatch.setattr(AccountVault, "open", broken)
    opened = _open_layers(profile, profile.load_settings())
    try:
        assert opened.engine is None and opened.vault is None
        assert opened.error is not None and "the keyring is locked" in opened.error
    finally:
        _close_layers(opened)


def held(client: Any, name: str, release: threading.Event, entered: threading.Event) -> None:
    """Hold `client.name` (a real vault call) until `release`."""
    call = getattr(client, name)

    def wait_then_call(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(10)
        return call(*args, **kwargs)

    setattr(client, name, wait_then_call)


def test_security_drops_the_previous_accounts_status(qtbot: Any, signed_in: tuple[Opened, Session]) -> None:
    """#9: a status call started for one account answers after a switch: not shown."""
    opened, session = signed_in
    section = unlocked_settings_page(qtbot, session).security
    entered, release = threading.Event(), threading.Event()
    held(opened.vault.vault, "info", release, entered)
    section.refresh()
    qtbot.waitUntil(entered.is_set, timeout=WAIT)
    session.swap_account(None, None, session.settings)  # signed out meanwhile
    release.set()
    qtbot.waitUntil(lambda: not section.busy, timeout=WAIT)
    assert section.info is None and section.zk_label.text() == "—" and section.code_label.text() == "—"
    assert not section.create_code.isEnabled()


def test_security_never_shows_a_recovery_code_for_the_next_account(
    qtbot: Any, signed_in: tuple[Opened, Session]
) -> None:
    """#9: a recovery code created for one account must not appear after a switch."""
    opened, session = signed_in
    section = unlocked_settings_page(qtbot, session).security
    entered, release = threading.Event(), threading.Event()
    held(opened.vault.vault, "create_recovery_code", release, entered)
    section.create_code.click()
    qtbot.waitUntil(entered.is_set, timeout=WAIT)
    session.swap_account(None, None, session.settings)
    release.set()
    qtbot.waitUntil(lambda: not section.busy, timeout=WAIT)
    assert section.code_dialog is None and not section.fresh_code


def test_a_space_refresh_wakes_the_engines_held_pushes(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any
) -> None:
    """Changes the engine holds for a Space it does not know yet go once the Spaces load:
    the window wires `AccountSession.wake_on_spaces` to its engine."""
    profile = signed_in_profile(reference_server, tmp_path / "p")
    app = make_app(profile)
    qtbot.waitUntil(lambda: app.session.vault.started.is_set(), timeout=WAIT)
    engine, woken = app.session.engine, threading.Event()
    push_now = engine.push_now
    engine.push_now = lambda: (woken.set(), push_now())[-1]
    reference_server.add_space("Family", "family", [ALICE])
    app.session.vault.spaces.refresh()  # as the Spaces section's refresh does (worker)
    assert woken.is_set()


def test_a_sign_out_during_a_rebuild_signs_out_the_account_that_rebuild_opened(
    qtbot: Any, tmp_path: Path, reference_server: Any, make_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = signed_in_profile(reference_server, tmp_path / "p")
    app = make_app(profile)
    qtbot.waitUntil(lambda: app.session.vault.started.is_set(), timeout=WAIT)
    seen: list[tuple[Any, Any]] = []
    app.session.sig_account_changed.connect(lambda: seen.append((app.session.vault, app.session.engine)))
    yes_to_sign_out(monkeypatch)
    app.window.rebuild_account()  # e.g. a new account server, still on the worker ...
    app.window.sign_out()  # ... when the sign-out is confirmed
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=WAIT)
    (rebuilt, rebuilt_engine), (after, after_engine) = seen
    assert rebuilt is not None and rebuilt_engine is not None and after is None and after_engine is None
    assert rebuilt.closed and rebuilt.vault.key is None and rebuilt_engine._thread is None
    assert not Credentials(profile).signed_in()
