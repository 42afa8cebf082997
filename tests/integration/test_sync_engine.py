"""The sync engine against the reference server over loopback, in both wire dialects."""

from __future__ import annotations

import pytest

from mana_desktop.domain.timeutil import now_ms
from mana_desktop.server.testing import RunningServer
from tests.fixtures.server import ServerFactory
from tests.fixtures.sync import (
    SyncClientFactory,
    snapshot,
    user_insert,
    user_update,
    wait_for,
)

DIALECTS = ["at", "updatedAt"]
TODO = ["todo/tasks", "todo/projects"]


@pytest.fixture(params=DIALECTS)
def server(request: pytest.FixtureRequest, server_factory: ServerFactory) -> RunningServer:
    return server_factory(dialect=request.param)


def test_two_clients_converge_on_different_and_same_fields(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    a = sync_client_factory(server.url, subscriptions=TODO)
    b = sync_client_factory(server.url, subscriptions=TODO)
    assert a.replica.client_id != b.replica.client_id
    task = user_insert(a, "todo", "tasks", {"title": "start", "priority": "low", "order": 0})
    assert a.engine.run_once().ok
    assert b.engine.run_once().ok
    assert b.replica.get("todo", "tasks", task) is not None

    # Different fields of one record, edited on both sides while apart.
    user_update(a, "todo", "tasks", task, {"title": "from a"})
    user_update(b, "todo", "tasks", task, {"priority": "high"})
    # The same field on both sides: b writes last, so b's value wins everywhere.
    user_update(a, "todo", "tasks", task, {"order": 1})
    # An exact millisecond tie between two devices' edits is a different case (server wins
    # ties on both sides); here b is strictly later.
    stamp = now_ms()
    wait_for(lambda: now_ms() > stamp, timeout=1.0, interval=0.001)
    user_update(b, "todo", "tasks", task, {"order": 2})
    for side in (a, b, a, b):
        report = side.engine.run_once()
        assert report.ok, report.errors

    record_a = a.replica.get("todo", "tasks", task)
    record_b = b.replica.get("todo", "tasks", task)
    assert record_a is not None and record_b is not None
    assert record_a.data["title"] == "from a" and record_a.data["priority"] == "high"
    assert record_a.data["order"] == 2
    assert snapshot(a.replica) == snapshot(b.replica)
    assert a.replica.pending_count() == 0 and b.replica.pending_count() == 0


def test_initial_sync_of_2500_rows_pages_and_stores_cursors(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    rows = [{"table": "tasks", "id": f"t-{i:05d}", "op": "insert",
             "data": {"id": f"t-{i:05d}", "title": f"task {i}", "createdAt": "2026-01-01T00:00:00.000Z"}}
            for i in range(2500)]
    for start in range(0, len(rows), 500):
        server.append_changes("alice@example.com", "todo", rows[start:start + 500],
                              client_id="seed")
    side = sync_client_factory(server.url, subscriptions=TODO)
    progress: list[float] = []
    side.engine.subscribe_status(
        lambda s: progress.append(s.progress) if s.progress is not None else None)
    report = side.engine.run_once()
    assert report.ok, report.errors
    assert report.pulled == 2500
    assert report.requests >= 3  # 1000 + 1000 + 500 for tasks, and one for projects
    assert len(side.replica.list("todo", "tasks")) == 2500
    assert side.replica.cursor("todo", "tasks") is not None
    assert progress and max(progress) <= 1.0
    status = side.engine.status()
    assert status.state == "idle" and status.last_pull_at is not None
    assert "todo/tasks" in status.cursors
    # Same machine: the server's clock is ours (up to request latency).
    assert status.clock_skew_s is not None and abs(status.clock_skew_s) < 2.0

    # A second pass re-reads only the overlap window and applies nothing twice.
    again = side.engine.run_once()
    assert again.ok and again.pulled == 0
    assert len(side.replica.list("todo", "tasks")) == 2500


def test_push_sends_actor_origin_space_and_both_time_keys(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    a = sync_client_factory(server.url, subscriptions=TODO)
    task = user_insert(a, "todo", "tasks", {"title": "x", "spaceId": "space-1"})
    user_update(a, "todo", "tasks", task, {"title": "y"})
    assert a.engine.run_once().ok
    # Read the server's log through the wire as another device would.
    b = sync_client_factory(server.url, subscriptions=TODO)
    assert b.engine.run_once().ok
    record = b.replica.get("todo", "tasks", task)
    assert record is not None and record.data["title"] == "y"
    meta = record.field_meta["title"]
    assert meta["actor"]["principalId"] == a.user_id
    assert meta["at"].startswith(a.replica.get("todo", "tasks", task).field_meta["title"]["at"][:19])


def test_pending_batches_of_at_most_200_in_order(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    a = sync_client_factory(server.url, subscriptions=TODO)
    with a.replica.write() as tx:
        ids = [tx.insert("todo", "tasks", {"title": f"n{i}", "order": i}, actor=a.actor)
               for i in range(450)]
    assert a.replica.pending_count() == 450
    report = a.engine.run_once()
    assert report.ok and report.pushed == 450
    pushes = report.requests - 2  # minus the two pulls
    assert pushes == 3  # 200 + 200 + 50
    b = sync_client_factory(server.url, subscriptions=TODO)
    assert b.engine.run_once().ok
    assert {r.id for r in b.replica.list("todo", "tasks")} == set(ids)


def test_new_subscriptions_are_picked_up_without_a_restart(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=["todo/tasks"])
    reference_server.append_changes("alice@example.com", "notes", [
        {"table": "notes", "id": "n1", "op": "insert", "data": {"id": "n1", "text": "hi"}}])
    assert side.engine.run_once().ok
    assert side.replica.get("notes", "notes", "n1") is None
    settings = side.profile.load_settings()
    side.profile.save_settings(settings.model_copy(
        update={"subscriptions": ["todo/tasks", "notes/notes"]}))
    assert side.engine.run_once().ok
    assert side.replica.get("notes", "notes", "n1") is not None
