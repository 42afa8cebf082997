"""The ASGI application: mana-sync's routes plus the few mana-auth routes a client needs.

Handlers stay thin: they read the request, hand blocking work (JWT checks, SQLite) to a worker
thread in one hop, and shape the answer the way the Go server does.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from mana_desktop.domain.wire import CLIENT_ID_HEADER, MAX_BODY, SYNC_INACTIVE_BODY
from mana_desktop.server.auth import REFRESH_TTL_S, Unauthorized
from mana_desktop.server.changes import BadRequest, decode_body
from mana_desktop.server.responses import json_bytes, json_response, text_error
from mana_desktop.server.service import Forbidden, SyncService
from mana_desktop.server.spaces_routes import (
    SESSION_COOKIE,
    internal_routes,
    organization_routes,
    session_token,
)
from mana_desktop.server.sse import open_stream
from mana_desktop.server.ws import serve_socket

ORGANIZATION_PREFIX = "/api/auth/organization/"
TOO_LARGE = "invalid JSON: http: request body too large"


async def read_body(request: Request) -> bytes | None:
    """The body, or None when it is over the 10 MiB limit (the rest is drained, not kept)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY:
            chunks.append(chunk)
        elif chunks:
            chunks = []
    return None if size > MAX_BODY else b"".join(chunks)


def gate(service: SyncService, request: Request) -> str | Response:
    """The user id, or the 401/402 response (billing is checked first for valid tokens)."""
    try:
        user_id = service.auth.user_from_header(request.headers.get("authorization"))
    except Unauthorized as exc:
        return text_error(401, str(exc))
    if not service.auth.sync_active(user_id):
        return json_response(SYNC_INACTIVE_BODY, 402)
    return user_id


