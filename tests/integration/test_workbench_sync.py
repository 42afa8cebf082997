"""The workbench against the reference server and the real sync engine.

A server iteration arrives by pull; decisions are made offline (nothing pushed while held);
undo before the push sends nothing; after the hold every pushed change of an approved step
carries the AI actor with mission and iteration and origin "agent" on the server's rows.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from mana_desktop.server.testing import RunningServer
from mana_desktop.store.settings import Settings
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import RUNNER_ACTOR, iteration, mission_data, tool_step

EMAIL = "alice@example.com"
SUBSCRIPTIONS = [
    "ai/aiMissions",
    "todo/tasks",
    "calendar/calendars",
    "calendar/events",
    "timeblocks/timeBlocks",
    "notes/notes",
]


def _server_rows(server: RunningServer, *apps: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(server.db_path)
    try:
        marks = ",".join("?" for _ in apps)
        found = conn.execute(
            f"SELECT app_id, table_name, record_id, op, actor, origin, client_id FROM sync_changes WHERE app_id IN ({marks})",
            apps,
        ).fetchall()
    finally:
        conn.close()
    keys = ("app", "table", "id", "op", "actor", "origin", "client")
    return [
        dict(zip(keys, (*r[:4], json.loads(r[4]) if r[4] else None, *r[5:]), strict=True))
        for r in found
    ]


def test_approved_step_reaches_the_server_under_the_ai_actor(
    reference_server: RunningServer, sync_client_factory: Any
) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=SUBSCRIPTIONS)
    event = {
        "title": "Dentist",
        "startTime": "2026-05-02T10:00:00Z",
        "endTime": "2026-05-02T11:00:00Z",
    }
    steps = [
        tool_step("s1", "create_task", {"title": "Buy milk"}),
        tool_step("s2", "create_event", event),
        tool_step("s3", "create_note", {"content": "undo me"}),
        tool_step("s4", "create_task", {"title": "not wanted"}),
    ]
    calendar = {
        "id": "cal-1",
        "name": "Home",
        "isDefault": True,
        "createdAt": "2026-05-01T07:00:00.000Z",
    }
    reference_server.append_changes(
        EMAIL,
        "calendar",
        [{"table": "calendars", "id": "cal-1", "op": "insert", "data": calendar}],
        actor=RUNNER_ACTOR,
        origin="system",
    )
    mission = mission_data("m1", [iteration("it1", *steps)])
    reference_server.append_changes(
        EMAIL,
        "ai",
        [{"table": "aiMissions", "id": "m1", "op": "insert", "data": mission}],
        actor=RUNNER_ACTOR,
        origin="system",
    )
    assert side.engine.run_once().ok

    wb = Workbench(side.replica, Settings(user_id=side.user_id, undo_window_s=60))
    wb.stage()
    ids = {p.step_id: p.id for p in wb.proposals()}
    assert set(ids) == {"s1", "s2", "s3", "s4"}

    # Offline decisions: approve two, approve one and undo it, reject one with feedback.
    approved = wb.approve_many([ids["s1"], ids["s2"]])
    undone = wb.approve(ids["s3"])
    wb.undo(undone.group)
    rejected = wb.reject(ids["s4"], reason="not-needed", feedback="no more tasks today")
    assert side.engine.run_once().ok
    assert (
        _server_rows(reference_server, "todo", "timeblocks", "notes") == []
    )  # held: nothing pushed yet

    for decision in (approved, rejected):
        side.replica.release_group(decision.group)  # the undo window ends
    assert side.engine.run_once().ok
    assert side.replica.pending_count() == 0

    rows = _server_rows(reference_server, "todo", "calendar", "timeblocks", "notes")
    mine = [r for r in rows if r["client"] != "mana-ai-runner"]
    assert {(r["app"], r["table"]) for r in mine} == {
        ("todo", "tasks"),
        ("calendar", "events"),
        ("timeblocks", "timeBlocks"),
    }
    for row in mine:
        assert row["origin"] == "agent", row
        assert (
            row["actor"]["kind"] == "ai"
            and row["actor"]["missionId"] == "m1"
            and row["actor"]["iterationId"] == "it1"
        ), row
    assert not any(r["app"] == "notes" for r in rows)  # the undone approval never left the device

    # The plan on the server knows the decisions and the feedback.
    plan_rows = [r for r in _server_rows(reference_server, "ai") if r["client"] != "mana-ai-runner"]
    assert plan_rows and any(
        r["actor"]["kind"] == "ai" and r["origin"] == "agent" for r in plan_rows
    )
    other = sync_client_factory(reference_server.url, subscriptions=SUBSCRIPTIONS)
    assert other.engine.run_once().ok
    record = other.replica.get("ai", "aiMissions", "m1")
    assert record is not None
    it = record.data["iterations"][0]
    assert [s["status"] for s in it["plan"]] == ["approved", "approved", "staged", "rejected"]
    assert it["userFeedback"] == "Not needed: no more tasks today"
    # A second device stages only the still-open step, and shows it (markers don't hide it).
    wb2 = Workbench(other.replica, Settings(user_id=other.user_id))
    wb2.stage()
    assert [p.step_id for p in wb2.proposals(status="pending")] == ["s3"]
