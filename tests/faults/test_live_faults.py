"""The running engine (live mode, its own thread) through the fault proxy: it recovers by itself.

"Stuck sync that looks healthy" is the top complaint about sync clients (anchors.md Part C.1):
these tests go offline, stall the live stream, and inject errors, then require that a server
change arrives and a local edit is pushed without anyone calling `sync_now()`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mana_desktop.sync.engine", reason="the sync engine has not landed")

from mana_desktop.domain.actor import user_actor
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine
from tests.harness.faultproxy import FaultProxy, Rule

EMAIL = "alice@example.com"
WAIT_S = 30.0


class Live:
    def __init__(self, server: RunningServer, proxy: FaultProxy, tmp_path: Path) -> None:
        self.server, self.proxy = server, proxy
        self.profile = Profile(tmp_path / "profile")
        Credentials(self.profile).login(proxy.url, EMAIL, "alice-password")
        settings = self.profile.load_settings()
        self.profile.save_settings(settings.model_copy(update={"subscriptions": ["todo/tasks"]}))
        self.replica = self.profile.open_replica()
        self.changed = threading.Condition()
        self.replica.subscribe(self._notify)
        self.engine = SyncEngine(self.profile, self.replica, Credentials(self.profile),
                                 backoff_base=0.05, poll_interval_s=1.0)

    def _notify(self, _changes: Any) -> None:
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, what: Callable[[], bool], timeout: float = WAIT_S) -> bool:
        with self.changed:
            return self.changed.wait_for(what, timeout)

    def server_insert(self, rid: str) -> None:
        self.server.append_changes(EMAIL, "todo", [
            {"table": "tasks", "id": rid, "op": "insert", "data": {"id": rid, "title": rid}}],
            client_id="other-device", actor=user_actor(None, "B"), origin="user")

    def local_insert(self, rid: str) -> None:
        with self.replica.write() as tx:
            tx.insert("todo", "tasks", {"id": rid, "title": rid}, actor=user_actor(None, "A"))

    def on_server(self, rid: str) -> bool:
        conn = sqlite3.connect(f"file:{self.server.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute("SELECT 1 FROM sync_changes WHERE record_id = ?", (rid,)).fetchone() is not None
        finally:
            conn.close()


@pytest.fixture
def live(reference_server: RunningServer, tmp_path: Path) -> Iterator[Live]:
    with FaultProxy("127.0.0.1", reference_server.port, seed=5) as proxy:
        state = Live(reference_server, proxy, tmp_path)
        state.engine.start()
        yield state
        proxy.clear()
        state.engine.stop()
        state.replica.close()


def _server_wait(live: Live, rid: str) -> bool:
    """The server side has no replica notifications: re-check after each engine status change."""
    done = threading.Event()

    def check(_status: Any) -> None:
        if live.on_server(rid):
            done.set()

    unsubscribe = live.engine.subscribe_status(check)
    try:
        if live.on_server(rid):
            return True
        return done.wait(WAIT_S) or live.on_server(rid)
    finally:
        unsubscribe()


def test_back_online_pulls_and_pushes_by_itself(live: Live) -> None:
    live.server_insert("before")
    assert live.wait_for(lambda: live.replica.get("todo", "tasks", "before") is not None)
    live.proxy.set_offline(True)
    live.server_insert("while-offline")
    live.local_insert("made-offline")
    live.proxy.set_offline(False)
    assert live.wait_for(lambda: live.replica.get("todo", "tasks", "while-offline") is not None), \
        "a server change made while offline never arrived"
    assert _server_wait(live, "made-offline"), "an edit made offline was never pushed"


def test_a_stalled_stream_does_not_stall_sync(live: Live) -> None:
    live.proxy.add(Rule("stall", delay_s=None, path="/stream"))
    live.proxy.set_offline(True)  # drop the current stream so the next one stalls
    live.proxy.set_offline(False)
    live.server_insert("during-stall")
    assert live.wait_for(lambda: live.replica.get("todo", "tasks", "during-stall") is not None), \
        "a stalled SSE stream stopped the polling pulls"


def test_errors_then_recovery(live: Live) -> None:
    rule = live.proxy.add(Rule("status", status=503, path="/sync/"))
    live.local_insert("during-503")
    assert live.proxy.wait(lambda: rule.fired >= 2, 10), "the engine never retried the 503"
    live.proxy.remove(rule)
    retry = live.proxy.add(Rule("429", retry_after=1, times=1, path="/sync/"))
    assert _server_wait(live, "during-503"), "the edit was not pushed after the errors stopped"
    assert retry.fired == 1
    assert not live.on_server("never-made")