def build_app(service: SyncService) -> Starlette:
    async def push(request: Request) -> Response:
        app_id = request.path_params["appId"]
        body = await read_body(request)
        header_client = request.headers.get(CLIENT_ID_HEADER, "")

        def work() -> Response:
            user = gate(service, request)
            if isinstance(user, Response):
                return user
            if body is None:
                return text_error(400, TOO_LARGE)
            try:
                return json_bytes(service.push(user, app_id, header_client, body))
            except BadRequest as exc:
                return text_error(400, str(exc))
            except Forbidden as exc:
                return text_error(403, str(exc))

        return await run_in_threadpool(work)

    async def pull(request: Request) -> Response:
        app_id = request.path_params["appId"]
        collection = request.query_params.get("collection", "")
        since = request.query_params.get("since", "")
        client_id = request.headers.get(CLIENT_ID_HEADER, "")

        def work() -> Response:
            user = gate(service, request)
            if isinstance(user, Response):
                return user
            if not collection or not since:
                return text_error(400, "missing collection or since parameter")
            return json_bytes(service.pull(user, app_id, collection, since, client_id))

        return await run_in_threadpool(work)

    async def stream(request: Request) -> Response:
        user = await run_in_threadpool(gate, service, request)
        if isinstance(user, Response):
            return user
        return await open_stream(service, request, user, request.path_params["appId"])

    async def websocket(socket: WebSocket) -> None:
        await serve_socket(service, socket)

    async def health(request: Request) -> Response:
        connections, users = service.hub.ws_counts()
        return json_response(
            {
                "status": "ok",
                "service": "mana-sync",
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "connections": connections,
                "users": users,
            }
        )

    async def metrics(request: Request) -> Response:
        connections, users = service.hub.ws_counts()
        text = (
            "# HELP mana_sync_connections_total Number of active WebSocket connections\n"
            "# TYPE mana_sync_connections_total gauge\n"
            f"mana_sync_connections_total {connections}\n"
            "# HELP mana_sync_users_connected Number of unique users connected\n"
            "# TYPE mana_sync_users_connected gauge\n"
            f"mana_sync_users_connected {users}\n"
        )
        return Response(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def login(request: Request) -> Response:
        body = await _json_object(request)
        if body is None:
            return _auth_error(400, "VALIDATION", "Expected a JSON object {email, password}")
        email, password = body.get("email"), body.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return _auth_error(400, "VALIDATION", "email and password are required")

        def work() -> Response:
            user = service.auth.login(email, password)
            if user is None:
                return _auth_error(401, "INVALID_CREDENTIALS", "Invalid email or password")
            refresh = service.auth.issue_refresh(user)
            response = json_response(
                {
                    "redirect": False,
                    "token": refresh,
                    "user": user.public(),
                    "accessToken": service.auth.issue_access(user),
                    "refreshToken": refresh,
                }
            )
            if service.auth.login_sets_cookie:
                _set_session_cookie(response, service.auth.session_cookie(refresh))
            return response

        return await run_in_threadpool(work)

    async def sign_in_email(request: Request) -> Response:
        """Better Auth's native `POST /api/auth/sign-in/email`: the one route upstream that
        answers a password with the signed session cookie (encryption-and-account.md §4.6)."""
        body = await _json_object(request)
        email = body.get("email") if body else None
        password = body.get("password") if body else None
        if not isinstance(email, str) or not isinstance(password, str) or not email:
            return json_response(
                {"code": "VALIDATION_ERROR", "message": "email and password are required"}, 400
            )

        def work() -> Response:
            user = service.auth.login(email, password)
            if user is None:
                return json_response(
                    {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"},
                    401,
                )
            token = service.auth.issue_refresh(user)
            response = json_response(
                {
                    "redirect": False,
                    "token": token,
                    "user": {**user.public(), "image": None, "emailVerified": True},
                }
            )
            _set_session_cookie(response, service.auth.session_cookie(token))
            return response

        return await run_in_threadpool(work)

    async def refresh(request: Request) -> Response:
        body = await _json_object(request)
        # Upstream reads the session cookie; the body's refreshToken is our extension (off
        # in the upstream mode, where a client without the cookie must fail as it would there).
        token = session_token(service, request)
        if token is None and body and service.auth.login_sets_cookie:
            token = body.get("refreshToken")
        if not isinstance(token, str) or not token:
            return _auth_error(401, "TOKEN_EXPIRED", "Session expired")

        def work() -> Response:
            user = service.auth.redeem_refresh(token)
            if user is None:
                return _auth_error(401, "TOKEN_EXPIRED", "Session expired")
            return json_response(
                {"accessToken": service.auth.issue_access(user), "refreshToken": token}
            )

        return await run_in_threadpool(work)

    async def logout(request: Request) -> Response:
        body = await _json_object(request)
        tokens = {session_token(service, request), body.get("refreshToken") if body else None}
        for token in tokens:
            if isinstance(token, str) and token:
                await run_in_threadpool(service.auth.revoke_refresh, token)
        response = json_response({"success": True})
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
        return response

    async def session_jwt(request: Request) -> Response:
        """Better Auth `GET /api/auth/token`: a JWT for the cookie's session."""

        def work() -> Response:
            token = session_token(service, request)
            user = service.auth.redeem_refresh(token) if token else None
            if user is None:
                return json_response({"code": "UNAUTHORIZED", "message": "Unauthorized"}, 401)
            return json_response({"token": service.auth.issue_access(user)})

        return await run_in_threadpool(work)

    async def jwks(request: Request) -> Response:
        return json_response(service.auth.jwks())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.hub.bind(asyncio.get_running_loop())
        tasks: list[asyncio.Future[None]] = [
            asyncio.ensure_future(task(service)) for task in service.background_tasks
        ]
        try:
            yield
        finally:
            service.hub.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    routes: list[BaseRoute] = [
        Route("/sync/{appId}", push, methods=["POST"]),
        Route("/sync/{appId}/pull", pull, methods=["GET"]),
        Route("/sync/{appId}/stream", stream, methods=["GET"]),
        WebSocketRoute("/ws", websocket),
        WebSocketRoute("/ws/{appId}", websocket),
        Route("/health", health, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/api/v1/auth/login", login, methods=["POST"]),
        Route("/api/v1/auth/refresh", refresh, methods=["POST"]),
        Route("/api/v1/auth/logout", logout, methods=["POST"]),
        Route("/api/auth/sign-in/email", sign_in_email, methods=["POST"]),
        Route("/api/auth/jwks", jwks, methods=["GET"]),
        Route("/api/auth/token", session_jwt, methods=["GET"]),
        *organization_routes(service),
        *internal_routes(service),
    ]
    routes.extend(_optional_routes(service))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(CookieOnlyOrganizations, service=service)],
        exception_handlers={
            HTTPException: _http_exception,
        },
    )
    app.state.service = service
    return app


def _optional_routes(service: SyncService) -> list[BaseRoute]:
    """Routes other layers contribute: mana-auth's encryption vault (crypto owner)."""
    try:
        from mana_desktop.server.vault import vault_routes
    except ModuleNotFoundError as exc:
        if exc.name != "mana_desktop.server.vault":
            raise
        return []
    return list(vault_routes(service))


class CookieOnlyOrganizations:
    """In the upstream mode, the organization routes see no `Authorization` header: upstream
    authenticates them with the session cookie only (our bearer fallback is an extension)."""

    def __init__(self, app: ASGIApp, service: SyncService) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and not self.service.auth.login_sets_cookie
            and str(scope.get("path", "")).startswith(ORGANIZATION_PREFIX)
        ):
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Go's mux texts for unknown paths and wrong methods."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return text_error(404, "404 page not found")
    if status == 405:
        response = text_error(405, "Method Not Allowed")
        allow = (exc.headers or {}).get("Allow") if isinstance(exc, HTTPException) else None
        if allow:
            response.headers["Allow"] = allow
        return response
    return text_error(status, str(getattr(exc, "detail", "error")))


async def _json_object(request: Request) -> dict[str, Any] | None:
    body = await read_body(request)
    if not body:
        return None
    try:
        value = decode_body(body)  # Go-like: lone surrogates become U+FFFD
    except BadRequest:
        return None
    return value if isinstance(value, dict) else None


def _set_session_cookie(response: Response, value: str) -> None:
    """Better Auth's session cookie: URL-encoded `<token>.<signature>`, HttpOnly, Path=/."""
    response.set_cookie(
        SESSION_COOKIE,
        quote(value, safe=""),
        max_age=REFRESH_TTL_S,
        path="/",
        httponly=True,
        samesite="lax",
    )


def _auth_error(status: int, code: str, message: str) -> Response:
    """mana-auth's error shape `{error, message, status}`."""
    return json_response({"error": code, "message": message, "status": status}, status)
