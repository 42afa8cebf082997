"""`mana-desktop serve` as a real process: first line, signals, refusals, restart."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mana_desktop.cli import build_parser

EPOCH = "1970-01-01T00:00:00Z"


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--no-runner", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().rstrip("\n")
    return proc, line


def stop(proc: subprocess.Popen[str], sig: int) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_url_serves_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    db = tmp_path / "s.db"
    proc, line = start("--db", str(db), "--user", "ann@example.com:pw:with:colons")
    try:
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.removeprefix("listening on ")
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/health").json()["status"] == "ok"
            login = client.post(
                "/api/v1/auth/login",
                json={"email": "ann@example.com", "password": "pw:with:colons"},
            )
            token = login.json()["accessToken"]
            headers = {"Authorization": f"Bearer {token}", "X-Client-Id": "A"}
            pushed = client.post(
                "/sync/todo",
                headers=headers,
                json={
                    "changes": [{"table": "tasks", "id": "1", "op": "insert", "data": {"id": "1"}}]
                },
            )
            assert pushed.status_code == 200
            stream = client.stream(
                "GET",
                "/sync/todo/stream?collections=tasks",
                headers={"Authorization": f"Bearer {token}"},
            )
            with stream as response:  # an open stream must not block shutdown
                assert response.status_code == 200
                assert stop(proc, sig) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert db.exists() and Path(str(db) + ".signing-key.pem").exists()


def test_memory_db_and_bad_users_are_refused(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database, just text that must survive\n" * 100)
    for args, text in (
        (["--db", ":memory:"], ":memory: is not allowed"),
        (["--db", str(tmp_path / "x.db"), "--user", "nopassword"], "EMAIL:PASSWORD"),
        (["--db", str(tmp_path / "x.db"), "--inactive-user", "ghost@example.com"], "no such user"),
        (["--db", str(tmp_path)], "cannot open"),
        (["--db", str(not_a_db)], "cannot open"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--no-runner", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        assert text in result.stderr
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
    assert not_a_db.read_text().startswith("not a database")


def test_dialect_and_data_dir_flags_parse(tmp_path: Path) -> None:
    from mana_desktop.server.cli import resolve_db

    args = build_parser().parse_args(
        ["serve", "--dialect", "updatedAt", "--data-dir", str(tmp_path), "--inactive-user", "a@b"]
    )
    assert args.dialect == "updatedAt" and args.inactive_user == ["a@b"]
    assert resolve_db(args) == tmp_path.resolve() / "sync.db"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--dialect", "value"])


def test_inactive_user_flag_gates_sync(tmp_path: Path) -> None:
    proc, line = start(
        "--db",
        str(tmp_path / "g.db"),
        "--user",
        "zed@example.com:pw",
        "--inactive-user",
        "zed@example.com",
    )
    try:
        url = line.removeprefix("listening on ")
        with httpx.Client(base_url=url, timeout=10) as client:
            token = client.post(
                "/api/v1/auth/login", json={"email": "zed@example.com", "password": "pw"}
            ).json()["accessToken"]
            response = client.get(
                "/sync/todo/pull",
                params={"collection": "t", "since": EPOCH},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 402
            assert response.json()["error"] == "sync_inactive"
    finally:
        assert stop(proc, signal.SIGTERM) == 0
