"""Activity: what the AI changed on this device, grouped by mission iteration (newest first)."""

from __future__ import annotations

from dataclasses import dataclass

from mana_desktop.workbench import rows
from mana_desktop.workbench.context import Context


@dataclass(frozen=True)
class ActivityItem:
    proposal_id: str
    tool_name: str
    module: str
    step_summary: str
    decided_at: str
    decided_by: str  # "user" | "policy"
    records: tuple[tuple[str, str, str, str], ...]  # (op, app, collection, id)
    reverted: bool


@dataclass(frozen=True)
class ActivityGroup:
    mission_id: str
    mission_title: str
    iteration_id: str
    agent_name: str
    at: str
    items: tuple[ActivityItem, ...]

    @property
    def reverted(self) -> bool:
        return all(i.reverted for i in self.items)


def activity(ctx: Context, limit: int = 200) -> list[ActivityGroup]:
    ctx.ensure_schema()
    found = rows.fetch(
        ctx.read(), "WHERE status = 'approved' ORDER BY decided_at DESC, position LIMIT ?", (limit,)
    )
    groups: dict[tuple[str, str], list[rows.Row]] = {}
    for row in found:
        groups.setdefault((row["mission_id"], row["iteration_id"]), []).append(row)
    out: list[ActivityGroup] = []
    for (mission_id, iteration_id), members in groups.items():
        items = tuple(
            ActivityItem(
                proposal_id=r["id"],
                tool_name=r["tool_name"],
                module=r["module"],
                step_summary=r["step_summary"],
                decided_at=r["decided_at"] or "",
                decided_by=r["decided_by"] or "",
                records=tuple(
                    (e["op"], e["app"], e["collection"], e["id"]) for e in rows.effects_of(r)
                ),
                reverted=bool(r["reverted_at"]),
            )
            for r in sorted(members, key=lambda r: r["position"])
        )
        first = members[0]
        out.append(
            ActivityGroup(
                mission_id,
                ctx.reveal_text(first["mission_title"]),
                iteration_id,
                first["agent_name"],
                first["decided_at"] or "",
                items,
            )
        )
    return out
