"""The encryption vault of mana-auth, for the reference server's demo users.

Routes under `/api/v1/me/encryption-vault/` with upstream's shapes (shared/spec/
encryption-and-account.md §3.2): `GET /status`, `POST /init`, `GET /key`, `POST /rotate`,
`POST|DELETE /recovery-wrap`, `POST /zero-knowledge`. Storage mirrors `auth.encryption_vaults`
(§3.1): the master key (MK) wrapped with a server KEK (AES-256-GCM, 12-byte IV), and in
zero-knowledge mode only the client's recovery wrap, stored verbatim and never checked.

The KEK comes from `MANA_AUTH_KEK` (base64 of 32 bytes); without it the dev KEK of 32 zero
bytes is used, as upstream does in development, with a warning. Every action writes an audit
row. Mount with `routes.extend(vault_routes(service))` (anything with `.store` and `.auth`).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mana_desktop.domain.crypto import (
    DecryptError,
    KeyFormatError,
    MasterKey,
    unwrap_key,
    wrap_key,
)
from mana_desktop.server.auth import Unauthorized
from mana_desktop.server.responses import json_response
from mana_desktop.server.store import Store

log = logging.getLogger(__name__)

PREFIX = "/api/v1/me/encryption-vault"
KEK_ENV = "MANA_AUTH_KEK"
KEK_ID = "env-v1"
FORMAT_VERSION = 1
MAX_BODY = 64 * 1024

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS encryption_vaults (
      user_id TEXT PRIMARY KEY,
      wrapped_mk TEXT,
      wrap_iv TEXT,
      format_version INTEGER NOT NULL DEFAULT 1,
      kek_id TEXT NOT NULL DEFAULT 'env-v1',
      recovery_wrapped_mk TEXT,
      recovery_iv TEXT,
      recovery_format_version INTEGER NOT NULL DEFAULT 1,
      recovery_set_at TEXT,
      zero_knowledge INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      rotated_at TEXT,
      CHECK (wrapped_mk IS NOT NULL OR recovery_wrapped_mk IS NOT NULL)
    )""",
    """CREATE TABLE IF NOT EXISTS encryption_vault_audit (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL,
      action TEXT NOT NULL,
      ip_address TEXT,
      user_agent TEXT,
      context TEXT,
      status TEXT NOT NULL,
      created_at TEXT NOT NULL
    )""",
)

_COLUMNS = ("wrapped_mk, wrap_iv, recovery_wrapped_mk, recovery_iv, recovery_set_at,"
            " zero_knowledge")


class VaultState(Protocol):
    """What the routes need from the server: its store and its token checker."""

    @property
    def store(self) -> Store: ...

    @property
    def auth(self) -> Any: ...


