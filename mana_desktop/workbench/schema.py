"""The workbench's own tables, inside the replica database (never synced).

Created with `CREATE TABLE IF NOT EXISTS` through the replica's write transaction, so they live
next to the records they refer to and commit atomically with them. The unique key on
`(mission_id, iteration_id, step_id)` is what makes staging idempotent across restarts and
across two processes staging at once: the database, not a Python set, says "already staged".
"""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS wb_proposals (
    id TEXT PRIMARY KEY,
    mission_id TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    module TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    params TEXT NOT NULL,
    rationale TEXT NOT NULL,
    actor TEXT NOT NULL,
    mission_title TEXT NOT NULL,
    step_summary TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    planned_at TEXT NOT NULL,
    error TEXT,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT,
    feedback TEXT,
    decided_elsewhere TEXT,
    decision_group TEXT,
    effects TEXT,
    reverted_at TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    UNIQUE (mission_id, iteration_id, step_id)
);
CREATE INDEX IF NOT EXISTS wb_proposals_status ON wb_proposals (status, created_at);
CREATE INDEX IF NOT EXISTS wb_proposals_iteration ON wb_proposals (iteration_id);
CREATE TABLE IF NOT EXISTS wb_decisions (
    group_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    undo_until REAL NOT NULL,
    proposals TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS wb_known_steps (
    mission_id TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    status TEXT NOT NULL,
    proposal_id TEXT,
    error TEXT,
    PRIMARY KEY (mission_id, iteration_id, step_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wb_iterations (
    mission_id TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (mission_id, iteration_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wb_feedback (
    mission_id TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (mission_id, iteration_id, text)
);
"""


# Columns added after the first layout: (table, column, definition). Added when missing, so a
# profile made by an earlier build keeps working.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("wb_proposals", "position", "INTEGER NOT NULL DEFAULT 0"),
)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if missing (statement by statement: we are inside a transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    for table, column, definition in missing_columns(conn):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    for statement in ADDED_INDEXES.values():
        conn.execute(statement)


TABLES = ("wb_proposals", "wb_decisions", "wb_known_steps", "wb_iterations", "wb_feedback")
# Indexes added after the first layout (created after the columns they name are added); a
# profile without one of them gets `ensure_schema` again.
ADDED_INDEXES = {
    # The inbox order (`Workbench.inbox`): a first page walks it and stops early.
    "wb_proposals_inbox": "CREATE INDEX IF NOT EXISTS wb_proposals_inbox "
    "ON wb_proposals (planned_at DESC, iteration_id, mission_id, position)",
}
INDEXES = tuple(ADDED_INDEXES)


def missing_columns(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    missing = []
    for table, column, definition in ADDED_COLUMNS:
        names = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if names and column not in names:
            missing.append((table, column, definition))
    return missing
