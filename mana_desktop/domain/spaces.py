"""Spaces: tenancy stamps on new records, the personal/shared decision, read-only records.

As the webapp's Dexie `creating` hook at HEAD (shared/spec/sync-protocol.md §7.3,
encryption-and-account.md §5): on the 11 user-level tables a new record gets `userId`; on all
other tables it gets `spaceId` (the active Space, or the sentinel `_personal:<userId>` before
the Spaces are known), `authorId` = the user and `visibility` = `'space'`. An explicit value
from the caller wins. `userId`, `spaceId` and `authorId` never change afterwards: updates
strip them. Space ids are opaque strings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

PERSONAL_PREFIX: Final = "_personal:"
DEFAULT_VISIBILITY: Final = "space"
VISIBILITIES: Final = ("private", "space", "unlisted", "public")
SPACE_TYPES: Final = ("personal", "brand", "club", "family", "team", "practice")
IMMUTABLE_FIELDS: Final = ("userId", "spaceId", "authorId")

# HEAD's user-level tables (`meImages` moved to space scope in Dexie v40).
USER_LEVEL_TABLES: Final = frozenset({
    "userSettings", "userContext", "newsPreferences", "meditateSettings", "sleepSettings",
    "moodSettings", "timeSettings", "invoiceSettings", "broadcastSettings", "wetterSettings",
    "userTagPresets",
})


def personal_sentinel(user_id: str | None) -> str:
    """`_personal:<userId>` (`_personal:guest` without a user)."""
    return PERSONAL_PREFIX + (user_id or "guest")


def is_sentinel(space_id: object) -> bool:
    return isinstance(space_id, str) and space_id.startswith(PERSONAL_PREFIX)


@dataclass(frozen=True, slots=True)
class Space:
    """One Space (a Better Auth organization with `metadata.type`)."""

    id: str
    name: str = ""
    type: str = "personal"
    role: str | None = None

    @property
    def is_personal(self) -> bool:
        return self.type == "personal"


@dataclass(frozen=True)
class SpaceContext:
    """What the client knows about the user's Spaces. Empty until they are loaded (then
    new records get the sentinel, as upstream before its Space store loads). `loaded`: the
    list came from the server in this session (a cached list alone does not count: a Space
    joined since is missing from it)."""

    user_id: str
    active_space_id: str | None = None
    spaces: Mapping[str, Space] = field(default_factory=dict)
    loaded: bool = False

    @property
    def personal_space_id(self) -> str | None:
        """The user's own personal Space. A user can be a member of several Spaces of type
        personal (another user's too), so the one we own wins; a single personal Space of
        unknown role is ours (every account has one). Still ambiguous: None, and the
        sentinel stays (the server resolves it) rather than a guess that could put our
        records into another user's Space."""
        personal = [s for s in self.spaces.values() if s.is_personal]
        owned = [s for s in personal if s.role == "owner"]
        if owned:
            return owned[0].id if len(owned) == 1 else None
        if len(personal) == 1 and personal[0].role is None:
            return personal[0].id
        return None

    def awaits_spaces(self, space_id: object) -> bool:
        """True for a Space id we cannot place yet: not a sentinel, not a known Space, and
        the Spaces have not been loaded from the server in this session. Whether its
        records are shared (plaintext) or personal (sealed) is unknown until then."""
        return (isinstance(space_id, str) and bool(space_id) and not is_sentinel(space_id)
                and space_id not in self.spaces and not self.loaded)

    def effective_space_id(self) -> str:
        """The Space a new record goes to (`getEffectiveSpaceId`)."""
        return self.active_space_id or self.personal_space_id or personal_sentinel(self.user_id)

    def is_shared(self, space_id: object) -> bool:
        """True for a known Space of a known shared type. A Space whose type we cannot read
        counts as personal, so its records are encrypted rather than leaked in plaintext."""
        space = self.spaces.get(space_id) if isinstance(space_id, str) else None
        return space is not None and space.type in SPACE_TYPES and not space.is_personal

    def wire_space_id(self, space_id: str | None) -> str | None:
        """The id to send: the real personal Space id instead of this user's sentinel once
        it is known (upstream `reconcileSentinels`), otherwise unchanged."""
        personal = self.personal_space_id
        if personal and space_id == personal_sentinel(self.user_id):
            return personal
        return space_id


def stamp_new_record(
    table: str,
    data: Mapping[str, Any],
    *,
    user_id: str,
    space_id: str | None = None,
) -> dict[str, Any]:
    """A copy of a new record with the tenancy stamps filled in where missing.

    `space_id` is the effective Space (`SpaceContext.effective_space_id()`); None means the
    personal sentinel of `user_id`.
    """
    out = dict(data)
    if table in USER_LEVEL_TABLES:
        _fill(out, "userId", user_id)
        return out
    _fill(out, "spaceId", space_id or personal_sentinel(user_id))
    _fill(out, "authorId", user_id)
    _fill(out, "visibility", DEFAULT_VISIBILITY)
    return out


def _fill(data: dict[str, Any], name: str, value: str) -> None:
    # Upstream fills "if missing": an explicit null counts as missing too.
    if data.get(name) is None:
        data[name] = value


def strip_immutable(fields: Mapping[str, Any]) -> dict[str, Any]:
    """An update's fields without `userId`/`spaceId`/`authorId` (the `updating` hook)."""
    return {k: v for k, v in fields.items() if k not in IMMUTABLE_FIELDS}


def is_personal_scope(space_id: object, context: SpaceContext | None = None) -> bool:
    """Whether a record in `space_id` is encrypted with the user's master key.

    Upstream `isPersonalScope` (spec §2.5): the sentinel is personal; the active non-personal
    Space is shared; anything else, including no spaceId, is personal. We treat every known
    non-personal Space as shared (the documented intent: co-members cannot hold our key).
    """
    if is_sentinel(space_id) or context is None:
        return True
    return not context.is_shared(space_id)


def is_read_only(data: Mapping[str, Any], context: SpaceContext) -> bool:
    """Records of other Spaces are shown but not edited (issue 8): anything stamped with a
    Space that is neither this user's sentinel nor the personal Space. User-level and legacy
    rows without `spaceId` are the user's own."""
    space_id = data.get("spaceId")
    if not isinstance(space_id, str) or not space_id:
        return False
    if space_id == personal_sentinel(context.user_id):
        return False
    return space_id != context.personal_space_id


def visible_to(data: Mapping[str, Any], user_id: str) -> bool:
    """`private` records are shown to their author only (client-side rule, spec §5.3)."""
    return data.get("visibility") != "private" or data.get("authorId") == user_id


def parse_organizations(items: Iterable[Any]) -> list[Space]:
    """Spaces from a Better Auth `organization/list` answer; `metadata` may be an object or
    its JSON text. Entries without an id are skipped; unknown types are kept as they are."""
    spaces: list[Space] = []
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue
        metadata = item.get("metadata")
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = None
        kind = metadata.get("type") if isinstance(metadata, Mapping) else None
        name = item.get("name")
        role = item.get("role")
        spaces.append(Space(
            id=item["id"],
            name=name if isinstance(name, str) else "",
            type=kind if isinstance(kind, str) and kind else "unknown",
            role=role if isinstance(role, str) else None,
        ))
    return spaces
