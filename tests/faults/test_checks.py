"""The harness's checks can fail: each one is fed a known violation and must report it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("mana_desktop.domain.records", reason="the workbench domain has not landed")

from mana_desktop.domain.records import StepRef, derived_id
from tests.harness import checks

AI = {"kind": "ai", "principalId": "agent", "missionId": "m", "iterationId": "it"}


@dataclass
class _Rec:
    data: dict[str, Any]


class _Merged:
    """The merged state the checks read: one mission with one iteration of two steps."""

    def __init__(self, status: str = "approved") -> None:
        plan = [{"id": "s0", "status": status}, {"id": "s1", "status": "planned"}]
        self.mission = _Rec({"iterations": [{"id": "it", "plan": plan}]})

    def get(self, app: str, collection: str, rid: str) -> _Rec | None:
        return self.mission if (app, collection, rid) == ("ai", "aiMissions", "m") else None


def _row(**kw: Any) -> dict[str, Any]:
    base = {"app": "todo", "table": "tasks", "id": "x", "op": "insert", "client": "c1",
            "data": {}, "meta": {}, "actor": None}
    return {**base, **kw}


def test_compare_reports_missing_extra_and_different() -> None:
    want = {("a", "b", "1"): ("{}", None), ("a", "b", "2"): ('{"t":1}', None)}
    got = {("a", "b", "2"): ('{"t":2}', None), ("a", "b", "3"): ("{}", None)}
    problems = checks.compare("client 0", got, want)
    assert any("lacks" in p for p in problems)
    assert any("never had" in p for p in problems)
    assert any("differs" in p for p in problems)
    assert checks.compare("client 0", want, want) == []


def test_a_lost_edit_and_a_lost_decision_are_reported() -> None:
    at = "2026-04-27T09:00:00.000000Z"
    rows = [_row(op="update", id="t1", meta={"title": "2026-04-27T09:00:00.000Z"})]
    kept = {"kind": "edit", "op": "update", "client": "c1", "id": "t1", "field": "title", "at": at}
    lost = {**kept, "at": "2026-04-27T09:00:01.000000Z"}
    decision = {"kind": "decision", "mission": "m", "iteration": "it", "step": "s1",
                "verdict": "rejected"}
    problems, counts = checks.check_promises([kept, lost, decision], rows, _Merged())
    assert counts["edits"] == 2 and counts["decisions"] == 1
    assert sum("lost edit" in p for p in problems) == 1
    assert sum("lost decision" in p for p in problems) == 1


def test_step_records_non_derived_twice_executed_and_unstamped_are_reported() -> None:
    good = derived_id(StepRef("m", "it", "s0"))
    rows = [
        _row(id=good, actor=AI, data={"createdAt": "1"}),
        _row(id=good, actor=AI, data={"createdAt": "1"}),  # a retry: same payload, fine
        _row(id="random-id", actor=AI),  # not derived from a step
        _row(id=derived_id(StepRef("m", "it", "s1")), actor=AI, client="c2", data={"v": 1}),
        _row(id=derived_id(StepRef("m", "it", "s1")), actor=AI, client="c2", data={"v": 2}),
        _row(id=good, actor={"kind": "user"}, client="c3"),
    ]
    problems, counts = checks.check_steps(rows, _Merged())
    assert counts["ai_records"] == 3
    assert sum("no id derived" in p for p in problems) == 1
    assert sum("executed 2 times" in p for p in problems) == 1
    assert sum("without its AI actor" in p for p in problems) == 1
