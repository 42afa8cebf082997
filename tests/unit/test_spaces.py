"""Tenancy stamps and Space rules as the webapp's Dexie hooks at HEAD (spec §5, §7.3)."""

from __future__ import annotations

import pytest

from mana_desktop.domain import spaces
from mana_desktop.domain.crypto import MasterKey, encrypt_record, is_envelope
from mana_desktop.domain.spaces import Space, SpaceContext

USER = "u1"
PERSONAL = Space("sp-personal", "Me", "personal", "owner")
CLUB = Space("sp-club", "Chess club", "club", "member")
CONTEXT = SpaceContext(USER, None, {PERSONAL.id: PERSONAL, CLUB.id: CLUB})


def test_user_level_tables_are_the_eleven_of_head() -> None:
    assert len(spaces.USER_LEVEL_TABLES) == 11
    assert "meImages" not in spaces.USER_LEVEL_TABLES
    assert {"userSettings", "userContext", "userTagPresets"} <= spaces.USER_LEVEL_TABLES


def test_new_space_record_gets_sentinel_author_and_visibility() -> None:
    stamped = spaces.stamp_new_record("tasks", {"id": "t", "title": "x"}, user_id=USER)
    assert stamped == {"id": "t", "title": "x", "spaceId": "_personal:u1",
                       "authorId": USER, "visibility": "space"}


def test_new_record_goes_to_the_effective_space() -> None:
    stamped = spaces.stamp_new_record(
        "notes", {}, user_id=USER, space_id=CONTEXT.effective_space_id()
    )
    assert stamped["spaceId"] == "sp-personal"
    active = SpaceContext(USER, CLUB.id, CONTEXT.spaces)
    assert active.effective_space_id() == "sp-club"
    assert SpaceContext(USER).effective_space_id() == "_personal:u1"


def test_explicit_values_win() -> None:
    data = {"spaceId": "sp-club", "authorId": "other", "visibility": "private"}
    assert spaces.stamp_new_record("notes", data, user_id=USER) == data


def test_user_level_record_gets_user_id_only() -> None:
    stamped = spaces.stamp_new_record("userSettings", {"theme": "dark"}, user_id=USER)
    assert stamped == {"theme": "dark", "userId": USER}


def test_guest_sentinel() -> None:
    assert spaces.personal_sentinel(None) == "_personal:guest"


def test_updates_strip_immutable_fields() -> None:
    fields = {"title": "t", "spaceId": "x", "authorId": "y", "userId": "z", "visibility": "public"}
    assert spaces.strip_immutable(fields) == {"title": "t", "visibility": "public"}


@pytest.mark.parametrize(
    ("space_id", "personal"),
    [("_personal:u1", True), ("_personal:someone", True), ("sp-personal", True),
     ("sp-club", False), ("sp-unknown", True), (None, True), ("", True)],
)
def test_personal_scope(space_id: str | None, personal: bool) -> None:
    assert spaces.is_personal_scope(space_id, CONTEXT) is personal


def test_personal_scope_without_context_is_personal() -> None:
    assert spaces.is_personal_scope("sp-club") is True


def test_shared_space_write_stays_plaintext_personal_is_sealed() -> None:
    key = MasterKey(bytes(32))
    club_note = spaces.stamp_new_record("notes", {"title": "t"}, user_id=USER, space_id=CLUB.id)
    own_note = spaces.stamp_new_record("notes", {"title": "t"}, user_id=USER)
    club_sealed = encrypt_record(
        "notes", club_note, key, personal=spaces.is_personal_scope(club_note["spaceId"], CONTEXT)
    )
    own_sealed = encrypt_record(
        "notes", own_note, key, personal=spaces.is_personal_scope(own_note["spaceId"], CONTEXT)
    )
    assert club_sealed["title"] == "t"
    assert is_envelope(own_sealed["title"])


@pytest.mark.parametrize(
    ("data", "read_only"),
    [({"spaceId": "sp-club"}, True), ({"spaceId": "sp-other"}, True),
     ({"spaceId": "sp-personal"}, False), ({"spaceId": "_personal:u1"}, False),
     ({"spaceId": "_personal:u2"}, True), ({}, False), ({"userId": USER}, False)],
)
def test_read_only(data: dict[str, str], read_only: bool) -> None:
    assert spaces.is_read_only(data, CONTEXT) is read_only


def test_private_records_visible_to_author_only() -> None:
    assert spaces.visible_to({"visibility": "private", "authorId": USER}, USER)
    assert not spaces.visible_to({"visibility": "private", "authorId": "u2"}, USER)
    assert spaces.visible_to({"visibility": "space", "authorId": "u2"}, USER)


def test_wire_space_id_replaces_own_sentinel_once_known() -> None:
    assert CONTEXT.wire_space_id("_personal:u1") == "sp-personal"
    assert CONTEXT.wire_space_id("sp-club") == "sp-club"
    assert SpaceContext(USER).wire_space_id("_personal:u1") == "_personal:u1"


def test_parse_organizations() -> None:
    parsed = spaces.parse_organizations([
        {"id": "a", "name": "Me", "metadata": {"type": "personal"}},
        {"id": "b", "name": "Club", "metadata": '{"type":"club","tier":"beta"}'},
        {"id": "c", "name": "Odd", "metadata": "not json"},
        {"name": "no id"},
        "junk",
    ])
    assert [(s.id, s.type) for s in parsed] == [("a", "personal"), ("b", "club"), ("c", "unknown")]
    context = SpaceContext(USER, None, {s.id: s for s in parsed})
    assert context.personal_space_id == "a"
    assert context.is_shared("b") and not context.is_shared("c")
