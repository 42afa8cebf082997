"""Safe pushes (issue 8): no sentinel on the wire once the personal Space is known, no
plaintext where the webapp writes ciphertext, and a locked vault makes those changes wait.
Real reference server, real replica files; the rows the server stored are read back."""

from __future__ import annotations

import json

import pytest

from mana_desktop.domain.crypto import RecordCipher, decrypt_value, is_envelope
from mana_desktop.domain.spaces import Space, SpaceContext, personal_sentinel
from mana_desktop.server.testing import RunningServer
from mana_desktop.sync.account import AccountSession
from mana_desktop.sync.sealing import WAITING_FOR_KEY, prepare_change
from mana_desktop.sync.vault import VaultState
from tests.fixtures.sync import (
    SyncClientFactory,
    SyncSide,
    account_session,
    stored_rows,
    user_insert,
    user_update,
)

TODO = ["todo/tasks"]
PERSONAL = "P3rs0nalSpace0000000a"
TEAM = "T3amSpace00000000000b"


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


def cipher(side: SyncSide, session: AccountSession, context: SpaceContext | None = None
           ) -> RecordCipher:
    spaces = context or SpaceContext(side.user_id, PERSONAL,
                                     {PERSONAL: Space(PERSONAL, "me", "personal", "owner"),
                                      TEAM: Space(TEAM, "Team", "team", "member")})
    return RecordCipher(side.user_id, lambda: session.vault.key, spaces)


def test_plaintext_written_without_an_account_is_sealed_before_sending(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    record_id = user_insert(side, "todo", "tasks", {"title": "Steuer", "priority": 2})
    user_update(side, "todo", "tasks", record_id, {"description": "Belege sammeln"})
    session = account_session(side)
    assert session.vault.unlock() is VaultState.UNLOCKED
    side.replica.set_cipher(cipher(side, session))

    report = side.engine.run_once()

    assert report.ok, report.errors
    assert report.pushed == 2 and side.replica.pending_count() == 0
    insert, update = stored_rows(reference_server, record_id)
    key = session.vault.key
    assert key is not None
    assert is_envelope(insert["data"]["title"]) and insert["data"]["priority"] == 2
    assert decrypt_value(insert["data"]["title"], key) == "Steuer"
    value = update["data"]["fields"]["description"]["value"] if "fields" in update["data"] \
        else update["data"]["description"]
    assert is_envelope(value) and decrypt_value(value, key) == "Belege sammeln"
    assert "Steuer" not in json.dumps(insert) and "Belege" not in json.dumps(update)


def test_locked_vault_holds_the_record_back_and_lets_others_go(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    secret = user_insert(side, "todo", "tasks", {"title": "geheim"})
    user_update(side, "todo", "tasks", secret, {"priority": 3})  # same record: waits too
    other = user_insert(side, "todo", "tasks", {"priority": 1})  # nothing to seal: goes
    session = account_session(side)  # never unlocked
    side.replica.set_cipher(cipher(side, session))

    report = side.engine.run_once()

    assert report.ok, report.errors
    assert report.pushed == 1 and report.waiting == 2
    assert stored_rows(reference_server, secret) == []
    assert len(stored_rows(reference_server, other)) == 1
    assert side.replica.pending_count() == 2 and side.replica.quarantined() == []
    status = side.engine.status()
    assert status.waiting_for_key == 2
    assert WAITING_FOR_KEY in status.describe()
    assert WAITING_FOR_KEY in report.summary()

    assert session.vault.unlock() is VaultState.UNLOCKED
    again = side.engine.run_once()
    assert again.ok and again.pushed == 2 and again.waiting == 0
    rows = stored_rows(reference_server, secret)
    assert [r["op"] for r in rows] == ["insert", "update"]
    assert is_envelope(rows[0]["data"]["title"])
    assert side.engine.status().waiting_for_key == 0


def test_sentinel_never_reaches_the_wire_once_the_personal_space_is_known(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    session = account_session(side)
    assert session.vault.unlock() is VaultState.UNLOCKED
    # Written before the Spaces were known: stamped with the sentinel, sealed.
    side.replica.set_cipher(cipher(side, session, SpaceContext(side.user_id)))
    record_id = user_insert(side, "todo", "tasks", {"title": "früh"})
    local = side.replica.get("todo", "tasks", record_id)
    assert local is not None and local.data["spaceId"] == personal_sentinel(side.user_id)
    user_update(side, "todo", "tasks", record_id, {"priority": 5})
    side.replica.set_cipher(cipher(side, session))  # now the personal Space is known

    assert side.engine.run_once().ok
    rows = stored_rows(reference_server, record_id)
    assert [r["space"] for r in rows] == [PERSONAL, PERSONAL]
    assert rows[0]["data"]["spaceId"] == PERSONAL
    assert "_personal:" not in json.dumps(rows)


def test_shared_space_records_stay_plaintext(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    record_id = user_insert(side, "todo", "tasks", {"title": "Team-Aufgabe", "spaceId": TEAM})
    session = account_session(side)  # locked: a shared record does not need the key
    side.replica.set_cipher(cipher(side, session))

    report = side.engine.run_once()

    assert report.ok and report.pushed == 1 and report.waiting == 0
    (row,) = stored_rows(reference_server, record_id)
    assert row["space"] == TEAM and row["data"]["title"] == "Team-Aufgabe"


def test_prepare_change_without_a_cipher_changes_nothing() -> None:
    change = {"table": "tasks", "id": "t", "op": "insert", "spaceId": "_personal:u",
              "data": {"title": "x", "spaceId": "_personal:u"}}
    assert prepare_change(change, None) is change


def test_prepare_change_keeps_envelopes_and_rewrites_field_space_ids() -> None:
    context = SpaceContext("u", PERSONAL, {PERSONAL: Space(PERSONAL, type="personal")})
    sealed = RecordCipher("u", lambda: None, context)
    change = {"table": "tasks", "id": "t", "op": "update", "spaceId": "_personal:u",
              "fields": {"title": {"value": "enc:1:abc.def", "at": "x"},
                         "spaceId": {"value": "_personal:u", "at": "x"},
                         "priority": {"value": 1, "at": "x"}}}
    out = prepare_change(change, sealed)  # nothing to seal: no key needed
    assert out["spaceId"] == PERSONAL and out["fields"]["spaceId"]["value"] == PERSONAL
    assert out["fields"]["title"]["value"] == "enc:1:abc.def"
    assert change["spaceId"] == "_personal:u"  # the stored entry is not modified
