"""Missions, iterations and plan steps (ai-workbench §1.2), and the per-step merge.

A mission is one synced `ai/aiMissions` record whose `iterations` field holds the whole plan
history. We read it into typed views, but every write goes back through the raw dicts so that
fields we do not know (added by newer clients or the server) survive a round trip.

`iterations` is a single field under last-write-wins, so a newer server copy can silently drop
what this device decided (ai-workbench §2.7.3). `merge_iterations` merges per step,
monotonically: a decided step never returns to pending, approved outranks rejected, markers
stay, feedback lines are unioned. Every device applying it converges on the same plan.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MISSIONS_APP = "ai"
MISSIONS_COLLECTION = "aiMissions"

MISSION_STATES = ("active", "paused", "done", "archived")
STEP_STATUSES = ("planned", "staged", "approved", "rejected", "skipped", "failed")
OPEN_STEP_STATUSES = frozenset({"planned", "staged"})
ITERATION_STATUSES = ("running", "awaiting-review", "approved", "rejected", "failed")
FEEDBACK_SEPARATOR = "\n· "

# Higher wins in a merge. Decided beats open; approved beats everything because a tool that
# ran on some device cannot be un-run by a rejection elsewhere (the record exists).
STEP_RANK: dict[str, int] = {
    "planned": 0,
    "staged": 1,
    "failed": 2,
    "skipped": 3,
    "rejected": 4,
    "approved": 5,
}


@dataclass(frozen=True)
class PlanStep:
    id: str
    summary: str
    kind: str  # "toolCall" | "note"
    tool_name: str
    params: dict[str, Any]
    body: str
    status: str
    proposal_id: str | None
    rationale: str | None
    error: str | None

    @staticmethod
    def from_json(raw: Mapping[str, Any]) -> PlanStep:
        intent = raw.get("intent") if isinstance(raw.get("intent"), dict) else {}
        assert isinstance(intent, dict)
        kind = "note" if intent.get("kind") == "note" else "toolCall"
        params = intent.get("params")
        status = raw.get("status")
        pid = raw.get("proposalId")
        return PlanStep(
            id=str(raw.get("id", "")),
            summary=_text(raw.get("summary")),
            kind=kind,
            tool_name=_text(intent.get("toolName")),
            params=dict(params) if isinstance(params, dict) else {},
            body=_text(intent.get("body")),
            status=status if status in STEP_RANK else "planned",
            proposal_id=pid if isinstance(pid, str) and pid else None,
            rationale=_opt_text(raw.get("rationale")),
            error=_opt_text(raw.get("error")),
        )


@dataclass(frozen=True)
class MissionIteration:
    id: str
    started_at: str
    finished_at: str | None
    plan: tuple[PlanStep, ...]
    summary: str
    user_feedback: str
    overall_status: str
    source: str  # "browser" | "server"

    @staticmethod
    def from_json(raw: Mapping[str, Any]) -> MissionIteration:
        plan = raw.get("plan") if isinstance(raw.get("plan"), list) else []
        assert isinstance(plan, list)
        return MissionIteration(
            id=str(raw.get("id", "")),
            started_at=_text(raw.get("startedAt")),
            finished_at=_opt_text(raw.get("finishedAt")),
            plan=tuple(PlanStep.from_json(s) for s in plan if isinstance(s, dict)),
            summary=_text(raw.get("summary")),
            user_feedback=_text(raw.get("userFeedback")),
            overall_status=_text(raw.get("overallStatus")) or "running",
            source="server" if raw.get("source") == "server" else "browser",
        )


@dataclass(frozen=True)
class Mission:
    id: str
    title: str
    concept_markdown: str
    objective: str
    cadence: dict[str, Any]
    state: str
    next_run_at: str | None
    iterations: tuple[MissionIteration, ...]
    agent_id: str | None
    created_at: str
    updated_at: str
    deleted_at: str | None
    inputs: list[Any] = field(default_factory=list)

    @staticmethod
    def from_json(raw: Mapping[str, Any], deleted_at: str | None = None) -> Mission:
        cadence = raw.get("cadence")
        its = raw.get("iterations") if isinstance(raw.get("iterations"), list) else []
        assert isinstance(its, list)
        inputs = raw.get("inputs")
        return Mission(
            id=str(raw.get("id", "")),
            title=_text(raw.get("title")),
            concept_markdown=_text(raw.get("conceptMarkdown")),
            objective=_text(raw.get("objective")),
            cadence=dict(cadence) if isinstance(cadence, dict) else {"kind": "manual"},
            state=raw.get("state") if raw.get("state") in MISSION_STATES else "active",  # type: ignore[arg-type]
            next_run_at=_opt_text(raw.get("nextRunAt")),
            iterations=tuple(MissionIteration.from_json(i) for i in its if isinstance(i, dict)),
            agent_id=_opt_text(raw.get("agentId")),
            created_at=_text(raw.get("createdAt")),
            updated_at=_text(raw.get("updatedAt")),
            deleted_at=deleted_at or _opt_text(raw.get("deletedAt")),
            inputs=list(inputs) if isinstance(inputs, list) else [],
        )

    def iteration(self, iteration_id: str) -> MissionIteration | None:
        return next((i for i in self.iterations if i.id == iteration_id), None)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _opt_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def raw_iterations(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A deep copy of a mission's `iterations` (only well-formed entries), safe to modify."""
    its = data.get("iterations")
    if not isinstance(its, list):
        return []
    return [copy.deepcopy(i) for i in its if isinstance(i, dict)]


