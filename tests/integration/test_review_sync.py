"""Review findings of issue 8, sync side (#1, #2, #5, #6, #7): against the reference server on
127.0.0.1:0 with real profiles and replicas in tmp_path; the server's stored rows are read."""

from __future__ import annotations

import json
import sqlite3

import pytest

from mana_desktop.cli import main
from mana_desktop.domain.crypto import is_envelope
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import REPLICA_FILE
from mana_desktop.sync.pushing import PUSH_BATCH
from mana_desktop.sync.sealing import WAITING_FOR_SPACES
from mana_desktop.sync.spaces import SpaceDirectory
from mana_desktop.sync.vault import VaultState
from tests.fixtures.sync import (
    SyncClientFactory,
    SyncSide,
    account_session,
    stored_rows,
    user_insert,
    user_update,
    wait_for,
)

TODO = ["todo/tasks"]
ALICE, BOB = "alice@example.com", "bob@example.com"


@pytest.fixture(autouse=True)
def _no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


# -- #1: a Space we cannot place yet waits for the Spaces ------------------------------------


def test_unlocked_before_the_spaces_load_holds_shared_space_changes(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory,
        capsys: pytest.CaptureFixture[str]) -> None:
    team = reference_server.add_space("Team", "team", [ALICE, BOB])
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    # Unsent changes from before the sign-in (or kept across sign-out): plaintext, no cipher.
    shared = user_insert(side, "todo", "tasks", {"title": "Team-Aufgabe", "spaceId": team})
    user_update(side, "todo", "tasks", shared, {"title": "Team-Aufgabe 2"})  # waits too
    mine = user_insert(side, "todo", "tasks", {"title": "meins"})  # the sentinel: goes
    session = account_session(side)
    assert not session.spaces.context.loaded  # no Space cache (sign-out removed it)
    assert session.vault.unlock() is VaultState.UNLOCKED  # the key came first: the race
    side.replica.set_cipher(session.cipher)

    report = side.engine.run_once()

    assert report.ok, report.errors
    assert report.waiting_spaces == 2 and report.pushed == 1 and report.waiting == 0
    assert stored_rows(reference_server, shared) == []
    assert is_envelope(stored_rows(reference_server, mine)[0]["data"]["title"])
    status = side.engine.status()
    assert status.waiting_for_spaces == 2 and WAITING_FOR_SPACES in status.describe()
    assert WAITING_FOR_SPACES in report.summary()
    assert side.replica.quarantined() == [] and side.replica.pending_count() == 2
    assert main(["status", "--data-dir", str(side.profile.data_dir)]) == 0
    assert "2 waiting for the account's Spaces" in capsys.readouterr().out

    session.spaces.refresh()
    again = side.engine.run_once()

    assert again.ok and again.pushed == 2 and again.waiting_spaces == 0
    rows = stored_rows(reference_server, shared)
    assert [r["space"] for r in rows] == [team, team]
    assert rows[0]["data"]["title"] == "Team-Aufgabe"  # plaintext: co-members can read it
    assert "enc:1:" not in json.dumps(rows)
    assert side.engine.status().waiting_for_spaces == 0


