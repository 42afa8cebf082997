"""Decisions: approve (edited), reject with feedback, batches, undo, revert, failures."""

from __future__ import annotations

import pytest

from mana_desktop.domain.mission import MISSIONS_APP, MISSIONS_COLLECTION
from mana_desktop.store.replica import Replica
from mana_desktop.workbench.context import DecisionError
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    add_record,
    iteration,
    mission_data,
    server_insert_mission,
    server_set_iterations,
    tool_step,
)

EVENT = {"title": "Dentist", "startTime": "2026-05-02T10:00:00Z", "endTime": "2026-05-02T11:00:00Z"}


def _stage(
    wb: Workbench, replica: Replica, *steps: dict, mission_id: str = "m1", iteration_id: str = "it1"
) -> dict[str, str]:
    server_insert_mission(replica, mission_data(mission_id, [iteration(iteration_id, *steps)]))
    wb.stage()
    return {p.step_id: p.id for p in wb.proposals(mission_id=mission_id)}


def _iteration(replica: Replica, mission_id: str = "m1") -> dict:
    record = replica.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
    assert record is not None
    return record.data["iterations"][0]


def test_approve_writes_the_record_under_the_ai_actor_in_one_transaction(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(
        workbench,
        wb_replica,
        tool_step("s1", "create_task", {"title": "Buy milk", "priority": "high"}),
    )
    decision = workbench.approve(ids["s1"])
    [task] = wb_replica.list("todo", "tasks")
    assert (
        task.data["title"] == "Buy milk"
        and task.data["priority"] == "high"
        and task.data["isCompleted"] is False
    )
    assert (
        task.field_meta["title"]["actor"]["kind"] == "ai"
        and task.field_meta["title"]["origin"] == "agent"
    )
    assert task.field_meta["title"]["actor"]["iterationId"] == "it1"
    assert workbench.proposal(ids["s1"]).status == "approved"  # type: ignore[union-attr]
    it = _iteration(wb_replica)
    assert it["plan"][0]["status"] == "approved" and it["overallStatus"] == "approved"
    assert ("todo", "tasks") in decision.changed
    # everything of it is held for the undo window
    assert wb_replica.outbox_batch("todo") == []
    with pytest.raises(DecisionError, match="already approved"):
        workbench.approve(ids["s1"])
    assert len(wb_replica.list("todo", "tasks")) == 1  # never executed twice


def test_edit_then_approve_validates_against_the_schema(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(workbench, wb_replica, tool_step("s1", "create_task", {"title": "x"}))
    with pytest.raises(DecisionError, match="“dueDate” must be a date"):
        workbench.approve(ids["s1"], {"dueDate": "next week"})
    assert wb_replica.list("todo", "tasks") == []
    assert workbench.proposal(ids["s1"]).status == "pending"  # type: ignore[union-attr]
    workbench.approve(ids["s1"], {"title": "better", "dueDate": "2026-06-01"})
    [task] = wb_replica.list("todo", "tasks")
    assert (task.data["title"], task.data["dueDate"]) == ("better", "2026-06-01")


def test_tool_failure_writes_nothing_and_never_marks_approved(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(workbench, wb_replica, tool_step("s1", "create_event", EVENT))
    pending_before = wb_replica.pending_count()
    with pytest.raises(DecisionError, match="no calendar"):
        workbench.approve(ids["s1"])
    view = workbench.proposal(ids["s1"])
    assert view is not None and view.status == "pending" and "no calendar" in (view.error or "")
    assert (
        wb_replica.list("calendar", "events") == []
        and wb_replica.list("timeblocks", "timeBlocks") == []
    )
    assert wb_replica.pending_count() == pending_before
    assert _iteration(wb_replica)["plan"][0]["status"] == "staged"
    # once a calendar exists, the same card goes through and writes event + time block
    add_record(
        wb_replica, "calendar", "calendars", {"id": "cal1", "name": "Home", "isDefault": True}
    )
    workbench.approve(ids["s1"])
    [event] = wb_replica.list("calendar", "events")
    [block] = wb_replica.list("timeblocks", "timeBlocks")
    assert event.data["timeBlockId"] == block.id and event.data["calendarId"] == "cal1"


def test_reject_with_reason_and_feedback_reaches_the_iteration(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(
        workbench,
        wb_replica,
        tool_step("s1", "create_task", {"title": "x"}),
        tool_step("s2", "create_task", {"title": "y"}),
    )
    with pytest.raises(DecisionError, match="unknown reason"):
        workbench.reject(ids["s1"], reason="meh")
    workbench.reject(ids["s1"], reason="wrong-time", feedback="not on Sundays")
    workbench.reject(ids["s2"], feedback="never")
    it = _iteration(wb_replica)
    assert it["userFeedback"] == "Wrong time: not on Sundays\n· never"
    assert [s["status"] for s in it["plan"]] == ["rejected", "rejected"] and it[
        "overallStatus"
    ] == "rejected"
    view = workbench.proposal(ids["s1"])
    assert view is not None and view.reason == "wrong-time" and view.feedback == "not on Sundays"
    # a server rewrite without our feedback gets it back on the next staging pass
    server_set_iterations(
        wb_replica,
        "m1",
        [
            iteration(
                "it1",
                tool_step("s1", "create_task", {"title": "x"}),
                tool_step("s2", "create_task", {"title": "y"}),
            )
        ],
    )
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    it = _iteration(wb_replica)
    assert "not on Sundays" in it["userFeedback"] and [s["status"] for s in it["plan"]] == [
        "rejected",
        "rejected",
    ]


def test_batch_iteration_approve_is_one_act_and_undo_restores_everything(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(
        workbench, wb_replica,
        tool_step("s1", "create_task", {"title": "a"}), tool_step("s2", "create_note", {"content": "b"}),
        tool_step("s3", "teleport", {}),
    )  # fmt: skip
    decision = workbench.approve_iteration("it1")
    assert set(decision.proposal_ids) == {ids["s1"], ids["s2"]}
    assert (
        len(wb_replica.list("todo", "tasks")) == 1 and len(wb_replica.list("notes", "notes")) == 1
    )
    assert workbench.proposal(ids["s3"]).status == "unsupported"  # type: ignore[union-attr]
    assert wb_replica.outbox_batch("todo") == [] and wb_replica.outbox_batch("notes") == []
    workbench.undo()
    assert wb_replica.list("todo", "tasks") == [] and wb_replica.list("notes", "notes") == []
    assert {workbench.proposal(i).status for i in ids.values()} == {"pending", "unsupported"}  # type: ignore[union-attr]
    assert [s["status"] for s in _iteration(wb_replica)["plan"]] == ["staged", "staged", "staged"]
    assert wb_replica.outbox_pending("todo") == []  # nothing of the undone act will ever be pushed
    with pytest.raises(DecisionError, match="nothing to undo"):
        workbench.undo()
    workbench.reject_iteration("it1", reason="not-needed")
    assert {workbench.proposal(i).status for i in ids.values()} == {"rejected"}  # type: ignore[union-attr]


def test_undo_after_the_window_is_refused(
    workbench: Workbench, wb_replica: Replica, wb_settings
) -> None:
    wb_settings.undo_window_s = 0.0
    ids = _stage(workbench, wb_replica, tool_step("s1", "create_task", {"title": "a"}))
    workbench.approve(ids["s1"])
    assert len(wb_replica.outbox_batch("todo")) == 1  # no window: ready to push at once
    with pytest.raises(DecisionError, match="undo window has passed"):
        workbench.undo()
    assert len(wb_replica.list("todo", "tasks")) == 1


def test_revert_an_approved_iteration(workbench: Workbench, wb_replica: Replica) -> None:
    add_record(wb_replica, "todo", "tasks", {"id": "t-old", "title": "old", "isCompleted": False})
    ids = _stage(
        workbench,
        wb_replica,
        tool_step("s1", "create_task", {"title": "new"}),
        tool_step("s2", "complete_task", {"taskId": "t-old"}),
    )
    workbench.approve_iteration("it1")
    assert wb_replica.get("todo", "tasks", "t-old").data["isCompleted"] is True  # type: ignore[union-attr]
    decision = workbench.revert_iteration("m1", "it1")
    old = wb_replica.get("todo", "tasks", "t-old")
    assert (
        old is not None and old.data["isCompleted"] is False and old.data.get("completedAt") is None
    )
    assert old.field_meta["isCompleted"]["actor"]["kind"] == "user"
    created = [t for t in wb_replica.list("todo", "tasks", include_deleted=True) if t.id != "t-old"]
    assert len(created) == 1 and created[0].deleted_at
    assert set(decision.proposal_ids) == set(ids.values())
    assert [g.reverted for g in workbench.activity()] == [True]
    with pytest.raises(DecisionError, match="already undone"):
        workbench.revert_iteration("m1", "it1")


def test_same_step_approved_on_two_devices_creates_one_record(tmp_path, wb_settings) -> None:
    a, b = Replica.open(tmp_path / "a.db"), Replica.open(tmp_path / "b.db")
    try:
        wa, wbb = Workbench(a, wb_settings), Workbench(b, wb_settings)
        step = tool_step("s1", "create_task", {"title": "once"})
        ids_a = _stage(wa, a, step)
        ids_b = _stage(wbb, b, step)
        assert ids_a == ids_b  # derived proposal ids: the markers agree too
        wa.approve(ids_a["s1"])
        [task_a] = a.list("todo", "tasks")
        # device B receives A's task before deciding, then approves too: no second record
        b.apply_remote(
            "todo",
            [{"table": "tasks", "id": task_a.id, "op": "insert", "data": task_a.data}],
            collection="tasks",
        )
        wbb.approve(ids_b["s1"])
        assert [t.id for t in b.list("todo", "tasks")] == [task_a.id]
    finally:
        a.close()
        b.close()


def test_offline_approve_here_reject_there_the_approval_stands(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(workbench, wb_replica, tool_step("s1", "create_task", {"title": "x"}))
    workbench.reject(ids["s1"], reason="duplicate")
    approved = [
        iteration(
            "it1",
            tool_step("s1", "create_task", {"title": "x"}, status="approved", proposalId=ids["s1"]),
        )
    ]
    server_set_iterations(wb_replica, "m1", approved)
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    view = workbench.proposal(ids["s1"])
    assert view is not None and view.status == "rejected" and view.decided_elsewhere == "approved"
    assert _iteration(wb_replica)["plan"][0]["status"] == "approved"  # never back to rejected


def test_undo_refused_once_sent(workbench: Workbench, wb_replica: Replica) -> None:
    ids = _stage(workbench, wb_replica, tool_step("s1", "create_task", {"title": "a"}))
    decision = workbench.approve(ids["s1"])
    wb_replica.release_group(decision.group)
    entries = wb_replica.outbox_batch("todo")
    wb_replica.outbox_ack([e.id for e in entries])  # as if the engine pushed it
    with pytest.raises(DecisionError, match="already sent"):
        workbench.undo()
    assert workbench.proposal(ids["s1"]).status == "approved"  # type: ignore[union-attr]
    assert len(wb_replica.list("todo", "tasks")) == 1


def test_batch_approve_skips_what_cannot_run_and_says_why(
    workbench: Workbench, wb_replica: Replica
) -> None:
    ids = _stage(
        workbench, wb_replica,
        tool_step("s1", "create_task", {"title": "a"}), tool_step("s2", "create_event", EVENT),
        tool_step("s3", "create_task", {"title": "b"}),
    )  # fmt: skip
    workbench.approve(ids["s3"])
    decision = workbench.approve_many([ids["s1"], ids["s2"], ids["s3"]])
    assert decision.proposal_ids == (ids["s1"],)
    assert decision.errors is not None and set(decision.errors) == {ids["s2"], ids["s3"]}
    assert (
        "no calendar" in decision.errors[ids["s2"]]
        and "already approved" in decision.errors[ids["s3"]]
    )
    assert workbench.proposal(ids["s2"]).error  # type: ignore[union-attr]
    assert len(wb_replica.list("todo", "tasks")) == 2