def find_step(
    iterations: list[dict[str, Any]], iteration_id: str, step_id: str
) -> dict[str, Any] | None:
    for it in iterations:
        if it.get("id") != iteration_id:
            continue
        for step in it.get("plan") or []:
            if isinstance(step, dict) and step.get("id") == step_id:
                return step
    return None


def find_iteration(iterations: list[dict[str, Any]], iteration_id: str) -> dict[str, Any] | None:
    return next((it for it in iterations if it.get("id") == iteration_id), None)


def step_rank(status: object) -> int:
    return STEP_RANK.get(status, 0) if isinstance(status, str) else 0


def overall_status(plan: Iterable[Mapping[str, Any]], current: str) -> str:
    """`awaiting-review` while a tool step is open; then approved > rejected > failed.

    An iteration with only notes or skipped steps counts as approved (nothing left to review),
    as upstream marks an empty plan approved.
    """
    statuses = [
        s.get("status")
        for s in plan
        if isinstance(s, Mapping) and (s.get("intent") or {}).get("kind") != "note"
    ]
    if any(s in OPEN_STEP_STATUSES or s is None for s in statuses):
        return "awaiting-review" if statuses else current
    for verdict in ("approved", "rejected", "failed"):
        if verdict in statuses:
            return verdict
    return "approved" if current in ("running", "awaiting-review") else current


def refresh_overall_status(iteration: dict[str, Any]) -> None:
    """Recompute `overallStatus` of a server iteration in place (browser ones are left alone)."""
    if iteration.get("source") != "server":
        return
    plan = iteration.get("plan")
    if not isinstance(plan, list) or not plan:
        return
    current = iteration.get("overallStatus")
    iteration["overallStatus"] = overall_status(plan, current if isinstance(current, str) else "")


def feedback_parts(text: object) -> list[str]:
    if not isinstance(text, str) or not text.strip():
        return []
    return [p for p in (part.strip() for part in text.split(FEEDBACK_SEPARATOR)) if p]


def append_feedback(existing: object, feedback: str) -> str:
    """Upstream's `addIterationFeedback`: join with a bullet line."""
    old = existing if isinstance(existing, str) else ""
    new = feedback.strip()
    if not old.strip():
        return new
    return f"{old}{FEEDBACK_SEPARATOR}{new}"


def union_feedback(*texts: object) -> str:
    """All feedback lines of every copy, in first-seen order, joined as upstream joins them."""
    seen: list[str] = []
    for text in texts:
        for part in feedback_parts(text):
            if part not in seen:
                seen.append(part)
    return FEEDBACK_SEPARATOR.join(seen)


def merge_step(base: dict[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """Merge what `other` knows about a step into `base` (a copy of the newer copy)."""
    out = dict(base)
    if step_rank(other.get("status")) > step_rank(out.get("status")):
        out["status"] = other.get("status")
        for key in ("error", "decidedAt"):
            if key in other:
                out[key] = other[key]
    if (
        not out.get("proposalId")
        and isinstance(other.get("proposalId"), str)
        and other.get("proposalId")
    ):
        out["proposalId"] = other["proposalId"]
    if not out.get("rationale") and isinstance(other.get("rationale"), str):
        out["rationale"] = other["rationale"]
    return out


def merge_iterations(
    newer: list[dict[str, Any]], known: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per-step monotonic merge of two copies of `iterations`; `newer` leads the order.

    Iterations only one side has are kept (a server copy built from a stale projection may
    lack one); steps are merged by id; feedback lines are unioned; overallStatus recomputed.
    """
    known_by_id = {it.get("id"): it for it in known if isinstance(it, dict)}
    out: list[dict[str, Any]] = []
    for it in newer:
        merged = copy.deepcopy(it)
        old = known_by_id.pop(it.get("id"), None)
        if old is not None:
            _merge_iteration_into(merged, old)
        out.append(merged)
    out.extend(copy.deepcopy(it) for it in known if it.get("id") in known_by_id)
    return out


def _merge_iteration_into(merged: dict[str, Any], old: Mapping[str, Any]) -> None:
    old_steps = {s.get("id"): s for s in old.get("plan") or [] if isinstance(s, dict)}
    plan = merged.get("plan")
    if isinstance(plan, list):
        merged["plan"] = [
            merge_step(s, old_steps[s.get("id")])
            if isinstance(s, dict) and s.get("id") in old_steps
            else s
            for s in plan
        ]
    feedback = union_feedback(merged.get("userFeedback"), old.get("userFeedback"))
    if feedback:
        merged["userFeedback"] = feedback
    refresh_overall_status(merged)
