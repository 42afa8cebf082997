"""What the engine does when things go wrong: 401, 402, 5xx, 429, 400, offline (loopback)."""

from __future__ import annotations

import random
import time

import pytest

from mana_desktop.server.testing import RunningServer
from mana_desktop.sync.engine import SyncEngine
from tests.fixtures.server import ServerFactory
from tests.fixtures.sync import (
    SyncClientFactory,
    snapshot,
    user_insert,
    user_update,
    wait_for,
)
from tests.harness.faultproxy import Rule

TODO = ["todo/tasks", "todo/projects"]
ALICE = "alice@example.com"


@pytest.fixture(params=["at", "updatedAt"])
def server(request: pytest.FixtureRequest, server_factory: ServerFactory) -> RunningServer:
    return server_factory(dialect=request.param)


def test_401_refreshes_the_token_and_retries(
        server: RunningServer, server_factory: ServerFactory,
        sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    # A well-formed, unexpired token that this server did not sign: it answers 401.
    foreign = server_factory().token(ALICE)
    side.credentials._set_access(foreign)
    user_insert(side, "todo", "tasks", {"title": "after refresh"})
    report = side.engine.run_once()
    assert report.ok, report.errors
    assert side.credentials.cached_token() not in (None, foreign)
    assert side.replica.pending_count() == 0


def test_expired_token_is_refreshed_before_the_request(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    expired = server.token(ALICE, ttl_s=-60)
    side.credentials._set_access(expired)
    report = side.engine.run_once()
    assert report.ok and report.requests == 2  # two pulls, no 401 round trip
    assert side.credentials.cached_token() != expired


def test_signed_out_when_the_session_is_gone(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    secret = side.credentials._store.load(ALICE)
    assert secret is not None
    # Upstream refreshes with the session cookie: the session is gone when both are.
    side.credentials._store.save(ALICE, {**secret, "refreshToken": "revoked-session-token",
                                         "cookies": {"mana.session_token": "revoked.x"},
                                         "accessToken": ""})
    side.credentials.invalidate()
    report = side.engine.run_once()
    assert not report.ok
    assert side.engine.status().state == "signed-out"
    assert "revoked-session-token" not in " ".join(report.errors)
    assert "sign in" in (side.engine.status().last_error or "")


def test_402_pauses_with_the_server_message_and_keeps_changes(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    user_insert(side, "todo", "tasks", {"title": "kept"})
    server.set_sync_active(ALICE, False)
    report = side.engine.run_once()
    status = side.engine.status()
    assert not report.ok and status.state == "paused"
    assert status.paused_message is not None and "Cloud Sync" in status.paused_message
    assert side.replica.pending_count() == 1
    server.set_sync_active(ALICE, True)
    assert side.engine.run_once().ok
    assert side.engine.status().state == "idle" and side.replica.pending_count() == 0


def test_500_is_retried_and_nothing_is_lost(
        server: RunningServer, sync_client_factory: SyncClientFactory,
        fault_proxy_factory) -> None:  # type: ignore[no-untyped-def]
    proxy = fault_proxy_factory(server)
    side = sync_client_factory(proxy.url, subscriptions=TODO)
    user_insert(side, "todo", "tasks", {"title": "one"})
    proxy.add(Rule("status", status=500, times=2, path="/sync/todo/pull"))
    # The server stores the push, then the client sees a 502: the retry sends it again.
    proxy.add(Rule("status", status=502, times=1, method="POST", phase="after"))
    report = side.engine.run_once()
    assert report.ok, report.errors
    assert proxy.counts()["status"] == 3
    assert side.replica.pending_count() == 0
    other = sync_client_factory(server.url, subscriptions=TODO)
    assert other.engine.run_once().ok
    assert snapshot(other.replica) == snapshot(side.replica)


def test_429_retry_after_is_honoured(
        server: RunningServer, sync_client_factory: SyncClientFactory,
        fault_proxy_factory) -> None:  # type: ignore[no-untyped-def]
    proxy = fault_proxy_factory(server)
    side = sync_client_factory(proxy.url, subscriptions=["todo/tasks"])
    proxy.add(Rule("429", retry_after=1, times=1))
    started = time.monotonic()
    report = side.engine.run_once()
    assert report.ok, report.errors
    assert time.monotonic() - started >= 1.0


def test_400_quarantines_only_the_refused_change(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    small = [user_insert(side, "todo", "tasks", {"title": f"ok {i}"}) for i in range(5)]
    # Over the server's 10 MiB body limit on its own: upstream answers 400, not 413.
    huge = user_insert(side, "todo", "tasks", {"title": "x" * (11 * 1024 * 1024)})
    small.append(user_insert(side, "todo", "tasks", {"title": "after the big one"}))
    report = side.engine.run_once()
    assert report.pushed == 6 and report.quarantined == 1
    assert not report.ok and "too large" in report.errors[-1]
    quarantined = side.replica.quarantined()
    assert [q.record_id for q in quarantined] == [huge]
    assert "too large" in (quarantined[0].quarantine_reason or "")
    assert any(j.kind == "quarantined" or "too large" in j.reason
               for j in side.replica.journal())
    assert side.engine.status().quarantined == 1
    other = sync_client_factory(server.url, subscriptions=TODO)
    assert other.engine.run_once().ok
    assert {r.id for r in other.replica.list("todo", "tasks")} == set(small)


def _started(side) -> SyncEngine:  # type: ignore[no-untyped-def]
    side.engine.start()
    # The first cycle has run (the initial status is already "idle").
    wait_for(lambda: side.engine.status().last_pull_at is not None
             and side.engine.status().state == "idle")
    return side.engine


def test_offline_edits_are_pushed_when_the_network_returns(
        server: RunningServer, sync_client_factory: SyncClientFactory,
        fault_proxy_factory) -> None:  # type: ignore[no-untyped-def]
    proxy = fault_proxy_factory(server)
    side = sync_client_factory(proxy.url, subscriptions=TODO, poll_interval_s=300)
    engine = _started(side)
    proxy.set_offline(True)
    task = user_insert(side, "todo", "tasks", {"title": "written offline"})
    wait_for(lambda: engine.status().state == "offline")
    assert side.replica.pending_count() == 1
    user_update(side, "todo", "tasks", task, {"title": "edited offline"})
    proxy.set_offline(False)
    # No further local write: the reconnect probe finds the network and pushes.
    wait_for(lambda: side.replica.pending_count() == 0 and engine.status().state == "idle")
    other = sync_client_factory(server.url, subscriptions=TODO)
    assert other.engine.run_once().ok
    record = other.replica.get("todo", "tasks", task)
    assert record is not None and record.data["title"] == "edited offline"


def test_work_offline_makes_no_requests(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO, poll_interval_s=0.1)
    engine = _started(side)
    engine.set_offline(True)
    wait_for(lambda: engine.status().state == "offline")
    before = engine.requests
    user_insert(side, "todo", "tasks", {"title": "later"})
    deadline = time.monotonic() + 0.5
    wait_for(lambda: time.monotonic() > deadline, timeout=2)  # several poll periods pass
    assert engine.requests == before
    assert engine.status().pending == 1
    engine.set_offline(False)
    wait_for(lambda: side.replica.pending_count() == 0)
    assert engine.requests > before


def test_live_stream_pulls_without_waiting_for_the_poll(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO, poll_interval_s=300, live=True)
    engine = _started(side)
    wait_for(lambda: engine._live is not None and "todo" in engine._live.connected)
    writer = sync_client_factory(server.url, subscriptions=TODO)
    task = user_insert(writer, "todo", "tasks", {"title": "live"})
    assert writer.engine.run_once().ok
    wait_for(lambda: side.replica.get("todo", "tasks", task) is not None, timeout=10)
    # A server-side writer (the mission runner) wakes it too.
    server.append_changes(ALICE, "todo", [{"table": "tasks", "id": "srv-1", "op": "insert",
                                           "data": {"id": "srv-1", "title": "from the runner"}}])
    wait_for(lambda: side.replica.get("todo", "tasks", "srv-1") is not None, timeout=10)


def test_held_changes_go_out_when_the_undo_window_ends(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO, poll_interval_s=300)
    engine = _started(side)
    with side.replica.write(group="g1", hold_s=0.4) as tx:
        tx.insert("todo", "tasks", {"title": "held"}, actor=side.actor)
    assert side.replica.pending_count() == 1
    wait_for(lambda: side.replica.pending_count() == 0, timeout=10)
    assert engine.status().last_push_at is not None


def test_trouble_is_journaled_once_per_change(
        server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(server.url, subscriptions=TODO)
    server.set_sync_active(ALICE, False)
    side.engine.run_once()
    side.engine.run_once()
    paused = [j for j in side.replica.journal() if "paused" in j.reason]
    assert len(paused) == 1 and "Cloud Sync" in paused[0].reason


def test_refresh_while_offline_is_offline_not_signed_out(
        server: RunningServer, sync_client_factory: SyncClientFactory,
        fault_proxy_factory) -> None:  # type: ignore[no-untyped-def]
    proxy = fault_proxy_factory(server)
    side = sync_client_factory(proxy.url, subscriptions=["todo/tasks"])
    side.credentials._set_access(server.token(ALICE, ttl_s=-60))
    proxy.set_offline(True)
    report = side.engine.run_once()
    assert not report.ok and side.engine.status().state == "offline"
    proxy.set_offline(False)
    assert side.engine.run_once().ok and side.engine.status().state == "idle"


def test_local_writes_do_not_cut_the_offline_backoff_short(
        server: RunningServer, sync_client_factory: SyncClientFactory,
        fault_proxy_factory) -> None:  # type: ignore[no-untyped-def]
    proxy = fault_proxy_factory(server)
    rng = random.Random(1)  # first delay uniform(0, 1000) = 134 s: far beyond this test
    side = sync_client_factory(proxy.url, subscriptions=TODO, poll_interval_s=300,
                               backoff_base=1000.0, rng=rng)
    engine = _started(side)
    proxy.set_offline(True)
    engine.sync_now()
    wait_for(lambda: engine.status().state == "offline")
    before = engine.requests
    for i in range(5):
        user_insert(side, "todo", "tasks", {"title": f"offline {i}"})
    wait_for(lambda: engine.status().pending == 5)  # counts still follow local writes
    deadline = time.monotonic() + 0.5
    wait_for(lambda: time.monotonic() > deadline, timeout=2)
    assert engine.requests == before  # no probe per write: only the backoff timer probes
    proxy.set_offline(False)
    engine.sync_now()  # "Sync now" cuts the wait short
    wait_for(lambda: side.replica.pending_count() == 0 and engine.status().state == "idle")
