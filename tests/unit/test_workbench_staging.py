"""Staging server iterations into proposals (ai-workbench §3.7, the tests of §3.8 and more)."""

from __future__ import annotations

from mana_desktop.domain.mission import MISSIONS_APP, MISSIONS_COLLECTION
from mana_desktop.store.replica import Replica
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    iteration,
    mission_data,
    note_step,
    server_insert_mission,
    server_set_iterations,
    tool_step,
)


def _plan(replica: Replica, mission_id: str = "m1") -> list[dict]:
    record = replica.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
    assert record is not None
    return record.data["iterations"]


# --- the three upstream tests (§3.8) ------------------------------------------------------


def test_translates_a_server_iteration_into_local_proposals(
    workbench: Workbench, wb_replica: Replica
) -> None:
    server_insert_mission(wb_replica, mission_data("m1"))
    server_set_iterations(
        wb_replica,
        "m1",
        [iteration("it1", tool_step("srv-step-1", "create_task", {"title": "hello"}))],
    )
    workbench.stage()
    pending = workbench.proposals(status="pending")
    assert len(pending) == 1
    p = pending[0]
    assert (p.mission_id, p.iteration_id, p.tool_name, p.params) == (
        "m1",
        "it1",
        "create_task",
        {"title": "hello"},
    )
    step = _plan(wb_replica)[0]["plan"][0]
    assert step["status"] == "staged" and step["proposalId"] == p.id


