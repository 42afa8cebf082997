"""Workbench figures: staging throughput, a pass after an unrelated change, approve latency.

- staging N new server iterations of 5 steps (issue: 1,000 in < 1 s), floor: inserting the same
  number of proposal rows with a raw sqlite3 executemany into an empty table;
- a staging pass after an unrelated change (and after one mission changed) with 100 and with
  10,000 missions in the replica (issue: flat), ratio = large / small;
- approve to committed, p95 (issue: < 20 ms), floor: an empty replica write transaction;
- the inbox reads with 10,000 pending cards (issue 5's first paint < 200 ms includes them):
  `proposals()`, `inbox()`, a first page `inbox(limit=300)`, floor: a raw sqlite3 fetchall of
  the same rows; `missions()` cold and warm, floor `mission_titles()`.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.report import Result
from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings
from mana_desktop.workbench import rows
from mana_desktop.workbench.schema import ensure_schema
from mana_desktop.workbench.service import Workbench

AREA = "workbench"
RUNNER = {"kind": "system", "principalId": "system:mission-runner", "displayName": "Mission-Runner"}


def _mission(i: int, steps: int) -> dict[str, Any]:
    plan = [
        {"id": f"s{j}", "summary": f"step {j}", "status": "planned",
         "intent": {"kind": "toolCall", "toolName": "create_task", "params": {"title": f"task {i}.{j}"}}}
        for j in range(steps)
    ]  # fmt: skip
    iteration = {"id": f"it{i}", "startedAt": "2026-05-01T08:00:00.000Z", "plan": plan, "summary": "s",
                 "overallStatus": "awaiting-review", "source": "server"}  # fmt: skip
    return {"id": f"m{i}", "title": f"Mission {i}", "objective": "o", "cadence": {"kind": "manual"},
            "state": "active", "iterations": [iteration] if steps else [], "inputs": [],
            "createdAt": "2026-05-01T07:00:00.000Z", "updatedAt": "2026-05-01T07:00:00.000Z"}  # fmt: skip


def _seed(replica: Replica, count: int, steps: int) -> None:
    for start in range(0, count, 1000):
        changes = [
            {"table": "aiMissions", "id": f"m{i}", "op": "insert", "data": _mission(i, steps),
             "eventId": str(uuid.uuid4()), "actor": RUNNER}
            for i in range(start, min(count, start + 1000))
        ]  # fmt: skip
        replica.apply_remote("ai", changes, collection="aiMissions")


def _staging(tmp: Path, count: int) -> list[Result]:
    with Replica.open(tmp / "stage.db") as replica:
        wb = Workbench(replica, Settings())
        wb.stage({("todo", "tasks"): {"warm"}})
        _seed(replica, count, 5)
        ids = {f"m{i}" for i in range(count)}
        started = time.perf_counter()
        wb.stage({("ai", "aiMissions"): ids})
        elapsed = time.perf_counter() - started
        assert len(wb.proposals()) == count * 5
    floor = _floor_rows(tmp / "floor.db", count * 5)
    return [
        Result(
            AREA,
            f"stage {count:,} iterations x 5 steps",
            elapsed,
            "s",
            target=1.0 * count / 1000,
            floor=floor,
        )
    ]


def _floor_rows(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("BEGIN")
    ensure_schema(conn)
    conn.execute("COMMIT")
    rows = [(str(uuid.uuid4()), f"m{i}", "it", f"s{i}", "pending", "tool", "todo", "create_task", "{}", "r", "{}",
             "t", "s", "a", "c", "p") for i in range(n)]  # fmt: skip
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO wb_proposals (id, mission_id, iteration_id, step_id, status, kind, module, tool_name, params, "
        "rationale, actor, mission_title, step_summary, agent_name, created_at, planned_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def _pass_cost(tmp: Path, count: int, repeats: int = 50) -> tuple[float, float]:
    """Median ms of a staging pass after an unrelated change, and after one (staged) mission
    with an iteration of 5 steps changed, in a replica of `count` such missions."""
    with Replica.open(tmp / f"pass{count}.db") as replica:
        _seed(replica, count, 5)
        wb = Workbench(replica, Settings())
        wb.stage(None)  # everything staged already: a pass finds nothing new
        unrelated, one = [], []
        for i in range(repeats):
            started = time.perf_counter()
            wb.stage({("todo", "tasks"): {f"t{i}"}})
            unrelated.append(time.perf_counter() - started)
            started = time.perf_counter()
            wb.stage({("ai", "aiMissions"): {f"m{i % count}"}})
            one.append(time.perf_counter() - started)
    return statistics.median(unrelated) * 1000, statistics.median(one) * 1000


def _approve(tmp: Path, count: int) -> list[Result]:
    with Replica.open(tmp / "approve.db") as replica:
        wb = Workbench(replica, Settings())
        _seed(replica, count, 1)
        wb.stage()
        ids = [p.id for p in wb.proposals(status="pending")]
        times = []
        for pid in ids:
            started = time.perf_counter()
            wb.approve(pid)
            times.append(time.perf_counter() - started)
        empty = []
        for _ in range(count):
            started = time.perf_counter()
            with replica.write() as tx:
                tx.conn.execute("SELECT 1")
            empty.append(time.perf_counter() - started)
    p95 = statistics.quantiles(times, n=20)[18] * 1000
    floor = statistics.quantiles(empty, n=20)[18] * 1000
    return [
        Result(
            AREA,
            f"approve to committed p95 ({count} approvals)",
            p95,
            "ms",
            target=20.0,
            floor=floor,
        )
    ]


def _best_ms(call: Any, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _reads(tmp: Path, cards: int) -> list[Result]:
    with Replica.open(tmp / "reads.db") as replica:
        _seed(replica, cards // 5, 5)
        wb = Workbench(replica, Settings())
        wb.stage()
        assert len(wb.inbox()) == cards
        conn = sqlite3.connect(f"file:{tmp / 'reads.db'}?mode=ro", uri=True)
        raw = _best_ms(lambda: conn.execute(rows.VIEW_SELECT).fetchall())
        raw_page = _best_ms(lambda: conn.execute(f"{rows.VIEW_SELECT} LIMIT 300").fetchall())
        conn.close()
        n = f"{cards:,} pending"
        cold = _best_ms(wb.missions, 1)
        return [
            Result(AREA, f"proposals() ({n})", _best_ms(wb.proposals), "ms", floor=raw,
                   note="best of 5; floor: raw sqlite3 fetchall of the card columns"),
            Result(AREA, f"inbox() ({n})", _best_ms(wb.inbox), "ms", floor=raw, note="best of 5"),
            Result(AREA, f"inbox(limit=300), first page ({n})", _best_ms(lambda: wb.inbox(limit=300)),
                   "ms", floor=raw_page, note="best of 5; floor: raw fetch of 300 rows"),
            Result(AREA, f"missions() cold, {cards // 5:,} missions", cold, "ms",
                   floor=_best_ms(wb.mission_titles), note="floor: mission_titles()"),
            Result(AREA, f"missions() warm, {cards // 5:,} missions", _best_ms(wb.missions), "ms",
                   floor=_best_ms(wb.mission_titles), note="plans parsed before, unchanged"),
        ]  # fmt: skip


def run(quick: bool) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-wb-") as name:
        tmp = Path(name)
        results += _staging(tmp, 200 if quick else 1000)
        small, large = 100, 1000 if quick else 10_000
        s_unrel, s_one = _pass_cost(tmp, small)
        l_unrel, l_one = _pass_cost(tmp, large)
        results.append(Result(AREA, f"pass after unrelated change, {large:,} missions", l_unrel, "ms", floor=s_unrel,
                              note=f"floor = same with {small} missions; ratio ~1 = flat"))  # fmt: skip
        results.append(Result(AREA, f"pass after 1 mission changed, {large:,} missions", l_one, "ms", floor=s_one,
                              note=f"floor = same with {small} missions; ratio ~1 = flat"))  # fmt: skip
        results += _approve(tmp, 100 if quick else 300)
        results += _reads(tmp, 1000 if quick else 10_000)
    return results


if __name__ == "__main__":
    from benchmarks.report import format_table

    print(format_table(run(quick=True)))
