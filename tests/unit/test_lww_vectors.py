"""The client checklist of sync-protocol.md §10.6: validation vectors, apply cases, conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from mana_desktop.domain.incoming import is_valid_change, parse_change
from mana_desktop.domain.lww import read_field_meta
from mana_desktop.domain.timeutil import parse_instant
from mana_desktop.store import Replica
from tests.fixtures.replica import AGENT, USER

INSERT = {"table": "tasks", "id": "t-1", "op": "insert", "data": {"id": "t-1", "title": "x"}}
UPDATE = {
    "table": "tasks", "id": "t-1", "op": "update",
    "fields": {"title": {"value": "y", "at": "2026-04-01T10:00:00.000Z"},
               "priority": {"value": "high", "at": "2026-04-01T10:00:00.000Z"}},
}
DELETE = {"table": "tasks", "id": "t-1", "op": "delete", "deletedAt": "2026-04-01T10:00:00.000Z"}


@pytest.mark.parametrize("change", [INSERT, UPDATE, DELETE])
def test_valid_changes_are_accepted(change: dict[str, Any]) -> None:
    assert is_valid_change(change)


def _with(**overrides: Any) -> dict[str, Any]:
    change = {**UPDATE, **overrides}
    return {k: v for k, v in change.items() if v is not _MISSING}


_MISSING = object()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (None, "object"),
        (42, "object"),
        ("text", "object"),
        (_with(table=""), "table"),
        (_with(table=_MISSING), "table"),
        (_with(id=""), "id"),
        (_with(id=_MISSING), "id"),
        (_with(op="upsert"), "op"),
        (_with(op=""), "op"),
        (_with(fields={"title": "just a string"}), "fields.title"),
        (_with(fields={"title": {"value": "x", "at": 12345}}), "fields.title.at"),
        (_with(fields={"title": None}), "fields.title"),
        ({**INSERT, "data": "not an object"}, "data"),
        ({**DELETE, "deletedAt": 123}, "deletedAt"),
        # our real checks beyond upstream's shape checks
        (_with(fields={"title": {"value": "x", "at": "yesterday"}}), "not an instant"),
        ({**DELETE, "deletedAt": "2026-13-40T00:00:00Z"}, "not an instant"),
        ({"table": "tasks", "id": "t-1", "op": "insert"}, "insert must carry data"),
        (_with(schemaVersion=2), "newer"),
        (_with(schemaVersion="1"), "schemaVersion"),
        (_with(eventId=7), "eventId"),
        (_with(actor="me"), "actor"),
        (_with(origin=1), "origin"),
        (_with(id="a\nb"), "control"),
        (_with(id="x" * 600), "longer"),
    ],
)
def test_malformed_changes_are_rejected_with_a_reason(change: Any, reason: str) -> None:
    result = parse_change(change)
    assert isinstance(result, str) and reason in result


def test_both_dialects_are_read_and_at_wins() -> None:
    old = parse_change(_with(fields={"t": {"value": 1, "updatedAt": "2026-04-01T10:00:00Z"}}))
    both = parse_change(
        _with(fields={"t": {"value": 1, "at": "2026-04-02T10:00:00Z", "updatedAt": "2026-04-01T10:00:00Z"}})
    )
    assert not isinstance(old, str) and old.writes[0][2] == "2026-04-01T10:00:00.000000Z"
    assert not isinstance(both, str) and both.writes[0][2] == "2026-04-02T10:00:00.000000Z"


@pytest.mark.parametrize("value", [None, 3, "x", [1], True])
def test_read_field_meta_returns_empty_for_non_objects(value: Any) -> None:
    assert read_field_meta(value) == {}
    assert read_field_meta({"a": {"at": "x"}}) == {"a": {"at": "x"}}


# -- apply cases ---------------------------------------------------------------------------
def _title(replica: Replica, record_id: str = "task-A") -> Any:
    record = replica.get("todo", "tasks", record_id)
    assert record is not None
    return record


def test_insert_stamps_fields_with_data_updated_at(replica: Replica) -> None:
    replica.apply_remote("todo", [{"table": "tasks", "id": "task-A", "op": "insert",
                                   "data": {"id": "task-A", "title": "A", "updatedAt": "2026-04-01T10:00:00Z"}}])
    meta = _title(replica).field_meta["title"]
    assert parse_instant(meta["at"]) == parse_instant("2026-04-01T10:00:00Z")
    assert meta["origin"] == "server-replay"


def test_update_from_the_future_overwrites_fields_and_at(replica: Replica) -> None:
    replica.apply_remote("todo", [{**INSERT, "id": "task-A", "data": {"id": "task-A", "title": "A", "priority": "low", "createdAt": "2026-04-01T10:00:00Z"}}])
    replica.apply_remote("todo", [{"table": "tasks", "id": "task-A", "op": "update", "fields": {
        "title": {"value": "B", "at": "2099-01-01T00:00:00.000Z"},
        "priority": {"value": "high", "at": "2099-01-01T00:00:00.000Z"}}}])
    record = _title(replica)
    assert record.data["title"] == "B" and record.data["priority"] == "high"
    assert record.field_meta["title"]["at"].startswith("2099-01-01")


def test_split_outcome_local_wins_one_field_server_the_other(replica: Replica) -> None:
    replica.apply_remote("todo", [{**INSERT, "id": "task-A", "data": {"id": "task-A", "title": "A", "priority": "low"}}])
    with replica.write() as tx:
        tx.update("todo", "tasks", "task-A", {"title": "mine", "priority": "mine"}, actor=USER)
    replica.apply_remote("todo", [{"table": "tasks", "id": "task-A", "op": "update", "fields": {
        "title": {"value": "old", "at": "1970-01-01T00:00:00.000Z"},
        "priority": {"value": "new", "at": "2099-01-01T00:00:00.000Z"}}}])
    record = _title(replica)
    assert record.data["title"] == "mine" and record.data["priority"] == "new"


def test_update_with_top_level_deleted_at_soft_deletes(replica: Replica) -> None:
    replica.apply_remote("todo", [{**INSERT, "id": "task-A", "data": {"id": "task-A", "title": "A"}}])
    result = replica.apply_remote("todo", [{"table": "tasks", "id": "task-A", "op": "update",
                                            "deletedAt": "2099-01-01T00:00:00.000Z"}])
    assert _title(replica).deleted_at == "2099-01-01T00:00:00.000Z"
    assert result.changed == {("todo", "tasks"): {"task-A"}}
    assert replica.list("todo", "tasks") == []
    assert len(replica.list("todo", "tasks", include_deleted=True)) == 1


def test_one_malformed_change_is_dropped_alone_with_one_journal_entry(replica: Replica) -> None:
    result = replica.apply_remote("todo", [{"table": "tasks", "op": "insert", "data": {}}, INSERT],
                                  collection="tasks", cursor="2026-04-01T10:00:00Z")
    assert (result.applied, result.dropped) == (1, 1)
    assert replica.get("todo", "tasks", "t-1") is not None
    entries = replica.journal(kind="dropped")
    assert len(entries) == 1 and "id" in entries[0].reason
    assert replica.cursor("todo", "tasks") == "2026-04-01T10:00:00Z"


def test_server_applied_inserts_create_no_outbox_entries(replica: Replica) -> None:
    replica.apply_remote("todo", [INSERT, UPDATE, DELETE])
    assert replica.pending_count() == 0 and replica.outbox_pending() == []


def test_delete_of_an_unknown_record_leaves_a_tombstone(replica: Replica) -> None:
    replica.apply_remote("todo", [DELETE])
    replica.apply_remote("todo", [{**INSERT, "data": {"id": "t-1", "title": "late", "createdAt": "2026-03-01T00:00:00Z"}}])
    record = replica.get("todo", "tasks", "t-1")
    assert record is not None and record.deleted_at == DELETE["deletedAt"]


def test_timestamps_compare_as_instants_not_text(replica: Replica) -> None:
    # "…10:00:00Z" sorts after "…10:00:00.500+00:00"-style text; as instants it is earlier.
    replica.apply_remote("todo", [{**UPDATE, "fields": {"title": {"value": "later", "at": "2026-04-01T12:00:00.500+02:00"}}}])
    replica.apply_remote("todo", [{**UPDATE, "fields": {"title": {"value": "earlier", "at": "2026-04-01T10:00:00Z"}}}])
    assert _title(replica, "t-1").data["title"] == "later"


def test_insert_without_times_never_beats_a_local_edit(replica: Replica) -> None:
    """F16: a bootstrap insert without updatedAt/createdAt must not erase local edits."""
    with replica.write() as tx:
        tx.insert("profile", "userContext", {"id": "singleton", "about": "my notes"}, actor=USER)
    replica.apply_remote("profile", [{"table": "userContext", "id": "singleton", "op": "insert",
                                      "data": {"id": "singleton", "about": "", "extra": 1}}])
    record = replica.get("profile", "userContext", "singleton")
    assert record is not None and record.data["about"] == "my notes" and record.data["extra"] == 1


def test_hard_delete_without_time_is_final(replica: Replica) -> None:
    replica.apply_remote("todo", [INSERT, {"table": "tasks", "id": "t-1", "op": "delete"}, UPDATE])
    record = replica.get("todo", "tasks", "t-1")
    assert record is not None and record.deleted_at is not None
    assert "title" not in record.data


def test_writes_stamp_fixed_width_millisecond_at(replica: Replica) -> None:
    with replica.write() as tx:
        rid = tx.insert("todo", "tasks", {"title": "x"}, actor=USER)
    (entry,) = replica.outbox_pending()
    assert len(entry.change["data"]["createdAt"]) == 24 and entry.change["data"]["createdAt"].endswith("Z")
    assert replica.get("todo", "tasks", rid) is not None


# -- conflicts (§10.6 "Conflicts") -----------------------------------------------------------
def _local(replica: Replica, fields: dict[str, Any], actor: Any = USER) -> None:
    replica.apply_remote("todo", [{**INSERT, "id": "c-1", "data": {"id": "c-1", "title": None, "note": "n"}}],
                         collection="tasks", cursor="2026-01-01T00:00:00Z")
    with replica.write() as tx:
        tx.update("todo", "tasks", "c-1", fields, actor=actor)


def _server(replica: Replica, fields: dict[str, Any], at: str = "2099-01-01T00:00:00.000Z") -> Any:
    return replica.apply_remote("todo", [{"table": "tasks", "id": "c-1", "op": "update", "fields": {
        k: {"value": v, "at": at} for k, v in fields.items()}}], collection="tasks")


def test_conflict_fires_once_for_an_overwritten_user_value(replica: Replica) -> None:
    _local(replica, {"title": "my version"})
    result = _server(replica, {"title": "their version"})
    assert len(result.conflicts) == 1
    c = result.conflicts[0]
    assert (c.collection, c.record_id, c.field, c.was_local, c.now_server) == (
        "tasks", "c-1", "title", "my version", "their version")
    assert replica.journal(kind="conflict")[0].record_id == "c-1"


def test_no_conflict_for_null_or_equal_local_values(replica: Replica) -> None:
    _local(replica, {"title": None, "note": "same"})
    assert _server(replica, {"title": "x", "note": "same"}).conflicts == []


def test_two_overwritten_fields_fire_two(replica: Replica) -> None:
    _local(replica, {"title": "a", "note": "b"})
    assert len(_server(replica, {"title": "x", "note": "y"}).conflicts) == 2


def test_exact_tie_fires_none_and_server_value_is_applied(replica: Replica) -> None:
    _local(replica, {"title": "mine"})
    at = _title(replica, "c-1").field_meta["title"]["at"]
    result = _server(replica, {"title": "theirs"}, at=at)
    assert result.conflicts == [] and _title(replica, "c-1").data["title"] == "theirs"


def test_history_replay_fires_none(replica: Replica) -> None:
    replica.apply_remote("todo", [{**INSERT, "id": "h-1", "data": {"id": "h-1", "title": "v0", "createdAt": "2026-01-01T00:00:00Z"}}],
                         collection="tasks", cursor="2026-01-01T00:00:00Z")
    updates = [{"table": "tasks", "id": "h-1", "op": "update",
                "fields": {"title": {"value": f"v{i}", "at": f"2026-01-01T00:00:{i:02d}.000Z"}}} for i in range(1, 11)]
    assert replica.apply_remote("todo", updates, collection="tasks").conflicts == []
    assert _title(replica, "h-1").data["title"] == "v10"


def test_agent_written_local_value_fires_none(replica: Replica) -> None:
    _local(replica, {"title": "agent text"}, actor=AGENT)
    assert _title(replica, "c-1").field_meta["title"]["origin"] == "agent"
    assert _server(replica, {"title": "x"}).conflicts == []


def test_initial_hydration_fires_none(replica: Replica) -> None:
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "i-1", "title": "local"}, actor=USER)
    result = replica.apply_remote("todo", [{"table": "tasks", "id": "i-1", "op": "update", "fields": {
        "title": {"value": "server", "at": "2099-01-01T00:00:00.000Z"}}}], collection="tasks", cursor="2099-01-01T00:00:00Z")
    assert result.conflicts == [] and _title(replica, "i-1").data["title"] == "server"


def test_bootstrap_twin_fires_none(replica: Replica) -> None:
    system = {"kind": "system", "principalId": "system:bootstrap"}
    replica.apply_remote("kontext", [], collection="kontextDoc", cursor="2026-01-01T00:00:00Z")
    with replica.write() as tx:
        tx.insert("kontext", "kontextDoc", {"id": "doc", "content": ""}, actor=system)
    assert replica.get("kontext", "kontextDoc", "doc").field_meta["content"]["origin"] == "system"  # type: ignore[union-attr]
    result = replica.apply_remote("kontext", [{"table": "kontextDoc", "id": "doc", "op": "insert",
                                               "data": {"id": "doc", "content": "server", "createdAt": "2099-01-01T00:00:00Z"}}],
                                  collection="kontextDoc")
    assert result.conflicts == []
