"""Review findings of issue 8 (#3, #4, minor): sign-out never lets a refresh in flight write
the secrets back; the sign-out wipe without a session; keyring backends that are files; a
read-only `vault status`. Reference server on 127.0.0.1:0, real profiles in tmp_path."""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from mana_desktop.cli import main
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync import vault as vault_module
from mana_desktop.sync.account import forget_account_secrets
from mana_desktop.sync.credentials import REFRESH_PATH, Credentials
from mana_desktop.sync.errors import SignedOutError
from mana_desktop.sync.secrets import SecretStore
from mana_desktop.sync.spaces import CACHE_FILE
from mana_desktop.sync.vault import KeyringKeyCache, secure_backend
from tests.fixtures.keyring import MemoryKeyring

ALICE = "alice@example.com"


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


class HeldRefresh(httpx.BaseTransport):
    """The real transport, but a refresh request waits (after the server answered) until the
    test releases it: a refresh in flight."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.in_flight = threading.Event()
        self.release = threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path == REFRESH_PATH:
            response.read()
            self.in_flight.set()
            assert self.release.wait(10.0)
        return response


def test_a_refresh_in_flight_does_not_write_the_secrets_back_after_logout(
        reference_server: RunningServer, tmp_path: Path) -> None:
    profile = Profile(tmp_path)
    held = HeldRefresh()
    engine_side = Credentials(profile, transport=held)  # the engine's instance
    engine_side.login(reference_server.url, ALICE, "alice-password")
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            engine_side.refresh()
        except SignedOutError as exc:
            errors.append(exc)

    refresher = threading.Thread(target=refresh)
    refresher.start()
    assert held.in_flight.wait(10.0)
    logout_done = threading.Event()
    # The GUI's sign-out builds a new Credentials of the same profile.
    logger = threading.Thread(target=lambda: (Credentials(profile).logout(), logout_done.set()))
    logger.start()
    # Give an unguarded logout the chance to finish first (then the refresh would write back).
    logout_done.wait(0.5)
    held.release.set()
    refresher.join(10.0)
    logger.join(10.0)

    assert logout_done.is_set()
    assert SecretStore(tmp_path).load(ALICE) is None
    assert Credentials(profile).account() is None
    assert not Credentials(profile).signed_in()


def test_a_refresh_that_finds_the_account_gone_does_not_save(
        reference_server: RunningServer, tmp_path: Path) -> None:
    profile = Profile(tmp_path)
    held = HeldRefresh()
    credentials = Credentials(profile, transport=held)
    credentials.login(reference_server.url, ALICE, "alice-password")
    store = SecretStore(tmp_path)
    outcome: list[Any] = []

    def refresh() -> None:
        try:
            outcome.append(credentials.refresh())
        except SignedOutError as exc:
            outcome.append(exc)

    refresher = threading.Thread(target=refresh)
    refresher.start()
    assert held.in_flight.wait(10.0)
    # Another process signs out (no shared lock across processes): the store is wiped.
    store.delete(ALICE)
    held.release.set()
    refresher.join(10.0)

    assert isinstance(outcome[0], SignedOutError)
    assert store.load(ALICE) is None
    credentials.merge_cookies({"late": "cookie"})
    assert store.load(ALICE) is None


def test_forget_account_secrets_wipes_the_key_copy_and_the_space_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyring = MemoryKeyring()
    monkeypatch.setattr(vault_module, "_system_keyring", lambda: keyring)
    profile = Profile(tmp_path)
    profile.save_settings(profile.load_settings().model_copy(update={"user_id": "u1"}))
    from mana_desktop.domain.crypto import MasterKey

    KeyringKeyCache(tmp_path, "u1").save(MasterKey(bytes(32)))
    (tmp_path / CACHE_FILE).write_text('{"userId": "u1", "spaces": []}')
    assert keyring.entries

    forget_account_secrets(profile)

    assert keyring.entries == {} and not (tmp_path / CACHE_FILE).exists()
    forget_account_secrets(profile, "u1")  # nothing left: no error


def test_cli_logout_without_stored_secrets_still_wipes(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    keyring = MemoryKeyring()
    monkeypatch.setattr(vault_module, "_system_keyring", lambda: keyring)
    profile = Profile(tmp_path)
    account = Credentials(profile).login(reference_server.url, ALICE, "alice-password")
    from mana_desktop.domain.crypto import MasterKey

    KeyringKeyCache(tmp_path, account.user_id).save(MasterKey(bytes(32)))
    (tmp_path / CACHE_FILE).write_text("{}")
    SecretStore(tmp_path).delete(ALICE)  # the token is gone already: no session opens

    assert main(["logout", "--data-dir", str(tmp_path)]) == 0
    assert keyring.entries == {} and not (tmp_path / CACHE_FILE).exists()
    assert "Signed out" in capsys.readouterr().out


# -- minor: keyring backends that are files are refused ----------------------------------


def _backend(module: str, name: str, priority: float = 1.0) -> Any:
    cls = type(name, (MemoryKeyring,), {"priority": priority, "__module__": module})
    return cls()


def test_file_and_null_keyring_backends_are_refused() -> None:
    assert secure_backend(_backend("keyrings.alt.file", "PlaintextKeyring")) is None
    assert secure_backend(_backend("keyrings.alt.file", "EncryptedKeyring")) is None
    assert secure_backend(_backend("keyring.backends.fail", "Keyring", 0)) is None
    assert secure_backend(_backend("keyring.backends.null", "Keyring", -1)) is None
    assert secure_backend(_backend("some.plugin", "PlaintextStore", 9)) is None
    real = _backend("keyring.backends.SecretService", "Keyring")
    assert secure_backend(real) is real
    chainer = type("ChainerBackend", (), {"priority": 10})()
    chainer.backends = [_backend("keyrings.alt.file", "PlaintextKeyring", 9), real]
    assert secure_backend(chainer) is real
    chainer.backends = [_backend("keyrings.alt.file", "PlaintextKeyring", 9)]
    assert secure_backend(chainer) is None


# -- minor: `vault status` is read-only -------------------------------------------------------


def test_vault_status_never_creates_a_vault(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    account = Credentials(Profile(tmp_path)).login(reference_server.url, ALICE,
                                                   "alice-password")
    monkeypatch.setattr(sys, "stdin", None)

    assert main(["vault", "status", "--json", "--data-dir", str(tmp_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "not-set-up" and data["vaultExists"] is False
    assert main(["vault", "status", "--data-dir", str(tmp_path)]) == 0
    assert "not set up yet" in capsys.readouterr().out
    with sqlite3.connect(reference_server.db_path) as conn:
        (count,), = conn.execute("SELECT COUNT(*) FROM encryption_vaults WHERE user_id = ?",
                                 (account.user_id,))
    assert count == 0


def test_tokens_avoid_a_file_keyring_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring as keyring_module

    from mana_desktop.sync import secrets as secrets_module

    monkeypatch.delenv("MANA_DESKTOP_KEYRING")
    plaintext = _backend("keyrings.alt.file", "PlaintextKeyring", 1)
    monkeypatch.setattr(keyring_module, "get_keyring", lambda: plaintext)
    assert secrets_module._keyring_backend() is None
    store = SecretStore(tmp_path)
    store.save(ALICE, {"refreshToken": "r" * 20})
    assert plaintext.entries == {} and store.warning  # the 0600 file, with its warning
