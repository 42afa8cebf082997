"""Bad command lines and bad settings files: a clear message, no traceback, nothing lost.

Every case runs the real `mana-desktop` command in a subprocess with its own profile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mana_desktop.store.settings", reason="the store has not landed")


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MANA_DESKTOP_KEYRING="none")
    return subprocess.run([sys.executable, "-m", "mana_desktop", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def _clean_failure(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode != 0, f"exit 0 for bad input: {done.stdout[-300:]}"
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    text = (done.stderr + done.stdout).lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in: {text[-500:]}"


# -- bad settings files -------------------------------------------------------------------------
BAD_SETTINGS: dict[str, tuple[bytes, str | None]] = {
    "not JSON": (b"{oops", None),
    "empty file": (b"", None),
    "binary garbage": (bytes(range(256)) * 4, None),
    "a JSON list": (b"[1, 2]", None),
    "wrong type": (b'{"poll_interval_s": "fast"}', "poll_interval_s"),
    "subscriptions not a list": (b'{"subscriptions": 5}', "subscriptions"),
    "bad policy value": (b'{"tool_policies": {"create_task": "always"}}', "tool_policies"),
}




@pytest.mark.parametrize("command", [["status"], ["inbox", "list"], ["sync", "--once"]])
@pytest.mark.parametrize("name", sorted(BAD_SETTINGS))
def test_bad_settings_file_is_named_and_kept(tmp_path: Path, name: str, command: list[str]) -> None:
    content, field = BAD_SETTINGS[name]
    data_dir = tmp_path / "profile"
    data_dir.mkdir()
    settings = data_dir / "settings.json"
    settings.write_bytes(content)
    done = _cli(*command, "--data-dir", str(data_dir))
    _clean_failure(done, "settings.json", *([field] if field else []))
    assert settings.read_bytes() == content, "the bad settings file was overwritten"


def test_unknown_settings_keys_are_tolerated(tmp_path: Path) -> None:
    data_dir = tmp_path / "profile"
    data_dir.mkdir()
    (data_dir / "settings.json").write_text('{"from_a_newer_version": true, "poll_interval_s": 12}')
    done = _cli("status", "--data-dir", str(data_dir))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


# -- bad command lines --------------------------------------------------------------------------
def test_unknown_command(tmp_path: Path) -> None:
    _clean_failure(_cli("frobnicate"), "invalid choice")


def test_sync_without_login(tmp_path: Path) -> None:
    _clean_failure(_cli("sync", "--once", "--data-dir", str(tmp_path / "p")), "not signed in")


def test_data_dir_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    _clean_failure(_cli("status", "--data-dir", str(f)))
    assert f.read_text() == "x"


@pytest.mark.parametrize("server", ["not-a-url", "ftp://example.com", "http://127.0.0.1:1"])
def test_login_to_a_bad_server(tmp_path: Path, server: str) -> None:
    done = _cli("login", "--server", server, "--email", "a@example.com", "--password-stdin",
                "--data-dir", str(tmp_path / "p"), stdin="pw\n")
    _clean_failure(done)


def test_login_with_empty_password(tmp_path: Path) -> None:
    done = _cli("login", "--server", "http://127.0.0.1:1", "--email", "a@example.com",
                "--password-stdin", "--data-dir", str(tmp_path / "p"), stdin="\n")
    _clean_failure(done, "password")


@pytest.mark.parametrize("args", [
    ["inbox", "approve", "no-such-proposal"],
    ["inbox", "reject", "no-such-proposal"],
    ["inbox", "approve", ""],
    ["inbox", "approve", "x", "--set", "no-equals-sign"],
    ["inbox", "list", "--status", "bogus"],
])
def test_bad_inbox_commands(tmp_path: Path, args: list[str]) -> None:
    pytest.importorskip("mana_desktop.workbench.cli", reason="the workbench CLI has not landed")
    _clean_failure(_cli(*args, "--data-dir", str(tmp_path / "p")))


@pytest.mark.parametrize("args", [
    ["serve", "--port", "99999"],
    ["serve", "--user", "no-colon-here"],
    ["serve", "--db", ":memory:"],
    ["serve", "--port", "http"],
])
def test_bad_serve_arguments(tmp_path: Path, args: list[str]) -> None:
    _clean_failure(_cli(*args, "--data-dir", str(tmp_path / "srv")))
