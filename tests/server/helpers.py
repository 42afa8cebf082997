"""Small HTTP helpers for the server tests (real server, real HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from mana_desktop.server.testing import RunningServer

ALICE = "alice@example.com"
BOB = "bob@example.com"
EPOCH = "1970-01-01T00:00:00Z"


def insert(record_id: str, table: str = "tasks", **data: Any) -> dict[str, Any]:
    return {"table": table, "id": record_id, "op": "insert", "data": {"id": record_id, **data}}


def update(
    record_id: str,
    table: str = "tasks",
    at: str = "2026-04-27T09:05:00.000Z",
    key: str = "at",
    **fields: Any,
) -> dict[str, Any]:
    return {
        "table": table,
        "id": record_id,
        "op": "update",
        "fields": {name: {"value": value, key: at} for name, value in fields.items()},
    }


def push(
    client: httpx.Client,
    server: RunningServer,
    changes: list[dict[str, Any]],
    *,
    user: str = ALICE,
    client_id: str = "client-a",
    since: str = "",
    app: str = "todo",
    header: bool = True,
) -> httpx.Response:
    headers = server.headers(user, client_id if header else None)
    body = {"clientId": client_id, "appId": app, "since": since, "changes": changes}
    return client.post(f"/sync/{app}", headers=headers, json=body)


def pull(
    client: httpx.Client,
    server: RunningServer,
    collection: str = "tasks",
    *,
    since: str = EPOCH,
    user: str = ALICE,
    client_id: str | None = "client-b",
    app: str = "todo",
) -> httpx.Response:
    return client.get(
        f"/sync/{app}/pull",
        params={"collection": collection, "since": since},
        headers=server.headers(user, client_id),
    )


def pull_all(
    client: httpx.Client,
    server: RunningServer,
    collection: str = "tasks",
    *,
    since: str = EPOCH,
    **kwargs: Any,
) -> tuple[list[dict[str, Any]], int, str]:
    """Every page; returns (changes, pages, final cursor)."""
    changes: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = pull(client, server, collection, since=since, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        changes.extend(body["serverChanges"])
        since = body["syncedUntil"]
        if not body.get("hasMore"):
            return changes, pages, since


def sse_events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    """(event, parsed data) pairs from a streaming SSE response."""
    event = ""
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].strip())
        elif line == "":
            if event or data:
                yield event, json.loads("\n".join(data)) if data else None
            event, data = "", []
