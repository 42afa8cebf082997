"""RecordCipher: the one object the store, workbench and GUI call for encrypted records."""

from __future__ import annotations

import pytest

from mana_desktop.domain.crypto import (
    DecryptError,
    LockedValue,
    MasterKey,
    RecordCipher,
    VaultLockedError,
    is_envelope,
)
from mana_desktop.domain.spaces import Space, SpaceContext

USER = "u1"
KEY = MasterKey(bytes(range(32)))
CLUB = Space("sp-club", "Club", "club")


class Vault:
    """Just the `key` attribute of a VaultClient, switchable."""

    def __init__(self, key: MasterKey | None) -> None:
        self.key = key


def test_insert_is_stamped_and_sealed() -> None:
    cipher = RecordCipher(USER, lambda: KEY)
    sealed = cipher.seal_insert("aiMissions", {"id": "m1", "title": "Lesen", "state": "active"})
    assert sealed["spaceId"] == "_personal:u1" and sealed["authorId"] == USER
    assert sealed["visibility"] == "space" and sealed["state"] == "active"
    assert is_envelope(sealed["title"])
    assert cipher.reveal(sealed)["title"] == "Lesen"


def test_insert_into_active_shared_space_is_plaintext_and_read_only() -> None:
    context = SpaceContext(USER, CLUB.id, {CLUB.id: CLUB})
    cipher = RecordCipher(USER, lambda: KEY, context)
    sealed = cipher.seal_insert("notes", {"title": "Turnier"})
    assert sealed == {"title": "Turnier", "spaceId": "sp-club", "authorId": USER,
                      "visibility": "space"}
    assert cipher.read_only(sealed)
    assert not cipher.read_only({"spaceId": "_personal:u1"})


def test_update_strips_stamps_and_follows_the_existing_space() -> None:
    cipher = RecordCipher(USER, lambda: KEY, lambda: SpaceContext(USER, None, {CLUB.id: CLUB}))
    own = cipher.seal_update("notes", {"title": "neu", "spaceId": "x"}, {"spaceId": "_personal:u1"})
    assert set(own) == {"title"} and is_envelope(own["title"])
    shared = cipher.seal_update("notes", {"title": "neu"}, {"spaceId": "sp-club"})
    assert shared == {"title": "neu"}


def test_lock_and_unlock_take_effect_at_once() -> None:
    vault = Vault(None)
    cipher = RecordCipher(USER, lambda: vault.key)
    assert cipher.locked
    with pytest.raises(VaultLockedError):
        cipher.seal_insert("notes", {"title": "geheim"})
    # Plaintext tables and field-free updates still work while locked.
    assert cipher.seal_insert("manaLinks", {"a": 1})["a"] == 1
    assert cipher.seal_update("notes", {"isPinned": True}, {}) == {"isPinned": True}
    vault.key = KEY
    sealed = cipher.seal_insert("notes", {"title": "geheim"})
    vault.key = None
    shown = cipher.reveal(sealed)
    assert isinstance(shown["title"], LockedValue) and shown["title"].reason == "locked"
    vault.key = KEY
    assert cipher.reveal(sealed)["title"] == "geheim"


def test_reveal_strict_never_hands_out_markers() -> None:
    vault = Vault(KEY)
    cipher = RecordCipher(USER, lambda: vault.key)
    note = cipher.seal_insert("notes", {"id": "n", "title": "t", "content": "alt"})
    assert cipher.reveal_strict("notes", note)["content"] == "alt"
    vault.key = None
    with pytest.raises(VaultLockedError) as info:
        cipher.reveal_strict("notes", note)
    assert set(info.value.fields) == {"title", "content"}
    vault.key = MasterKey(bytes(32))  # another user's key: the blobs are foreign
    with pytest.raises(DecryptError, match="another key"):
        cipher.reveal_strict("notes", note)
    assert cipher.reveal_strict("notes", {"title": "plain"}) == {"title": "plain"}
