"""Pure parts of the workbench: actors, plan merge, record builders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mana_desktop.domain.actor import (
    ai_actor,
    normalize_actor,
    origin_for,
    system_actor,
    user_actor,
)
from mana_desktop.domain.mission import (
    STEP_RANK,
    Mission,
    append_feedback,
    merge_iterations,
    overall_status,
)
from mana_desktop.domain.proposal import feedback_line, proposal_id_for, reason_words
from mana_desktop.domain.records import StepRef, ToolFailure, build, derived_id


def test_actor_shapes_and_origins() -> None:
    ai = ai_actor(None, None, "m1", "it1", "because")
    assert ai["principalId"] == "legacy:ai-default" and ai["missionId"] == "m1"
    assert origin_for(ai) == "agent"
    assert origin_for(user_actor("u1", "Till")) == "user"
    assert origin_for(system_actor("migration")) == "migration"
    old = normalize_actor({"kind": "system", "source": "mission-runner"})
    assert old["principalId"] == "system:mission-runner" and "source" not in old
    assert normalize_actor({"kind": "user"})["principalId"] == "legacy:user"
    assert normalize_actor({"kind": "ai", "missionId": "m", "extra": 1})["extra"] == 1
    assert normalize_actor(None)["kind"] == "user"


def _step(sid: str, status: str = "planned", **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "summary": sid,
        "intent": {"kind": "toolCall", "toolName": "create_task", "params": {"title": sid}},
        "status": status,
        **extra,
    }


def _it(iid: str, *steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": iid,
        "startedAt": "2026-01-01T00:00:00.000Z",
        "plan": list(steps),
        "overallStatus": "awaiting-review",
        "source": "server",
        **extra,
    }


def test_merge_is_monotonic_and_keeps_markers_and_unknown_fields() -> None:
    known = [
        _it(
            "i1",
            _step("s1", "approved", proposalId="p1"),
            _step("s2", "rejected", proposalId="p2"),
            userFeedback="too early",
        )
    ]
    newer = [
        _it(
            "i1",
            _step("s1", "planned", x=1),
            _step("s2", "approved", proposalId="p2"),
            userFeedback="other",
        ),
        _it("i2", _step("t1")),
    ]
    merged = merge_iterations(newer, known)
    s1, s2 = merged[0]["plan"]
    assert s1["status"] == "approved" and s1["proposalId"] == "p1" and s1["x"] == 1
    assert s2["status"] == "approved"  # approved outranks rejected
    assert merged[0]["userFeedback"] == "other\n· too early"
    assert merged[0]["overallStatus"] == "approved"
    assert [i["id"] for i in merged] == ["i1", "i2"]
    # merging is idempotent and order-independent in outcome per step
    assert merge_iterations(merged, known) == merged


def test_merge_keeps_iterations_the_newer_copy_lacks() -> None:
    merged = merge_iterations([_it("i2", _step("t"))], [_it("i1", _step("s", "approved"))])
    assert [i["id"] for i in merged] == ["i2", "i1"]


def test_overall_status_follows_steps() -> None:
    assert (
        overall_status([_step("a", "staged"), _step("b", "approved")], "awaiting-review")
        == "awaiting-review"
    )
    assert overall_status([_step("a", "rejected"), _step("b", "approved")], "x") == "approved"
    assert overall_status([_step("a", "rejected"), _step("b", "failed")], "x") == "rejected"
    assert overall_status([_step("a", "failed")], "x") == "failed"


def test_feedback_and_reasons() -> None:
    assert append_feedback("a", "b") == "a\n· b"
    assert append_feedback(None, " b ") == "b"
    assert reason_words("wrong-time") == "Wrong time"
    assert reason_words("wrong-time", "de") == "Falscher Zeitpunkt"
    assert feedback_line("duplicate", "have it") == "Already exists: have it"
    assert (
        proposal_id_for("m", "i", "s")
        == proposal_id_for("m", "i", "s")
        != proposal_id_for("m", "i", "t")
    )


def test_mission_parse_tolerates_garbage() -> None:
    m = Mission.from_json(
        {
            "id": "m",
            "iterations": [
                {"id": "i", "plan": [{"id": "s", "intent": "bad", "status": "weird"}]},
                5,
            ],
            "state": "zzz",
        }
    )
    assert m.state == "active"
    assert m.iterations[0].plan[0].status == "planned"
    assert m.iterations[0].source == "browser"


class _Lookup:
    def __init__(self, rows: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        self._rows = rows

    def get(self, app: str, collection: str, record_id: str) -> dict[str, Any] | None:
        return next(
            (r for r in self._rows.get((app, collection), []) if r["id"] == record_id), None
        )

    def rows(self, app: str, collection: str) -> list[dict[str, Any]]:
        return self._rows.get((app, collection), [])

    def count_open(self, app: str, collection: str) -> int:
        return sum(1 for r in self.rows(app, collection) if not r.get("deletedAt"))


NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
REF = StepRef("m1", "it1", "s1")


def test_create_task_shape_and_derived_id() -> None:
    lookup = _Lookup({("todo", "tasks"): [{"id": "a"}, {"id": "b", "deletedAt": "x"}]})
    [op] = build("create_task", {"title": "Buy milk"}, REF, NOW, lookup)
    assert op.op == "insert" and (op.app, op.collection) == ("todo", "tasks")
    assert op.id == derived_id(REF) == build("create_task", {"title": "x"}, REF, NOW, lookup)[0].id
    assert (
        op.data["priority"] == "medium"
        and op.data["isCompleted"] is False
        and op.data["order"] == 1
    )


def test_create_event_writes_event_and_timeblock() -> None:
    lookup = _Lookup({("calendar", "calendars"): [{"id": "c1"}, {"id": "c2", "isDefault": True}]})
    ops = build(
        "create_event",
        {"title": "T", "startTime": "2026-05-01T10:00:00Z", "endTime": "2026-05-01T11:00:00Z"},
        REF,
        NOW,
        lookup,
    )
    block, event = ops
    assert event.data["calendarId"] == "c2" and event.data["timeBlockId"] == block.id
    assert (
        block.data["startDate"] == "2026-05-01T10:00:00.000Z" and block.data["sourceId"] == event.id
    )


def test_create_event_without_calendar_fails_clearly() -> None:
    with pytest.raises(ToolFailure, match="no calendar"):
        build(
            "create_event",
            {"title": "T", "startTime": "2026-05-01T10:00Z", "endTime": "2026-05-01T11:00Z"},
            REF,
            NOW,
            _Lookup({}),
        )


def test_complete_by_title_and_read_tools() -> None:
    lookup = _Lookup(
        {
            ("todo", "tasks"): [
                {"id": "a", "title": "Buy MILK"},
                {"id": "b", "title": "milk", "isCompleted": True},
            ]
        }
    )
    ops = build("complete_tasks_by_title", {"titleMatch": "milk"}, REF, NOW, lookup)
    assert [o.id for o in ops] == ["a"] and ops[0].data["isCompleted"] is True
    assert build("get_task_stats", {}, REF, NOW, lookup) == []
    with pytest.raises(ToolFailure):
        build("complete_task", {"taskId": "zzz"}, REF, NOW, lookup)


# --- properties of the per-step merge: devices converge whatever order copies arrive in ------


_status = st.sampled_from(sorted(STEP_RANK))
_copy = st.lists(
    st.tuples(st.sampled_from(["s1", "s2", "s3"]), _status, st.booleans()),
    max_size=3,
    unique_by=lambda t: t[0],
)


def _iters(steps: list[tuple[str, str, bool]]) -> list[dict[str, Any]]:
    plan = [
        _step(sid, status, **({"proposalId": f"p-{sid}"} if marked else {}))
        for sid, status, marked in steps
    ]
    return [_it("i1", *plan)]


def _statuses(its: list[dict[str, Any]]) -> dict[str, tuple[str, Any]]:
    return {s["id"]: (s["status"], s.get("proposalId")) for it in its for s in it["plan"]}


@given(_copy, _copy)
def test_merge_commutes_per_step_and_never_lowers_a_status(
    a: list[tuple[str, str, bool]], b: list[tuple[str, str, bool]]
) -> None:
    ab, ba = (
        _statuses(merge_iterations(_iters(a), _iters(b))),
        _statuses(merge_iterations(_iters(b), _iters(a))),
    )
    rank_a, rank_b = (
        {sid: STEP_RANK[st] for sid, st, _ in a},
        {sid: STEP_RANK[st] for sid, st, _ in b},
    )
    for sid in rank_a.keys() & rank_b.keys():  # a step both copies have ends up the same
        assert ab[sid] == ba[sid]
        assert STEP_RANK[ab[sid][0]] == max(rank_a[sid], rank_b[sid])
    for sid, rank in rank_a.items():  # a merge never lowers what the newer copy says
        assert STEP_RANK[ab[sid][0]] >= rank
    merged = merge_iterations(_iters(a), _iters(b))
    assert (
        _statuses(merge_iterations(merged, _iters(b))) == ab
    )  # applying the same copy again changes nothing
