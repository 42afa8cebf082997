"""The reference server under load (issue 2): push and pull throughput and latencies.

`mana-desktop serve` runs as its own process, as in production. Four client processes (four
devices in reality, so they share no GIL), one account each, push small changes in batches of
200 with their own cursor as `since`, then page the rows back 1000 at a time from another
client id. The floor is a raw `sqlite3` executemany of the same rows into the
same schema, in the same 200-row transactions, measured in the same run.

Quick mode: 10,000 changes; full mode (`--full`): 100,000.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.report import Result
from mana_desktop.server.store import INSERT_SQL, SCHEMA, new_event_ids

AREA = "server"
CLIENTS = 4
BATCH = 200
APP = "todo"
TABLE = "tasks"


def _change(client: int, index: int) -> dict[str, Any]:
    record = f"c{client}-{index:07d}"
    if index % 3 == 2:
        return {
            "table": TABLE,
            "id": f"c{client}-{index - 1:07d}",
            "op": "update",
            "fields": {"title": {"value": f"edit {index}", "at": "2026-04-27T09:05:00.000Z"}},
            "spaceId": "_personal:bench",
            "actor": {"kind": "user", "principalId": "u"},
            "origin": "user",
        }
    return {
        "table": TABLE,
        "id": record,
        "op": "insert",
        "data": {
            "id": record,
            "title": f"task {index}",
            "isCompleted": False,
            "order": index,
            "createdAt": "2026-04-27T09:01:02.003Z",
        },
        "spaceId": "_personal:bench",
        "actor": {"kind": "user", "principalId": "u"},
        "origin": "user",
    }


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class _Server:
    def __init__(self, db: Path, users: list[tuple[str, str]]) -> None:
        args = [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--db", str(db)]
        for email, password in users:
            args += ["--user", f"{email}:{password}"]
        if _has_runner():
            args.append("--no-runner")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"serve did not start: {line!r}")
        self.url = line.removeprefix("listening on ")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _has_runner() -> bool:
    import importlib.util

    return importlib.util.find_spec("mana_desktop.server.runner") is not None


def _login(url: str, email: str, password: str) -> str:
    response = httpx.post(f"{url}/api/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return str(response.json()["accessToken"])


def _push_all(url: str, token: str, client: int, total: int, out: list[float]) -> None:
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Client-Id": f"writer-{client}",
        "Content-Type": "application/json",
    }
    since = ""
    with httpx.Client(base_url=url, timeout=60) as http:
        for start in range(0, total, BATCH):
            changes = [_change(client, i) for i in range(start, min(start + BATCH, total))]
            body = json.dumps(
                {
                    "clientId": f"writer-{client}",
                    "appId": APP,
                    "since": since,
                    "schemaVersion": 1,
                    "changes": changes,
                }
            )
            began = time.perf_counter()
            response = http.post(f"/sync/{APP}", content=body, headers=headers)
            out.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
            since = response.json()["syncedUntil"]


_PAGE_TAIL = re.compile(rb'"syncedUntil":"([^"]+)"(,"hasMore":true)?}\n$')


def _pull_all(url: str, token: str, client: int, out: list[float], bodies: list[bytes]) -> None:
    """Page through the account's rows. Only the cursor is read during the run (from the tail
    of the body); the pages are parsed and checked after every client finished, so the
    clients' JSON parsing does not compete with the server for the same two cores."""
    headers = {"Authorization": f"Bearer {token}", "X-Client-Id": f"reader-{client}"}
    since = "1970-01-01T00:00:00Z"
    with httpx.Client(base_url=url, timeout=60) as http:
        while True:
            began = time.perf_counter()
            response = http.get(
                f"/sync/{APP}/pull", params={"collection": TABLE, "since": since}, headers=headers
            )
            out.append((time.perf_counter() - began) * 1000)
            response.raise_for_status()
            bodies.append(response.content)
            match = _PAGE_TAIL.search(response.content[-200:])
            if match is None:
                raise RuntimeError("a pull page without syncedUntil")
            since = match.group(1).decode()
            if match.group(2) is None:
                break


def _count_rows(bodies: list[bytes]) -> int:
    rows = 0
    ids: set[str] = set()
    for body in bodies:
        page = json.loads(body)
        rows += len(page["serverChanges"])
        ids.update(change["eventId"] for change in page["serverChanges"])
    if len(ids) != rows:
        raise RuntimeError("a row came back twice")
    return rows


