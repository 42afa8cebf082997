"""The mission runner against the real server service (SQLite file in tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.domain.planner import PlannedStep, PlanOutput, plan_to_json
from mana_desktop.domain.timeutil import format_ms, parse_instant
from mana_desktop.server.planner_builtin import BuiltinPlanner
from mana_desktop.server.planner_tools import planner_tools
from mana_desktop.server.planner_types import PlannerError, PlanRequest
from mana_desktop.server.runner import (
    RUNNER_CLIENT_ID,
    MissionRunner,
    ServiceLog,
    runner_actor,
)
from mana_desktop.server.service import SyncService

NOW = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SyncService]:
    svc = SyncService.open(tmp_path / "server.db")
    svc.auth.add_user("alice@example.com", "alice-password")
    svc.auth.add_user("bob@example.com", "bob-password")
    yield svc
    svc.close()


def uid(service: SyncService, email: str) -> str:
    user = service.auth.user_by_email(email)
    assert user is not None
    return user.id


def mission(mid: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": mid,
        "createdAt": format_ms(NOW - timedelta(days=1)),
        "updatedAt": format_ms(NOW - timedelta(days=1)),
        "title": "Weekly review",
        "conceptMarkdown": "",
        "objective": "Turn the week's loose ends into tasks",
        "inputs": [],
        "cadence": {"kind": "interval", "everyMinutes": 30},
        "state": "active",
        "nextRunAt": format_ms(NOW - timedelta(minutes=1)),
        "iterations": [],
    }
    data.update(extra)
    return data


def push(
    service: SyncService, user_id: str, changes: list[dict[str, Any]], client: str = "c-1"
) -> None:
    body = {"clientId": client, "since": "1970-01-01T00:00:00.000Z", "changes": changes}
    service.push(user_id, "ai", client, json.dumps(body).encode())


def insert(data: dict[str, Any]) -> dict[str, Any]:
    return {"table": "aiMissions", "id": data["id"], "op": "insert", "data": data}


def update(mid: str, at: str, **fields: Any) -> dict[str, Any]:
    return {
        "table": "aiMissions",
        "id": mid,
        "op": "update",
        "fields": {k: {"value": v, "at": at} for k, v in fields.items()},
    }


def runner_rows(service: SyncService) -> list[tuple[Any, ...]]:
    return (
        service.store.reader()
        .execute(
            "SELECT user_id, record_id, op, data, field_meta, client_id, actor, origin"
            " FROM sync_changes WHERE client_id = ? ORDER BY created_at",
            (RUNNER_CLIENT_ID,),
        )
        .fetchall()
    )


def current(service: SyncService, user_id: str, mid: str) -> dict[str, Any]:
    runner = make_runner(service)
    from mana_desktop.server.runner_replay import replay

    records = replay(runner.log.rows(user_id, "ai", "aiMissions"))
    return records[mid].data


def make_runner(service: SyncService, planner: Any = None) -> MissionRunner:
    return MissionRunner(ServiceLog(service), planner or BuiltinPlanner(), planner_tools())


class FixedPlanner:
    """Answers with a given text (or raises), and keeps the requests it saw."""

    name = "fixed"

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.requests: list[PlanRequest] = []

    def complete(self, request: PlanRequest) -> str:
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


TWO_STEPS = PlanOutput(
    "Zwei Schritte",
    (
        PlannedStep("Aufgabe", "create_task", {"title": "Steuern"}, "Frist naht"),
        PlannedStep(
            "Termin",
            "create_event",
            {"title": "Review", "startTime": "2026-04-17T16:00", "endTime": "2026-04-17T16:30"},
            "Freitag passt",
        ),
    ),
)


# --- due selection ------------------------------------------------------------------------


def test_due_selection_per_user_never_across(service: SyncService) -> None:
    alice, bob = uid(service, "alice@example.com"), uid(service, "bob@example.com")
    push(
        service,
        alice,
        [
            insert(mission("due")),
            insert(mission("later", nextRunAt=format_ms(NOW + timedelta(hours=1)))),
            insert(mission("paused", state="paused")),
            insert(mission("deleted", deletedAt=format_ms(NOW))),
            insert(mission("unscheduled", nextRunAt=None)),
            insert(mission("same-id")),
        ],
    )
    # Bob's mission shares an id with one of Alice's: still two separate missions.
    push(service, bob, [insert(mission("same-id", title="Bob's review"))])
    push(service, alice, [{"table": "aiMissions", "id": "gone", "op": "delete"}])

    stats = make_runner(service).tick(NOW)

    assert stats.errors == []
    assert stats.due_mission_count == 3
    written = sorted((r[0], r[1]) for r in runner_rows(service))
    assert written == sorted([(alice, "due"), (alice, "same-id"), (bob, "same-id")])
    assert current(service, bob, "same-id")["title"] == "Bob's review"
    assert len(current(service, bob, "same-id")["iterations"]) == 1
    assert len(current(service, alice, "same-id")["iterations"]) == 1


def test_due_uses_lww_replay_not_last_row(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m", state="paused"))])
    # Activated later by the user; then a stale device pushes an older "paused".
    push(service, alice, [update("m", format_ms(NOW - timedelta(minutes=5)), state="active")])
    push(service, alice, [update("m", format_ms(NOW - timedelta(hours=5)), state="paused")], "c-2")
    assert make_runner(service).tick(NOW).due_mission_count == 1


def test_due_boundary_and_text_times_are_parsed(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    # Same instant written with an offset: due exactly at now (<=), compared as instants.
    push(service, alice, [insert(mission("m", nextRunAt="2026-04-15T10:00:00+02:00"))])
    assert make_runner(service).tick(NOW).due_mission_count == 1


# --- the iteration write (spec §2.6 + our fixes) -------------------------------------------


def test_iteration_written_like_mana_ai(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    earlier = {
        "id": "old",
        "startedAt": "2026-04-14T08:00:00.000Z",
        "plan": [],
        "overallStatus": "approved",
        "source": "server",
    }
    push(service, alice, [insert(mission("m", iterations=[earlier]))])
    stats = make_runner(service, FixedPlanner(plan_to_json(TWO_STEPS))).tick(NOW)
    assert (stats.plans_produced, stats.plans_written_back) == (1, 1)

    [(user, record, op, data_text, meta_text, client, actor_text, origin)] = runner_rows(service)
    assert (user, record, op, client) == (alice, "m", "update", "mana-ai-runner")
    actor = json.loads(actor_text)
    assert actor == runner_actor()
    assert actor["kind"] == "system" and actor["principalId"] == "system:mission-runner"
    assert origin == "system"
    data, meta = json.loads(data_text), json.loads(meta_text)
    assert set(data) == {"iterations", "nextRunAt", "updatedAt"}
    assert set(meta) == set(data)
    assert meta["iterations"] == format_ms(NOW) == data["updatedAt"]

    its = data["iterations"]
    assert [i["id"] for i in its][:1] == ["old"] and len(its) == 2
    new = its[1]
    it_id = new["id"]
    assert new["startedAt"] == new["finishedAt"] == format_ms(NOW)
    assert new["summary"] == "Zwei Schritte"
    assert new["overallStatus"] == "awaiting-review"
    assert new["source"] == "server"
    assert new["plan"] == [
        {
            "id": f"{it_id}-0",
            "summary": "Aufgabe",
            "status": "planned",
            "rationale": "Frist naht",
            "intent": {
                "kind": "toolCall",
                "toolName": "create_task",
                "params": {"title": "Steuern"},
            },
        },
        {
            "id": f"{it_id}-1",
            "summary": "Termin",
            "status": "planned",
            "rationale": "Freitag passt",
            "intent": {
                "kind": "toolCall",
                "toolName": "create_event",
                "params": {
                    "title": "Review",
                    "startTime": "2026-04-17T16:00",
                    "endTime": "2026-04-17T16:30",
                },
            },
        },
    ]


def test_empty_plan_is_an_approved_iteration(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m"))])
    make_runner(service, FixedPlanner('{"summary": "nichts", "steps": []}')).tick(NOW)
    [it] = current(service, alice, "m")["iterations"]
    assert it["overallStatus"] == "approved" and it["plan"] == []


def test_next_run_advanced_by_cadence_and_not_replanned(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(
        service,
        alice,
        [
            insert(mission("interval")),
            insert(mission("manual", cadence={"kind": "manual"})),
            insert(mission("daily", cadence={"kind": "daily", "atHour": 9, "atMinute": 30})),
        ],
    )
    runner = make_runner(service)
    runner.tz = UTC
    assert runner.tick(NOW).plans_written_back == 3
    assert current(service, alice, "interval")["nextRunAt"] == format_ms(
        NOW + timedelta(minutes=30)
    )
    assert current(service, alice, "manual")["nextRunAt"] is None
    assert current(service, alice, "daily")["nextRunAt"] == "2026-04-15T09:30:00.000Z"
    # Upstream would plan again on every tick; here nothing is due until the cadence says so.
    assert runner.tick(NOW + timedelta(minutes=1)).due_mission_count == 0
    again = runner.tick(NOW + timedelta(minutes=31))
    assert again.due_mission_count == 1
    assert len(current(service, alice, "interval")["iterations"]) == 2


def test_write_wins_over_a_client_clock_running_ahead(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m"))])
    ahead = format_ms(NOW + timedelta(hours=2))
    push(
        service,
        alice,
        [
            update(
                "m",
                ahead,
                iterations=[
                    {"id": "x", "plan": [], "startedAt": ahead, "overallStatus": "approved"}
                ],
            )
        ],
    )
    make_runner(service).tick(NOW)
    data = current(service, alice, "m")
    assert data["iterations"][0]["id"] == "x"
    assert len(data["iterations"]) == 2
    meta = json.loads(runner_rows(service)[0][4])
    assert parse_instant(meta["iterations"]) > parse_instant(ahead)


# --- failures -------------------------------------------------------------------------------


def test_planner_error_becomes_failed_iteration(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m"))])
    stats = make_runner(service, FixedPlanner(PlannerError("LLM 503: overloaded"))).tick(NOW)
    assert stats.planner_failures == 1 and stats.plans_written_back == 1
    data = current(service, alice, "m")
    [it] = data["iterations"]
    assert it["overallStatus"] == "failed" and it["plan"] == [] and it["source"] == "server"
    assert "LLM 503: overloaded" in it["summary"]
    assert it["errorDetails"]["message"] == "LLM 503: overloaded"
    assert it["errorDetails"]["phase"] == "calling-llm"
    assert data["nextRunAt"] == format_ms(NOW + timedelta(minutes=30))  # no retry storm


def test_parse_failure_becomes_failed_iteration(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m"))])
    bad = '{"steps": [{"toolName": "drop_database", "rationale": "why not"}]}'
    stats = make_runner(service, FixedPlanner(bad)).tick(NOW)
    assert stats.parse_failures == 1
    [it] = current(service, alice, "m")["iterations"]
    assert it["overallStatus"] == "failed"
    assert (
        it["errorDetails"]["message"]
        == 'step[0].toolName "drop_database" is not in the allowed tool set'
    )
    assert it["errorDetails"]["raw"] == bad


def test_one_bad_mission_does_not_stop_the_others(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("a", cadence={"kind": "weird"})), insert(mission("b"))])
    stats = make_runner(service).tick(NOW)
    assert stats.plans_written_back == 2
    bad = current(service, alice, "a")
    assert bad["nextRunAt"] is None and "cadence" in bad["iterations"][0]["summary"]


def test_overlapping_tick_is_skipped(service: SyncService) -> None:
    runner = make_runner(service)
    with runner._tick_lock:
        assert runner.tick(NOW).errors == ["overlap-skipped"]


# --- prompt inputs --------------------------------------------------------------------------


def test_prompt_carries_history_feedback_and_linked_inputs(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    note = {
        "table": "notes",
        "id": "n-1",
        "op": "insert",
        "data": {"id": "n-1", "title": "Bücher", "content": "Kafka, Le Guin"},
    }
    body = {"clientId": "c-1", "since": "1970-01-01T00:00:00.000Z", "changes": [note]}
    service.push(alice, "notes", "c-1", json.dumps(body).encode())
    history = [
        {
            "id": "i1",
            "startedAt": "2026-04-14T08:00:00.000Z",
            "overallStatus": "rejected",
            "plan": [{"id": "i1-0", "summary": "Alte Idee", "status": "rejected"}],
            "userFeedback": "Weniger Aufgaben bitte",
        }
    ]
    push(
        service,
        alice,
        [
            insert(
                mission(
                    "m",
                    iterations=history,
                    inputs=[{"module": "notes", "table": "notes", "id": "n-1"}],
                )
            )
        ],
    )
    planner = FixedPlanner('{"summary": "", "steps": []}')
    make_runner(service, planner).tick(NOW)
    [request] = planner.requests
    user = request.messages.user
    assert "  - [rejected] Alte Idee\n  Nutzer-Feedback: Weniger Aufgaben bitte" in user
    assert "### notes/notes: Bücher\nKafka, Le Guin" in user
    assert "create_task (todo)" in request.messages.system
    assert "get_task_stats" not in request.messages.system  # read tools are not offered


def test_rows_of_a_client_without_id_are_read(service: SyncService) -> None:
    alice = uid(service, "alice@example.com")
    push(service, alice, [insert(mission("m"))], client="")
    assert make_runner(service).tick(NOW).due_mission_count == 1


def test_old_dialect_server_gets_stamped_fields(tmp_path: Path) -> None:
    svc = SyncService.open(tmp_path / "old.db", dialect="updatedAt")
    try:
        user = svc.auth.add_user("carol@example.com", "carol-password").id
        body = {
            "clientId": "c",
            "since": "1970-01-01T00:00:00.000Z",
            "changes": [insert(mission("m"))],
        }
        svc.push(user, "ai", "c", json.dumps(body).encode())
        assert make_runner(svc).tick(NOW).plans_written_back == 1
        meta = json.loads(runner_rows(svc)[0][4])
        assert meta["iterations"] == format_ms(NOW)
        assert len(current(svc, user, "m")["iterations"]) == 1
    finally:
        svc.close()
