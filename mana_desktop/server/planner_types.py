"""What a planner is given and what it returns, for both the built-in planner and the LLM.

A planner answers with text, exactly like an LLM would; the runner always reads that text with
`parse_planner_response`, so the built-in planner exercises the same path as a real model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from mana_desktop.domain.planner import AvailableTool, PlannerMessages, ResolvedInput


@dataclass(frozen=True)
class PlanRequest:
    mission: Mapping[str, Any]
    messages: PlannerMessages
    tools: tuple[AvailableTool, ...]
    resolved_inputs: tuple[ResolvedInput, ...]
    now: datetime
    tz: tzinfo | None = None  # zone of dates the planner proposes; None = local


class PlannerError(RuntimeError):
    """The planner could not answer (network, HTTP status, empty answer); the message is
    recorded on the failed iteration, so it must never contain a secret."""


class Planner(Protocol):
    name: str

    def complete(self, request: PlanRequest) -> str:
        """The raw answer text; raises PlannerError when there is none."""
        ...
