"""The integrity check's interval holds across engines (processes) on one replica
(sync/check_times.py), and anything that changed a collection behind the engine's back still
makes it due at once. Reference server on 127.0.0.1:0, real replica files."""

from __future__ import annotations

import json
import sqlite3
import time

import httpx

from mana_desktop.server.testing import RunningServer
from mana_desktop.sync.check_times import SETTING
from mana_desktop.sync.engine import SyncEngine
from tests.fixtures.sync import FAST_BACKOFF, SyncClientFactory, SyncSide, user_insert

TODO = ["todo/tasks"]


def seed(server: RunningServer, count: int = 5) -> None:
    changes = [{"table": "tasks", "id": f"t{i}", "op": "insert",
                "data": {"id": f"t{i}", "title": f"task {i}"}} for i in range(count)]
    response = httpx.post(f"{server.url}/sync/todo",
                          headers=server.headers("alice@example.com", "device-b"),
                          json={"clientId": "device-b", "since": "", "changes": changes},
                          timeout=30)
    assert response.status_code == 200, response.text


def next_process(side: SyncSide) -> SyncEngine:
    """A new engine on the same replica, as the next `sync --once` process would build."""
    return SyncEngine(side.profile, side.replica, side.credentials, live=False,
                      backoff_base=FAST_BACKOFF)


def test_a_new_engine_does_not_replay_within_the_interval(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    seed(reference_server)
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    assert side.engine.run_once().ok  # the initial pull is a replay: recorded as a check
    saved = json.loads(side.replica.setting(SETTING) or "{}")
    assert set(saved) == {"todo/tasks"} and abs(saved["todo/tasks"]["at"] - time.time()) < 60

    report = next_process(side).run_once()
    assert report.ok and report.requests == 1 and report.repaired == 0  # one pull, no replay

    user_insert(side, "todo", "tasks", {"title": "local"})  # a local edit is not drift
    again = next_process(side).run_once()
    assert again.ok and again.requests == 2 and again.pushed == 1  # one pull, one push


def test_a_collection_changed_behind_the_engines_back_is_checked_at_once(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    seed(reference_server)
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    assert side.engine.run_once().ok
    conn = sqlite3.connect(side.profile.replica_path)
    conn.execute("DELETE FROM records WHERE app='todo' AND collection='tasks' AND id='t3'")
    conn.commit()
    conn.close()

    report = next_process(side).run_once()
    assert report.ok and report.repaired == 1
    assert side.replica.get("todo", "tasks", "t3") is not None


def test_an_old_or_damaged_record_means_due(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    seed(reference_server)
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    assert side.engine.run_once().ok
    saved = json.loads(side.replica.setting(SETTING) or "{}")
    saved["todo/tasks"]["at"] -= 601
    side.replica.set_setting(SETTING, json.dumps(saved))
    old = next_process(side).run_once()
    assert old.ok and old.requests >= 2  # the pull plus the replay
    refreshed = json.loads(side.replica.setting(SETTING) or "{}")["todo/tasks"]["at"]
    assert abs(refreshed - time.time()) < 60

    side.replica.set_setting(SETTING, "{damaged")
    damaged = next_process(side).run_once()
    assert damaged.ok and damaged.requests >= 2
    assert json.loads(side.replica.setting(SETTING) or "{}")["todo/tasks"]["digest"]