def test_does_not_restage_a_step_this_device_already_has(
    workbench: Workbench, wb_replica: Replica
) -> None:
    server_insert_mission(
        wb_replica,
        mission_data("m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]),
    )
    workbench.stage()
    workbench.stage()
    workbench.stage(None)
    assert len(workbench.proposals()) == 1


def test_ignores_browser_sourced_iterations(workbench: Workbench, wb_replica: Replica) -> None:
    server_insert_mission(
        wb_replica,
        mission_data(
            "m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}), source=None)]
        ),
    )
    assert workbench.stage() == {} or workbench.proposals() == []
    assert workbench.proposals() == []


# --- beyond upstream ------------------------------------------------------------------------


def test_marker_from_another_device_does_not_hide_the_step(
    workbench: Workbench, wb_replica: Replica
) -> None:
    step = tool_step(
        "s1", "create_task", {"title": "x"}, status="staged", proposalId="other-device"
    )
    server_insert_mission(wb_replica, mission_data("m1", [iteration("it1", step)]))
    workbench.stage()
    assert [p.status for p in workbench.proposals()] == ["pending"]


def test_unrelated_change_sets_are_ignored(workbench: Workbench, wb_replica: Replica) -> None:
    server_insert_mission(
        wb_replica,
        mission_data("m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]),
    )
    assert workbench.stage({("todo", "tasks"): {"t1"}}) == {}
    assert workbench.proposals() == []
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    assert len(workbench.proposals()) == 1


def test_policies_auto_propose_deny(workbench: Workbench, wb_replica: Replica, wb_settings) -> None:
    wb_settings.tool_policies = {"create_note": "deny"}
    steps = [
        tool_step(
            "s1", "log_drink", {"drinkType": "water", "quantityMl": "300"}
        ),  # auto by default
        tool_step("s2", "create_task", {"title": "x"}),  # propose
        tool_step("s3", "create_note", {"content": "c"}),  # denied by the user
    ]
    server_insert_mission(wb_replica, mission_data("m1", [iteration("it1", *steps)]))
    workbench.stage()
    by_step = {p.step_id: p for p in workbench.proposals()}
    assert by_step["s1"].status == "approved" and by_step["s1"].decided_by == "policy"
    assert by_step["s2"].status == "pending"
    assert by_step["s3"].status == "skipped" and "denies" in (by_step["s3"].error or "")
    drinks = wb_replica.list("drink", "drinkEntries")
    assert len(drinks) == 1 and drinks[0].data["quantityMl"] == 300
    meta = drinks[0].field_meta["quantityMl"]
    assert meta["origin"] == "agent" and meta["actor"]["missionId"] == "m1"
    plan = _plan(wb_replica)[0]
    assert [s["status"] for s in plan["plan"]] == ["approved", "staged", "skipped"]
    assert plan["overallStatus"] == "awaiting-review"


def test_invalid_and_unknown_tools(workbench: Workbench, wb_replica: Replica) -> None:
    steps = [
        tool_step(
            "s1", "create_event", {"title": "x", "startIso": "2026-05-01T10:00Z"}
        ),  # drifted names
        tool_step("s2", "teleport", {"to": "mars"}),
        tool_step("s3", "research_news", {"query": "ai"}),
        note_step("s4", "just so you know"),
    ]
    server_insert_mission(wb_replica, mission_data("m1", [iteration("it1", *steps)]))
    workbench.stage()
    by_step = {p.step_id: p for p in workbench.proposals()}
    assert by_step["s1"].status == "failed" and "“startTime” is required" in (
        by_step["s1"].error or ""
    )
    assert by_step["s2"].status == "unsupported" and not by_step["s2"].executable
    assert "does not know the tool" in (by_step["s2"].error or "")
    assert by_step["s3"].status == "unsupported" and "server" in (by_step["s3"].error or "")
    assert by_step["s4"].kind == "note" and by_step["s4"].status == "info"
    plan = {s["id"]: s for s in _plan(wb_replica)[0]["plan"]}
    assert plan["s1"]["status"] == "failed" and plan["s1"]["error"]
    assert plan["s2"]["status"] == "staged" and plan["s4"]["status"] == "planned"
    assert workbench.pending_counts() == {"calendar": 1, "unknown": 1, "news-research": 1}


def test_rationale_and_agent_on_the_actor(workbench: Workbench, wb_replica: Replica) -> None:
    steps = [
        tool_step("s1", "create_task", {"title": "x"}, rationale="the llm said so"),
        tool_step("s2", "create_task", {"title": "y"}, summary=""),
    ]
    server_insert_mission(
        wb_replica, mission_data("m1", [iteration("it1", *steps, summary="")], agentId="ag1")
    )
    with wb_replica.write() as tx:
        tx.insert("ai", "agents", {"id": "ag1", "name": "Planner Pia"}, actor={"kind": "user"})
    workbench.stage()
    by_step = {p.step_id: p for p in workbench.proposals()}
    assert by_step["s1"].rationale == "the llm said so"
    assert by_step["s2"].rationale == "keep things tidy"  # the mission objective
    assert by_step["s1"].agent_name == "Planner Pia"


def test_server_rewrite_dropping_markers_restores_them_without_new_proposals(
    workbench: Workbench, wb_replica: Replica
) -> None:
    its = [
        iteration(
            "it1",
            tool_step("s1", "create_task", {"title": "x"}),
            tool_step("s2", "create_task", {"title": "y"}),
        )
    ]
    server_insert_mission(wb_replica, mission_data("m1", its))
    workbench.stage()
    first = {p.step_id: p.id for p in workbench.proposals()}
    workbench.approve(first["s1"])
    # The runner appends a new iteration to its stale copy: our markers and decision vanish.
    server_set_iterations(
        wb_replica, "m1", [*its, iteration("it2", tool_step("t1", "create_task", {"title": "z"}))]
    )
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    plan = _plan(wb_replica)
    assert [(s["status"], s.get("proposalId")) for s in plan[0]["plan"]] == [
        ("approved", first["s1"]),
        ("staged", first["s2"]),
    ]
    assert plan[1]["plan"][0]["status"] == "staged"
    assert len(workbench.proposals()) == 3
    assert len(wb_replica.list("todo", "tasks")) == 1


def test_step_decided_elsewhere_supersedes_pending_card(
    workbench: Workbench, wb_replica: Replica
) -> None:
    its = [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]
    server_insert_mission(wb_replica, mission_data("m1", its))
    workbench.stage()
    decided = [
        iteration(
            "it1",
            tool_step("s1", "create_task", {"title": "x"}, status="approved", proposalId="p-other"),
        )
    ]
    server_set_iterations(wb_replica, "m1", decided)
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    [p] = workbench.proposals()
    assert p.status == "superseded" and p.decided_elsewhere == "approved" and not p.executable


def test_a_decision_seen_from_elsewhere_survives_a_stale_copy(
    workbench: Workbench, wb_replica: Replica
) -> None:
    approved = tool_step("s1", "create_task", {"title": "x"}, status="approved", proposalId="p-a")
    server_insert_mission(wb_replica, mission_data("m1", [iteration("it1", approved)]))
    workbench.stage()
    assert workbench.proposals() == []  # decided before this device saw it: no card
    server_set_iterations(
        wb_replica, "m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]
    )
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    assert workbench.proposals() == []  # never back to pending
    step = _plan(wb_replica)[0]["plan"][0]
    assert (step["status"], step["proposalId"]) == ("approved", "p-a")


def test_undo_is_not_resurrected_by_the_step_memory(
    workbench: Workbench, wb_replica: Replica
) -> None:
    server_insert_mission(
        wb_replica,
        mission_data("m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]),
    )
    workbench.stage()
    [card] = workbench.proposals()
    workbench.approve(card.id)
    workbench.stage({("ai", "aiMissions"): {"m1"}})  # what the attached stager does after a commit
    workbench.undo()
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    assert workbench.proposal(card.id).status == "pending"  # type: ignore[union-attr]
    assert _plan(wb_replica)[0]["plan"][0]["status"] == "staged"
    assert wb_replica.list("todo", "tasks") == []


def test_an_iteration_dropped_by_a_stale_copy_comes_back(
    workbench: Workbench, wb_replica: Replica
) -> None:
    it1 = iteration(
        "it1", tool_step("s1", "create_task", {"title": "a"}), startedAt="2026-05-01T08:00:00.000Z"
    )
    it2 = iteration(
        "it2", tool_step("t1", "create_task", {"title": "b"}), startedAt="2026-05-02T08:00:00.000Z"
    )
    server_insert_mission(wb_replica, mission_data("m1", [it1, it2]))
    workbench.stage()
    cards = {p.step_id: p.id for p in workbench.proposals()}
    workbench.approve(cards["t1"])
    # an offline device pushes its older copy (only it1) with a newer timestamp: it2 is gone
    server_set_iterations(
        wb_replica,
        "m1",
        [
            iteration(
                "it1",
                tool_step("s1", "create_task", {"title": "a"}),
                startedAt="2026-05-01T08:00:00.000Z",
            )
        ],
    )
    workbench.stage({("ai", "aiMissions"): {"m1"}})
    plan = _plan(wb_replica)
    assert [it["id"] for it in plan] == ["it1", "it2"]
    assert [(s["status"], s["proposalId"]) for s in plan[1]["plan"]] == [("approved", cards["t1"])]
    assert plan[0]["plan"][0]["status"] == "staged" and len(workbench.proposals()) == 2
