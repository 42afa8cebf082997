"""`login`, `logout`, `vault ...` and one account per replica, against the reference server
(127.0.0.1:0) with real profiles in tmp_path."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.cli import main
from mana_desktop.domain.crypto import parse_recovery_code
from mana_desktop.server.testing import RunningServer
from mana_desktop.server.vault import Vaults
from mana_desktop.store.profile import Profile
from mana_desktop.sync import vault as vault_module
from mana_desktop.sync.account import OWNER_SETTING
from mana_desktop.sync.credentials import Credentials
from tests.fixtures.keyring import MemoryKeyring

ALICE, BOB = "alice@example.com", "bob@example.com"
PASSWORDS = {ALICE: "alice-password", BOB: "bob-password"}


class Lines:
    """A stdin whose lines are produced on demand (e.g. the code the command just printed)."""

    def __init__(self, *producers: Any) -> None:
        self.producers = list(producers)

    def readline(self) -> str:
        produce = self.producers.pop(0)
        return str(produce() if callable(produce) else produce) + "\n"

    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


def login(server: RunningServer, data_dir: Path, email: str = ALICE,
          monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    assert monkeypatch is not None
    monkeypatch.setattr(sys, "stdin", Lines(PASSWORDS[email]))
    return main(["login", "--server", server.url, "--email", email, "--password-stdin",
                 "--data-dir", str(data_dir)])


def run(*argv: str, data_dir: Path) -> int:
    return main([*argv, "--data-dir", str(data_dir)])


def test_login_unlocks_and_status_never_shows_the_key(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    out = capsys.readouterr().out
    assert "Signed in" in out and "Encryption key unlocked." in out
    assert run("vault", "status", "--json", data_dir=tmp_path) == 0
    text = capsys.readouterr().out
    status = json.loads(text)
    # Read-only: this process holds no key, so the vault is "locked" here.
    assert status["state"] == "locked" and status["vaultExists"] is True
    assert status["zeroKnowledge"] is False and status["keyringCache"] is False
    key = Vaults(reference_server.service.store).master_key(reference_server.users[ALICE])
    assert key is not None and key.to_b64() not in text
    assert run("vault", "status", data_dir=tmp_path) == 0
    assert "zero-knowledge: off" in capsys.readouterr().out


def test_recovery_code_is_shown_once_with_a_warning(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    assert run("vault", "recovery-code", data_dir=tmp_path) == 0
    captured = capsys.readouterr()
    code = captured.out.strip()
    assert len(parse_recovery_code(code)) == 32 and "shown only this once" in captured.err
    assert run("vault", "status", "--json", data_dir=tmp_path) == 0
    assert json.loads(capsys.readouterr().out)["hasRecoveryCode"] is True


def test_zero_knowledge_on_unlock_with_code_and_off(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert login(reference_server, first, monkeypatch=monkeypatch) == 0
    capsys.readouterr()
    shown: list[str] = []

    def retype() -> str:  # the user types back the code the command just printed
        shown.append(capsys.readouterr().out.strip().splitlines()[-1])
        return shown[-1]

    monkeypatch.setattr(sys, "stdin", Lines(retype))
    assert run("vault", "zero-knowledge", "on", "--recovery-code-stdin", data_dir=first) == 0
    assert "Zero-knowledge mode is on" in capsys.readouterr().out
    code = shown[0]

    # Another computer: login cannot unlock without the code and says what to run.
    assert login(reference_server, second, monkeypatch=monkeypatch) == 0
    assert "zero-knowledge encryption: run `mana-desktop vault unlock" in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", Lines("0" * 64))
    assert run("vault", "unlock", "--recovery-code-stdin", data_dir=second) == 1
    assert "does not open the vault" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", Lines(code))
    assert run("vault", "unlock", "--recovery-code-stdin", data_dir=second) == 0
    assert "Encryption key unlocked." in capsys.readouterr().out
    monkeypatch.setattr(sys, "stdin", Lines("not a code"))
    assert run("vault", "unlock", "--recovery-code-stdin", data_dir=second) == 2

    monkeypatch.setattr(sys, "stdin", Lines(code))
    assert run("vault", "zero-knowledge", "off", "--recovery-code-stdin", data_dir=second) == 0
    assert "Zero-knowledge mode is off" in capsys.readouterr().out
    assert run("vault", "status", "--json", data_dir=second) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["zeroKnowledge"] is False and status["state"] == "locked"


def test_zero_knowledge_stays_off_when_the_retyped_code_differs(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    monkeypatch.setattr(sys, "stdin", Lines("A" * 64))
    assert run("vault", "zero-knowledge", "on", "--recovery-code-stdin", data_dir=tmp_path) == 1
    assert "stays off" in capsys.readouterr().err
    assert run("vault", "status", "--json", data_dir=tmp_path) == 0
    assert json.loads(capsys.readouterr().out)["zeroKnowledge"] is False


def test_unlock_remember_keeps_the_key_in_the_keyring_until_logout(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], keyring: MemoryKeyring) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    assert run("vault", "unlock", "--remember", data_dir=tmp_path) == 0
    assert "kept in the OS keyring" in capsys.readouterr().out
    assert Profile(tmp_path).load_settings().vault_keyring_cache is True
    assert len(keyring.entries) == 1
    (tmp_path / "spaces.json").write_text('{"userId": "x"}')
    assert run("logout", data_dir=tmp_path) == 0
    assert keyring.entries == {} and not (tmp_path / "spaces.json").exists()


def test_unlock_remember_without_a_keyring_is_refused(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(vault_module, "_system_keyring", lambda: None)
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    assert run("vault", "unlock", "--remember", data_dir=tmp_path) == 1
    assert "no OS keyring" in capsys.readouterr().err
    assert Profile(tmp_path).load_settings().vault_keyring_cache is False


def test_vault_commands_need_an_account(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run("vault", "status", data_dir=tmp_path) == 1
    assert "not signed in" in capsys.readouterr().err


def test_another_account_is_refused_while_the_replica_holds_the_first_ones_data(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    profile = Profile(tmp_path)
    with profile.open_replica() as replica:
        assert replica.setting(OWNER_SETTING) == reference_server.users[ALICE]
        with replica.write() as tx:
            tx.insert("todo", "tasks", {"title": "Alices Aufgabe"},
                      actor={"kind": "user", "principalId": "x"})
    assert run("logout", data_dir=tmp_path) == 0
    capsys.readouterr()

    assert login(reference_server, tmp_path, BOB, monkeypatch=monkeypatch) == 1
    err = capsys.readouterr().err
    assert "another account" in err and "--data-dir" in err and "1 unsent change" in err
    settings = profile.load_settings()
    assert settings.user_id is None and settings.account_email is None
    assert not Credentials(profile).signed_in()
    with profile.open_replica() as replica:
        assert replica.count() == 1 and replica.pending_count() == 1
        assert replica.setting(OWNER_SETTING) == reference_server.users[ALICE]

    assert login(reference_server, tmp_path, ALICE, monkeypatch=monkeypatch) == 0


def test_an_empty_replica_changes_owner(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert login(reference_server, tmp_path, monkeypatch=monkeypatch) == 0
    assert run("logout", data_dir=tmp_path) == 0
    assert login(reference_server, tmp_path, BOB, monkeypatch=monkeypatch) == 0
    with Profile(tmp_path).open_replica() as replica:
        assert replica.setting(OWNER_SETTING) == reference_server.users[BOB]


def test_the_engine_refuses_a_replica_of_another_account(
        reference_server: RunningServer, tmp_path: Path) -> None:
    from mana_desktop.sync.engine import SyncEngine

    profile = Profile(tmp_path)
    with profile.open_replica() as replica:
        replica.set_setting(OWNER_SETTING, "someone-else")
        with replica.write() as tx:
            tx.insert("todo", "tasks", {"title": "theirs"}, actor={"kind": "user"})
    credentials = Credentials(profile)  # signs in without the check (as an old GUI would)
    credentials.login(reference_server.url, ALICE, PASSWORDS[ALICE])
    with profile.open_replica() as replica:
        engine = SyncEngine(profile, replica, credentials, live=False, backoff_base=0.01)
        report = engine.run_once()
        assert not report.ok and report.requests == 0 and report.pushed == 0
        status = engine.status()
        assert status.state == "signed-out" and "another account" in (status.last_error or "")
        assert replica.pending_count() == 1
