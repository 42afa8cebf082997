"""`--dialect updatedAt` serves the OLD `{value, updatedAt}` shape; "at" serves HEAD's."""

from __future__ import annotations

import httpx
import pytest

from tests.server.helpers import EPOCH, insert, pull, push, update


@pytest.mark.parametrize("dialect", ["at", "updatedAt"])
def test_e2e_flow_in_both_dialects(server_factory, dialect: str) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(dialect=dialect)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        first = push(
            client,
            server,
            [{**insert("r1", title="E2E"), "spaceId": "s1", "origin": "user"}],
            client_id="A",
            since=EPOCH,
        )
        saved = first.json()["syncedUntil"]
        push(
            client,
            server,
            [update("r1", key=dialect, title="Updated by Client B", completed=True)],
            client_id="B",
        )
        body = pull(client, server, since=saved, client_id="A").json()
        change = body["serverChanges"][0]
        assert change["fields"]["title"] == {
            "value": "Updated by Client B",
            dialect: "2026-04-27T09:05:00.000Z",
        }
        inserted = pull(client, server, client_id="B").json()["serverChanges"][0]
        if dialect == "at":
            assert inserted["spaceId"] == "s1" and inserted["origin"] == "user"
        else:
            assert "spaceId" not in inserted and "origin" not in inserted


def test_other_dialect_time_key_is_ignored(server_factory) -> None:  # type: ignore[no-untyped-def]
    """HEAD stores at = "" for an OLD-shaped field (spec §10.4 staleness), and vice versa."""
    for dialect, foreign in (("at", "updatedAt"), ("updatedAt", "at")):
        server = server_factory(dialect=dialect)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            push(client, server, [update("r1", key=foreign, title="x")], client_id="A")
            field = pull(client, server).json()["serverChanges"][0]["fields"]["title"]
            assert field == {"value": "x", dialect: ""}
