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
