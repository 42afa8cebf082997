"""Local writes and the outbox: groups, holds (undo window), undo, release, ack, quarantine."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.timeutil import utc_now
from mana_desktop.store import Replica, StoreError, UndoExpired
from tests.fixtures.replica import AGENT, USER


def _seed(replica: Replica) -> None:
    replica.apply_remote("todo", [{"table": "tasks", "id": "t-1", "op": "insert",
                                   "data": {"id": "t-1", "title": "A", "spaceId": "s-1", "createdAt": "2026-04-01T10:00:00Z"}}])


def test_write_reports_its_change_set_to_subscribers(replica: Replica) -> None:
    seen: list[ChangeSet] = []
    unsubscribe = replica.subscribe(seen.append)
    _seed(replica)
    with replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
        rid = tx.insert("notes", "notes", {"text": "n"}, actor=USER)
    unsubscribe()
    _seed(replica)
    assert seen == [{("todo", "tasks"): {"t-1"}}, {("todo", "tasks"): {"t-1"}, ("notes", "notes"): {rid}}]


def test_failed_transaction_writes_nothing(replica: Replica) -> None:
    _seed(replica)
    with pytest.raises(StoreError), replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
        tx.update("todo", "tasks", "missing", {"title": "B"}, actor=USER)
    assert replica.get("todo", "tasks", "t-1").data["title"] == "A"  # type: ignore[union-attr]
    assert replica.pending_count() == 0


def test_outbox_entry_carries_actor_origin_space_and_both_time_keys(replica: Replica) -> None:
    _seed(replica)
    with replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B", "spaceId": "hijack"}, actor=AGENT)
        tx.soft_delete("todo", "tasks", "t-1", actor=USER)
    update, delete = replica.outbox_pending("todo")
    assert update.actor == AGENT and update.origin == "agent" and update.space_id == "s-1"
    assert set(update.change["fields"]) == {"title"}  # spaceId is immutable
    assert delete.op == "delete" and delete.change["deletedAt"] == delete.change["fields"]["deletedAt"]["value"]
    assert replica.get("todo", "tasks", "t-1").deleted_at is not None  # type: ignore[union-attr]


def test_local_edit_is_stamped_after_the_value_it_replaces(replica: Replica) -> None:
    replica.apply_remote("todo", [{"table": "tasks", "id": "f-1", "op": "update",
                                   "fields": {"title": {"value": "future", "at": "2099-01-01T00:00:00.000Z"}}}])
    with replica.write() as tx:
        tx.update("todo", "tasks", "f-1", {"title": "mine"}, actor=USER)
    (entry,) = replica.outbox_pending()
    assert entry.change["fields"]["title"]["at"] == "2099-01-01T00:00:00.001Z"


def test_held_group_stays_out_of_batches_until_released(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="g-1", hold_s=60) as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
    assert replica.outbox_batch("todo") == []
    later = utc_now() + timedelta(seconds=61)
    assert len(replica.outbox_batch("todo", now=later)) == 1  # the hold ended


def test_release_group_ends_the_hold(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="g-1", hold_s=60) as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
    replica.release_group("g-1")
    (entry,) = replica.outbox_batch("todo")
    replica.outbox_ack([entry.id])
    assert replica.pending_count() == 0


def test_batch_keeps_order_behind_a_held_entry(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="held", hold_s=60) as tx:
        tx.update("todo", "tasks", "t-1", {"title": "first"}, actor=USER)
    with replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "second"}, actor=USER)
    assert replica.outbox_batch("todo") == []
    assert replica.pending_count() == 2


def test_batch_limit_and_order(replica: Replica) -> None:
    with replica.write() as tx:
        ids = [tx.insert("todo", "tasks", {"n": i}, actor=USER) for i in range(250)]
    batch = replica.outbox_batch("todo")
    assert len(batch) == 200 and [e.record_id for e in batch] == ids[:200]


def test_undo_restores_records_and_drops_unsent_entries(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="g-1", hold_s=8) as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=AGENT)
        new_id = tx.insert("todo", "tasks", {"title": "created"}, actor=AGENT)
    with replica.write(group="g-1", hold_s=8) as tx:  # a group may span transactions
        tx.update("todo", "tasks", "t-1", {"title": "C"}, actor=AGENT)
    changed = replica.undo_group("g-1")
    assert changed == {("todo", "tasks"): {"t-1", new_id}}
    record = replica.get("todo", "tasks", "t-1")
    assert record is not None and record.data["title"] == "A"
    assert record.field_meta["title"]["origin"] == "server-replay"
    assert replica.get("todo", "tasks", new_id) is None
    assert replica.pending_count() == 0


def test_undo_after_sending_is_refused(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="g-1") as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
    replica.outbox_batch("todo")
    with pytest.raises(UndoExpired):
        replica.undo_group("g-1")
    assert replica.get("todo", "tasks", "t-1").data["title"] == "B"  # type: ignore[union-attr]


def test_undo_of_an_acked_or_unknown_group_is_refused(replica: Replica) -> None:
    _seed(replica)
    with replica.write(group="g-1") as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
    replica.outbox_ack([e.id for e in replica.outbox_batch("todo")])
    with pytest.raises(UndoExpired):
        replica.undo_group("g-1")
    with pytest.raises(UndoExpired):
        replica.undo_group("never")


def test_quarantine_keeps_the_entry_out_of_the_queue_with_a_reason(replica: Replica) -> None:
    _seed(replica)
    with replica.write() as tx:
        tx.update("todo", "tasks", "t-1", {"title": "B"}, actor=USER)
        tx.update("todo", "tasks", "t-1", {"title": "C"}, actor=USER)
    first, second = replica.outbox_batch("todo")
    replica.outbox_quarantine([first.id], "400: invalid change")
    assert [e.id for e in replica.quarantined()] == [first.id]
    assert replica.quarantined()[0].quarantine_reason == "400: invalid change"
    assert [e.id for e in replica.outbox_batch("todo")] == [second.id]
    assert replica.pending_count() == 1
    journal = replica.journal(kind="quarantined")
    assert journal[0].reason == "400: invalid change" and journal[0].record_id == "t-1"
    replica.outbox_requeue([first.id])
    assert replica.pending_count() == 2
    replica.outbox_quarantine([first.id], "again")
    replica.outbox_discard([first.id])
    assert replica.quarantined() == [] and replica.pending_count() == 1


def test_pending_stats(replica: Replica) -> None:
    assert replica.pending_count() == 0 and replica.oldest_pending_at() is None
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"n": 1}, actor=USER)
    assert replica.pending_count() == 1 and replica.oldest_pending_at() is not None


def test_insert_of_an_existing_id_is_refused(replica: Replica) -> None:
    _seed(replica)
    with pytest.raises(StoreError, match="already exists"), replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "t-1"}, actor=USER)


def test_default_space_id_is_stamped_on_inserts(replica: Replica) -> None:
    replica.default_space_id = "_personal:u-1"
    with replica.write() as tx:
        rid = tx.insert("todo", "tasks", {"title": "x"}, actor=USER)
    assert replica.get("todo", "tasks", rid).data["spaceId"] == "_personal:u-1"  # type: ignore[union-attr]
    assert replica.outbox_pending()[0].space_id == "_personal:u-1"


def test_writers_on_many_threads_are_serialized(replica: Replica) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                with replica.write() as tx:
                    tx.insert("todo", "tasks", {"id": f"{n}-{i}"}, actor=USER)
                replica.get("todo", "tasks", f"{n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == [] and replica.count("todo", "tasks") == 80
