"""Oversized, malformed and hostile requests against a real `mana-desktop serve` process.

Each request gets a 4xx with a plain-text reason (never a 5xx, a hang or a dead server), and
after the whole catalogue the server still answers a normal push and pull, with the data that
was there before intact.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("mana_desktop.server.cli", reason="the server has not landed")

EMAIL, PASSWORD = "alice@example.com", "alice-password"


class Serve:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc, self.url = proc, url
        r = httpx.post(f"{url}/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD},
                       timeout=30)
        r.raise_for_status()
        body = r.json()
        self.token = body.get("accessToken") or body.get("token")
        assert isinstance(self.token, str), sorted(body)

    def headers(self, client: str = "dev-1") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Client-Id": client}


def _start(tmp_path: Path, *extra: str) -> Serve:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--db",
         str(tmp_path / "server.db"), "--user", f"{EMAIL}:{PASSWORD}", "--no-runner", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        ready = sel.select(30)
    line = proc.stdout.readline() if ready else ""
    if "listening on" not in line:
        proc.kill()
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"serve did not start: {line!r} {err[-500:]}")
    return Serve(proc, line.split("listening on", 1)[1].strip())


def _stop(server: Serve) -> str:
    """Stop the process; returns everything it wrote on stderr."""
    server.proc.terminate()
    try:
        _, err = server.proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        _, err = server.proc.communicate(timeout=15)
    return err


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    server = _start(tmp_path)
    yield server
    _stop(server)


def test_debug_logs_of_serve_hold_no_token_or_password(tmp_path: Path) -> None:
    server = _start(tmp_path, "--log-level", "debug")
    try:
        _seed_and_check(server)
        _still_fine(server)
        bad = httpx.post(f"{server.url}/api/v1/auth/login",
                         json={"email": EMAIL, "password": "wrong-" + PASSWORD}, timeout=30)
        assert bad.status_code in (400, 401, 403)
    finally:
        err = _stop(server)
    assert server.token not in err
    assert PASSWORD not in err


def _push(serve: Serve, body: bytes | str, **headers: str) -> httpx.Response:
    return httpx.post(f"{serve.url}/sync/todo", content=body,
                      headers={**serve.headers(), "Content-Type": "application/json", **headers},
                      timeout=60)


def _seed_and_check(serve: Serve) -> None:
    good = {"clientId": "dev-1", "since": "1970-01-01T00:00:00Z", "changes": [
        {"table": "tasks", "id": "keep", "op": "insert", "data": {"id": "keep", "title": "kept"}}]}
    assert _push(serve, json.dumps(good)).status_code == 200


def _still_fine(serve: Serve) -> None:
    assert serve.proc.poll() is None, "the server process died"
    r = httpx.get(f"{serve.url}/sync/todo/pull", params={"collection": "tasks",
                  "since": "1970-01-01T00:00:00Z"}, headers=serve.headers("other"), timeout=30)
    assert r.status_code == 200
    titles = {c["id"]: c.get("data", {}).get("title") for c in r.json()["serverChanges"]}
    assert titles.get("keep") == "kept"


def _changes(*changes: object) -> str:
    return json.dumps({"clientId": "dev-1", "since": "", "changes": list(changes)})


HOSTILE_BODIES: dict[str, bytes | str] = {
    "not JSON": "{{{",
    "JSON array": "[]",
    "changes is a string": json.dumps({"changes": "all"}),
    "change is null": _changes(None),
    "unknown op": _changes({"table": "tasks", "id": "x", "op": "upsert"}),
    "missing table": _changes({"id": "x", "op": "insert", "data": {}}),
    "empty id": _changes({"table": "tasks", "id": "", "op": "insert", "data": {}}),
    "id is a number": _changes({"table": "tasks", "id": 7, "op": "insert", "data": {}}),
    "null field entry": _changes({"table": "tasks", "id": "keep", "op": "update",
                                  "fields": {"title": None}}),
    "fields is a list": _changes({"table": "tasks", "id": "keep", "op": "update", "fields": [1]}),
    "schema from the future": json.dumps({"schemaVersion": 99, "changes": []}),
    "deep nesting": '{"changes":' + "[" * 200_000 + "]" * 200_000 + "}",
    "over 10 MiB": '{"changes":[],"pad":"' + "x" * (10 * 1024 * 1024 + 10) + '"}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_push_body_is_a_clean_4xx(serve: Serve, name: str) -> None:
    _seed_and_check(serve)
    r = _push(serve, HOSTILE_BODIES[name])
    assert 400 <= r.status_code < 500, f"{name}: {r.status_code} {r.text[:200]}"
    assert "Traceback" not in r.text
    _still_fine(serve)


def test_invalid_utf8_is_refused_or_replaced_like_go(serve: Serve) -> None:
    """Go's decoder turns invalid UTF-8 into U+FFFD and accepts; a 400 is fine too."""
    _seed_and_check(serve)
    r = _push(serve, b'{"changes":[{"table":"tasks","id":"bad\xff","op":"insert","data":{}}]}')
    assert r.status_code in (200, 400), r.status_code
    _still_fine(serve)


