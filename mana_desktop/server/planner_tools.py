"""The tools the server-side planner may use: the catalog's writing, runnable tools.

Read tools (`get_*`, `list_*`) are left out: a server plan is only ever staged as proposals,
and approving a read would change nothing. Upstream offered only its propose subset; we also
offer the auto writers (`log_drink`, `log_meal`) because a server plan still waits for a
person's approval, so nothing runs unasked.
"""

from __future__ import annotations

from mana_desktop.domain.planner import AvailableTool, ToolParam
from mana_desktop.domain.tools import TOOLS, ToolSpec


def _available(spec: ToolSpec) -> AvailableTool:
    return AvailableTool(
        name=spec.name,
        module=spec.module,
        description=spec.description,
        parameters=tuple(
            ToolParam(p.name, p.type, p.required, p.description, p.enum) for p in spec.params
        ),
    )


def planner_tools() -> tuple[AvailableTool, ...]:
    return tuple(
        _available(spec)
        for spec in TOOLS.values()
        if spec.writes and spec.executable and spec.default_policy != "deny"
    )
