"""Response helpers shaped like Go's net/http: text/plain errors with a newline, JSON with one."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mana_desktop.server.changes import encode_json


def text_error(status: int, message: str) -> Response:
    """`http.Error(w, message, status)`."""
    return Response(
        (message + "\n").encode("utf-8"),
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def json_bytes(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="application/json")


def json_response(value: Any, status: int = 200) -> Response:
    return json_bytes(encode_json(value), status)