def _forged(payload: dict[str, object], header: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


@pytest.mark.parametrize("auth", [
    "", "Bearer", "bearer x", "Bearer  x", "Basic YWxpY2U6YWxpY2U=", "Bearer " + "A" * 100_000,
    "Bearer " + _forged({"sub": "someone-else", "exp": 4102444800}, {"alg": "none", "typ": "JWT"}),
    "Bearer " + _forged({"sub": "someone-else", "exp": 4102444800}, {"alg": "HS256", "typ": "JWT"})
    + "c2ln",
])
def test_bad_authorization_is_401(serve: Serve, auth: str) -> None:
    headers = {"Authorization": auth} if auth else {}
    r = httpx.get(f"{serve.url}/sync/todo/pull", params={"collection": "tasks", "since": "x"},
                  headers=headers, timeout=30)
    assert r.status_code in (400, 401, 431), r.status_code
    _seed_and_check(serve)
    _still_fine(serve)


def test_tampered_token_is_refused(serve: Serve) -> None:
    head, payload, sig = serve.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = httpx.get(f"{serve.url}/sync/todo/pull", params={"collection": "tasks", "since": "x"},
                  headers={"Authorization": f"Bearer {head}.{forged}.{sig}"}, timeout=30)
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/sync/../../etc/passwd", "/sync/%2e%2e/%2e%2e/etc/passwd",
                                  "/sync/todo/pull/../../x", "/sync/" + "a" * 10_000 + "/pull"])
def test_odd_paths_are_refused(serve: Serve, path: str) -> None:
    r = httpx.get(serve.url + path, headers=serve.headers(), timeout=30)
    assert r.status_code in (400, 401, 404, 405, 414), r.status_code
    assert "root:" not in r.text
    _still_fine_after_seed(serve)


def _still_fine_after_seed(serve: Serve) -> None:
    _seed_and_check(serve)
    _still_fine(serve)


def test_wrong_method_and_huge_query(serve: Serve) -> None:
    r = httpx.delete(f"{serve.url}/sync/todo", headers=serve.headers(), timeout=30)
    assert r.status_code in (404, 405)
    r = httpx.get(f"{serve.url}/sync/todo/pull",
                  params={"collection": "t" * 50_000, "since": "x"}, headers=serve.headers(), timeout=30)
    assert r.status_code < 500
    _still_fine_after_seed(serve)


def test_garbage_on_the_socket_does_not_kill_the_server(serve: Serve) -> None:
    host, port = serve.url.removeprefix("http://").rsplit(":", 1)
    for payload in (b"\x00\xff" * 1000 + b"\r\n\r\n", b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 5000,
                    b"POST /sync/todo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nshort"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                sock.recv(4096)
            except OSError:
                pass
    _still_fine_after_seed(serve)
