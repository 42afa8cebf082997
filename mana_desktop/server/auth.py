"""Accounts and tokens, as mana-auth issues them and mana-sync checks them.

Access tokens are EdDSA (Ed25519) JWTs with a `kid` header, `sub` = user id and `exp`
(15 minutes by default). The signing key is a PKCS#8 PEM file beside the database (mode 0600)
so tokens stay valid across restarts. Passwords are stored as scrypt hashes. Refresh tokens
are opaque random strings, stored only as SHA-256 digests, valid for 7 days.

The 401 texts follow upstream mana-sync (`unauthorized: …`, sync-protocol.md §2.2, §8).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mana_desktop.server.spaces import Spaces
from mana_desktop.server.store import Store

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 7 * 24 * 3600
# scrypt cost: 16 MiB and ~50 ms per hash on a small machine; a real KDF, not a bare hash.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_VERIFIED_CACHE_SIZE = 4096
_LOOKUP_CACHE_S = 5.0


class Unauthorized(Exception):
    """A 401 whose message is the text/plain body (without the trailing newline)."""


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str
    name: str
    sync_active: bool = True

    def public(self) -> dict[str, str]:
        return {"id": self.id, "email": self.email, "name": self.name}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# -- passwords -------------------------------------------------------------------------


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64url(salt)}${_b64url(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_text, digest_text = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
        expected = base64.urlsafe_b64decode(digest_text + "=" * (-len(digest_text) % 4))
        digest = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


# A hash to check against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43


# -- the signing key -------------------------------------------------------------------


class SigningKey:
    """The Ed25519 key pair, loaded from (or created at) `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            self.private = loaded
        else:
            self.private = Ed25519PrivateKey.generate()
            pem = self.private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
        self.public: Ed25519PublicKey = self.private.public_key()
        raw = self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.kid = hashlib.sha256(raw).hexdigest()[:16]
        self.jwk = {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(raw),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


def key_path_for(db_path: Path) -> Path:
    """Where the signing key of a database lives: beside it."""
    return db_path.with_name(db_path.name + ".signing-key.pem")


# -- accounts and tokens ---------------------------------------------------------------


class Auth:
    def __init__(
        self,
        store: Store,
        key: SigningKey,
        *,
        access_ttl_s: int = ACCESS_TTL_S,
        issuer: str = "mana-desktop-serve",
    ) -> None:
        self.store = store
        self.key = key
        # False = the upstream behaviour (`serve --upstream-login`): `/api/v1/auth/login`
        # sets no session cookie, `/refresh` and the organization routes take only the
        # cookie, so a client must also sign in through Better Auth's native route.
        self.login_sets_cookie = True
        self.access_ttl_s = access_ttl_s
        self.issuer = issuer
        self._verified: dict[str, tuple[str, float]] = {}
        # Billing and membership lookups, as upstream caches them (5 min there); our own
        # changes clear them at once, other processes' changes show within seconds.
        self._active: dict[str, tuple[bool, float]] = {}
        self._spaces: dict[str, tuple[tuple[str, ...], float]] = {}
        self.orgs = Spaces(store)  # creates missing personal Spaces of older databases
        self._cookie_key = hashlib.sha256(
            b"mana.session_token\0"
            + key.private.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
        ).digest()

    # accounts

    def add_user(
        self, email: str, password: str, name: str | None = None, *, password_hash: str = ""
    ) -> User:
        """Create the account, or reset its password if it exists (the id stays).

        `password_hash` (from `hash_password(password)`) skips the KDF, for callers that create
        the same account in many databases (the test harness)."""
        email = email.strip().lower()
        if not email or "@" not in email:
            raise ValueError(f"not an email address: {email!r}")
        if not password:
            raise ValueError(f"empty password for {email}")
        hashed = password_hash or hash_password(password)
        display = name or email.split("@", 1)[0]
        with self.store.write() as conn:
            row = conn.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
            if row is None:
                user_id = str(uuid.uuid4())
                conn.execute(
                    "INSERT INTO users (id, email, name, password_hash, sync_active, created_at)"
                    " VALUES (?, ?, ?, ?, 1, ?)",
                    (user_id, email, display, hashed, int(time.time())),
                )
                # Same transaction: an account never exists without its personal Space.
                self.orgs.create_personal(conn, user_id, email, display)
            else:
                user_id = row[0]
                conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hashed, user_id))
        user = self.user_by_email(email)
        assert user is not None
        return user

    def user_by_email(self, email: str) -> User | None:
        row = (
            self.store.reader()
            .execute(
                "SELECT id, email, name, sync_active FROM users WHERE email = ?",
                (email.strip().lower(),),
            )
            .fetchone()
        )
        return None if row is None else User(row[0], row[1], row[2], bool(row[3]))

    def user_by_id(self, user_id: str) -> User | None:
        row = (
            self.store.reader()
            .execute("SELECT id, email, name, sync_active FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        return None if row is None else User(row[0], row[1], row[2], bool(row[3]))

    def set_sync_active(self, email: str, active: bool) -> None:
        """The billing gate's switch: an inactive user gets 402 on push, pull and stream."""
        with self.store.write() as conn:
            cursor = conn.execute(
                "UPDATE users SET sync_active = ? WHERE email = ?",
                (int(active), email.strip().lower()),
            )
            if cursor.rowcount == 0:
                raise ValueError(f"no such user: {email}")
        self._active.clear()

    def sync_active(self, user_id: str) -> bool:
        cached = self._active.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        row = (
            self.store.reader()
            .execute("SELECT sync_active FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        # Unknown users (tokens minted elsewhere with our key) pass, as with credits down.
        active = True if row is None else bool(row[0])
        self._active[user_id] = (active, time.monotonic() + _LOOKUP_CACHE_S)
        return active

    def add_membership(self, user_id: str, space_id: str, role: str = "member") -> None:
        """Make the user a member (see `Spaces.add_member`: unknown ids become team Spaces)."""
        self.orgs.add_member(space_id, user_id, role)
        self._spaces.clear()

    def add_space(self, name: str, space_type: str, emails: list[str]) -> str:
        """The Space `name` owned by the first email, with the others as members (created,
        or found again by name among the owner's Spaces). Raises ValueError."""
        users = []
        for email in emails:
            user = self.user_by_email(email)
            if user is None:
                raise ValueError(f"no account for {email.strip()!r} (create it with --user)")
            users.append(user)
        if not users:
            raise ValueError(f"Space {name!r} needs at least one email (its owner)")
        owner, members = users[0], users[1:]
        org = self.orgs.find_owned(owner.id, name)
        if org is None:
            org = self.orgs.create(name, space_type, owner.id)
        elif org.type != space_type:
            raise ValueError(f"Space {name!r} of {owner.email} exists with type {org.type}")
        for member in members:
            if member.id != owner.id and self.orgs.role(org.id, member.id) is None:
                self.orgs.add_member(org.id, member.id, "member")
        self._spaces.clear()
        return org.id

    def foreign_spaces(self, user_id: str, spaces: set[str]) -> set[str]:
        """The given spaces that have registered members, none of them `user_id`."""
        marks = ",".join("?" * len(spaces))
        rows = (
            self.store.reader()
            .execute(
                f"SELECT space_id FROM memberships WHERE space_id IN ({marks})"
                " GROUP BY space_id HAVING SUM(user_id = ?) = 0",
                (*spaces, user_id),
            )
            .fetchall()
        )
        return {row[0] for row in rows}

    def spaces(self, user_id: str) -> tuple[str, ...]:
        cached = self._spaces.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        # A personal Space with no other member is left out: it had its owner from the
        # start and only members may write into a Space with members, so its rows are the
        # user's own, which the first arm of the read query finds already.
        rows = (
            self.store.reader()
            .execute(
                "SELECT m.space_id FROM memberships m WHERE m.user_id = ? AND NOT EXISTS"
                " (SELECT 1 FROM organizations o WHERE o.id = m.space_id"
                " AND json_extract(o.metadata, '$.type') = 'personal' AND NOT EXISTS"
                " (SELECT 1 FROM memberships x WHERE x.space_id = m.space_id"
                " AND x.user_id != m.user_id)) ORDER BY m.space_id",
                (user_id,),
            )
            .fetchall()
        )
        spaces = tuple(row[0] for row in rows if row[0])
        self._spaces[user_id] = (spaces, time.monotonic() + _LOOKUP_CACHE_S)
        return spaces

    # login and tokens

    def login(self, email: str, password: str) -> User | None:
        row = (
            self.store.reader()
            .execute(
                "SELECT id, email, name, sync_active, password_hash FROM users WHERE email = ?",
                (email.strip().lower(),),
            )
            .fetchone()
        )
        if row is None:
            verify_password(password, _DUMMY_HASH)
            return None
        if not verify_password(password, row[4]):
            return None
        return User(row[0], row[1], row[2], bool(row[3]))

    def issue_access(self, user: User, *, ttl_s: int | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user.id,
            "email": user.email,
            "name": user.name,
            "iat": now,
            "exp": now + (self.access_ttl_s if ttl_s is None else ttl_s),
            "iss": self.issuer,
            "aud": "mana",
        }
        return jwt.encode(
            claims, self.private_key, algorithm="EdDSA", headers={"kid": self.key.kid}
        )

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return self.key.private

    def issue_refresh(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO refresh_tokens (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                (_digest(token), user.id, int(time.time()) + REFRESH_TTL_S),
            )
        return token

    def redeem_refresh(self, token: str) -> User | None:
        row = (
            self.store.reader()
            .execute(
                "SELECT user_id, expires_at FROM refresh_tokens WHERE token_hash = ?",
                (_digest(token),),
            )
            .fetchone()
        )
        if row is None or row[1] < time.time():
            return None
        return self.user_by_id(row[0])

    def revoke_refresh(self, token: str) -> None:
        with self.store.write() as conn:
            conn.execute("DELETE FROM refresh_tokens WHERE token_hash = ?", (_digest(token),))
            conn.execute(
                "DELETE FROM active_organizations WHERE holder = ?", (session_holder(token),)
            )

    # the session cookie (Better Auth's signed `mana.session_token`)

    def session_cookie(self, token: str) -> str:
        """The cookie value for a session (refresh) token: `<token>.<base64 HMAC-SHA256>`."""
        mac = hmac.new(self._cookie_key, token.encode("utf-8"), hashlib.sha256).digest()
        return f"{token}.{base64.b64encode(mac).decode('ascii')}"

    def token_from_cookie(self, value: str | None) -> str | None:
        """The session token of a cookie value we signed, or None."""
        if not value:
            return None
        token, sep, _mac = value.rpartition(".")
        if not sep or not token:
            return None
        return token if hmac.compare_digest(self.session_cookie(token), value) else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.jwk]}

    # checking

    def user_from_header(self, header: str | None) -> str:
        """The user id of an `Authorization` header, or Unauthorized with upstream's text."""
        if not header or not header.startswith("Bearer "):
            raise Unauthorized("unauthorized: no authorization header")
        token = header[len("Bearer ") :]
        if not token:
            raise Unauthorized("unauthorized: no authorization header")
        return self.verify(token)

    def verify(self, token: str) -> str:
        """The `sub` of a valid access token signed by our key."""
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        sub, exp = self._verify_uncached(token)
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.clear()  # crude but bounded; a hit saves a signature check
        self._verified[token] = (sub, exp)
        return sub

    def _verify_uncached(self, token: str) -> tuple[str, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"unauthorized: parse token: token is malformed: {exc}") from None
        alg = header.get("alg")
        if alg != "EdDSA":
            raise Unauthorized(
                f"unauthorized: parse token: token signature is invalid: signing method {alg} is invalid"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized(
                "unauthorized: parse token: token is unverifiable: error while executing keyfunc:"
                " token has no kid header"
            )
        if kid != self.key.kid:
            raise Unauthorized(
                "unauthorized: parse token: token is unverifiable: error while executing keyfunc:"
                f" key {kid!r} not found in JWKS"
            )
        try:
            claims = jwt.decode(
                token,
                self.key.public,
                algorithms=["EdDSA"],
                options={
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_iat": False,
                    "verify_sub": False,
                    "verify_jti": False,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(
                "unauthorized: parse token: token has invalid claims: token is expired"
            ) from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized(
                "unauthorized: parse token: token has invalid claims: token is not valid yet"
            ) from None
        except jwt.InvalidSignatureError:
            raise Unauthorized(
                "unauthorized: parse token: token signature is invalid: ed25519: verification error"
            ) from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"unauthorized: parse token: token is malformed: {exc}") from None
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("unauthorized: missing sub claim")
        exp = claims.get("exp")
        # Without exp a token never expires (as golang-jwt); cache it for a minute at most.
        until = float(exp) if isinstance(exp, int | float) else time.time() + 60
        return sub, min(until, time.time() + 3600)


def session_holder(token: str) -> str:
    """Who holds an active organization: a cookie session (its token digest)."""
    return "s:" + _digest(token)


def user_holder(user_id: str) -> str:
    """Who holds an active organization: a bearer caller (the account)."""
    return "u:" + user_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
