"""apply_remote beyond the checklist: unstorable values, future stamps, dedup, the bulk path."""

from __future__ import annotations

import json
from pathlib import Path

from mana_desktop.store import Replica
from mana_desktop.store.events import EventMemory


def _insert(rid: str, **data: object) -> dict[str, object]:
    return {"table": "tasks", "id": rid, "op": "insert", "data": {"id": rid, **data}}


def test_unstorable_change_is_dropped_alone_and_the_page_commits(replica: Replica) -> None:
    nan = json.loads('{"table":"tasks","id":"n","op":"insert","data":{"id":"n","v":NaN}}')
    result = replica.apply_remote("todo", [_insert("a"), nan, _insert("b")],
                                  collection="tasks", cursor="2026-04-01T00:00:00Z")
    assert (result.applied, result.dropped) == (2, 1)
    assert replica.get("todo", "tasks", "n") is None and replica.get("todo", "tasks", "b") is not None
    assert replica.cursor("todo", "tasks") == "2026-04-01T00:00:00Z"
    (entry,) = replica.journal(kind="dropped")
    assert entry.record_id == "n" and "cannot be stored" in entry.reason


def test_lone_surrogates_are_stored_as_json_escapes(replica: Replica) -> None:
    change = json.loads('{"table":"tasks","id":"s","op":"insert","data":{"id":"s","t":"a\\ud800b"}}')
    replica.apply_remote("todo", [change])
    assert replica.get("todo", "tasks", "s").data["t"] == "a\ud800b"  # type: ignore[union-attr]


def test_future_stamp_is_journalled(replica: Replica) -> None:
    replica.apply_remote("todo", [
        {"table": "tasks", "id": "f", "op": "update", "fields": {"p": {"value": 1, "at": "2099-01-01T00:00:00.000Z"}}},
        _insert("g", createdAt="2099-05-01T00:00:00Z"),
        _insert("ok", createdAt="2026-01-01T00:00:00Z"),
    ])
    future = {e.record_id: e.reason for e in replica.journal(kind="future")}
    assert set(future) == {"f", "g"} and "2099-01-01T00:00:00.000Z" in future["f"]


def test_event_ids_deduplicate_across_pages_and_reopen(tmp_path: Path) -> None:
    page = [{**_insert("a", n=1), "eventId": "e-1"}, {**_insert("b"), "eventId": "e-2"}]
    with Replica.open(tmp_path / "r.db") as replica:
        assert replica.apply_remote("todo", page).applied == 2
        again = replica.apply_remote("todo", [*page, {**_insert("c"), "eventId": "e-3"}])
        assert (again.applied, again.duplicates) == (1, 2)
        assert again.changed == {("todo", "tasks"): {"c"}}
    with Replica.open(tmp_path / "r.db") as reopened:
        assert reopened.apply_remote("todo", page).duplicates == 2
    with Replica.open(tmp_path / "r.db") as raw:
        assert raw.apply_remote("todo", page, event_dedup=False).duplicates == 0


def test_event_memory_is_bounded() -> None:
    import sqlite3

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE event_pages (seq INTEGER PRIMARY KEY AUTOINCREMENT, ids TEXT NOT NULL)")
    memory = EventMemory(limit=100)
    for page in range(10):
        memory.add(conn, [f"{page}-{i}" for i in range(30)])
    assert 100 <= len(memory) <= 130 and "9-29" in memory.ids and "0-0" not in memory.ids
    assert conn.execute("SELECT count(*) FROM event_pages").fetchone()[0] == len(memory) // 30


def test_bulk_insert_of_existing_records_goes_through_lww(replica: Replica) -> None:
    replica.apply_remote("todo", [_insert("a", title="new", createdAt="2026-04-02T00:00:00Z")])
    result = replica.apply_remote("todo", [
        _insert("a", title="old", createdAt="2026-04-01T00:00:00Z"),  # exists, older: loses
        _insert("b", title="fresh"),
    ])
    assert replica.get("todo", "tasks", "a").data["title"] == "new"  # type: ignore[union-attr]
    assert result.changed == {("todo", "tasks"): {"b"}}
    before = replica.get("todo", "tasks", "a")
    # An identical replay changes nothing (it may be reported: a harmless refresh).
    same = replica.apply_remote("todo", [_insert("a", title="new", createdAt="2026-04-02T00:00:00Z")])
    assert same.applied == 1 and replica.get("todo", "tasks", "a") == before


def test_repeated_record_in_one_page_merges_in_order(replica: Replica) -> None:
    replica.apply_remote("todo", [
        _insert("a", title="v1", createdAt="2026-04-01T00:00:00Z"),
        {"table": "tasks", "id": "a", "op": "update", "fields": {"title": {"value": "v2", "at": "2026-04-01T00:00:01Z"}}},
        _insert("a", title="v0", createdAt="2026-03-01T00:00:00Z"),
    ])
    assert replica.get("todo", "tasks", "a").data["title"] == "v2"  # type: ignore[union-attr]


def test_large_page_counts(replica: Replica) -> None:
    changes = [_insert(f"r{i}", n=i) for i in range(2500)]
    result = replica.apply_remote("todo", changes, collection="tasks", cursor="c")
    assert result.applied == 2500 and len(result.changed[("todo", "tasks")]) == 2500
    assert replica.count("todo", "tasks") == 2500


def test_a_page_that_does_not_commit_leaves_its_event_ids_unapplied(
    replica: Replica, monkeypatch: object
) -> None:
    import pytest

    from mana_desktop.store import apply

    page = [{**_insert("a"), "eventId": "e-1"}, {**_insert("a2"), "eventId": "e-1"}]

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(apply, "store_cursor", broken)
        with pytest.raises(RuntimeError):
            replica.apply_remote("todo", page, collection="tasks", cursor="c")
    assert replica.get("todo", "tasks", "a") is None
    result = replica.apply_remote("todo", page, collection="tasks", cursor="c")
    assert (result.applied, result.duplicates) == (1, 1)
    assert replica.get("todo", "tasks", "a") is not None and replica.cursor("todo", "tasks") == "c"
