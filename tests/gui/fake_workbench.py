"""An in-memory stand-in with the Workbench's inbox API, for GUI tests of the painting and
keyboard paths while the real layers are not wired (the real Workbench is used where it exists).
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from mana_desktop.domain.proposal import ProposalView


@dataclass
class FakeDecision:
    group: str
    proposal_ids: list[str]
    changed: dict[Any, set[str]] = field(default_factory=dict)
    undo_until: str | None = None


class DecisionError(Exception):
    pass


def make_view(n: int, **over: Any) -> ProposalView:
    base: dict[str, Any] = dict(
        id=f"p{n}",
        status="pending",
        module="todo",
        tool_name="create_task",
        params={"title": f"Task {n}", "dueDate": "2026-12-01", "priority": "low"},
        rationale="You mentioned running out on Friday.",
        mission_id="m1",
        mission_title="Weekly review",
        iteration_id=f"it{n // 5}",
        step_id=f"s{n}",
        step_summary=f"Task {n}",
        agent_name="Mana",
        created_at="2026-11-24T10:02:00.000Z",
        planned_at=f"2026-11-24T10:{n // 5 % 60:02d}:00.000Z",
        error=None,
        executable=True,
        decided_elsewhere=None,
        kind="tool",
    )
    base.update(over)
    return ProposalView(**base)


class FakeWorkbench:
    def __init__(self, views: list[ProposalView]) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._views = {v.id: v for v in views}
        self._lock = threading.Lock()
        self._groups = itertools.count(1)
        self.history: list[tuple[str, list[str], dict[str, Any]]] = []
        self._undo: list[tuple[str, dict[str, ProposalView]]] = []

    def proposals(self, module: str | None = None, mission_id: str | None = None, status: str | None = None) -> list[ProposalView]:
        with self._lock:
            return [v for v in self._views.values() if module in (None, v.module)]

    def proposal(self, pid: str) -> ProposalView | None:
        return self._views.get(pid)

    def pending_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for v in self._views.values():
            if v.status == "pending":
                counts[v.module] = counts.get(v.module, 0) + 1
        return counts

    def _set(self, action: str, ids: list[str], status: str, **info: Any) -> FakeDecision:
        with self._lock:
            before = {i: self._views[i] for i in ids}
            for i in ids:
                if self._views[i].status not in ("pending", "failed", "unsupported"):
                    raise DecisionError(f"already {self._views[i].status}")
            for i in ids:
                params = info.get("params") or self._views[i].params
                self._views[i] = dataclasses.replace(self._views[i], status=status, params=params)
            group = f"g{next(self._groups)}"
            self._undo.append((group, before))
            self.history.append((action, ids, info))
            return FakeDecision(group, ids)

    def approve(self, pid: str, params: dict[str, Any] | None = None) -> FakeDecision:
        return self._set("approve", [pid], "approved", params=params)

    def reject(self, pid: str, reason: str | None = None, feedback: str | None = None) -> FakeDecision:
        return self._set("reject", [pid], "rejected", reason=reason, feedback=feedback)

    def approve_many(self, ids: list[str]) -> FakeDecision:
        return self._set("approve", ids, "approved")

    def reject_many(self, ids: list[str], reason: str | None, feedback: str | None) -> FakeDecision:
        return self._set("reject", ids, "rejected", reason=reason, feedback=feedback)

    def approve_iteration(self, iteration_id: str) -> FakeDecision:
        ids = [v.id for v in self._views.values() if v.iteration_id == iteration_id and v.status == "pending"]
        return self._set("approve", ids, "approved")

    def reject_iteration(self, iteration_id: str, reason: str | None = None, feedback: str | None = None) -> FakeDecision:
        ids = [v.id for v in self._views.values() if v.iteration_id == iteration_id and v.status == "pending"]
        return self._set("reject", ids, "rejected", reason=reason, feedback=feedback)

    def undo(self, group: str | None = None) -> FakeDecision:
        with self._lock:
            if not self._undo:
                raise DecisionError("nothing to undo")
            name, before = self._undo.pop()
            self._views.update(before)
            return FakeDecision(name, list(before))



def make_mission(mission_id: str = "m1", title: str = "Weekly review", iterations: int = 2) -> Any:
    from mana_desktop.domain.mission import Mission

    raw = {
        "id": mission_id,
        "title": title,
        "objective": "Keep the week tidy",
        "conceptMarkdown": "# Plan\n\n- look at <b>tasks</b>",
        "cadence": {"kind": "daily", "atHour": 9, "atMinute": 0},
        "state": "active",
        "nextRunAt": "2026-11-25T09:00:00.000Z",
        "iterations": [
            {
                "id": f"it{i}",
                "startedAt": f"2026-11-2{i}T10:00:00.000Z",
                "plan": [{"id": "s1", "summary": "Buy oat milk", "status": "staged",
                          "intent": {"kind": "toolCall", "toolName": "create_task", "params": {}}}],
                "overallStatus": "awaiting-review",
                "summary": "Three small things",
                "source": "server",
            }
            for i in range(iterations)
        ],
    }
    return Mission.from_json(raw)


class FakeMissionsMixin:
    calls: list[tuple[str, Any]]

    def missions(self) -> list[Any]:
        return [make_mission()]

    def activity(self) -> list[Any]:
        return [{"mission_id": "m1", "mission_title": "Weekly review", "iteration_id": "it0",
                 "at": "2026-11-24T10:02:00.000Z", "rationale": "Tidy up",
                 "changes": [{"app": "todo", "summary": "created task Buy oat milk"}]}]

    def revert_iteration(self, mission_id: str, iteration_id: str) -> None:
        self.calls.append(("revert", (mission_id, iteration_id)))


# The mission and activity API joins the inbox API (defined above, kept apart for reading).
for _name in ("missions", "activity", "revert_iteration"):
    setattr(FakeWorkbench, _name, getattr(FakeMissionsMixin, _name))
