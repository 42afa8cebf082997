"""The end-of-run checks of the convergence harness.

- `server_pages`: the server's whole history per subscribed collection, read over the wire
  (`GET /sync/{app}/pull` from the epoch, without `X-Client-Id`, so nothing is filtered),
  page by page.
- `replay`: those changes applied to a fresh replica with the client's own LWW; every client
  replica must equal it record by record (data and tombstone).
- `check_promises`: every edit and decision a client logged after its commit reached the
  server (an edit as a change with the same stamp; a decision as a step status at least as
  decided as the verdict under the per-step merge).
- `check_steps`: every record an AI step created carries its AI actor, has an id derived from
  its step (so two devices approving the same step write one record), and no device executed
  a step twice (two distinct inserts of one record from one client).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

EPOCH = "1970-01-01T00:00:00.000Z"
STEP_PARTS = ("", "timeblock", "visit")  # the `part`s domain/records.py derives ids with


def server_pages(
    base_url: str, token: str, keys: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Every page of the server's history, one at a time: (app, collection, changes).

    A generator, so the checks never hold the whole history: mission records carry their
    whole iteration list in every change, and a 10,000-kill history is gigabytes as dicts."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for app, collection in keys:
            since = EPOCH
            for _ in range(100_000):
                r = client.get(f"/sync/{app}/pull", params={"collection": collection, "since": since})
                r.raise_for_status()
                body = r.json()
                yield app, collection, body.get("serverChanges") or []
                since = body["syncedUntil"]
                if not body.get("hasMore"):
                    break


def replay(path: Path, pages: Iterable[tuple[str, str, list[dict[str, Any]]]]) -> Any:
    """A fresh replica holding the server's merged state under the client's LWW."""
    from mana_desktop.store.replica import Replica

    replica = Replica.open(path)
    try:
        for app, collection, rows in pages:
            for start in range(0, len(rows), 1000):
                replica.apply_remote(app, rows[start : start + 1000], collection=collection,
                                     event_dedup=False)
    except BaseException:
        replica.close()
        raise
    return replica


def snapshot(replica: Any, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str, str], Any]:
    from mana_desktop.domain.lww import INTERNAL_KEYS

    out: dict[tuple[str, str, str], Any] = {}
    for app, collection in keys:
        for rec in replica.list(app, collection, include_deleted=True):
            data = {k: v for k, v in rec.data.items() if k not in INTERNAL_KEYS}
            out[(app, collection, rec.id)] = (json.dumps(data, sort_keys=True), rec.deleted_at)
    return out


def compare(name: str, got: Mapping[Any, Any], want: Mapping[Any, Any], limit: int = 5) -> list[str]:
    problems = []
    for key in sorted(set(got) | set(want), key=str):
        if key not in want:
            problems.append(f"{name}: has {key} that the server never had")
        elif key not in got:
            problems.append(f"{name}: lacks {key}")
        elif got[key] != want[key]:
            problems.append(f"{name}: {key} differs: {got[key]} != server {want[key]}")
    if len(problems) > limit:
        problems = [*problems[:limit], f"{name}: ... {len(problems) - limit} more differences"]
    return problems


# -- the server log (for attributions the wire does not carry: the writing client) ----------
def server_rows(db_path: Path) -> list[dict[str, Any]]:
    """Every change row; `data` is left out (`{}`) for the `ai` app, whose mission rows each
    carry the whole iteration list and which no check reads from here (the merged replica
    has them): kept, they made the row list the largest thing in the harness."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        cur = conn.execute(
            "SELECT app_id, table_name, record_id, op,"
            " CASE WHEN app_id = 'ai' THEN NULL ELSE data END, field_meta, client_id, actor"
            " FROM sync_changes ORDER BY created_at"
        )
        return [
            {
                "app": a, "table": t, "id": i, "op": op, "client": c,
                "data": _json(d) or {}, "meta": _json(m) or {}, "actor": _json(actor),
            }
            for a, t, i, op, d, m, c, actor in cur
        ]
    finally:
        conn.close()


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _canon(at: object) -> str | None:
    from mana_desktop.domain.lww import canon_at

    return canon_at(at) if isinstance(at, str) else None


