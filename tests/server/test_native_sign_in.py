"""Better Auth's native `POST /api/auth/sign-in/email` and the upstream login mode
(`start_server(login_sets_cookie=False)` = `serve --upstream-login`)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest

from mana_desktop.server.spaces_routes import SESSION_COOKIE
from mana_desktop.server.testing import RunningServer
from tests.fixtures.server import ServerFactory
from tests.server.helpers import ALICE

SIGN_IN = "/api/auth/sign-in/email"
CREDENTIALS = {"email": ALICE, "password": "alice-password"}


@pytest.fixture
def upstream_server(server_factory: ServerFactory) -> RunningServer:
    return server_factory(login_sets_cookie=False)


def test_native_sign_in_sets_the_signed_session_cookie(upstream_server: RunningServer) -> None:
    with httpx.Client(base_url=upstream_server.url, timeout=10) as client:
        response = client.post(SIGN_IN, json=CREDENTIALS)
        assert response.status_code == 200
        body = response.json()
        assert body["redirect"] is False
        assert body["user"]["id"] == upstream_server.users[ALICE]
        assert body["user"]["email"] == ALICE
        cookie = unquote(client.cookies[SESSION_COOKIE])
        assert cookie == upstream_server.service.auth.session_cookie(body["token"])
        assert "httponly" in response.headers["set-cookie"].lower()
        # The cookie is a real session: the cookie routes accept it.
        token = client.get("/api/auth/token")
        assert token.status_code == 200
        assert upstream_server.service.auth.verify(token.json()["token"]) == (
            upstream_server.users[ALICE])
        refreshed = client.post("/api/v1/auth/refresh")
        assert refreshed.status_code == 200 and refreshed.json()["accessToken"]


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_native_sign_in_refuses_bad_credentials_like_better_auth(
        reference_server: RunningServer, password: str) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        response = client.post(SIGN_IN, json={"email": ALICE, "password": password})
        assert response.status_code == 401
        assert response.json() == {"code": "INVALID_EMAIL_OR_PASSWORD",
                                    "message": "Invalid email or password"}
        assert SESSION_COOKIE not in client.cookies
        unknown = client.post(SIGN_IN, json={"email": "nobody@example.com", "password": "x"})
        assert unknown.status_code == 401


def test_native_sign_in_rejects_a_malformed_body(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        for content in (b"not json", b"[]", b'{"email": 1, "password": "p"}'):
            response = client.post(SIGN_IN, content=content,
                                   headers={"content-type": "application/json"})
            assert response.status_code == 400
            assert response.json()["code"] == "VALIDATION_ERROR"


def test_default_login_still_sets_the_cookie(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=10) as client:
        assert client.post("/api/v1/auth/login", json=CREDENTIALS).status_code == 200
        assert SESSION_COOKIE in client.cookies


def test_upstream_login_sets_no_cookie_and_refresh_needs_one(
        upstream_server: RunningServer) -> None:
    with httpx.Client(base_url=upstream_server.url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json=CREDENTIALS)
        assert response.status_code == 200
        body = response.json()
        assert body["accessToken"] and body["refreshToken"]
        assert "set-cookie" not in response.headers
        assert not client.cookies
        # As upstream: the body's refreshToken is ignored, the Spaces want the cookie.
        refresh = client.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]})
        assert refresh.status_code == 401
        assert refresh.json()["error"] == "TOKEN_EXPIRED"
        bearer = {"Authorization": f"Bearer {body['accessToken']}"}
        assert client.get("/api/auth/organization/list", headers=bearer).status_code == 401
        client.post(SIGN_IN, json=CREDENTIALS)
        assert client.get("/api/auth/organization/list").status_code == 200


def test_serve_upstream_login_flag(tmp_path: Path) -> None:
    """`mana-desktop serve --upstream-login` as a real process: login sets no cookie, the
    native sign-in does; `--help` documents the flag."""
    help_text = subprocess.run(
        [sys.executable, "-m", "mana_desktop", "serve", "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    assert "--upstream-login" in help_text
    proc = subprocess.Popen(
        [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--no-runner",
         "--upstream-login", "--db", str(tmp_path / "u.db"), "--user", "zed@example.com:pw"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("listening on ")
        credentials = {"email": "zed@example.com", "password": "pw"}
        with httpx.Client(base_url=url, timeout=10) as client:
            login = client.post("/api/v1/auth/login", json=credentials)
            assert login.status_code == 200 and "set-cookie" not in login.headers
            assert client.post(SIGN_IN, json=credentials).status_code == 200
            assert client.post("/api/v1/auth/refresh").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
