"""The sync engine end to end (issue 3): initial sync, idle and offline cost.

1. Initial sync: `mana-desktop serve` runs as its own process (as in production) on a database
   seeded with N insert changes spread over 10 collections; a fresh profile signs in and
   `SyncEngine.run_once()` pulls everything, from the first request to the last committed
   page. Full: 100,000 changes (target < 5 s); quick: 10,000 (no target: shown as info). Progress updates are counted to
   show that a long initial sync reports progress.
2. Idle: the engine thread running, online, nothing to do (poll timer at its default of
   30 s, SSE connected): CPU time of this process over the period / wall time.
3. Offline ("Work offline" on): CPU share and the requests made (target 0).
4. Offline (the server gone): CPU share and the requests made: only the jittered reconnect
   probe (first retry within 5 s, cap 60 s).
Full: 60 s per period; quick: 5 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Result
from mana_desktop.server.testing import start_server
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine

AREA = "sync"
EMAIL, PASSWORD = "bench@example.com", "bench-password"
COLLECTIONS = [("todo", "tasks"), ("todo", "projects"), ("notes", "notes"),
               ("calendar", "events"), ("calendar", "calendars"), ("habits", "habits"),
               ("habits", "habitLogs"), ("contacts", "contacts"), ("places", "places"),
               ("journal", "journalEntries")]


def _seed(db: Path, total: int) -> None:
    """Write `total` inserts (round-robin over the collections) through the server's own path."""
    server = start_server(db, users=[(EMAIL, PASSWORD)])
    try:
        per = total // len(COLLECTIONS)
        for app, collection in COLLECTIONS:
            for start in range(0, per, 2000):
                rows = [_row(collection, i) for i in range(start, min(per, start + 2000))]
                server.append_changes(EMAIL, app, rows, client_id="seed")
    finally:
        server.stop()


def _row(collection: str, i: int) -> dict[str, Any]:
    rid = f"{collection}-{i:07d}"
    return {"table": collection, "id": rid, "op": "insert",
            "data": {"id": rid, "title": f"{collection} {i}", "order": i, "done": False,
                     "createdAt": "2026-04-27T09:01:02.003Z", "spaceId": "_personal:bench"},
            "actor": {"kind": "user", "principalId": "u"}, "origin": "user"}


class _Serve:
    """`mana-desktop serve` in its own process on port 0."""

    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mana_desktop", "serve", "--db", str(db), "--port", "0",
             "--no-runner", "--user", f"{EMAIL}:{PASSWORD}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"serve did not start: {line!r}")
        self.url = line.removeprefix("listening on ").strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _client(root: Path, url: str, name: str, **options: Any) -> tuple[SyncEngine, Any]:
    profile = Profile(root / name)
    profile.save_settings(profile.load_settings().model_copy(
        update={"subscriptions": [f"{a}/{c}" for a, c in COLLECTIONS]}))
    credentials = Credentials(profile)
    credentials.login(url, EMAIL, PASSWORD)
    replica = profile.open_replica()
    return SyncEngine(profile, replica, credentials, **options), replica


def _cpu_share(seconds: float) -> float:
    start_cpu, start = time.process_time(), time.monotonic()
    time.sleep(seconds)  # the measured period itself: the engine runs on its own thread
    return (time.process_time() - start_cpu) / (time.monotonic() - start) * 100.0


def _wait(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("condition not met")
        time.sleep(0.01)


def run(quick: bool) -> list[Result]:
    total = 10_000 if quick else 100_000
    period = 5.0 if quick else 60.0
    os.environ.setdefault("MANA_DESKTOP_KEYRING", "none")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        root = Path(tmp)
        db = root / "server.db"
        _seed(db, total)
        serve = _Serve(db)
        try:
            engine, replica = _client(root, serve.url, "initial")
            updates: list[float] = []
            engine.subscribe_status(
                lambda s: updates.append(s.progress) if s.progress is not None else None)
            started = time.perf_counter()
            report = engine.run_once()
            elapsed = time.perf_counter() - started
            rows = replica.count()
            replica.close()
            if not report.ok or rows != total:
                raise RuntimeError(f"initial sync incomplete: {rows}/{total} {report.errors}")
            results.append(Result(AREA, f"initial sync {total:,} changes / 10 collections",
                                  elapsed, "s", target=None if quick else 5.0,
                                  note=f"{total / elapsed:,.0f} changes/s, "
                                       f"{len(updates)} progress updates, "
                                       f"{report.requests} requests"))
            results += _idle_and_offline(root, serve, period)
        finally:
            serve.stop()
    return results


def _idle_and_offline(root: Path, serve: _Serve, period: float) -> list[Result]:
    results = []
    engine, replica = _client(root, serve.url, "idle", live=True)
    engine.start()
    try:
        _wait(lambda: engine.status().state == "idle" and engine._live is not None
              and len(engine._live.connected) > 0)
        before = engine.requests
        cpu = _cpu_share(period)
        results.append(Result(AREA, f"idle online {period:.0f} s (SSE + 30 s poll)", cpu, "% CPU",
                              target=1.0, note=f"{engine.requests - before} requests"))
        engine.set_offline(True)
        _wait(lambda: engine.status().state == "offline")
        before = engine.requests
        cpu = _cpu_share(period)
        made = engine.requests - before
        results.append(Result(AREA, f"work offline {period:.0f} s", cpu, "% CPU", target=1.0,
                              note=f"{made} requests"))
        results.append(Result(AREA, f"requests while working offline {period:.0f} s", made,
                              "requests", target=0))
        engine.set_offline(False)
        _wait(lambda: engine.status().state == "idle")
        serve.stop()  # the network is gone: connection refused from now on
        _wait(lambda: engine.status().state == "offline", timeout=60)
        before = engine.requests
        cpu = _cpu_share(period)
        made = engine.requests - before
        results.append(Result(AREA, f"server unreachable {period:.0f} s", cpu, "% CPU",
                              target=1.0, note=f"{made} reconnect probes"))
        results.append(Result(AREA, f"probes while unreachable {period:.0f} s", made,
                              "requests", target=max(2.0, period / 2.5),
                              note="full jitter, first <= 5 s, cap 60 s"))
    finally:
        engine.stop()
        replica.close()
    return results
