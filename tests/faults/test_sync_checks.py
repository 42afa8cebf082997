"""Issue 7's sync-engine checks: integrity after a full sync, and the clock-skew warning.

Both belong to the sync engine (sync/integrity.py, SyncStatus.clock_warning).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("mana_desktop.sync.engine", reason="the sync engine has not landed")

from mana_desktop.domain.actor import user_actor
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine

SKEW_S = 120.0


def _engine(profile: Profile, replica: object) -> SyncEngine:
    return SyncEngine(profile, replica, Credentials(profile), live=False,  # type: ignore[arg-type]
                      backoff_base=0.01)


@pytest.fixture
def profile(tmp_path: Path, reference_server: RunningServer) -> Profile:
    profile = Profile(tmp_path / "profile")
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    settings = profile.load_settings()
    profile.save_settings(settings.model_copy(update={"subscriptions": ["todo/tasks"]}))
    return profile


def test_silent_drift_is_found_and_repaired(profile: Profile, reference_server: RunningServer) -> None:
    other = reference_server.headers("alice@example.com", "device-b")
    import httpx

    changes = [{"table": "tasks", "id": f"t{i}", "op": "insert", "data": {"id": f"t{i}", "title": f"task {i}"}}
               for i in range(20)]
    r = httpx.post(f"{reference_server.url}/sync/todo", headers=other,
                   json={"clientId": "device-b", "since": "", "changes": changes}, timeout=30)
    assert r.status_code == 200
    replica = profile.open_replica()
    try:
        assert _engine(profile, replica).run_once().ok
        assert len(replica.list("todo", "tasks")) == 20
    finally:
        replica.close()
    # Drift: a record vanishes behind the engine's back (a bug, a bad restore, disk trouble).
    conn = sqlite3.connect(profile.replica_path)
    conn.execute("DELETE FROM records WHERE app='todo' AND collection='tasks' AND id='t7'")
    conn.commit()
    conn.close()
    replica = profile.open_replica()
    try:
        _engine(profile, replica).run_once()
        _engine(profile, replica).run_once()
        assert replica.get("todo", "tasks", "t7") is not None, "drift was not repaired"
    finally:
        replica.close()


def _post(server: RunningServer, changes: list[dict[str, object]]) -> None:
    import httpx

    r = httpx.post(f"{server.url}/sync/todo", headers=server.headers("alice@example.com", "device-b"),
                   json={"clientId": "device-b", "since": "", "changes": changes}, timeout=30)
    assert r.status_code == 200, r.text


def test_repair_is_journaled_and_the_next_cycle_does_not_check_again(
        profile: Profile, reference_server: RunningServer) -> None:
    _post(reference_server, [{"table": "tasks", "id": f"t{i}", "op": "insert",
                              "data": {"id": f"t{i}", "title": f"task {i}"}} for i in range(5)])
    replica = profile.open_replica()
    try:
        assert _engine(profile, replica).run_once().ok
        with replica.write() as tx:  # a local edit still in the outbox is not drift
            tx.insert("todo", "tasks", {"title": "mine"}, actor=user_actor(None, "A"))
        conn = sqlite3.connect(profile.replica_path)
        conn.execute("DELETE FROM records WHERE app='todo' AND collection='tasks' AND id='t2'")
        conn.commit()
        conn.close()
        engine = _engine(profile, replica)
        report = engine.run_once()
        assert report.ok and report.repaired == 1, report
        assert replica.get("todo", "tasks", "t2") is not None
        entries = replica.journal(kind="repair")
        assert len(entries) == 1 and "todo/tasks" in entries[0].reason, entries
        # Within the interval a normal cycle is one pull and no replay.
        again = engine.run_once()
        assert again.ok and again.requests == 1 and again.repaired == 0, again
    finally:
        replica.close()


def test_a_server_delete_undone_by_a_bad_restore_is_repaired(
        profile: Profile, reference_server: RunningServer) -> None:
    _post(reference_server, [{"table": "tasks", "id": f"t{i}", "op": "insert",
                              "data": {"id": f"t{i}", "title": f"task {i}"}} for i in (1, 2)])
    replica = profile.open_replica()
    try:
        assert _engine(profile, replica).run_once().ok
    finally:
        replica.close()
    conn = sqlite3.connect(profile.replica_path)
    old = conn.execute("SELECT * FROM records WHERE id = 't1'").fetchone()
    conn.close()
    _post(reference_server, [{"table": "tasks", "id": "t1", "op": "delete"}])
    replica = profile.open_replica()
    try:
        assert _engine(profile, replica).run_once().ok
        assert [r.id for r in replica.list("todo", "tasks")] == ["t2"]
    finally:
        replica.close()
    # A restore from an old backup brings t1 back as it was before the server deleted it.
    conn = sqlite3.connect(profile.replica_path)
    conn.execute(f"INSERT OR REPLACE INTO records VALUES ({', '.join('?' * len(old))})", old)
    conn.commit()
    conn.close()
    replica = profile.open_replica()
    try:
        assert [r.id for r in replica.list("todo", "tasks")] == ["t1", "t2"]
        report = _engine(profile, replica).run_once()
        assert report.repaired == 1, report
        assert [r.id for r in replica.list("todo", "tasks")] == ["t2"]
    finally:
        replica.close()


class _Skewed(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        ahead = datetime.now(UTC) + timedelta(seconds=SKEW_S)
        body = json.dumps({"serverChanges": [], "conflicts": [],
                           "syncedUntil": ahead.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}).encode()
        self.send_response(200)
        self.send_header("Date", format_datetime(ahead, usegmt=True))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def skewed(profile: Profile) -> Iterator[Profile]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Skewed)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    settings = profile.load_settings()
    profile.save_settings(settings.model_copy(
        update={"server_url": f"http://127.0.0.1:{server.server_address[1]}"}))
    yield profile
    server.shutdown()
    server.server_close()


def test_clock_skew_is_estimated_from_server_responses(skewed: Profile) -> None:
    replica = skewed.open_replica()
    try:
        replica_engine = _engine(skewed, replica)
        with replica.write() as tx:
            tx.insert("todo", "tasks", {"title": "x"}, actor=user_actor(None, "A"))
        replica_engine.run_once()
        skew = replica_engine.status().clock_skew_s
    finally:
        replica.close()
    assert skew is not None and abs(skew - SKEW_S) < 5, skew


def test_clock_skew_above_60_s_warns(skewed: Profile) -> None:
    replica = skewed.open_replica()
    try:
        engine = _engine(skewed, replica)
        engine.run_once()
        status = engine.status()
    finally:
        replica.close()
    words = " ".join(str(v) for v in (status.describe(), status.last_error,
                                      getattr(status, "warning", None), getattr(status, "warnings", None)))
    assert "clock" in words.lower() and ("skew" in words.lower() or "ahead" in words.lower()), words


def test_clock_skew_warning_is_journaled_once_and_saved(skewed: Profile) -> None:
    from mana_desktop.sync.persist import load_state

    replica = skewed.open_replica()
    try:
        engine = _engine(skewed, replica)
        for _ in range(3):
            engine.run_once()
        status = engine.status()
        entries = [e for e in replica.journal() if "clock skew" in e.reason]
    finally:
        replica.close()
    assert status.clock_warning is not None and "ahead" in status.clock_warning
    assert "warning: clock skew" in status.describe()
    assert len(entries) == 1, entries
    assert load_state(skewed.data_dir).get("clock_warning") == status.clock_warning


def test_clock_warning_text_both_ways_and_in_the_gui_status_line() -> None:
    from mana_desktop.gui.status_text import status_text
    from mana_desktop.sync.status import SyncStatus, clock_warning

    assert clock_warning(59.9, 60.0) is None and clock_warning(None, 60.0) is None
    behind = clock_warning(-90.0, 60.0)
    assert behind is not None and "90 s behind" in behind
    line = status_text(SyncStatus(clock_skew_s=-90.0, clock_warning=behind))
    assert behind in line
    assert "clock" not in status_text(SyncStatus(clock_skew_s=-90.0))