def test_a_successful_spaces_refresh_wakes_the_running_engine(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    team = reference_server.add_space("Team", "team", [ALICE, BOB])
    side = sync_client_factory(reference_server.url, subscriptions=TODO, poll_interval_s=300)
    shared = user_insert(side, "todo", "tasks", {"title": "Team", "spaceId": team})
    session = account_session(side)
    side.replica.set_cipher(session.cipher)
    session.wake_on_spaces(side.engine)
    side.engine.start()
    wait_for(lambda: side.engine.status().waiting_for_spaces == 1)
    assert side.replica.pending_count() == 1

    session.spaces.refresh()  # no sync_now: the refresh alone must wake the engine

    wait_for(lambda: side.replica.pending_count() == 0)
    assert stored_rows(reference_server, shared)[0]["data"]["title"] == "Team"


def test_start_loads_the_spaces_before_it_unlocks(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    session = account_session(side)
    seen: list[bool] = []
    session.vault.subscribe(lambda state: seen.append(session.spaces.context.loaded)
                            if state is VaultState.UNLOCKED else None)

    session.start()

    assert seen == [True]


def test_sign_out_and_in_again_holds_until_the_spaces_load(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    team = reference_server.add_space("Team", "team", [ALICE, BOB])
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    session = account_session(side)
    session.start()
    side.replica.set_cipher(session.cipher)
    shared = user_insert(side, "todo", "tasks", {"title": "offen", "spaceId": team})
    session.close(forget=True)  # sign-out: the Space cache goes, the change stays
    side.credentials.login(reference_server.url, ALICE, "alice-password")
    again = account_session(side)
    assert again.vault.unlock() is VaultState.UNLOCKED
    side.replica.set_cipher(again.cipher)

    assert side.engine.run_once().waiting_spaces == 1
    assert stored_rows(reference_server, shared) == []


# -- #2: our own personal Space, never another user's ------------------------------------------


def test_the_sentinel_is_never_rewritten_to_another_users_personal_space(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    alice_personal = reference_server.personal_space(ALICE)
    side = sync_client_factory(reference_server.url, BOB, subscriptions=TODO)
    # Bob is also a member of Alice's personal Space, which sorts first by name.
    reference_server.service.auth.add_membership(side.user_id, alice_personal, "member")
    bob_personal = reference_server.personal_space(BOB)
    directory = SpaceDirectory(side.profile, side.credentials, user_id=side.user_id,
                               auth_url=reference_server.url)

    context = directory.refresh()

    assert context.personal_space_id == bob_personal
    assert context.active_space_id == bob_personal
    session = account_session(side)
    session.start()
    side.replica.set_cipher(session.cipher)
    record = user_insert(side, "todo", "tasks", {"priority": 1})
    assert side.engine.run_once().ok
    assert [r["space"] for r in stored_rows(reference_server, record)] == [bob_personal]


# -- #5, #6: a refused change is quarantined alone, the rest goes ---------------------------


def test_a_change_into_a_space_we_are_not_in_is_quarantined_and_the_rest_goes(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    foreign = reference_server.add_space("Bobs Team", "team", [BOB])
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    before = user_insert(side, "todo", "tasks", {"priority": 1})
    refused = user_insert(side, "todo", "tasks", {"priority": 2, "spaceId": foreign})
    after = user_insert(side, "todo", "tasks", {"priority": 3})

    report = side.engine.run_once()

    assert report.pushed == 2 and report.quarantined == 1
    assert "not a member of space" in report.errors[-1]
    (held,) = side.replica.quarantined()
    assert held.record_id == refused and "403" in (held.quarantine_reason or "")
    assert len(stored_rows(reference_server, before)) == 1
    assert len(stored_rows(reference_server, after)) == 1
    assert stored_rows(reference_server, refused) == []
    assert side.replica.pending_count() == 0


def test_a_change_the_server_names_by_index_is_quarantined_alone(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    first = user_insert(side, "todo", "tasks", {"priority": 1})
    broken = user_insert(side, "todo", "tasks", {"priority": 2})
    user_update(side, "todo", "tasks", broken, {"priority": 4})
    last = user_insert(side, "todo", "tasks", {"priority": 3})
    _null_field(side, broken, "update")  # the server answers `400 ... in change 2: null`

    report = side.engine.run_once()

    assert report.pushed == 3 and report.quarantined == 1, report.errors
    # One cycle, no retry: the quarantine does not make the rest look like a stuck outbox.
    assert len(report.errors) == 1 and "in change 2" in report.errors[0], report.errors
    assert side.engine.requests == 3  # pull, the refused push, the push of the rest
    assert [q.record_id for q in side.replica.quarantined()] == [broken]
    assert len(stored_rows(reference_server, first)) == 1
    assert len(stored_rows(reference_server, last)) == 1
    assert [r["op"] for r in stored_rows(reference_server, broken)] == ["insert"]
    assert side.replica.pending_count() == 0


def _null_field(side: SyncSide, record_id: str, op: str) -> None:
    """Make the stored outbox change of one entry carry a null field change (the server
    refuses that change by index)."""
    with sqlite3.connect(side.profile.data_dir / REPLICA_FILE) as conn:
        (row_id, text), = conn.execute(
            "SELECT id, change FROM outbox WHERE record_id = ? AND op = ?", (record_id, op))
        change = json.loads(text)
        change["fields"] = {**change.get("fields", {}), "priority": None}
        conn.execute("UPDATE outbox SET change = ? WHERE id = ?", (json.dumps(change), row_id))


# -- pushing > 200 with held entries spread over the batches -----------------------------------


def test_more_than_a_batch_with_held_entries_spread_across_batches(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    secret = user_insert(side, "todo", "tasks", {"title": "geheim"})  # needs the key
    ids = []
    for i in range(2 * PUSH_BATCH + 50):
        ids.append(user_insert(side, "todo", "tasks", {"priority": i}))
        if i in (PUSH_BATCH - 1, PUSH_BATCH + 10, 2 * PUSH_BATCH + 20):
            user_update(side, "todo", "tasks", secret, {"priority": i})  # waits with it
    session = account_session(side)  # never unlocked
    side.replica.set_cipher(session.cipher)
    session.spaces.refresh()  # the personal Space is known: only the key is missing

    report = side.engine.run_once()

    assert report.ok, report.errors
    assert report.pushed == len(ids) and report.waiting == 4
    assert side.replica.pending_count() == 4
    with sqlite3.connect(reference_server.db_path) as conn:
        (count,), = conn.execute("SELECT COUNT(DISTINCT record_id) FROM sync_changes")
    assert count == len(ids)
    assert stored_rows(reference_server, secret) == []

    assert session.vault.unlock() is VaultState.UNLOCKED
    again = side.engine.run_once()
    assert again.ok and again.pushed == 4 and again.waiting == 0
    assert [r["op"] for r in stored_rows(reference_server, secret)] == ["insert"] + ["update"] * 3


# -- #7: a signed-in engine without a cipher pushes nothing ----------------------------------


def test_require_cipher_holds_every_change_until_a_cipher_is_set(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO, require_cipher=True)
    record = user_insert(side, "todo", "tasks", {"priority": 1})  # nothing to seal, even so

    report = side.engine.run_once()

    assert report.ok and report.pushed == 0 and report.waiting == 1
    assert side.engine.status().waiting_for_key == 1
    assert stored_rows(reference_server, record) == []
    session = account_session(side)
    session.start()
    side.replica.set_cipher(session.cipher)
    assert side.engine.run_once().pushed == 1
    assert len(stored_rows(reference_server, record)) == 1


def test_without_require_cipher_an_engine_without_a_vault_still_pushes(
        reference_server: RunningServer, sync_client_factory: SyncClientFactory) -> None:
    side = sync_client_factory(reference_server.url, subscriptions=TODO)
    record = user_insert(side, "todo", "tasks", {"priority": 1})
    assert side.engine.run_once().pushed == 1
    assert len(stored_rows(reference_server, record)) == 1
