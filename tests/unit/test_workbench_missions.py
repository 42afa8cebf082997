"""Missions: create, edit, pause, resume, complete, delete, run now, feedback, activity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mana_desktop.domain.timeutil import parse_instant
from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings
from mana_desktop.workbench.context import DecisionError
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def wb(wb_replica: Replica) -> Workbench:
    return Workbench(wb_replica, Settings(user_id="u-1", display_name="Till"), clock=lambda: NOW)


def test_create_writes_the_upstream_shape_under_the_user(
    wb: Workbench, wb_replica: Replica
) -> None:
    mid = wb.create_mission(
        "Hydrate", "drink more", cadence={"kind": "interval", "everyMinutes": 90}
    )
    record = wb_replica.get("ai", "aiMissions", mid)
    assert record is not None
    data = record.data
    assert (
        data["title"],
        data["objective"],
        data["state"],
        data["iterations"],
        data["userId"],
    ) == ("Hydrate", "drink more", "active", [], "u-1")
    assert parse_instant(data["nextRunAt"]) == datetime(2026, 5, 1, 13, 30, tzinfo=UTC)
    assert record.field_meta["title"]["origin"] == "user"
    [view] = wb.missions()
    assert view.id == mid and view.cadence_text == "every 90 min" and view.pending == 0
    with pytest.raises(DecisionError, match="needs a title"):
        wb.create_mission("  ", "x")
    with pytest.raises(DecisionError, match="everyMinutes"):
        wb.create_mission("x", "y", cadence={"kind": "interval", "everyMinutes": 0})


def test_lifecycle(wb: Workbench, wb_replica: Replica) -> None:
    mid = wb.create_mission("Plan", "plan my week", cadence={"kind": "manual"})
    assert wb_replica.get("ai", "aiMissions", mid).data["nextRunAt"] is None  # type: ignore[union-attr]
    wb.run_now(mid)
    assert parse_instant(wb_replica.get("ai", "aiMissions", mid).data["nextRunAt"]) == NOW  # type: ignore[union-attr]
    wb.pause(mid)
    with pytest.raises(DecisionError, match="paused"):
        wb.run_now(mid)
    wb.resume(mid)
    wb.edit_mission(mid, title="Plan better", cadence={"kind": "cron", "expression": "0 9 * * 1"})
    view = wb.mission(mid)
    assert (
        view is not None
        and view.title == "Plan better"
        and view.state == "active"
        and view.next_run_at is None
    )
    assert view.cadence_text == "cron: 0 9 * * 1"
    with pytest.raises(DecisionError, match="Cannot edit"):
        wb.edit_mission(mid, state="done")
    wb.complete(mid)
    assert wb.mission(mid).state == "done"  # type: ignore[union-attr]
    wb.delete(mid)
    assert wb.missions() == [] and wb.mission(mid).deleted_at  # type: ignore[union-attr]
    with pytest.raises(DecisionError, match="No mission"):
        wb.pause(mid)


def test_feedback_and_deleted_mission_supersedes_cards(wb: Workbench, wb_replica: Replica) -> None:
    server_insert_mission(
        wb_replica,
        mission_data("m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]),
    )
    wb.stage()
    wb.add_feedback("m1", "it1", "shorter titles please")
    wb.add_feedback("m1", "it1", "and no weekends")
    it = wb_replica.get("ai", "aiMissions", "m1").data["iterations"][0]  # type: ignore[union-attr]
    assert it["userFeedback"] == "shorter titles please\n· and no weekends"
    with pytest.raises(DecisionError, match="empty"):
        wb.add_feedback("m1", "it1", "  ")
    wb.delete("m1")
    wb.stage({("ai", "aiMissions"): {"m1"}})
    [p] = wb.proposals()
    assert p.status == "superseded" and p.decided_elsewhere == "deleted"


def test_activity_groups_ai_changes_by_iteration(wb: Workbench, wb_replica: Replica) -> None:
    steps = [
        tool_step("s1", "create_task", {"title": "a"}),
        tool_step("s2", "log_drink", {"drinkType": "tea", "quantityMl": 200}),
    ]
    server_insert_mission(wb_replica, mission_data("m1", [iteration("it1", *steps)]))
    wb.stage()
    wb.approve_iteration("it1")
    [group] = wb.activity()
    assert (group.mission_id, group.iteration_id, group.mission_title) == (
        "m1",
        "it1",
        "Mission m1",
    )
    assert sorted(i.decided_by for i in group.items) == ["policy", "user"]
    assert {r[1] for i in group.items for r in i.records} == {"todo", "drink"}


def test_messages_in_german(wb_replica: Replica) -> None:
    wb = Workbench(wb_replica, Settings(language="de"))
    with pytest.raises(DecisionError, match="Eine Mission braucht einen Titel"):
        wb.create_mission(" ", "x")
    with pytest.raises(DecisionError, match="Es gibt nichts rückgängig zu machen"):
        wb.undo()
    server_insert_mission(
        wb_replica, mission_data("m1", [iteration("it1", tool_step("s1", "create_task", {}))])
    )
    wb.stage()
    [card] = wb.proposals()
    assert card.error == "„title“ fehlt, ist aber nötig."


def test_list_reuses_parsed_plans_only_while_they_are_unchanged(
    wb: Workbench, wb_replica: Replica
) -> None:
    from tests.fixtures.workbench import server_set_iterations

    its = [iteration("it1", tool_step("s1", "create_task", {"title": "one"}))]
    server_insert_mission(wb_replica, mission_data("m1", its))
    first = wb.missions()[0]
    assert [s.status for s in first.iterations[0].plan] == ["planned"]
    assert wb.missions()[0].iterations is first.iterations  # parsed once, reused
    wb.stage()  # staging writes the plan markers (a local write of `iterations`)
    staged = wb.missions()[0]
    assert staged.iterations is not first.iterations
    assert [s.status for s in staged.iterations[0].plan] == ["staged"]
    assert staged.pending == 1
    server_set_iterations(wb_replica, "m1", [*its, iteration("it2", tool_step("s2", "create_task", {"title": "two"}))])
    assert [i.id for i in wb.missions()[0].iterations] == ["it1", "it2"]
    wb.edit_mission("m1", title="Renamed")  # other fields change, plans stay parsed
    assert wb.missions()[0].title == "Renamed" and wb.mission("m1").title == "Renamed"  # type: ignore[union-attr]
    assert wb.mission_titles() == {"m1": "Renamed"}
    wb.delete("m1")
    assert wb.missions() == [] and wb.mission_titles() == {"m1": "Renamed"}
    assert wb.mission_titles(include_deleted=False) == {}
