"""The replica's basic contract: open, client id, reads, cursors, journal."""

from __future__ import annotations

from pathlib import Path

from mana_desktop.store import Replica
from tests.fixtures.replica import USER


def test_new_replica_has_a_client_id_that_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Replica.open(path) as first:
        client_id = first.client_id
    with Replica.open(path) as again:
        assert again.client_id == client_id
    with Replica.open(tmp_path / "other.db") as other:
        assert other.client_id != client_id
    assert len(client_id) == 36


def test_apply_then_read_back_with_cursor(replica: Replica) -> None:
    result = replica.apply_remote(
        "todo",
        [{"eventId": "e1", "table": "tasks", "id": "t1", "op": "insert",
          "data": {"id": "t1", "title": "A", "createdAt": "2026-04-01T10:00:00Z"}}],
        collection="tasks",
        cursor="2026-04-01T10:00:01.5Z",
    )
    assert result.applied == 1 and result.changed == {("todo", "tasks"): {"t1"}}
    record = replica.get("todo", "tasks", "t1")
    assert record is not None and record.data["title"] == "A"
    assert record.field_meta["title"]["origin"] == "server-replay"
    assert replica.cursor("todo", "tasks") == "2026-04-01T10:00:01.5Z"
    assert replica.cursors() == {("todo", "tasks"): "2026-04-01T10:00:01.5Z"}


def test_local_write_enqueues_wire_change(replica: Replica) -> None:
    with replica.write() as tx:
        rid = tx.insert("todo", "tasks", {"title": "x", "spaceId": "s-1"}, actor=USER)
        tx.update("todo", "tasks", rid, {"title": "y"}, actor=USER)
    entries = replica.outbox_pending()
    assert [e.op for e in entries] == ["insert", "update"]
    field = entries[1].change["fields"]["title"]
    assert field["at"] == field["updatedAt"] and len(field["at"]) == 24
    assert entries[1].space_id == "s-1" and entries[1].origin == "user"
    assert replica.pending_count() == 2


def test_a_damaged_file_gives_a_clear_error_and_is_left_alone(tmp_path: Path) -> None:
    import pytest

    from mana_desktop.store import StoreError

    path = tmp_path / "replica.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(StoreError, match="not a Mana Desktop replica"):
        Replica.open(path)
    assert path.read_bytes() == garbage


def test_nested_write_closed_replica_and_failing_subscriber(tmp_path: Path) -> None:
    import pytest

    from mana_desktop.store import StoreError

    replica = Replica.open(tmp_path / "r.db")
    with pytest.raises(StoreError, match="inside another write"), replica.write(), replica.write():
        pass  # pragma: no cover
    seen: list[object] = []

    def broken(changes: object) -> None:
        raise RuntimeError("subscriber bug")

    replica.subscribe(broken)
    replica.subscribe(seen.append)
    with replica.write() as tx:  # the commit stands; the broken subscriber is only logged
        tx.insert("todo", "tasks", {"id": "x"}, actor=USER)
    assert seen == [{("todo", "tasks"): {"x"}}] and replica.get("todo", "tasks", "x") is not None
    replica.close()
    with pytest.raises(StoreError, match="closed"):
        replica.get("todo", "tasks", "x")
    with pytest.raises(StoreError, match="closed"), replica.write():
        pass  # pragma: no cover
