"""Login, refresh, JWKS, token checks, password storage, restart keeps data and keys."""

from __future__ import annotations

import base64
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mana_desktop.server.auth import key_path_for
from mana_desktop.server.testing import RunningServer
from tests.server.helpers import ALICE, EPOCH, insert, pull


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_refresh_and_jwks(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        body = login(client, ALICE, "alice-password").json()
        assert body["user"] == {
            "id": reference_server.users[ALICE],
            "email": ALICE,
            "name": "alice",
        }
        access = body["accessToken"]
        header = jwt.get_unverified_header(access)
        assert header["alg"] == "EdDSA" and header["kid"]

        keys = client.get("/api/auth/jwks").json()["keys"]
        jwk = next(k for k in keys if k["kid"] == header["kid"])
        assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
        raw = base64.urlsafe_b64decode(jwk["x"] + "==")
        claims = jwt.decode(
            access,
            Ed25519PublicKey.from_public_bytes(raw),
            algorithms=["EdDSA"],
            options={"verify_aud": False},
        )
        assert claims["sub"] == reference_server.users[ALICE]
        assert 14 * 60 <= claims["exp"] - time.time() <= 15 * 60 + 5

        refreshed = client.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]})
        assert refreshed.status_code == 200
        new_access = refreshed.json()["accessToken"]
        response = client.get(
            "/sync/todo/pull",
            params={"collection": "t", "since": EPOCH},
            headers={"Authorization": f"Bearer {new_access}"},
        )
        assert response.status_code == 200

        client.post("/api/v1/auth/logout", json={"refreshToken": body["refreshToken"]})
        gone = client.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]})
        assert gone.status_code == 401 and gone.json()["error"] == "TOKEN_EXPIRED"


def test_bad_logins(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        for email, password in ((ALICE, "wrong"), ("nobody@example.com", "x")):
            response = login(client, email, password)
            assert response.status_code == 401
            assert response.json()["error"] == "INVALID_CREDENTIALS"
        assert client.post("/api/v1/auth/login", content=b"[").status_code == 400
        assert login(client, "ALICE@example.com", "alice-password").status_code == 200


def test_expired_foreign_and_subjectless_tokens_get_401(reference_server: RunningServer) -> None:
    foreign_key = Ed25519PrivateKey.generate()
    kid = reference_server.service.auth.key.kid
    now = int(time.time())
    cases = {
        reference_server.token(ALICE, ttl_s=-5): "token has invalid claims: token is expired",
        jwt.encode(
            {"sub": "x", "exp": now + 60}, foreign_key, algorithm="EdDSA", headers={"kid": kid}
        ): "token signature is invalid",
        jwt.encode(
            {"sub": "x", "exp": now + 60}, foreign_key, algorithm="EdDSA", headers={"kid": "other"}
        ): "token is unverifiable",
        jwt.encode(
            {"sub": "x"},
            "secret-secret-secret-secret-secret",
            algorithm="HS256",
            headers={"kid": kid},
        ): "signing method HS256 is invalid",
        jwt.encode(
            {"exp": now + 60},
            reference_server.service.auth.key.private,
            algorithm="EdDSA",
            headers={"kid": kid},
        ): "unauthorized: missing sub claim",
    }
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        for token, text in cases.items():
            response = client.get(
                "/sync/todo/pull",
                params={"collection": "t", "since": EPOCH},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 401
            assert text in response.text


def test_passwords_are_stored_with_a_kdf(reference_server: RunningServer) -> None:
    with sqlite3.connect(reference_server.db_path) as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM users")]
    assert len(hashes) == 2
    assert all(h.startswith("scrypt$") and "password" not in h for h in hashes)
    assert hashes[0] != hashes[1]


def test_restart_keeps_data_users_and_signing_key(server_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "keep.db"
    first = server_factory(db)
    token = first.token(ALICE)
    with httpx.Client(base_url=first.url, timeout=10) as client:
        assert (
            client.post(
                "/sync/todo",
                json={"clientId": "A", "changes": [insert("kept")]},
                headers={"Authorization": f"Bearer {token}"},
            ).status_code
            == 200
        )
    user_id = first.users[ALICE]
    first.stop()
    key_file = key_path_for(db)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    second = server_factory(db, users=[])
    assert second.url != "" and second.service.auth.user_by_email(ALICE).id == user_id
    with httpx.Client(base_url=second.url, timeout=10) as client:
        response = client.get(
            "/sync/todo/pull",
            params={"collection": "tasks", "since": EPOCH},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200  # the old token still verifies
        assert [c["id"] for c in response.json()["serverChanges"]] == ["kept"]
        assert login(client, ALICE, "alice-password").status_code == 200
        # New rows sort after the old ones even though the clock restarted.
        second.users = {ALICE: user_id}
        client.post(
            "/sync/todo", json={"changes": [insert("later")]}, headers=second.headers(ALICE, "A")
        )
        ids = [c["id"] for c in pull(client, second).json()["serverChanges"]]
        assert ids == ["kept", "later"]


def test_odd_login_bodies_are_clean_errors(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        for body in (b'{"email":"\\ud800@x","password":"p"}', b"\xff\xfe", b"null", b"{}"):
            response = client.post("/api/v1/auth/login", content=body)
            assert response.status_code in (400, 401), body
            assert response.json()["error"] in ("VALIDATION", "INVALID_CREDENTIALS")
        refresh = client.post("/api/v1/auth/refresh", content=b'{"refreshToken":"\\udc00"}')
        assert refresh.status_code == 401
