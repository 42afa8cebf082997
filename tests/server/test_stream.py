"""SSE stream: initial pages, live events from pushes and server-side writes, heartbeats."""

from __future__ import annotations

import httpx

from mana_desktop.server.testing import RunningServer
from tests.server.helpers import ALICE, BOB, EPOCH, insert, push, sse_events, update
from tests.server.server_waits import wait_until

TIMEOUT = httpx.Timeout(10.0)


def open_stream(
    client: httpx.Client,
    server: RunningServer,
    collections: str,
    *,
    user: str = ALICE,
    client_id: str = "viewer",
    since: str | None = None,
):  # type: ignore[no-untyped-def]
    params = {"collections": collections}
    if since is not None:
        params["since"] = since
    return client.stream(
        "GET", "/sync/todo/stream", params=params, headers=server.headers(user, client_id)
    )


def test_initial_then_live_events(reference_server: RunningServer) -> None:
    with httpx.Client(base_url=reference_server.url, timeout=TIMEOUT) as client:
        push(client, reference_server, [insert(f"t{i}") for i in range(1500)], client_id="A")
        push(client, reference_server, [insert("p1", table="projects")], client_id="A")
        with open_stream(client, reference_server, " tasks, ,projects ") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-cache"
            events = sse_events(response)
            name, first = next(events)
            assert name == "changes" and first["table"] == "tasks"
            assert first["hasMore"] is True and len(first["changes"]) == 1000
            assert set(first["changes"][0]) == {"table", "id", "op", "data"}  # no eventId/spaceId
            _, second = next(events)
            assert second["table"] == "tasks" and second["hasMore"] is False
            assert len(second["changes"]) == 500
            _, third = next(events)
            assert third["table"] == "projects" and third["changes"][0]["id"] == "p1"

            push(client, reference_server, [update("t0", title="live")], client_id="B")
            name, live = next(events)
            assert name == "changes" and live["table"] == "tasks"
            assert [c["fields"]["title"]["value"] for c in live["changes"]] == ["live"]

            ids = reference_server.append_changes(
                ALICE,
                "todo",
                [insert("from-runner", table="projects")],
                actor={"kind": "system", "principalId": "system:mission-runner"},
                origin="agent",
            )
            assert len(ids) == 1
            _, runner_event = next(events)
            change = runner_event["changes"][0]
            assert change["id"] == "from-runner" and change["origin"] == "agent"
            assert change["actor"]["principalId"] == "system:mission-runner"


def test_stream_skips_own_client_other_users_and_unrequested_tables(
    reference_server: RunningServer,
) -> None:
    with (
        httpx.Client(base_url=reference_server.url, timeout=TIMEOUT) as client,
        open_stream(client, reference_server, "tasks", since=EPOCH) as response,
    ):
        events = sse_events(response)
        push(client, reference_server, [insert("own")], client_id="viewer")
        push(client, reference_server, [insert("bobs")], user=BOB, client_id="B")
        push(client, reference_server, [insert("l1", table="labels")], client_id="B")
        push(client, reference_server, [insert("wanted")], client_id="B")
        _, event = next(events)
        assert [c["id"] for c in event["changes"]] == ["wanted"]


def test_heartbeat(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory(sse_heartbeat_s=0.2)
    with (
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
        open_stream(client, server, "tasks") as response,
    ):
        name, data = next(sse_events(response))
        assert (name, data) == ("heartbeat", {})


def test_stop_ends_open_streams(server_factory) -> None:  # type: ignore[no-untyped-def]
    server = server_factory()
    with (
        httpx.Client(base_url=server.url, timeout=TIMEOUT) as client,
        open_stream(client, server, "tasks") as response,
    ):
        assert response.status_code == 200
        server.stop()
        assert list(response.iter_lines()) == []
    assert wait_until(lambda: not server._thread.is_alive(), 5)
