"""`mana-desktop login | logout | sync | status` as real processes against the reference server,
and the credential store's rules (0600 file with a warning, tokens never printed)."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import jwt

from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from tests.fixtures.keyring import MemoryKeyring
from tests.fixtures.sync import wait_for


def _run(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mana_desktop", *args, "--data-dir", str(data_dir)],
        input=stdin, capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )


def test_login_sync_status_logout(reference_server: RunningServer, tmp_path: Path) -> None:
    data = tmp_path / "profile"
    url = reference_server.url
    bad = _run(data, "login", "--server", url, "--email", "alice@example.com",
               "--password-stdin", stdin="wrong\n")
    assert bad.returncode == 1 and "wrong email or password" in bad.stderr

    good = _run(data, "login", "--server", url, "--email", "alice@example.com",
                "--password-stdin", stdin="alice-password\n")
    assert good.returncode == 0, good.stderr
    assert "Signed in" in good.stdout
    assert "keyring" in good.stderr  # the visible fallback warning
    secret_file = data / "credentials.json"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    secret = json.loads(secret_file.read_text())["secret"]
    token = secret["accessToken"]

    reference_server.append_changes("alice@example.com", "todo", [
        {"table": "tasks", "id": "t1", "op": "insert", "data": {"id": "t1", "title": "hello"}}])
    synced = _run(data, "sync", "--once")
    assert synced.returncode == 0, synced.stderr
    assert "pulled 1" in synced.stdout

    status = _run(data, "status", "--json")
    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    assert body["state"] == "idle" and body["pending"] == 0
    assert body["account"] == "alice@example.com" and body["engine_running"] is False
    assert "todo/tasks" in body["cursors"] and body["last_pull_at"]
    text = _run(data, "status")
    assert "state:" in text.stdout and "todo/tasks" in text.stdout
    for output in (good.stdout, good.stderr, synced.stdout, synced.stderr, status.stdout,
                   text.stdout):
        assert token not in output and secret["refreshToken"] not in output

    out = _run(data, "logout")
    assert out.returncode == 0 and not secret_file.exists()
    after = json.loads(_run(data, "status", "--json").stdout)
    assert after["state"] == "signed-out" and after["account"] is None
    assert _run(data, "sync", "--once").returncode == 1


def test_sync_runs_until_terminated(reference_server: RunningServer, tmp_path: Path) -> None:
    data = tmp_path / "profile"
    Credentials(Profile(data)).login(reference_server.url, "alice@example.com", "alice-password")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mana_desktop", "sync", "--data-dir", str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        state_file = data / "sync-state.json"
        wait_for(lambda: state_file.exists()
                 and json.loads(state_file.read_text()).get("state") == "idle", timeout=30)
        running = json.loads(_run(data, "status", "--json").stdout)
        assert running["engine_running"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "idle" in out
    assert json.loads(_run(data, "status", "--json").stdout)["engine_running"] is False


def test_credentials_file_fallback_and_scrub(reference_server: RunningServer,
                                             tmp_path: Path) -> None:
    profile = Profile(tmp_path / "p")
    credentials = Credentials(profile)
    assert credentials.storage_warning is not None  # MANA_DESKTOP_KEYRING=none in tests
    account = credentials.login(reference_server.url, "alice@example.com", "alice-password")
    assert account.user_id == reference_server.users["alice@example.com"]
    settings = profile.load_settings()
    assert settings.account_email == "alice@example.com" and settings.server_url
    token = credentials.access_token()
    assert credentials.scrub(f"error near {token}") == "error near [redacted]"
    # A new process (a new Credentials) finds the account and a valid token on disk.
    again = Credentials(profile)
    assert again.signed_in() and again.access_token() == token
    refreshed = again.refresh()  # a round trip to /api/v1/auth/refresh
    claims = jwt.decode(refreshed, options={"verify_signature": False})
    assert claims["sub"] == account.user_id and again.cached_token() == refreshed


def test_logout_wipes_the_cached_vault_key(reference_server: RunningServer, tmp_path: Path,
                                           monkeypatch) -> None:
    import argparse

    from mana_desktop.domain.crypto import MasterKey
    from mana_desktop.sync import cli, vault

    data = tmp_path / "profile"
    good = _run(data, "login", "--server", reference_server.url, "--email", "alice@example.com",
                "--password-stdin", stdin="alice-password\n")
    assert good.returncode == 0, good.stderr
    profile = Profile(data)
    user_id = profile.load_settings().user_id
    assert user_id
    ring = MemoryKeyring()
    monkeypatch.setattr(vault, "_system_keyring", lambda: ring)
    vault.KeyringKeyCache(profile.data_dir, user_id).save(MasterKey.generate())
    assert ring.entries, "the opt-in cache holds the key before sign-out"

    assert cli.cmd_logout(argparse.Namespace(data_dir=str(data))) == 0
    assert ring.entries == {}
    assert Credentials(Profile(data)).account() is None