def _client_main(kind: str, args: tuple[Any, ...], barriers: tuple[Any, Any], results: Any) -> None:
    """One client process: wait for the others, run, report (start, end, latencies, rows)."""
    latencies: list[float] = []
    bodies: list[bytes] = []
    barriers[0].wait()
    began = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    if kind == "push":
        _push_all(*args, latencies)
    else:
        _pull_all(*args, latencies, bodies)
    ended = time.perf_counter()
    barriers[1].wait()
    results.put((began, ended, latencies, _count_rows(bodies)))


def _run_clients(kind: str, argsets: list[tuple[Any, ...]]) -> tuple[float, list[float], int]:
    """Run one process per client (real clients are separate devices: no shared GIL).

    Returns (wall seconds from the first start to the last end, all latencies, rows)."""
    ctx = multiprocessing.get_context("fork")
    barriers = (ctx.Barrier(len(argsets)), ctx.Barrier(len(argsets)))
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_client_main, args=(kind, args, barriers, results)) for args in argsets
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for proc in procs:
        proc.join(60)
    wall = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    return wall, [v for o in outcomes for v in o[2]], sum(o[3] for o in outcomes)


def _raw_floor(db: Path, per_client: int) -> float:
    """Rows/s of a raw executemany of the same rows into the same schema, 200 per commit."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    batches = []
    stamp = 1
    for client in range(CLIENTS):
        for start in range(0, per_client, BATCH):
            rows = []
            ids = iter(new_event_ids(BATCH))  # the server's id scheme, for the same B-tree work
            for i in range(start, min(start + BATCH, per_client)):
                change = _change(client, i)
                data = change.get("data") or {"title": change["fields"]["title"]["value"]}
                meta = {} if "data" in change else {"title": change["fields"]["title"]["at"]}
                rows.append(
                    (
                        next(ids),
                        APP,
                        TABLE,
                        change["id"],
                        f"user-{client}",
                        change["op"],
                        json.dumps(data),
                        json.dumps(meta),
                        f"writer-{client}",
                        stamp,
                        1,
                        json.dumps(change["actor"]),
                        "user",
                        "_personal:bench",
                    )
                )
                stamp += 1
            batches.append(rows)
    began = time.perf_counter()
    for rows in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT_SQL, rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - began
    conn.close()
    return sum(len(b) for b in batches) / elapsed


def run(quick: bool = True) -> list[Result]:
    total = 10_000 if quick else 100_000
    per_client = total // CLIENTS
    users = [(f"bench{i}@example.com", f"bench-password-{i}") for i in range(CLIENTS)]
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        # The floor is measured before and after the server run and the better one kept, so
        # a busy moment of the shared machine cannot flatter the ratio.
        floor_before = _raw_floor(Path(tmp) / "raw-before.db", per_client)
        server = _Server(Path(tmp) / "server.db", users)
        try:
            tokens = [_login(server.url, email, password) for email, password in users]
            push_wall, pushes, _ = _run_clients(
                "push", [(server.url, tokens[c], c, per_client) for c in range(CLIENTS)]
            )
            pull_wall, pages, pulled = _run_clients(
                "pull", [(server.url, tokens[c], c) for c in range(CLIENTS)]
            )
        finally:
            server.stop()
        raw_rate = max(floor_before, _raw_floor(Path(tmp) / "raw-after.db", per_client))

    if pulled != per_client * CLIENTS:
        raise RuntimeError(f"pulled {pulled} rows, pushed {per_client * CLIENTS}")
    push_rate = per_client * CLIENTS / push_wall
    note = f"{total:,} changes, {CLIENTS} clients, batches of {BATCH}, cpus={os.cpu_count()}"
    return [
        Result(AREA, "push throughput", push_rate, "changes/s", higher_is_better=True, note=note),
        Result(
            AREA,
            "pull throughput",
            pulled / pull_wall,
            "changes/s",
            higher_is_better=True,
            note=note,
        ),
        Result(AREA, "push 200 changes p50", statistics.median(pushes), "ms"),
        Result(AREA, "push 200 changes p95", _percentile(pushes, 95), "ms", target=75),
        Result(AREA, "pull 1000-row page p50", statistics.median(pages), "ms"),
        Result(AREA, "pull 1000-row page p95", _percentile(pages, 95), "ms", target=50),
        Result(
            AREA,
            "insert rate vs raw executemany",
            push_rate,
            "changes/s",
            higher_is_better=True,
            target=raw_rate / 4,
            floor=raw_rate,
            note="target: within 4x of the raw sqlite3 floor",
        ),
    ]


if __name__ == "__main__":
    from benchmarks.report import format_table

    print(format_table(run(quick="--full" not in sys.argv)))
