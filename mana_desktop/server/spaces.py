"""Spaces: Better Auth organizations with `metadata = {type, tier?}`, and their members.

As upstream mana-auth (`services/mana-auth/src/spaces/*`, spec encryption-and-account.md §5):
every account owns exactly one personal Space, created with the account; its id is a nanoid,
its slug comes from the email local part (`-2`, `-3`, ... on collision, reserved slugs
skipped). The sync server reads the same `memberships` table for its read scope and its
write check, so what `organization/list` shows is what sync partitions by.

The active organization is kept per holder: `s:<session digest>` for cookie sessions,
`u:<user id>` for bearer callers (our extension; upstream has sessions only).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from mana_desktop.server.store import Store

SPACE_TYPES: Final = ("personal", "brand", "club", "family", "team", "practice")
ROLES: Final = ("owner", "admin", "member")
DEFAULT_TIER: Final = "public"
# Upstream's reserved slugs (system routes); a personal Space never gets one of these.
RESERVED_SLUGS: Final = frozenset({
    "me", "admin", "api", "auth", "login", "logout", "signup", "signin", "register", "settings",
    "new", "app", "www", "support", "help", "billing", "invite",
})  # fmt: skip
_NANOID_ALPHABET: Final = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
_MAX_SLUG_SUFFIX: Final = 999

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  slug TEXT UNIQUE,
  logo TEXT,
  metadata TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS active_organizations (
  holder TEXT PRIMARY KEY,
  organization_id TEXT
);
CREATE INDEX IF NOT EXISTS idx_memberships_space ON memberships (space_id, user_id);
"""


class SpaceError(ValueError):
    """A Space operation that is not allowed (the message says why)."""


def new_id(size: int = 21) -> str:
    """A nanoid: `size` characters of the URL-safe 64-letter alphabet, from the OS CSPRNG."""
    return "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(size))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso_ms(ms: int) -> str:
    """`2026-11-24T03:22:12.000Z`, as JavaScript's Date.toISOString."""
    stamp = datetime.fromtimestamp(ms / 1000, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def slug_base(email: str) -> str:
    """Upstream's candidate slug: the email local part, lower case, `[a-z0-9-]`, <= 30 chars."""
    local = email.split("@", 1)[0].lower()
    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]+", "-", local)).strip("-")[:30]
    return slug or f"user-{new_id(6).lower()}"


def slugify(name: str) -> str:
    slug = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]+", "-", name.lower())).strip("-")[:30]
    return slug or "space"


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    name: str
    slug: str | None
    logo: str | None
    metadata: dict[str, Any]
    created_at: int  # ms since the epoch

    @property
    def type(self) -> str | None:
        value = self.metadata.get("type")
        return value if isinstance(value, str) else None

    def public(self) -> dict[str, Any]:
        """Better Auth's organization object."""
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "logo": self.logo,
            "createdAt": iso_ms(self.created_at),
            "metadata": self.metadata,
        }


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    organization_id: str
    user_id: str
    role: str
    created_at: int
    email: str
    name: str

    def public(self) -> dict[str, Any]:
        """Better Auth's member object, with its `user`."""
        return {
            "id": self.id,
            "organizationId": self.organization_id,
            "userId": self.user_id,
            "role": self.role,
            "createdAt": iso_ms(self.created_at),
            "user": {"id": self.user_id, "name": self.name, "email": self.email, "image": None},
        }


_ORG_COLUMNS = "o.id, o.name, o.slug, o.logo, o.metadata, o.created_at"
_MEMBER_SQL = (
    "SELECT m.id, m.space_id, m.user_id, m.role, m.created_at, COALESCE(u.email, ''),"
    " COALESCE(u.name, '') FROM memberships m LEFT JOIN users u ON u.id = m.user_id"
)


def _org(row: tuple[Any, ...]) -> Organization:
    try:
        metadata = json.loads(row[4]) if row[4] else {}
    except ValueError:
        metadata = {}
    return Organization(
        row[0], row[1], row[2], row[3], metadata if isinstance(metadata, dict) else {}, row[5]
    )


def _member(row: tuple[Any, ...]) -> Member:
    return Member(row[0], row[1], row[2], row[3], row[4] or 0, row[5], row[6])


