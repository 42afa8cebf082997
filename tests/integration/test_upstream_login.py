"""Signing in against a server that behaves like upstream mana-auth: `/api/v1/auth/login`
sets no session cookie, so `Credentials.login` also signs in through Better Auth's native
route for it (encryption-and-account.md §4.3, §4.6). Real reference servers on 127.0.0.1:0,
real profiles in tmp_path; a recording transport only watches (or hides one route)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import httpx
import pytest

from mana_desktop.cli import main
from mana_desktop.server.spaces_routes import SESSION_COOKIE
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync import credentials as credentials_module
from mana_desktop.sync.credentials import NATIVE_SIGN_IN_PATH, REFRESH_PATH, Credentials
from mana_desktop.sync.errors import SignedOutError
from mana_desktop.sync.secrets import SecretStore
from mana_desktop.sync.spaces import SpaceDirectory
from tests.fixtures.server import ServerFactory

ALICE, PASSWORD = "alice@example.com", "alice-password"


class Recording(httpx.BaseTransport):
    """Forwards to the real server; records (method, path, status, cookie sent) and answers
    404 for the `hidden` paths, as a server without those routes would."""

    def __init__(self, *hidden: str) -> None:
        self.hidden = set(hidden)
        self.seen: list[tuple[str, str, int, bool]] = []
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path in self.hidden:
            response = httpx.Response(404, text="404 page not found\n")
        else:
            response = self._real.handle_request(request)
        cookie = SESSION_COOKIE in request.headers.get("cookie", "")
        self.seen.append((request.method, request.url.path, response.status_code, cookie))
        return response

    def close(self) -> None:
        self._real.close()


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


@pytest.fixture
def upstream(server_factory: ServerFactory) -> RunningServer:
    # 5 s tokens are inside the 10 s refresh margin: every access_token() call refreshes.
    return server_factory(login_sets_cookie=False, access_ttl_s=5)


def stored_secret(data_dir: Path) -> dict[str, object]:
    secret = SecretStore(data_dir).load(ALICE)
    assert secret is not None
    return secret


def test_login_gets_the_session_cookie_and_refreshes_with_it(
        upstream: RunningServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    transport = Recording()
    credentials = Credentials(Profile(tmp_path), transport=transport)
    with caplog.at_level(logging.DEBUG, logger="mana_desktop"):
        credentials.login(upstream.url, ALICE, PASSWORD)

    cookies = stored_secret(tmp_path)["cookies"]
    assert isinstance(cookies, dict) and cookies.get(SESSION_COOKIE)
    assert credentials.session_warning is None
    assert [(m, p) for m, p, _, _ in transport.seen] == [
        ("POST", "/api/v1/auth/login"), ("POST", NATIVE_SIGN_IN_PATH)]
    # The expired token is renewed through the cookie (the server ignores the body's token).
    token = credentials.access_token()
    assert upstream.service.auth.verify(token) == upstream.users[ALICE]
    assert transport.seen[-1] == ("POST", REFRESH_PATH, 200, True)
    assert PASSWORD not in caplog.text
    assert all(value not in caplog.text for value in cookies.values())


def test_spaces_load_through_the_cookie(upstream: RunningServer, tmp_path: Path) -> None:
    team = upstream.add_space("Familie", "family", ["bob@example.com", ALICE])
    profile = Profile(tmp_path)
    credentials = Credentials(profile)
    credentials.login(upstream.url, ALICE, PASSWORD)

    spaces = SpaceDirectory(profile, credentials, user_id=upstream.users[ALICE],
                            auth_url=upstream.url)
    context = spaces.refresh()

    assert context.loaded
    assert context.active_space_id == upstream.personal_space(ALICE)
    assert {s.id for s in spaces.spaces()} == {upstream.personal_space(ALICE), team}


def test_without_the_native_route_login_still_succeeds_with_a_warning(
        upstream: RunningServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    transport = Recording(NATIVE_SIGN_IN_PATH)
    credentials = Credentials(Profile(tmp_path), transport=transport)
    with caplog.at_level(logging.WARNING, logger="mana_desktop.sync.credentials"):
        account = credentials.login(upstream.url, ALICE, PASSWORD)

    assert account.user_id == upstream.users[ALICE]
    assert credentials.signed_in()
    assert credentials.session_warning is not None
    assert "cannot be renewed automatically" in credentials.session_warning
    assert NATIVE_SIGN_IN_PATH in caplog.text and PASSWORD not in caplog.text
    assert not credentials.session_cookies()
    # Without a cookie the upstream refresh refuses: signed out, as it would be there.
    with pytest.raises(SignedOutError):
        credentials.access_token()


def test_a_missing_refresh_route_falls_back_to_the_cookie_token_route(
        upstream: RunningServer, tmp_path: Path) -> None:
    transport = Recording(REFRESH_PATH)
    credentials = Credentials(Profile(tmp_path), transport=transport)
    credentials.login(upstream.url, ALICE, PASSWORD)

    token = credentials.access_token()

    assert upstream.service.auth.verify(token) == upstream.users[ALICE]
    assert [(m, p, s, c) for m, p, s, c in transport.seen[-2:]] == [
        ("POST", REFRESH_PATH, 404, True), ("GET", "/api/auth/token", 200, True)]
    assert stored_secret(tmp_path)["accessToken"] == token


def test_default_server_needs_no_native_sign_in(
        reference_server: RunningServer, tmp_path: Path) -> None:
    transport = Recording()
    credentials = Credentials(Profile(tmp_path), transport=transport)
    credentials.login(reference_server.url, ALICE, PASSWORD)

    assert [p for _, p, _, _ in transport.seen] == ["/api/v1/auth/login"]
    assert credentials.session_cookies().get(SESSION_COOKIE)


class _Stdin:
    def __init__(self, line: str) -> None:
        self.line = line

    def readline(self) -> str:
        return self.line + "\n"

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize("native", [True, False])
def test_login_command_says_when_the_session_cannot_be_renewed(
        upstream: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], native: bool) -> None:
    if not native:  # a route the server does not have: 404, as on a server without it
        monkeypatch.setattr(credentials_module, "NATIVE_SIGN_IN_PATH", "/api/auth/missing")
    monkeypatch.setattr(sys, "stdin", _Stdin(PASSWORD))

    code = main(["login", "--server", upstream.url, "--email", ALICE, "--password-stdin",
                 "--data-dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"as {ALICE}" in out
    assert ("cannot be renewed automatically" in out) is not native
    assert PASSWORD not in out
