"""Mission runner: the cost of a tick over the change log (issue 6).

Figures: an idle tick (nothing due) over M missions of U users, each with a few updates in the
log, against the floor of reading and JSON-decoding the same rows with raw SQL; and the rate of
planning + writing due missions with the built-in planner.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import Result
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.server.planner_builtin import BuiltinPlanner
from mana_desktop.server.planner_tools import planner_tools
from mana_desktop.server.runner import MissionRunner, ServiceLog
from mana_desktop.server.service import SyncService

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
UPDATES_PER_MISSION = 3


def _mission(i: int, due: bool) -> dict[str, Any]:
    when = NOW - timedelta(minutes=1) if due else NOW + timedelta(days=1)
    return {
        "id": f"m-{i}",
        "title": f"Weekly review {i}",
        "objective": "Turn loose ends into tasks",
        "conceptMarkdown": "",
        "inputs": [],
        "cadence": {"kind": "interval", "everyMinutes": 60},
        "state": "active",
        "nextRunAt": format_ms(when),
        "iterations": [],
        "createdAt": format_ms(NOW - timedelta(days=2)),
        "updatedAt": format_ms(NOW - timedelta(days=2)),
    }


def _populate(service: SyncService, users: int, per_user: int, due: int) -> None:
    for u in range(users):
        user = service.auth.add_user(f"u{u}@bench.local", "bench-password")
        changes = [
            {"table": "aiMissions", "id": f"m-{i}", "op": "insert", "data": _mission(i, i < due)}
            for i in range(per_user)
        ]
        for k in range(UPDATES_PER_MISSION):
            at = format_ms(NOW - timedelta(hours=10 - k))
            changes += [
                {
                    "table": "aiMissions",
                    "id": f"m-{i}",
                    "op": "update",
                    "fields": {"title": {"value": f"Review {i}.{k}", "at": at}},
                }
                for i in range(per_user)
            ]
        service.append_changes(user.id, "ai", changes, client_id="bench")


def _floor(service: SyncService) -> float:
    conn = service.store.reader()
    start = time.perf_counter()
    for (data,) in conn.execute(
        "SELECT data FROM sync_changes WHERE app_id = 'ai' AND table_name = 'aiMissions'"
    ):
        json.loads(data)
    return time.perf_counter() - start


def _best(fn: Any, repeat: int) -> float:
    return min(fn() for _ in range(repeat))


def run(quick: bool) -> list[Result]:
    users, per_user, due_per_user = (10, 20, 2) if quick else (50, 40, 4)
    total = users * per_user
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        service = SyncService.open(Path(tmp) / "server.db")
        try:
            _populate(service, users, per_user, 0)
            runner = MissionRunner(ServiceLog(service), BuiltinPlanner(), planner_tools())

            def idle() -> float:
                start = time.perf_counter()
                stats = runner.tick(NOW)
                assert stats.due_mission_count == 0
                return time.perf_counter() - start

            idle_s = _best(idle, 3)
            floor_s = _best(lambda: _floor(service), 3)
        finally:
            service.close()
        service = SyncService.open(Path(tmp) / "due.db")
        try:
            _populate(service, users, per_user, due_per_user)
            runner = MissionRunner(ServiceLog(service), BuiltinPlanner(), planner_tools())
            start = time.perf_counter()
            stats = runner.tick(NOW)
            busy_s = time.perf_counter() - start
            assert stats.plans_written_back == users * due_per_user, stats
        finally:
            service.close()
    rows = total * (1 + UPDATES_PER_MISSION)
    return [
        Result(
            "runner",
            f"idle tick, {total} missions / {users} users ({rows} rows)",
            idle_s * 1000,
            "ms",
            floor=floor_s * 1000,
            note="floor: SELECT + json.loads of the same rows",
        ),
        Result(
            "runner",
            f"plan + write {users * due_per_user} due missions (built-in planner)",
            users * due_per_user / busy_s,
            "missions/s",
            higher_is_better=True,
            note=f"tick over {total} missions",
        ),
    ]
