"""Proposals: a local, per-device card for one planned tool step (ai-workbench §3.2).

Proposals never sync (approvals on two devices would race); the plan markers do. A proposal's
id is derived from `(missionId, iterationId, stepId)`, so two devices staging the same step
write the same `proposalId` marker and the markers converge.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

# pending: waiting for a person. running: being executed right now. approved: the tool ran.
# rejected: a person said no. failed: parameters invalid (can be edited and approved).
# superseded: decided on another device first. unsupported: this client cannot run the tool
# (only rejectable). skipped: denied by policy. info: a note step, shown as information.
PROPOSAL_STATUSES = (
    "pending",
    "running",
    "approved",
    "rejected",
    "failed",
    "superseded",
    "unsupported",
    "skipped",
    "info",
)
OPEN_STATUSES = frozenset({"pending", "unsupported", "failed"})
# The stored statuses that have a card in an inbox (approved, rejected, skipped leave it).
INBOX_STATUSES = frozenset({"pending", "running", "failed", "superseded", "unsupported", "info"})

# What a proposal's status means for its plan step (upstream `planStepStatusFromProposal`).
STEP_STATUS_FOR: dict[str, str] = {
    "pending": "staged",
    "running": "staged",
    "unsupported": "staged",
    "approved": "approved",
    "rejected": "rejected",
    "failed": "failed",
    "skipped": "skipped",
}

_NAMESPACE = uuid.UUID("6f1c3a52-9a53-4d7e-8a36-6d616e612d77")

REASON_CODES = ("wrong-time", "wrong-content", "duplicate", "not-needed", "other")
_REASON_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "wrong-time": "Wrong time",
        "wrong-content": "Wrong content",
        "duplicate": "Already exists",
        "not-needed": "Not needed",
        "other": "Other reason",
    },
    "de": {
        "wrong-time": "Falscher Zeitpunkt",
        "wrong-content": "Falscher Inhalt",
        "duplicate": "Gibt es schon",
        "not-needed": "Nicht nötig",
        "other": "Anderer Grund",
    },
}


def proposal_id_for(mission_id: str, iteration_id: str, step_id: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"proposal\x1f{mission_id}\x1f{iteration_id}\x1f{step_id}"))


def reason_words(code: str | None, lang: str | None = None) -> str:
    """A reason code in words for people (English, or German when asked)."""
    if not code:
        return ""
    table = _REASON_WORDS.get((lang or "en")[:2], _REASON_WORDS["en"])
    return table.get(code, code)


def check_reason(code: str | None) -> str | None:
    """None or a valid reason code; raises ValueError naming the valid ones otherwise."""
    if code is None or code == "":
        return None
    if code not in REASON_CODES:
        raise ValueError(f"unknown reason {code!r}; use one of: {', '.join(REASON_CODES)}")
    return code


def feedback_line(reason: str | None, text: str | None, lang: str | None = None) -> str | None:
    """What a rejection adds to the iteration's `userFeedback` for the next plan to read."""
    words = reason_words(reason, lang)
    body = (text or "").strip()
    if words and body:
        return f"{words}: {body}"
    return body or words or None


@dataclass(frozen=True)
class ProposalView:
    """One card, as the inbox (GUI and CLI) shows it."""

    id: str
    status: str
    module: str
    tool_name: str
    params: dict[str, Any]
    rationale: str
    mission_id: str
    mission_title: str
    iteration_id: str
    step_id: str
    step_summary: str
    agent_name: str
    created_at: str
    planned_at: str
    error: str | None
    executable: bool
    decided_elsewhere: str | None
    kind: str  # "tool" | "note"
    reason: str | None = None
    feedback: str | None = None
    decided_at: str | None = None
    decided_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "module": self.module,
            "toolName": self.tool_name,
            "params": self.params,
            "rationale": self.rationale,
            "missionId": self.mission_id,
            "missionTitle": self.mission_title,
            "iterationId": self.iteration_id,
            "stepId": self.step_id,
            "stepSummary": self.step_summary,
            "agentName": self.agent_name,
            "createdAt": self.created_at,
            "plannedAt": self.planned_at,
            "error": self.error,
            "executable": self.executable,
            "decidedElsewhere": self.decided_elsewhere,
            "kind": self.kind,
            "reason": self.reason,
            "feedback": self.feedback,
            "decidedAt": self.decided_at,
            "decidedBy": self.decided_by,
        }
