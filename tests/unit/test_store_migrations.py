"""Schema migrations: a database made by version 1 (checked-in fixture) opens, upgrades, keeps data."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from mana_desktop.domain.timeutil import parse_instant
from mana_desktop.store import Replica, SchemaError
from mana_desktop.store.schema import LATEST

FIXTURE = Path(__file__).parents[1] / "fixtures" / "data" / "replica_v1.db"


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    target = tmp_path / "replica.db"
    shutil.copyfile(FIXTURE, target)
    return target


def test_fixture_is_really_version_1() -> None:
    conn = sqlite3.connect(FIXTURE)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
        assert "field_times" in columns and "meta" not in columns
    finally:
        conn.close()


def test_version_1_database_upgrades_with_its_data(old_db: Path) -> None:
    with Replica.open(old_db) as replica:
        assert replica.client_id == "5b0f3f2e-8c1a-4d2e-9a57-1f0c2b3d4e5f"
        task = replica.get("todo", "tasks", "t-1")
        assert task is not None and task.data["title"] == "Buy milk"
        at = task.field_meta["title"]["at"]
        assert parse_instant(at) == parse_instant("2026-04-02T09:30:00.000Z")
        mission = replica.get("ai", "aiMissions", "m-1")
        assert mission is not None
        # "+02:00" in version 1 text becomes the canonical UTC instant
        assert mission.field_meta["title"]["at"] == "2026-04-01T10:00:00.000000Z"
        assert [r.id for r in replica.list("todo", "tasks")] == ["t-1"]
        assert replica.get("todo", "tasks", "t-2").deleted_at == "2026-04-03T08:00:00.000Z"  # type: ignore[union-attr]
        assert replica.cursor("todo", "tasks") == "2026-04-03T08:00:00.123456Z"
        (entry,) = replica.outbox_pending()
        assert entry.change["fields"]["title"]["value"] == "Buy milk" and entry.group is None
        assert replica.journal(kind="dropped")[0].reason == "id must be a non-empty string"
    conn = sqlite3.connect(old_db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    finally:
        conn.close()


def test_upgraded_event_ids_still_deduplicate(old_db: Path) -> None:
    with Replica.open(old_db) as replica:
        result = replica.apply_remote("todo", [
            {"eventId": "ev-1", "table": "tasks", "id": "t-9", "op": "insert", "data": {"id": "t-9"}}])
        assert result.duplicates == 1 and replica.get("todo", "tasks", "t-9") is None


def test_upgraded_replica_keeps_working(old_db: Path) -> None:
    with Replica.open(old_db) as replica:
        replica.apply_remote("todo", [{"table": "tasks", "id": "t-1", "op": "update", "fields": {
            "title": {"value": "Buy oat milk", "at": "2026-04-05T00:00:00.000Z"}}}])
        assert replica.get("todo", "tasks", "t-1").data["title"] == "Buy oat milk"  # type: ignore[union-attr]
    with Replica.open(old_db) as again:  # opening an upgraded file again is a no-op
        assert again.get("todo", "tasks", "t-1").data["isCompleted"] is False  # type: ignore[union-attr]


def test_a_newer_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 5}")
    conn.close()
    with pytest.raises(SchemaError, match="Update Mana Desktop"):
        Replica.open(path)


def test_failed_step_leaves_the_old_version(tmp_path: Path, old_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mana_desktop.store import schema

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE records ADD COLUMN half_done TEXT")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(schema, "MIGRATIONS", (schema.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError):
        Replica.open(old_db)
    conn = sqlite3.connect(old_db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "half_done" not in {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    finally:
        conn.close()
