"""One account per replica (`sync.account.check_profile_owner`) on a real replica file, and
the replica settings it uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mana_desktop.store.models import StoreError
from mana_desktop.store.replica import Replica
from mana_desktop.sync.account import OWNER_SETTING, AccountMismatchError, check_profile_owner

ACTOR = {"kind": "user", "principalId": "u"}


@pytest.fixture
def replica(tmp_path: Path) -> Iterator[Replica]:
    opened = Replica.open(tmp_path / "replica.db")
    yield opened
    opened.close()


def test_settings_round_trip_and_client_id_is_fixed(replica: Replica) -> None:
    assert replica.setting("x") is None
    replica.set_setting("x", "1")
    replica.set_setting("x", "2")
    assert replica.setting("x") == "2"
    replica.set_setting("x", None)
    assert replica.setting("x") is None
    client_id = replica.client_id
    with pytest.raises(StoreError):
        replica.set_setting("client_id", "mine")
    assert replica.client_id == client_id


def test_first_account_claims_and_the_same_account_passes(replica: Replica) -> None:
    check_profile_owner(replica, "alice")
    assert replica.setting(OWNER_SETTING) == "alice"
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"title": "a"}, actor=ACTOR)
    check_profile_owner(replica, "alice")
    assert replica.setting(OWNER_SETTING) == "alice"


def test_unowned_data_is_claimed(replica: Replica) -> None:
    with replica.write() as tx:  # made before any sign-in: goes to the first account
        tx.insert("todo", "tasks", {"title": "a"}, actor=ACTOR)
    check_profile_owner(replica, "bob")
    assert replica.setting(OWNER_SETTING) == "bob"


def test_another_account_is_refused_while_data_is_held(replica: Replica) -> None:
    check_profile_owner(replica, "alice")
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"title": "a"}, actor=ACTOR)
    with pytest.raises(AccountMismatchError) as refused:
        check_profile_owner(replica, "bob")
    message = str(refused.value)
    assert "1 record and 1 unsent change" in message and "--data-dir" in message
    assert "Sign in as that account" in message
    assert refused.value.owner == "alice" and refused.value.user_id == "bob"
    assert replica.setting(OWNER_SETTING) == "alice" and replica.count() == 1


def test_empty_replica_changes_hands_and_claim_false_only_checks(replica: Replica) -> None:
    check_profile_owner(replica, "alice")
    check_profile_owner(replica, "bob", claim=False)
    assert replica.setting(OWNER_SETTING) == "alice"
    check_profile_owner(replica, "bob")
    assert replica.setting(OWNER_SETTING) == "bob"
