"""Local writes through a RecordCipher: stamps, sealing, a locked vault (docs/encryption.md)."""

from __future__ import annotations

import json
import os

import pytest

from mana_desktop.domain.crypto import (
    MasterKey,
    RecordCipher,
    VaultLockedError,
    decrypt_value,
    encrypt_value,
    is_envelope,
)
from mana_desktop.domain.spaces import Space, SpaceContext
from mana_desktop.store import Replica
from tests.fixtures.replica import USER


class _Vault:
    def __init__(self) -> None:
        self.key: MasterKey | None = MasterKey(os.urandom(32))


@pytest.fixture
def vault() -> _Vault:
    return _Vault()


def _cipher(vault: _Vault, spaces: SpaceContext | None = None) -> RecordCipher:
    return RecordCipher("u-1", lambda: vault.key, spaces)


def _outbox_change(replica: Replica) -> dict[str, object]:
    [entry] = replica.outbox_pending()
    change = entry.change
    return change if isinstance(change, dict) else json.loads(change)


def test_insert_stamps_tenancy_and_seals_exactly_the_registry_fields(
    replica: Replica, vault: _Vault
) -> None:
    replica.set_cipher(_cipher(vault))
    with replica.write() as tx:
        rid = tx.insert("todo", "tasks", {"title": "Buy milk", "priority": "high"}, actor=USER)
    record = replica.get("todo", "tasks", rid)
    assert record is not None and vault.key is not None
    data = record.data
    assert is_envelope(data["title"]) and decrypt_value(data["title"], vault.key) == "Buy milk"
    assert data["priority"] == "high"  # not in the registry: plaintext
    assert data["spaceId"] == "_personal:u-1"
    assert data["authorId"] == "u-1" and data["visibility"] == "space"
    assert {"spaceId", "authorId", "visibility"} <= set(record.field_meta)
    change = _outbox_change(replica)
    assert change["data"] == data and change["spaceId"] == "_personal:u-1"  # type: ignore[index]


def test_update_seals_changed_registry_fields_and_keeps_tenancy(
    replica: Replica, vault: _Vault
) -> None:
    replica.set_cipher(_cipher(vault))
    with replica.write() as tx:
        rid = tx.insert("notes", "notes", {"title": "a", "content": "b"}, actor=USER)
    replica.outbox_ack([e.id for e in replica.outbox_pending()])
    with replica.write() as tx:
        tx.update("notes", "notes", rid, {"content": "secret", "pinned": True,
                                          "spaceId": "other"}, actor=USER)
    record = replica.get("notes", "notes", rid)
    assert record is not None and vault.key is not None
    assert decrypt_value(record.data["content"], vault.key) == "secret"
    assert record.data["pinned"] is True and record.data["spaceId"] == "_personal:u-1"
    fields = _outbox_change(replica)["fields"]
    assert set(fields) == {"content", "pinned"}  # type: ignore[arg-type]
    assert is_envelope(fields["content"]["value"])  # type: ignore[index]


def test_locked_vault_rolls_the_write_back_with_a_clear_error(
    replica: Replica, vault: _Vault
) -> None:
    replica.set_cipher(_cipher(vault))
    vault.key = None
    with pytest.raises(VaultLockedError, match="vault is locked"), replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "plain", "priority": "low"}, actor=USER)  # fine alone
        tx.insert("todo", "tasks", {"id": "t1", "title": "Buy milk"}, actor=USER)
    assert replica.get("todo", "tasks", "plain") is None  # the whole transaction is gone
    assert replica.get("todo", "tasks", "t1") is None and replica.pending_count() == 0


def test_remote_ciphertext_is_stored_as_it_arrives(replica: Replica, vault: _Vault) -> None:
    replica.set_cipher(_cipher(vault))
    assert vault.key is not None
    blob = encrypt_value("from the webapp", vault.key)
    replica.apply_remote("todo", [{"eventId": "e1", "table": "tasks", "id": "t9", "op": "insert",
                                   "data": {"id": "t9", "title": blob}}], collection="tasks")
    record = replica.get("todo", "tasks", "t9")
    assert record is not None and record.data["title"] == blob


def test_shared_space_records_stay_plaintext_and_real_space_id_goes_on_the_wire(
    replica: Replica, vault: _Vault
) -> None:
    spaces = SpaceContext("u-1", "team", {"team": Space("team", "Team", "team"),
                                          "p1": Space("p1", "Me", "personal")})
    replica.set_cipher(_cipher(vault, spaces))
    with replica.write() as tx:
        shared = tx.insert("todo", "tasks", {"title": "Team task"}, actor=USER)
        mine = tx.insert("todo", "tasks", {"title": "Mine", "spaceId": "_personal:u-1"},
                         actor=USER)
    team = replica.get("todo", "tasks", shared)
    assert team is not None and team.data["title"] == "Team task"
    assert team.data["spaceId"] == "team"
    spaces_sent = {e.record_id: e.space_id for e in replica.outbox_pending()}
    assert spaces_sent == {shared: "team", mine: "p1"}
    personal = replica.get("todo", "tasks", mine)
    assert personal is not None and is_envelope(personal.data["title"])


def test_without_a_cipher_writes_stay_as_they_were(replica: Replica) -> None:
    with replica.write() as tx:
        rid = tx.insert("todo", "tasks", {"title": "plain"}, actor=USER)
    record = replica.get("todo", "tasks", rid)
    assert record is not None and record.data["title"] == "plain" and "authorId" not in record.data
