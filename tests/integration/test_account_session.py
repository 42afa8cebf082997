"""AccountSession and the `sync` command's use of it, against the reference server
(127.0.0.1:0) with real profiles and replicas in tmp_path."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from mana_desktop.cli import main
from mana_desktop.domain.crypto import decrypt_value, is_envelope
from mana_desktop.server.testing import RunningServer
from mana_desktop.server.vault import Vaults
from mana_desktop.store.profile import Profile
from mana_desktop.sync.account import AccountSession
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.spaces import CACHE_FILE
from mana_desktop.sync.vault import VaultState
from tests.fixtures.keyring import MemoryKeyring

ALICE = "alice@example.com"
ACTOR = {"kind": "user", "principalId": "local"}


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


def signed_in(server: RunningServer, data_dir: Path) -> tuple[Profile, Credentials]:
    profile = Profile(data_dir)
    credentials = Credentials(profile)
    credentials.login(server.url, ALICE, "alice-password")
    return profile, credentials


def open_session(profile: Profile, credentials: Credentials, **kwargs: Any) -> AccountSession:
    session = AccountSession.open(profile, profile.load_settings(), credentials, **kwargs)
    assert session is not None
    return session


def test_open_is_none_when_signed_out(tmp_path: Path) -> None:
    profile = Profile(tmp_path)
    assert AccountSession.open(profile, profile.load_settings(), Credentials(profile)) is None


def test_start_unlocks_and_loads_spaces_and_the_cipher_uses_both(
        reference_server: RunningServer, tmp_path: Path) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    session = open_session(profile, credentials)
    sealed_before = session.cipher.seal_insert("tasks", {"priority": 1})
    assert sealed_before["spaceId"] == f"_personal:{session.user_id}"

    session.start()

    assert session.vault.state is VaultState.UNLOCKED
    personal = reference_server.personal_space(ALICE)
    assert session.spaces.active_space_id == personal
    sealed = session.cipher.seal_insert("tasks", {"title": "Steuer"})
    assert sealed["spaceId"] == personal and is_envelope(sealed["title"])
    key = session.vault.key
    assert key is not None and decrypt_value(sealed["title"], key) == "Steuer"


def test_start_never_raises_when_the_server_is_down(tmp_path: Path,
                                                    reference_server: RunningServer) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    session = open_session(profile, credentials, transport=httpx.MockTransport(down))
    session.vault._sleep = lambda _s: None  # no backoff waits in a test
    session.start()
    assert session.vault.state is VaultState.ERROR
    assert session.vault.error is not None and session.vault.error.reason == "network"
    assert session.spaces.spaces() == []


def test_close_forget_wipes_keyring_and_cache_even_with_the_opt_in_off(
        reference_server: RunningServer, tmp_path: Path, keyring: MemoryKeyring) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    profile.save_settings(profile.load_settings().model_copy(update={"vault_keyring_cache": True}))
    session = open_session(profile, credentials)
    session.start()
    assert len(keyring.entries) == 1 and (tmp_path / CACHE_FILE).exists()

    # A later start unlocks from the keyring without the vault.
    cached = open_session(profile, credentials)
    assert cached.vault.unlock() is VaultState.UNLOCKED

    profile.save_settings(profile.load_settings().model_copy(update={"vault_keyring_cache": False}))
    later = open_session(profile, credentials)  # opt-in off now: no cache object
    later.close(forget=True)
    assert keyring.entries == {} and not (tmp_path / CACHE_FILE).exists()
    assert session.vault.key is not None  # another session object is not touched
    session.close(forget=False)
    assert session.vault.key is None and session.vault.state is VaultState.LOCKED


def test_on_demand_cipher_asks_the_server_only_when_a_key_is_needed(
        reference_server: RunningServer, tmp_path: Path) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    requests: list[str] = []
    real = httpx.HTTPTransport()

    def counting(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        return real.handle_request(request)

    session = open_session(profile, credentials, transport=httpx.MockTransport(counting))
    cipher = session.on_demand_cipher()
    assert requests == []  # opening costs nothing: a command that never reads stays offline
    sealed = cipher.seal_insert("tasks", {"title": "jetzt"})
    assert is_envelope(sealed["title"]) and requests
    count = len(requests)
    cipher.seal_insert("tasks", {"title": "noch eins"})
    assert len(requests) == count  # one start per command


def _stored(server: RunningServer, record_id: str) -> list[tuple[str, str]]:
    with sqlite3.connect(server.db_path) as conn:
        return conn.execute("SELECT data, space_id FROM sync_changes WHERE record_id = ?",
                            (record_id,)).fetchall()


def _login(server: RunningServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", type("In", (), {
        "readline": lambda self: "alice-password\n", "isatty": lambda self: False})())
    assert main(["login", "--server", server.url, "--email", ALICE, "--password-stdin",
                 "--data-dir", str(data_dir)]) == 0


def test_sync_once_seals_plaintext_and_sends_the_real_space_id(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    profile = Profile(tmp_path)
    # Written before any sign-in: plaintext.
    with profile.open_replica() as replica, replica.write() as tx:
        before = tx.insert("todo", "tasks", {"title": "vorher"}, actor=ACTOR)
    _login(reference_server, tmp_path, monkeypatch)
    sentinel = f"_personal:{reference_server.users[ALICE]}"
    # An older version: our sentinel, plaintext.
    with profile.open_replica() as replica, replica.write() as tx:
        after = tx.insert("todo", "tasks", {"title": "nachher", "spaceId": sentinel},
                          actor=ACTOR)
    assert main(["sync", "--once", "--data-dir", str(tmp_path)]) == 0
    key = Vaults(reference_server.service.store).master_key(reference_server.users[ALICE])
    assert key is not None
    for record_id, title in ((before, "vorher"), (after, "nachher")):
        [(data, _space)] = _stored(reference_server, record_id)
        assert title not in data and decrypt_value(json.loads(data)["title"], key) == title
    [(data, space)] = _stored(reference_server, after)
    personal = reference_server.personal_space(ALICE)
    assert space == personal and json.loads(data)["spaceId"] == personal


def test_sync_once_with_a_zero_knowledge_vault_holds_back_and_says_why(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _login(reference_server, tmp_path, monkeypatch)
    profile = Profile(tmp_path)
    session = open_session(profile, Credentials(profile))
    session.start()
    code = session.vault.create_recovery_code()
    session.vault.enable_zero_knowledge(code)
    with profile.open_replica() as replica:
        replica.set_cipher(None)  # e.g. an older version wrote it in plaintext
        with replica.write() as tx:
            record_id = tx.insert("todo", "tasks", {"title": "geheim"}, actor=ACTOR)
    capsys.readouterr()

    assert main(["sync", "--once", "--data-dir", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "1 waiting for the encryption key" in captured.out
    assert "zero-knowledge" in captured.err
    assert _stored(reference_server, record_id) == []
    assert main(["status", "--data-dir", str(tmp_path)]) == 0
    assert "waiting for the encryption key" in capsys.readouterr().out
    with profile.open_replica() as replica:
        assert replica.pending_count() == 1 and replica.quarantined() == []


def test_offline_start_makes_no_request_and_uses_only_the_keyring_copy(
        reference_server: RunningServer, tmp_path: Path, keyring: MemoryKeyring) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    requests: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        raise httpx.ConnectError("offline", request=request)

    offline = httpx.MockTransport(refuse)
    session = open_session(profile, credentials, transport=offline)
    session.start(offline=True)  # opt-in off: stays locked, asks nobody
    assert session.vault.state is VaultState.LOCKED and requests == []

    profile.save_settings(profile.load_settings().model_copy(update={"vault_keyring_cache": True}))
    open_session(profile, credentials).start()  # online once: the key goes to the keyring
    cached = open_session(profile, credentials, transport=offline)
    cached.start(offline=True)
    assert cached.vault.state is VaultState.UNLOCKED and requests == []
