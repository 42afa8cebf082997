"""WebSocket `/ws` and `/ws/{appId}`: auth, auth-ok, sync-available, ping/pong, close codes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from mana_desktop.server.testing import RunningServer
from tests.server.helpers import ALICE, BOB, insert, push
from tests.server.server_waits import wait_until


def ws_url(server: RunningServer, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    ws.send(json.dumps(message))


def receive(ws: ClientConnection) -> dict[str, Any]:
    value = json.loads(ws.recv(timeout=10))
    assert isinstance(value, dict)
    return value


def closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed) as info:
        while True:
            ws.recv(timeout=10)
    return info.value.rcvd.code if info.value.rcvd else None, (
        info.value.rcvd.reason if info.value.rcvd else None
    )


def test_auth_then_notifications(reference_server: RunningServer) -> None:
    with (
        connect(ws_url(reference_server, "/ws"), open_timeout=10) as ws,
        httpx.Client(base_url=reference_server.url, timeout=10) as client,
    ):
        send(ws, {"type": "ping"})
        assert receive(ws) == {"type": "pong"}  # answered before auth
        send(ws, {"type": "subscribe", "collections": ["x"]})  # unknown types are ignored
        ws.send("not json")
        send(ws, {"type": "auth", "token": reference_server.token(ALICE)})
        assert receive(ws) == {"type": "auth-ok"}
        health = client.get("/health").json()
        assert (health["connections"], health["users"]) == (1, 1)

        push(
            client, reference_server, [insert("t1"), insert("p1", table="projects")], client_id="A"
        )
        assert receive(ws) == {
            "type": "sync-available",
            "appId": "todo",
            "tables": ["projects", "tasks"],
        }
        push(client, reference_server, [insert("n1", table="notes")], app="notes")
        assert receive(ws) == {"type": "sync-available", "appId": "notes", "tables": ["notes"]}
        reference_server.append_changes(ALICE, "ai", [insert("m1", table="aiMissions")])
        assert receive(ws) == {"type": "sync-available", "appId": "ai", "tables": ["aiMissions"]}
        send(ws, {"type": "ping"})
        assert receive(ws) == {"type": "pong"}


def test_legacy_socket_gets_only_its_app_and_its_user(reference_server: RunningServer) -> None:
    with (
        connect(ws_url(reference_server, "/ws/todo"), open_timeout=10) as ws,
        httpx.Client(base_url=reference_server.url, timeout=10) as client,
    ):
        send(ws, {"type": "auth", "token": reference_server.token(ALICE)})
        assert receive(ws) == {"type": "auth-ok"}
        push(client, reference_server, [insert("n1", table="notes")], app="notes")
        push(client, reference_server, [insert("b1")], user=BOB)
        push(client, reference_server, [insert("t1")])
        assert receive(ws) == {"type": "sync-available", "appId": "todo", "tables": ["tasks"]}


def test_missing_token_keeps_socket_open(reference_server: RunningServer) -> None:
    with connect(ws_url(reference_server, "/ws"), open_timeout=10) as ws:
        send(ws, {"type": "auth"})
        assert receive(ws) == {"type": "error", "tables": ["missing token"]}
        send(ws, {"type": "auth", "token": reference_server.token(ALICE)})
        assert receive(ws) == {"type": "auth-ok"}


def test_invalid_token_closes_1008(reference_server: RunningServer) -> None:
    with connect(ws_url(reference_server, "/ws"), open_timeout=10) as ws:
        send(ws, {"type": "auth", "token": "not.a.jwt"})
        assert receive(ws) == {"type": "error", "tables": ["invalid token"]}
        assert closed_with(ws) == (1008, "invalid token")


def test_expired_token_closes_1008(reference_server: RunningServer) -> None:
    with connect(ws_url(reference_server, "/ws"), open_timeout=10) as ws:
        send(ws, {"type": "auth", "token": reference_server.token(ALICE, ttl_s=-60)})
        assert receive(ws)["type"] == "error"
        assert closed_with(ws) == (1008, "invalid token")


def test_silent_socket_closed_at_auth_deadline(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(ws_auth_deadline_s=0.3)
    with connect(ws_url(server, "/ws"), open_timeout=10) as ws:
        assert closed_with(ws) == (1008, "auth timeout")


def test_server_stop_closes_sockets(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    with connect(ws_url(server, "/ws"), open_timeout=10) as ws:
        send(ws, {"type": "auth", "token": server.token(ALICE)})
        assert receive(ws) == {"type": "auth-ok"}
        server.stop()
        code, _reason = closed_with(ws)
        assert code in (1000, 1012)
    assert wait_until(lambda: not server._thread.is_alive(), 5)
