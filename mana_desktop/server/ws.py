"""`/ws` (every app) and `/ws/{appId}` (one app): sync-available notifications.

Upstream's sockets die right after the upgrade and never enforce the auth deadline (F3);
here the socket lives until either side closes, a silent socket is closed with 1008
"auth timeout" when the deadline passes, and the message shapes and close codes are upstream's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from mana_desktop.domain.wire import (
    WS_CLOSE_NORMAL,
    WS_CLOSE_POLICY,
    WS_REASON_AUTH_TIMEOUT,
    WS_REASON_CLOSING,
    WS_REASON_INVALID_TOKEN,
    WS_REASON_MISSING_SUBJECT,
)
from mana_desktop.server.auth import Unauthorized
from mana_desktop.server.hub import Subscriber
from mana_desktop.server.service import SyncService

SEND_TIMEOUT_S = 5.0


class _Closed(Exception):
    """The peer went away, or we closed the socket."""


class Connection:
    def __init__(self, service: SyncService, socket: WebSocket, app_id: str | None) -> None:
        self.service = service
        self.socket = socket
        self.app_id = app_id
        self._send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            try:
                await asyncio.wait_for(
                    self.socket.send_text(json.dumps(message, separators=(",", ":"))),
                    SEND_TIMEOUT_S,
                )
            except (WebSocketDisconnect, RuntimeError, TimeoutError, OSError) as exc:
                raise _Closed from exc

    async def close(self, code: int, reason: str) -> None:
        async with self._send_lock:
            if self.socket.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(RuntimeError, OSError):
                    await self.socket.close(code, reason)

    async def receive(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next JSON object message; None for messages upstream ignores."""
        message = await asyncio.wait_for(self.socket.receive(), timeout)
        if message["type"] == "websocket.disconnect":
            raise _Closed
        text = message.get("text")
        if text is None and message.get("bytes") is not None:
            text = message["bytes"].decode("utf-8", errors="replace")
        try:
            value = json.loads(text or "")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def run(self) -> None:
        await self.socket.accept()
        try:
            user_id = await self._authenticate()
            if user_id is None:
                return
            await self._serve(user_id)
        except _Closed:
            pass

    async def _authenticate(self) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.service.ws_auth_deadline_s
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await self.receive(remaining)
            except TimeoutError:
                await self.close(WS_CLOSE_POLICY, WS_REASON_AUTH_TIMEOUT)
                return None
            if message is None:
                continue
            kind = message.get("type")
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "auth":
                token = message.get("token")
                if not isinstance(token, str) or not token:
                    await self.send({"type": "error", "tables": ["missing token"]})
                    continue
                try:
                    return self.service.auth.verify(token)
                except Unauthorized as exc:
                    missing_sub = str(exc).endswith("missing sub claim")
                    reason = WS_REASON_MISSING_SUBJECT if missing_sub else WS_REASON_INVALID_TOKEN
                    await self.send({"type": "error", "tables": [reason]})
                    await self.close(WS_CLOSE_POLICY, reason)
                    return None

    async def _serve(self, user_id: str) -> None:
        sub = Subscriber(user_id, self.app_id, kind="ws")
        self.service.hub.subscribe(sub)
        notifier = asyncio.create_task(self._notify(sub))
        try:
            await self.send({"type": "auth-ok"})
            while not notifier.done():
                message = await self.receive()
                if message is not None and message.get("type") == "ping":
                    await self.send({"type": "pong"})
        finally:
            self.service.hub.unsubscribe(sub)
            notifier.cancel()
            await asyncio.gather(notifier, return_exceptions=True)

    async def _notify(self, sub: Subscriber) -> None:
        hub = self.service.hub
        try:
            while not hub.closing.is_set():
                await sub.wake.wait()
                if hub.closing.is_set():
                    break
                for app_id, tables in sub.take().items():
                    await self.send(
                        {"type": "sync-available", "appId": app_id, "tables": sorted(tables)}
                    )
        except _Closed:
            pass
        await self.close(WS_CLOSE_NORMAL, WS_REASON_CLOSING)


async def serve_socket(service: SyncService, socket: WebSocket) -> None:
    app_id = socket.path_params.get("appId")
    await Connection(service, socket, app_id if app_id else None).run()