def check_promises(
    logs: Iterable[dict[str, Any]], rows: list[dict[str, Any]], merged: Any
) -> tuple[list[str], dict[str, int]]:
    """Every logged edit and decision is on the server (see module doc)."""
    from mana_desktop.domain.mission import STEP_RANK, find_step, raw_iterations

    index: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        index[(row["client"], row["id"], row["op"])].append(row)
    problems: list[str] = []
    counts = {"edits": 0, "decisions": 0, "offline_edits": 0, "offline_decisions": 0}
    for entry in logs:
        if entry.get("kind") == "edit":
            counts["edits"] += 1
            counts["offline_edits"] += bool(entry.get("offline"))
            if not _edit_on_server(entry, index):
                problems.append(f"lost edit: {entry}")
        elif entry.get("kind") == "decision":
            counts["decisions"] += 1
            counts["offline_decisions"] += bool(entry.get("offline"))
            record = merged.get("ai", "aiMissions", entry["mission"])
            step = None
            if record is not None:
                step = find_step(raw_iterations(record.data), entry["iteration"], entry["step"])
            status = step.get("status") if step else None
            if step is None or STEP_RANK.get(str(status), -1) < STEP_RANK[entry["verdict"]]:
                problems.append(f"lost decision: {entry} (server step status {status!r})")
    return problems, counts


def _edit_on_server(entry: dict[str, Any], index: Mapping[tuple[str, str, str], list[dict[str, Any]]]) -> bool:
    candidates = index.get((entry["client"], entry["id"], entry["op"]), [])
    if entry["op"] != "update":
        return bool(candidates)
    want = _canon(entry.get("at"))
    return any(
        entry["field"] in row["meta"] and _canon(row["meta"][entry["field"]]) == want
        for row in candidates
    )


def check_steps(rows: list[dict[str, Any]], merged: Any) -> tuple[list[str], dict[str, int]]:
    """AI-created records: AI actor, step-derived id, at most one execution per device."""
    from mana_desktop.domain.mission import raw_iterations
    from mana_desktop.domain.records import StepRef, derived_id

    problems: list[str] = []
    per_device: dict[tuple[str, str], set[str]] = defaultdict(set)
    created: set[str] = set()
    for row in rows:
        actor = row["actor"] if isinstance(row["actor"], dict) else {}
        if row["op"] != "insert" or actor.get("kind") != "ai" or row["app"] == "ai":
            continue
        created.add(row["id"])
        # A re-sent insert repeats its payload; a second execution would carry a new stamp.
        per_device[(row["client"], row["id"])].add(json.dumps(row["data"], sort_keys=True))
        mission = merged.get("ai", "aiMissions", str(actor.get("missionId")))
        steps = []
        if mission is not None:
            for it in raw_iterations(mission.data):
                if it.get("id") == actor.get("iterationId"):
                    steps = [s for s in it.get("plan") or [] if isinstance(s, dict)]
        ids = {
            derived_id(StepRef(str(actor["missionId"]), str(actor["iterationId"]), str(s.get("id"))), p)
            for s in steps
            for p in STEP_PARTS
        }
        if row["id"] not in ids:
            problems.append(f"AI record {row['app']}/{row['table']}/{row['id']} has no id derived from a step of its iteration (actor {actor})")
    for (client, rid), payloads in per_device.items():
        if len(payloads) > 1:
            problems.append(f"step record {rid} executed {len(payloads)} times on device {client}")
    _missing_actor(rows, created, problems)
    return problems, {"ai_records": len(created)}


def _missing_actor(rows: list[dict[str, Any]], created: set[str], problems: list[str]) -> None:
    """Inserts of a step's record by a non-AI actor would hide who made it."""
    for row in rows:
        if row["op"] == "insert" and row["id"] in created:
            actor = row["actor"] if isinstance(row["actor"], dict) else {}
            if actor.get("kind") != "ai":
                problems.append(f"record {row['id']} inserted without its AI actor: {actor}")