class VaultError(Exception):
    """An error answer `{error, code}` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


NOT_INITIALISED = (404, "VAULT_NOT_INITIALISED", "vault not initialised")


@dataclass(frozen=True, slots=True)
class Caller:
    """Where a request came from, for the audit log."""

    ip: str | None
    user_agent: str | None


@functools.cache
def _warn_dev_kek_once() -> None:
    # Once per process: the server opens the vault from several places.
    log.warning("%s is not set: using the development KEK (32 zero bytes)", KEK_ENV)


def load_kek(environ: dict[str, str] | None = None) -> MasterKey:
    """The KEK from `MANA_AUTH_KEK`, or the dev KEK (32 zero bytes) with a warning."""
    text = (environ if environ is not None else dict(os.environ)).get(KEK_ENV, "").strip()
    if not text:
        _warn_dev_kek_once()
        return MasterKey(bytes(32))
    try:
        return MasterKey.from_b64(text)
    except KeyFormatError:
        raise ValueError(f"{KEK_ENV} must be base64 of exactly 32 bytes") from None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Vaults:
    """The vault rows of one server database."""

    def __init__(self, store: Store, kek: MasterKey | None = None) -> None:
        self.store = store
        self.kek = kek if kek is not None else load_kek()
        with store.write() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    # -- reading -------------------------------------------------------------------------

    def _row(self, conn: sqlite3.Connection, user_id: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = conn.execute(
            f"SELECT {_COLUMNS} FROM encryption_vaults WHERE user_id = ?", (user_id,)
        ).fetchone()
        return row

    def status(self, user_id: str) -> dict[str, Any]:
        row = self._row(self.store.reader(), user_id)
        if row is None:
            return {"vaultExists": False, "hasRecoveryWrap": False, "zeroKnowledge": False,
                    "recoverySetAt": None}
        return {"vaultExists": True, "hasRecoveryWrap": row[2] is not None,
                "zeroKnowledge": bool(row[5]), "recoverySetAt": row[4]}

    def master_key(self, user_id: str) -> MasterKey | None:
        """The user's MK for the server's own mission runner (the reference server's stand-in
        for upstream's per-mission key grants): None without a vault, in zero-knowledge mode
        (the server cannot open it then) or when another KEK sealed it."""
        row = self._row(self.store.reader(), user_id)
        if row is None or row[5]:
            return None
        try:
            return unwrap_key(self.kek, row[0], row[1])
        except DecryptError:
            return None

    def _key_shape(self, row: tuple[Any, ...]) -> dict[str, Any]:
        wrapped, iv, recovery_wrapped, recovery_iv, _set_at, zero_knowledge = row
        if zero_knowledge:
            return {"requiresRecoveryCode": True, "recoveryWrappedMk": recovery_wrapped,
                    "recoveryIv": recovery_iv, "formatVersion": FORMAT_VERSION}
        try:
            key = unwrap_key(self.kek, wrapped, iv)
        except DecryptError:
            # Another KEK sealed it: upstream answers 500 as well.
            raise VaultError(500, "VAULT_UNWRAP_FAILED", "vault key could not be unwrapped"
                             ) from None
        return {"masterKey": key.to_b64(), "formatVersion": FORMAT_VERSION, "kekId": KEK_ID}

    # -- actions (each in one transaction, with its audit row) ----------------------------

    def key(self, user_id: str, caller: Caller | None = None) -> dict[str, Any]:
        with self.store.write() as conn:
            row = self._row(conn, user_id)
            if row is None:
                # Committed before answering 404: a failed fetch is audited too.
                self._audit(conn, user_id, "failed_fetch", caller, "not initialised", "failure")
            else:
                shape = self._key_shape(row)
                self._audit(conn, user_id, "fetch", caller, None, "success")
        if row is None:
            raise VaultError(*NOT_INITIALISED)
        return shape

    def init(self, user_id: str, caller: Caller | None = None,
             master_key: MasterKey | None = None) -> dict[str, Any]:
        """Create the vault with a fresh (or the given) MK; idempotent: an existing vault
        answers its key unchanged."""
        with self.store.write() as conn:
            row = self._row(conn, user_id)
            if row is None:
                self._store_key(conn, user_id, master_key or MasterKey.generate(), insert=True)
                self._audit(conn, user_id, "init", caller, None, "success")
                row = self._row(conn, user_id)
                assert row is not None
            return self._key_shape(row)

    def rotate(self, user_id: str, caller: Caller | None = None) -> dict[str, Any]:
        """A new MK (it orphans every existing envelope, as upstream); clears the recovery
        wrap; refused in zero-knowledge mode."""
        with self.store.write() as conn:
            row = self._row(conn, user_id)
            if row is not None and row[5]:
                raise VaultError(409, "ZK_ROTATE_FORBIDDEN",
                                 "rotation is not possible in zero-knowledge mode")
            key = MasterKey.generate()
            self._store_key(conn, user_id, key, insert=row is None)
            conn.execute(
                "UPDATE encryption_vaults SET recovery_wrapped_mk = NULL, recovery_iv = NULL,"
                " recovery_set_at = NULL, rotated_at = ? WHERE user_id = ?", (_now(), user_id))
            self._audit(conn, user_id, "rotate", caller, None, "success")
            return {"masterKey": key.to_b64(), "formatVersion": FORMAT_VERSION, "kekId": KEK_ID}

    def set_recovery_wrap(self, user_id: str, wrapped: str, iv: str,
                          caller: Caller | None = None) -> None:
        with self.store.write() as conn:
            if self._row(conn, user_id) is None:
                raise VaultError(*NOT_INITIALISED)
            conn.execute(
                "UPDATE encryption_vaults SET recovery_wrapped_mk = ?, recovery_iv = ?,"
                " recovery_set_at = ? WHERE user_id = ?", (wrapped, iv, _now(), user_id))
            self._audit(conn, user_id, "recovery_set", caller, None, "success")

    def clear_recovery_wrap(self, user_id: str, caller: Caller | None = None) -> None:
        with self.store.write() as conn:
            row = self._row(conn, user_id)
            if row is None:
                raise VaultError(*NOT_INITIALISED)
            if row[5]:
                raise VaultError(409, "ZK_ACTIVE",
                                 "disable zero-knowledge mode before removing the recovery code")
            conn.execute(
                "UPDATE encryption_vaults SET recovery_wrapped_mk = NULL, recovery_iv = NULL,"
                " recovery_set_at = NULL WHERE user_id = ?", (user_id,))
            self._audit(conn, user_id, "recovery_clear", caller, None, "success")

    def set_zero_knowledge(self, user_id: str, enable: bool, master_key: MasterKey | None,
                           caller: Caller | None = None) -> dict[str, Any]:
        with self.store.write() as conn:
            row = self._row(conn, user_id)
            if row is None:
                raise VaultError(*NOT_INITIALISED)
            if enable and not row[5]:
                if row[2] is None:
                    raise VaultError(400, "RECOVERY_WRAP_MISSING",
                                     "set a recovery code before enabling zero-knowledge mode")
                conn.execute("UPDATE encryption_vaults SET zero_knowledge = 1, wrapped_mk = NULL,"
                             " wrap_iv = NULL WHERE user_id = ?", (user_id,))
                self._audit(conn, user_id, "zk_enable", caller, None, "success")
            elif not enable and row[5]:
                if master_key is None:
                    raise VaultError(400, "BAD_REQUEST", "masterKey (32 bytes, base64) required")
                self._store_key(conn, user_id, master_key, insert=False)
                conn.execute("UPDATE encryption_vaults SET zero_knowledge = 0 WHERE user_id = ?",
                             (user_id,))
                self._audit(conn, user_id, "zk_disable", caller, None, "success")
            return {"ok": True, "zeroKnowledge": enable}

    def _store_key(self, conn: sqlite3.Connection, user_id: str, key: MasterKey, *,
                   insert: bool) -> None:
        wrapped, iv = wrap_key(self.kek, key)
        if insert:
            conn.execute(
                "INSERT INTO encryption_vaults (user_id, wrapped_mk, wrap_iv, format_version,"
                " kek_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (user_id, wrapped, iv, FORMAT_VERSION, KEK_ID, _now()))
        else:
            conn.execute("UPDATE encryption_vaults SET wrapped_mk = ?, wrap_iv = ?, kek_id = ?"
                         " WHERE user_id = ?", (wrapped, iv, KEK_ID, user_id))

    def _audit(self, conn: sqlite3.Connection, user_id: str, action: str,
               caller: Caller | None, context: str | None, status: str) -> None:
        conn.execute(
            "INSERT INTO encryption_vault_audit (id, user_id, action, ip_address, user_agent,"
            " context, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (secrets.token_hex(10), user_id, action, caller.ip if caller else None,
             caller.user_agent if caller else None, context, status, _now()))

    def audit_actions(self, user_id: str) -> list[str]:
        """The user's audit actions, oldest first (for tests and `serve` diagnostics)."""
        rows = self.store.reader().execute(
            "SELECT action FROM encryption_vault_audit WHERE user_id = ? ORDER BY rowid",
            (user_id,)).fetchall()
        return [row[0] for row in rows]


# -- HTTP --------------------------------------------------------------------------------

Handler = Callable[[str, dict[str, Any], Caller], dict[str, Any]]


def vault_routes(state: VaultState, *, vaults: Vaults | None = None) -> list[Route]:
    """The vault routes for the reference server. The vault tables are created at once."""
    vaults = vaults if vaults is not None else Vaults(state.store)

    def route(path: str, method: str, handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            return await _serve(state, request, handler)
        return Route(PREFIX + path, endpoint, methods=[method])

    def init(user: str, _body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return vaults.init(user, caller)

    def recovery_wrap(user: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        wrapped, iv = body.get("recoveryWrappedMk"), body.get("recoveryIv")
        if not (isinstance(wrapped, str) and wrapped and isinstance(iv, str) and iv):
            raise VaultError(400, "BAD_REQUEST",
                             "recoveryWrappedMk and recoveryIv must be non-empty strings")
        vaults.set_recovery_wrap(user, wrapped, iv, caller)
        return {"ok": True}

    def clear_wrap(user: str, _body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        vaults.clear_recovery_wrap(user, caller)
        return {"ok": True}

    def zero_knowledge(user: str, body: dict[str, Any], caller: Caller) -> dict[str, Any]:
        enable = body.get("enable")
        if not isinstance(enable, bool):
            raise VaultError(400, "BAD_REQUEST", "enable must be true or false")
        key = None
        if not enable:
            key = MasterKey.parse(body.get("masterKey"))
            if key is None:
                raise VaultError(400, "BAD_REQUEST", "masterKey must be base64 of 32 bytes")
        return vaults.set_zero_knowledge(user, enable, key, caller)

    return [
        route("/status", "GET", lambda user, _b, _c: vaults.status(user)),
        route("/init", "POST", init),
        route("/key", "GET", lambda user, _b, caller: vaults.key(user, caller)),
        route("/rotate", "POST", lambda user, _b, caller: vaults.rotate(user, caller)),
        route("/recovery-wrap", "POST", recovery_wrap),
        route("/recovery-wrap", "DELETE", clear_wrap),
        route("/zero-knowledge", "POST", zero_knowledge),
    ]


async def _serve(state: VaultState, request: Request, handler: Handler) -> Response:
    raw = await request.body() if request.method == "POST" else b""
    caller = _caller(request)
    authorization = request.headers.get("authorization")

    def work() -> Response:
        try:
            user_id = state.auth.user_from_header(authorization)
        except Unauthorized as exc:
            # JWT-guarded mana-auth routes answer {statusCode, message} (spec §4.5).
            return json_response({"statusCode": 401, "message": str(exc)}, 401)
        try:
            return json_response(handler(user_id, _body(raw), caller))
        except VaultError as exc:
            return json_response({"error": str(exc), "code": exc.code}, exc.status)

    return await run_in_threadpool(work)


def _body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise VaultError(400, "BAD_REQUEST", "request body too large")
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise VaultError(400, "BAD_REQUEST", "the body is not JSON") from None
    if not isinstance(value, dict):
        raise VaultError(400, "BAD_REQUEST", "the body must be a JSON object")
    return value


def _caller(request: Request) -> Caller:
    forwarded = request.headers.get("x-forwarded-for", "")
    ip = forwarded.split(",")[0].strip() or request.headers.get("x-real-ip") or (
        request.client.host if request.client else None)
    return Caller(ip, request.headers.get("user-agent"))


def seed_master_key(store: Store, user_id: str, key: MasterKey) -> None:
    """Give a demo user a fixed MK (when it has no vault yet), so seeded envelopes open.
    Any `Vaults` over the same database and KEK sees it."""
    Vaults(store).init(user_id, None, master_key=key)