class Spaces:
    """Organizations and memberships in the server's SQLite file. Thread-safe (via Store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.migrate()

    # -- schema ------------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring an older database up to date; returns how many personal Spaces it created."""
        with self.store.write() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(memberships)")}
            if "id" not in columns:
                conn.execute("ALTER TABLE memberships ADD COLUMN id TEXT")
            if "created_at" not in columns:
                conn.execute("ALTER TABLE memberships ADD COLUMN created_at INTEGER")
            # One statement at a time: executescript would commit the open transaction.
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            for (rowid,) in conn.execute(
                "SELECT rowid FROM memberships WHERE id IS NULL"
            ).fetchall():
                conn.execute(
                    "UPDATE memberships SET id = ?, created_at = COALESCE(created_at, ?)"
                    " WHERE rowid = ?",
                    (new_id(), now_ms(), rowid),
                )
            # Memberships of older databases name bare space ids: give each an organization.
            for (space_id,) in conn.execute(
                "SELECT DISTINCT space_id FROM memberships"
                " WHERE space_id NOT IN (SELECT id FROM organizations)"
            ).fetchall():
                self._insert_org(
                    conn,
                    space_id,
                    space_id,
                    self._free_slug(conn, slugify(space_id)),
                    {"type": "team"},
                )
            users = conn.execute(
                "SELECT id, email, name FROM users WHERE id NOT IN (SELECT m.user_id FROM"
                " memberships m JOIN organizations o ON o.id = m.space_id"
                " WHERE json_extract(o.metadata, '$.type') = 'personal')"
            ).fetchall()
            for user_id, email, name in users:
                self.create_personal(conn, user_id, email, name)
        return len(users)

    # -- writes (inside the caller's transaction where a connection is passed) ----------

    def create_personal(self, conn: sqlite3.Connection, user_id: str, email: str, name: str) -> str:
        """The user's personal Space id, created (owner membership included) if missing."""
        row = conn.execute(
            "SELECT o.id FROM organizations o JOIN memberships m ON m.space_id = o.id"
            " WHERE m.user_id = ? AND json_extract(o.metadata, '$.type') = 'personal'"
            " ORDER BY o.created_at LIMIT 1",
            (user_id,),
        ).fetchone()
        if row is not None:
            return str(row[0])
        slug = self._free_slug(conn, slug_base(email))
        display = name.strip() or email.split("@", 1)[0] or "Personal"
        org_id = new_id()
        metadata = {"tier": DEFAULT_TIER, "type": "personal"}
        self._insert_org(conn, org_id, display, slug, metadata)
        self._insert_member(conn, org_id, user_id, "owner")
        return org_id

    def create(
        self, name: str, space_type: str, owner_id: str, *, tier: str | None = None
    ) -> Organization:
        """A new Space with `owner_id` as its owner."""
        if space_type not in SPACE_TYPES:
            raise SpaceError(
                f"Space type must be one of {', '.join(SPACE_TYPES)}, got {space_type!r}"
            )
        if not name.strip():
            raise SpaceError("a Space needs a name")
        metadata: dict[str, Any] = {"type": space_type}
        if tier is not None:
            metadata["tier"] = tier
        org_id = new_id()
        with self.store.write() as conn:
            slug = self._free_slug(conn, slugify(name))
            self._insert_org(conn, org_id, name.strip(), slug, metadata)
            self._insert_member(conn, org_id, owner_id, "owner")
        org = self.organization(org_id)
        assert org is not None
        return org

    def add_member(self, org_id: str, user_id: str, role: str = "member") -> None:
        """Add (or re-role) a member; an id that is no organization yet becomes a `team`
        Space named after it, so `organization/list` matches the sync partitions."""
        if role not in ROLES:
            raise SpaceError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        with self.store.write() as conn:
            if (
                conn.execute("SELECT 1 FROM organizations WHERE id = ?", (org_id,)).fetchone()
                is None
            ):
                slug = self._free_slug(conn, slugify(org_id))
                self._insert_org(conn, org_id, org_id, slug, {"type": "team"})
            updated = conn.execute(
                "UPDATE memberships SET role = ? WHERE space_id = ? AND user_id = ?",
                (role, org_id, user_id),
            )
            if updated.rowcount == 0:
                self._insert_member(conn, org_id, user_id, role)

    def delete(self, org_id: str) -> None:
        """Remove a Space and its memberships; the personal Space cannot be deleted."""
        org = self.organization(org_id)
        if org is None:
            raise SpaceError("Organization not found")
        if org.type == "personal":
            raise SpaceError(
                "The personal space cannot be deleted. Delete the user account instead."
            )
        with self.store.write() as conn:
            conn.execute("DELETE FROM memberships WHERE space_id = ?", (org_id,))
            conn.execute("DELETE FROM active_organizations WHERE organization_id = ?", (org_id,))
            conn.execute("DELETE FROM organizations WHERE id = ?", (org_id,))

    def set_active(self, holder: str, org_id: str | None) -> None:
        with self.store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO active_organizations (holder, organization_id)"
                " VALUES (?, ?)",
                (holder, org_id),
            )

    def forget_holder(self, holder: str) -> None:
        with self.store.write() as conn:
            conn.execute("DELETE FROM active_organizations WHERE holder = ?", (holder,))

    def _free_slug(self, conn: sqlite3.Connection, base: str) -> str:
        def free(slug: str) -> bool:
            if slug in RESERVED_SLUGS:
                return False
            taken = conn.execute("SELECT 1 FROM organizations WHERE slug = ?", (slug,))
            return taken.fetchone() is None

        if free(base):
            return base
        for suffix in range(2, _MAX_SLUG_SUFFIX + 1):
            if free(f"{base}-{suffix}"):
                return f"{base}-{suffix}"
        return f"{base}-{new_id(6).lower()}"

    @staticmethod
    def _insert_org(
        conn: sqlite3.Connection, org_id: str, name: str, slug: str, metadata: dict[str, Any]
    ) -> None:
        conn.execute(
            "INSERT INTO organizations (id, name, slug, logo, metadata, created_at)"
            " VALUES (?, ?, ?, NULL, ?, ?)",
            (org_id, name, slug, json.dumps(metadata, sort_keys=True), now_ms()),
        )

    @staticmethod
    def _insert_member(conn: sqlite3.Connection, org_id: str, user_id: str, role: str) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO memberships (user_id, space_id, role, id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, org_id, role, new_id(), now_ms()),
        )

    # -- reads ---------------------------------------------------------------------------

    def organization(self, org_id: str) -> Organization | None:
        row = (
            self.store.reader()
            .execute(f"SELECT {_ORG_COLUMNS} FROM organizations o WHERE o.id = ?", (org_id,))
            .fetchone()
        )
        return None if row is None else _org(row)

    def organizations_of(self, user_id: str) -> list[Organization]:
        """The user's organizations: the personal Space first, then by name."""
        rows = (
            self.store.reader()
            .execute(
                f"SELECT {_ORG_COLUMNS} FROM organizations o JOIN memberships m"
                " ON m.space_id = o.id WHERE m.user_id = ?"
                " ORDER BY json_extract(o.metadata, '$.type') != 'personal', o.name, o.id",
                (user_id,),
            )
            .fetchall()
        )
        return [_org(row) for row in rows]

    def personal_space(self, user_id: str) -> str | None:
        """The personal Space the account got at creation (the oldest it owns; `serve
        --space NAME:personal:...` can make more Spaces of that type)."""
        row = (
            self.store.reader()
            .execute(
                "SELECT o.id FROM organizations o JOIN memberships m ON m.space_id = o.id"
                " WHERE m.user_id = ? AND m.role = 'owner'"
                " AND json_extract(o.metadata, '$.type') = 'personal'"
                " ORDER BY o.created_at, o.rowid LIMIT 1",
                (user_id,),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def find_owned(self, owner_id: str, name: str) -> Organization | None:
        """The non-personal Space called `name` that `owner_id` owns, if any."""
        return next(
            (
                o
                for o in self.organizations_of(owner_id)
                if o.name == name and o.type != "personal" and self.role(o.id, owner_id) == "owner"
            ),
            None,
        )

    def role(self, org_id: str, user_id: str) -> str | None:
        row = (
            self.store.reader()
            .execute(
                "SELECT role FROM memberships WHERE space_id = ? AND user_id = ?",
                (org_id, user_id),
            )
            .fetchone()
        )
        return None if row is None else str(row[0])

    def members(self, org_id: str) -> list[Member]:
        """Owner first, then admins, then members, each by email."""
        rows = (
            self.store.reader()
            .execute(
                f"{_MEMBER_SQL} WHERE m.space_id = ? ORDER BY m.role != 'owner',"
                " m.role != 'admin', u.email, m.user_id",
                (org_id,),
            )
            .fetchall()
        )
        return [_member(row) for row in rows]

    def member(self, org_id: str, user_id: str) -> Member | None:
        row = (
            self.store.reader()
            .execute(f"{_MEMBER_SQL} WHERE m.space_id = ? AND m.user_id = ?", (org_id, user_id))
            .fetchone()
        )
        return None if row is None else _member(row)

    def memberships(self, user_id: str) -> list[tuple[str, str]]:
        """`(organization id, role)` of every membership of the user, by id."""
        rows = (
            self.store.reader()
            .execute(
                "SELECT space_id, role FROM memberships WHERE user_id = ? ORDER BY space_id",
                (user_id,),
            )
            .fetchall()
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    def active(self, holder: str) -> str | None:
        row = (
            self.store.reader()
            .execute("SELECT organization_id FROM active_organizations WHERE holder = ?", (holder,))
            .fetchone()
        )
        return None if row is None or row[0] is None else str(row[0])
