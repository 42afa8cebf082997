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
CREATE TABLE IF NOT EXISTS wb_feedback (
    mission_id TEXT NOT NULL,
    iteration_id TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (mission_id, iteration_id, text)
);
"""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if missing (statement by statement: we are inside a transaction)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
