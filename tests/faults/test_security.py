"""Security checks: secrets stay secret, TLS is verified, users are isolated, passwords hashed."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
import sqlite3
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

pytest.importorskip("mana_desktop.sync.credentials", reason="the sync layer has not landed")
pytest.importorskip("mana_desktop.store.profile", reason="the store has not landed")

from mana_desktop.domain.actor import user_actor
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine

ALICE, ALICE_PW = "alice@example.com", "alice-password"
BOB, BOB_PW = "bob@example.com", "bob-password"


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MANA_DESKTOP_KEYRING="none")
    return subprocess.run([sys.executable, "-m", "mana_desktop", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60, check=False)


# -- secrets ------------------------------------------------------------------------------------
@pytest.fixture
def signed_in(tmp_path: Path, reference_server: RunningServer) -> Profile:
    profile = Profile(tmp_path / "profile")
    done = _cli("login", "--server", reference_server.url, "--email", ALICE, "--password-stdin",
                "--data-dir", str(profile.data_dir), stdin=ALICE_PW + "\n")
    assert done.returncode == 0, done.stderr
    return profile


def _secrets(profile: Profile) -> list[str]:
    """Every secret string the profile holds (access, refresh, cookie...), from the 0600 file."""
    files = [p for p in profile.data_dir.iterdir() if "cred" in p.name or "secret" in p.name]
    assert files, f"no secrets file in {sorted(p.name for p in profile.data_dir.iterdir())}"
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str) and len(value) >= 16:
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for f in files:
        walk(json.loads(f.read_text()))
    access = Credentials(profile).access_token()
    return [*found, access]


def test_secrets_file_is_0600(signed_in: Profile) -> None:
    files = [p for p in signed_in.data_dir.iterdir() if "cred" in p.name or "secret" in p.name]
    assert files
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f"{f.name} is {oct(f.stat().st_mode)}"


def test_no_password_stored_anywhere(signed_in: Profile) -> None:
    for path in signed_in.data_dir.rglob("*"):
        if path.is_file():
            assert ALICE_PW.encode() not in path.read_bytes(), f"password found in {path.name}"


def test_tokens_never_in_logs_journal_status_or_diagnostics(
    signed_in: Profile, reference_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = _secrets(signed_in)
    replica = signed_in.open_replica()
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"title": "t"}, actor=user_actor(None, "A"))
    caplog.set_level(logging.DEBUG)
    engine = SyncEngine(signed_in, replica, Credentials(signed_in), live=False, backoff_base=0.01)
    assert engine.run_once().ok
    # An error path too: the server refuses the token once it is revoked server side.
    reference_server.set_sync_active(ALICE, False)
    engine.run_once()
    status_text = json.dumps(engine.status().to_json(), default=str)
    journal = json.dumps([vars(e) if hasattr(e, "__dict__") else repr(e)
                          for e in replica.journal(limit=500)], default=str)
    replica.close()
    places = {"logs": caplog.text, "status": status_text, "journal": journal,
              "settings.json": signed_in.settings_path.read_text(),
              "status --json": _cli("status", "--json", "--data-dir", str(signed_in.data_dir)).stdout,
              "replica.db": signed_in.replica_path.read_bytes().decode("latin-1")}
    for wal in signed_in.data_dir.glob("*-wal"):
        places[wal.name] = wal.read_bytes().decode("latin-1")
    try:
        from mana_desktop.gui import diagnostics

        replica = signed_in.open_replica()
        places["diagnostics"] = diagnostics.report_text(diagnostics.collect(replica, engine.status()))
        replica.close()
    except ImportError:
        pass
    for name, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({secret[:6]}…) appears in {name}"


# -- TLS ----------------------------------------------------------------------------------------
def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Any(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        body = b'{"accessToken":"stolen"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[str]:
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Any)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # Handshake in the handler threads, not in accept(): parallel clients must not queue.
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_login_refuses_a_self_signed_certificate(tmp_path: Path, tls_server: str) -> None:
    done = _cli("login", "--server", tls_server, "--email", ALICE, "--password-stdin",
                "--data-dir", str(tmp_path / "p"), stdin="pw\n")
    assert done.returncode == 1
    assert "certificate" in done.stderr.lower(), done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "p" / "credentials.json").exists()


def test_sync_refuses_a_self_signed_certificate(signed_in: Profile, tls_server: str) -> None:
    settings = signed_in.load_settings()
    signed_in.save_settings(settings.model_copy(update={"server_url": tls_server}))
    replica = signed_in.open_replica()
    try:
        engine = SyncEngine(signed_in, replica, Credentials(signed_in), live=False, backoff_base=0.01)
        report = engine.run_once()
    finally:
        replica.close()
    assert not report.ok
    text = (report.summary() + " " + (engine.status().last_error or "")).lower()
    assert "certificate" in text, text


# -- the server: isolation, spaces, password storage --------------------------------------------
def _push(server: RunningServer, email: str, changes: list[dict[str, object]],
          app: str = "todo") -> httpx.Response:
    return httpx.post(f"{server.url}/sync/{app}", headers=server.headers(email, f"dev-{email}"),
                      json={"clientId": f"dev-{email}", "since": "2099-01-01T00:00:00Z",
                            "changes": changes}, timeout=30)


def _pull(server: RunningServer, email: str, collection: str = "tasks") -> list[dict[str, object]]:
    r = httpx.get(f"{server.url}/sync/todo/pull",
                  params={"collection": collection, "since": "1970-01-01T00:00:00Z"},
                  headers=server.headers(email), timeout=30)
    r.raise_for_status()
    return list(r.json()["serverChanges"])


def test_one_user_never_sees_another_users_rows(reference_server: RunningServer) -> None:
    secret = {"table": "tasks", "id": "alice-1", "op": "insert",
              "data": {"id": "alice-1", "title": "alice's secret"}}
    assert _push(reference_server, ALICE, [secret]).status_code == 200
    assert [c["id"] for c in _pull(reference_server, ALICE)] == ["alice-1"]
    assert _pull(reference_server, BOB) == []
    # Bob writing the same record id goes to his own log; Alice's record is untouched.
    hijack = {"table": "tasks", "id": "alice-1", "op": "update",
              "fields": {"title": {"value": "pwned", "at": "2099-01-01T00:00:00.000Z"}}}
    _push(reference_server, BOB, [hijack])
    alice_view = _pull(reference_server, ALICE)
    assert all("pwned" not in json.dumps(c) for c in alice_view)


def test_write_into_a_foreign_space_is_refused(reference_server: RunningServer) -> None:
    reference_server.add_membership(ALICE, "space-alice")
    change = {"table": "tasks", "id": "bob-1", "op": "insert", "spaceId": "space-alice",
              "data": {"id": "bob-1", "title": "injected", "spaceId": "space-alice"}}
    r = _push(reference_server, BOB, [change])
    assert r.status_code in (400, 403), r.status_code
    assert all(c["id"] != "bob-1" for c in _pull(reference_server, ALICE))


def test_space_members_share_rows(reference_server: RunningServer) -> None:
    reference_server.add_membership(ALICE, "space-team")
    reference_server.add_membership(BOB, "space-team")
    change = {"table": "tasks", "id": "team-1", "op": "insert", "spaceId": "space-team",
              "data": {"id": "team-1", "title": "shared", "spaceId": "space-team"}}
    assert _push(reference_server, ALICE, [change]).status_code == 200
    assert [c["id"] for c in _pull(reference_server, BOB)] == ["team-1"]


def test_passwords_are_stored_with_a_real_kdf(server_factory: object) -> None:
    from mana_desktop.server.testing import start_server

    assert callable(server_factory)
    server = server_factory(users=[(ALICE, "same-password"), (BOB, "same-password")])
    rows = sqlite3.connect(server.db_path).execute("SELECT email, password_hash FROM users").fetchall()
    assert start_server is not None and len(rows) == 2
    hashes = [h for _, h in rows]
    for h in hashes:
        assert "same-password" not in h
        assert any(k in h.lower() for k in ("scrypt", "argon2", "pbkdf2", "bcrypt", "$2b$")), h
        assert len(h) >= 40
    assert hashes[0] != hashes[1], "no per-user salt: equal passwords give equal hashes"


def test_wrong_password_and_unknown_user_look_the_same(reference_server: RunningServer) -> None:
    login = f"{reference_server.url}/api/v1/auth/login"
    wrong = httpx.post(login, json={"email": ALICE, "password": "nope"}, timeout=30)
    unknown = httpx.post(login, json={"email": "who@example.com", "password": "nope"}, timeout=30)
    assert wrong.status_code == unknown.status_code
    assert wrong.status_code in (400, 401, 403)
    assert wrong.text == unknown.text
