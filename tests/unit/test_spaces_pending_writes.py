"""Writes into a Space the client cannot place yet wait for the Spaces (issue 8).

Sealing a shared-Space record would leave co-members with ciphertext for good; not sealing a
personal one would leak it. Until the account's Spaces have loaded, a write that touches
registry fields of a record in an unknown Space is refused with its own message, and
nothing of it is kept.
"""

from __future__ import annotations

import os

import pytest

from mana_desktop.domain.crypto import (
    MasterKey,
    RecordCipher,
    SpacesPendingError,
    decrypt_value,
    is_envelope,
)
from mana_desktop.domain.spaces import Space, SpaceContext
from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings
from mana_desktop.workbench.context import DecisionError
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    iteration,
    mission_data,
    server_insert_mission,
    tool_step,
)

KEY = MasterKey(os.urandom(32))
FAMILY = Space("FAM", "Family", "family", "member")
MINE = Space("P1", "me", "personal", "owner")


def _cipher(context: SpaceContext) -> RecordCipher:
    return RecordCipher("u-1", lambda: KEY, context)


def test_an_update_in_an_unknown_space_waits_until_the_spaces_loaded() -> None:
    waiting = _cipher(SpaceContext("u-1", spaces={"P1": MINE}))
    with pytest.raises(SpacesPendingError, match="Spaces are still loading"):
        waiting.seal_update("notes", {"content": "x"}, existing={"spaceId": "FAM"})
    # fields the registry does not encrypt do not need to know
    assert waiting.seal_update("notes", {"isPinned": True}, existing={"spaceId": "FAM"}) == {
        "isPinned": True
    }
    # the sentinel and known Spaces are placed without the server
    sealed = waiting.seal_update("notes", {"content": "x"}, existing={"spaceId": "_personal:u-1"})
    assert is_envelope(sealed["content"])


def test_once_loaded_shared_stays_plaintext_and_unknown_counts_as_personal() -> None:
    loaded = _cipher(SpaceContext("u-1", spaces={"P1": MINE, "FAM": FAMILY}, loaded=True))
    assert loaded.seal_update("notes", {"content": "x"}, existing={"spaceId": "FAM"}) == {
        "content": "x"
    }
    other = loaded.seal_update("notes", {"content": "x"}, existing={"spaceId": "GONE"})
    assert decrypt_value(other["content"], KEY) == "x"


def test_an_insert_into_an_unknown_space_waits_too() -> None:
    waiting = _cipher(SpaceContext("u-1"))
    with pytest.raises(SpacesPendingError):
        waiting.seal_insert("tasks", {"id": "t1", "title": "x", "spaceId": "FAM"})


def _note_and_proposal(replica: Replica) -> None:
    with replica.write() as tx:
        tx.insert("notes", "notes", {"id": "n1", "title": "Shopping", "content": "milk",
                                     "spaceId": "FAM", "authorId": "u-2", "visibility": "space"},
                  actor={"kind": "user", "principalId": "u-2", "displayName": "Robin"})
    data = mission_data("m1", [iteration("it1", tool_step(
        "s1", "append_to_note", {"noteId": "n1", "content": "eggs"}))])
    server_insert_mission(replica, data)


def test_an_approval_into_an_unknown_space_is_a_message_and_writes_nothing(
    wb_replica: Replica,
) -> None:
    context = {"now": SpaceContext("u-1", spaces={"P1": MINE})}
    _note_and_proposal(wb_replica)  # written before the cipher: as pulled from the server
    cipher = RecordCipher("u-1", lambda: KEY, lambda: context["now"])
    wb_replica.set_cipher(cipher)
    wb = Workbench(wb_replica, Settings(user_id="u-1"), cipher=cipher)
    wb.stage()
    [card] = wb.proposals()
    with pytest.raises(DecisionError, match="Spaces are still loading"):
        wb.approve(card.id)
    assert wb_replica.get("notes", "notes", "n1").data["content"] == "milk"  # type: ignore[union-attr]
    assert wb.proposal(card.id).status == "pending"  # type: ignore[union-attr]
    context["now"] = SpaceContext("u-1", spaces={"P1": MINE, "FAM": FAMILY}, loaded=True)
    wb.approve(card.id)
    content = wb_replica.get("notes", "notes", "n1").data["content"]  # type: ignore[union-attr]
    assert not is_envelope(content) and "eggs" in content  # shared: readable by co-members
