"""Reading and writing `wb_proposals` rows, and turning them into `ProposalView`s."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mana_desktop.domain.proposal import OPEN_STATUSES, ProposalView
from mana_desktop.domain.tools import get_tool

COLUMNS = (
    "id", "mission_id", "iteration_id", "step_id", "status", "kind", "module", "tool_name",
    "params", "rationale", "actor", "mission_title", "step_summary", "agent_name", "created_at",
    "planned_at", "error", "decided_at", "decided_by", "reason", "feedback", "decided_elsewhere",
    "decision_group", "effects", "reverted_at", "position",
)  # fmt: skip
_PARAMS = COLUMNS.index("params")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM wb_proposals"
# The columns a decision may change, saved before it so undo can put them back.
MUTABLE = (
    "status", "params", "error", "decided_at", "decided_by", "reason", "feedback",
    "decided_elsewhere", "decision_group", "effects", "reverted_at",
)  # fmt: skip

Row = dict[str, Any]


def to_row(values: Iterable[Any]) -> Row:
    return dict(zip(COLUMNS, values, strict=True))


def fetch(conn: sqlite3.Connection, where: str = "", args: Iterable[Any] = ()) -> list[Row]:
    sql = f"{SELECT} {where}" if where else SELECT
    return [to_row(r) for r in conn.execute(sql, tuple(args)).fetchall()]


def fetch_one(conn: sqlite3.Connection, proposal_id: str) -> Row | None:
    rows = fetch(conn, "WHERE id = ?", (proposal_id,))
    return rows[0] if rows else None


def insert(conn: sqlite3.Connection, row: Mapping[str, Any]) -> bool:
    """Insert unless the step already has a proposal; True when this call inserted it."""
    values = [row.get(c) for c in COLUMNS]
    if not isinstance(values[_PARAMS], str):
        values[_PARAMS] = json.dumps(values[_PARAMS], ensure_ascii=False)
    cur = conn.execute(
        f"INSERT OR IGNORE INTO wb_proposals ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in COLUMNS)})",
        values,
    )
    return cur.rowcount == 1


def insert_many(conn: sqlite3.Connection, new_rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows in one statement batch (steps that already have a row are left alone)."""
    values = []
    for row in new_rows:
        value = [row.get(c) for c in COLUMNS]
        if not isinstance(value[_PARAMS], str):
            value[_PARAMS] = json.dumps(value[_PARAMS], ensure_ascii=False)
        values.append(value)
    conn.executemany(
        f"INSERT OR IGNORE INTO wb_proposals ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join('?' for _ in COLUMNS)})",
        values,
    )


def update(conn: sqlite3.Connection, proposal_id: str, **fields: Any) -> None:
    if not fields:
        return
    assignments = ", ".join(f"{k} = ?" for k in fields)
    conn.execute(
        f"UPDATE wb_proposals SET {assignments} WHERE id = ?", (*fields.values(), proposal_id)
    )


def snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in MUTABLE}


def params_of(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row["params"]
    value = raw if isinstance(raw, dict) else json.loads(raw or "{}")
    return value if isinstance(value, dict) else {}


def effects_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    value = json.loads(row["effects"] or "[]")
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def actor_of(row: Mapping[str, Any]) -> dict[str, Any]:
    value = json.loads(row["actor"] or "{}")
    return value if isinstance(value, dict) else {}


def is_executable(row: Mapping[str, Any]) -> bool:
    spec = get_tool(row["tool_name"])
    return (
        row["kind"] == "tool"
        and spec is not None
        and spec.executable
        and row["status"] in OPEN_STATUSES
    )


# The columns a card needs, read straight into ProposalViews (`views`): no dict per row, and
# none of the bookkeeping columns (actor, effects, undo data) a 10,000-card inbox never shows.
VIEW_COLUMNS = (
    "id", "status", "module", "tool_name", "params", "rationale", "mission_id", "mission_title",
    "iteration_id", "step_id", "step_summary", "agent_name", "created_at", "planned_at", "error",
    "kind", "decided_elsewhere", "reason", "feedback", "decided_at", "decided_by",
)  # fmt: skip
VIEW_SELECT = f"SELECT {', '.join(VIEW_COLUMNS)} FROM wb_proposals"


def views(
    conn: sqlite3.Connection,
    where: str = "",
    args: Iterable[Any] = (),
    text: Callable[[object], str] | None = None,
) -> list[ProposalView]:
    """The cards `where` selects, in its order; the same views `view(fetch(...))` gives.

    `text` opens values that may be encrypted; None means they are stored as plain text.
    """
    sql = f"{VIEW_SELECT} {where}" if where else VIEW_SELECT
    runnable: dict[str, bool] = {}  # tool name -> executable, looked up once per call
    loads = json.loads
    out: list[ProposalView] = []
    append = out.append
    for (pid, status, module, tool, params, rationale, mission_id, title, iteration_id, step_id,
         summary, agent, created, planned, error, kind, elsewhere, reason, feedback, decided_at,
         decided_by) in conn.execute(sql, tuple(args)):  # fmt: skip
        ok = runnable.get(tool)
        if ok is None:
            spec = get_tool(tool)
            ok = runnable[tool] = spec is not None and spec.executable
        value = loads(params) if params else {}
        append(ProposalView(
            pid, status, module, tool, value if isinstance(value, dict) else {},
            text(rationale) if text else _plain(rationale),
            mission_id, text(title) if text else _plain(title),
            iteration_id, step_id, summary, agent, created, planned, error,
            ok and kind == "tool" and status in OPEN_STATUSES,
            elsewhere, kind, reason, feedback, decided_at, decided_by,
        ))  # fmt: skip
    return out


def _plain(value: object) -> str:
    return "" if value is None else str(value)


def view(row: Mapping[str, Any], text: Callable[[object], str] = _plain) -> ProposalView:
    """The card; `text` opens values that may be encrypted (mission title, objective)."""
    return ProposalView(
        id=row["id"],
        status=row["status"],
        module=row["module"],
        tool_name=row["tool_name"],
        params=params_of(row),
        rationale=text(row["rationale"]),
        mission_id=row["mission_id"],
        mission_title=text(row["mission_title"]),
        iteration_id=row["iteration_id"],
        step_id=row["step_id"],
        step_summary=row["step_summary"],
        agent_name=row["agent_name"],
        created_at=row["created_at"],
        planned_at=row["planned_at"],
        error=row["error"],
        executable=is_executable(row),
        decided_elsewhere=row["decided_elsewhere"],
        kind=row["kind"],
        reason=row["reason"],
        feedback=row["feedback"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
    )
