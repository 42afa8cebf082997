"""Replica store benchmarks (issue 3).

- apply N changes from response bytes (decoding included, as the sync engine decodes them:
  `sync.protocol.decode_sync_page`) to committed rows, page by page with their cursors, against
  the floor: a raw sqlite3 executemany of the very same rows into the same table, one
  transaction per page, measured in the same run. The bodies are written the way the
  reference server writes them (`server.changes.encode_json`: compact, Go's escapes, the
  record's keys sorted as the server stores them);
- the same with a German title in every record (non-ASCII: sent as UTF-8, stored escaped),
  for information: it is what Mana's users mostly write;
- one incremental change (a one-change page with its cursor) with M records stored.

Quick mode uses smaller sizes: N = 20,000 and M = 50,000 (full: 100,000 and 500,000).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Result
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.server.changes import encode_json
from mana_desktop.store.replica import Replica
from mana_desktop.sync.protocol import decode_sync_page

AREA = "store"
PAGE = 1000
ATTEMPTS = 5
COLLECTIONS = [("todo", "tasks"), ("todo", "projects"), ("calendar", "events"),
               ("notes", "notes"), ("habits", "habitLogs")]
ACTOR = {"kind": "user", "principalId": "u-1", "displayName": "Till"}
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def _stamp(n: int) -> str:
    """A distinct creation time per record, as a browser writes it (`toISOString`): the stamps
    of a real initial sync all differ, so no cache saves their parsing."""
    return format_ms(BASE + timedelta(seconds=n * 37.123))


def _change(n: int, collection: str, german: bool = False) -> dict[str, Any]:
    title = f"Einkäufe für Müller, Nr. {n} – Straße" if german else f"Item number {n}"
    return {
        "eventId": f"00000000-0000-4000-8000-{n:012d}",
        "schemaVersion": 1,
        "table": collection,
        "id": f"rec-{n}",
        "op": "insert",
        "data": dict(sorted({
            "id": f"rec-{n}", "title": title, "priority": "medium",
            "isCompleted": n % 3 == 0, "order": n, "spaceId": "space-1", "authorId": "u-1",
            "visibility": "space", "createdAt": _stamp(n),
        }.items())),
        "spaceId": "space-1",
        "actor": ACTOR,
        "origin": "user",
    }


def make_pages(total: int, german: bool = False) -> list[tuple[str, str, bytes]]:
    """Response bodies as the reference server sends them: (app, collection, bytes). With
    `german`, every title has non-ASCII letters (sent as UTF-8, stored as `\\uXXXX`)."""
    pages = []
    per = total // len(COLLECTIONS)
    n = 0
    for app, collection in COLLECTIONS:
        for start in range(0, per, PAGE):
            changes = [_change(n + i, collection, german) for i in range(min(PAGE, per - start))]
            n += len(changes)
            body = {"serverChanges": changes, "conflicts": [],
                    "syncedUntil": f"2026-04-27T09:00:{start % 60:02d}.{start:06d}Z", "hasMore": True}
            pages.append((app, collection, encode_json(body)))
    return pages


def _clock() -> tuple[float, float]:
    """(wall, CPU) seconds. CPU time of this process is what the ratio uses: on a machine
    shared with other busy processes, wall time mostly measures their load."""
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


def apply_all(replica: Replica, pages: list[tuple[str, str, bytes]]) -> tuple[float, float]:
    start = _clock()
    for app, collection, body in pages:
        page = decode_sync_page(body)  # what the sync engine decodes response bodies with
        replica.apply_remote(app, page.changes, collection=collection, cursor=page.synced_until)
    return _since(start)


def floor_rows(path: Path, pages: list[tuple[str, str, bytes]]) -> list[list[tuple[Any, ...]]]:
    """The rows our apply committed, grouped and ordered as the pages delivered them."""
    conn = sqlite3.connect(path)
    stored = {(r[1], r[2]): r for r in conn.execute(
        "SELECT app, collection, id, data, meta, deleted_at FROM records")}
    conn.close()
    return [[stored[(collection, c["id"])] for c in json.loads(body)["serverChanges"]]
            for _, collection, body in pages]


def floor_apply(path: Path, pages: list[list[tuple[Any, ...]]]) -> tuple[float, float]:
    """Raw executemany of the same rows into an identical, empty replica."""
    Replica.open(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    start = _clock()
    for rows in pages:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT OR REPLACE INTO records (app, collection, id, data, meta, deleted_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    elapsed = _since(start)
    conn.close()
    return elapsed


def bench_apply(total: int, tmp: Path, german: bool = False) -> list[Result]:
    pages = make_pages(total, german)
    ours, floor = [], []
    attempts = 3 if german else ATTEMPTS
    for attempt in range(attempts):  # best of N for both sides, interleaved: the machine is noisy
        path = tmp / f"apply-{german}-{attempt}.db"
        with Replica.open(path) as replica:
            ours.append(apply_all(replica, pages))
        floor.append(floor_apply(tmp / f"floor-{german}-{attempt}.db", floor_rows(path, pages)))
    wall, wall_floor = min(o[0] for o in ours), min(f[0] for f in floor)
    cpu, cpu_floor = min(o[1] for o in ours), min(f[1] for f in floor)
    note = "floor: sqlite3 executemany of the same rows, one txn per page"
    if german:  # what Mana's users mostly write; no target of its own
        return [Result(AREA, f"apply {total:,} changes with German text (CPU time)", total / cpu,
                       "changes/s", higher_is_better=True, floor=total / cpu_floor, note=note)]
    return [
        Result(AREA, f"apply {total:,} changes from bytes (CPU time)", total / cpu, "changes/s",
               target=100_000, higher_is_better=True, floor=total / cpu_floor, note=note),
        Result(AREA, f"apply {total:,} changes from bytes (wall time)", total / wall, "changes/s",
               target=100_000, higher_is_better=True, floor=total / wall_floor, note=note),
    ]


def bench_incremental(stored: int, tmp: Path) -> Result:
    path = tmp / "big.db"
    with Replica.open(path) as replica:
        for start in range(0, stored, 10 * PAGE):
            batch = [_change(n, "tasks") for n in range(start, min(stored, start + 10 * PAGE))]
            replica.apply_remote("todo", batch, event_dedup=False)
        timings = []
        for i in range(50):
            change = {"eventId": f"inc-{i}", "table": "tasks", "id": f"rec-{(i * 7919) % stored}",
                      "op": "update", "actor": ACTOR,
                      "fields": {"title": {"value": f"edit {i}", "at": f"2026-05-01T10:00:{i % 60:02d}.000Z"}}}
            t0 = time.perf_counter()
            replica.apply_remote("todo", [change], collection="tasks", cursor=f"2026-05-01T10:00:{i % 60:02d}Z")
            timings.append(time.perf_counter() - t0)
    ms = statistics.median(timings) * 1000
    return Result(AREA, f"1 incremental change, {stored:,} stored (median)", ms, "ms", target=5.0)


def run(quick: bool) -> list[Result]:
    total, stored = (20_000, 50_000) if quick else (100_000, 500_000)
    with tempfile.TemporaryDirectory() as tmp:
        return [*bench_apply(total, Path(tmp)), *bench_apply(total, Path(tmp), german=True),
                bench_incremental(stored, Path(tmp))]
