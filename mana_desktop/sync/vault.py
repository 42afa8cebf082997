"""The encryption-vault client: fetch and unlock the user's master key as the webapp does.

Flow (shared/spec/encryption-and-account.md §3.4, §3.6): `GET {auth}/api/v1/me/encryption-
vault/key` with the access JWT. `{masterKey}` → unlocked. `{requiresRecoveryCode, ...}`
(zero-knowledge mode) → `awaiting-recovery-code` until `submit_recovery_code()` opens the
recovery wrap locally (HKDF-SHA256 + AES-GCM). 404 `VAULT_NOT_INITIALISED` → `POST /init`
(the webapp does this on first login). Network errors, 408, 429 and 5xx are retried 3 times
with full-jitter backoff; 401/403 → `error` with reason "auth".

The key lives in memory only (a `MasterKey`), as upstream. `KeyringKeyCache` is an opt-in
cache in the OS keyring (never a file): with it, a later start unlocks without the network or
the recovery code. `lock()` drops the key; sign-out should call `lock(forget_cache=True)`.
All calls block (HTTP): run them off the GUI thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from mana_desktop.domain.crypto import (
    DecryptError,
    KeyFormatError,
    MasterKey,
    derive_recovery_key,
    format_recovery_code,
    generate_recovery_secret,
    parse_recovery_code,
    unwrap_key,
    wrap_key,
)
from mana_desktop.sync.secrets import secure_backend

log = logging.getLogger(__name__)

VAULT_PATH = "/api/v1/me/encryption-vault"
ATTEMPTS = 3
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 8.0
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
KEYRING_SERVICE = "mana-desktop-vault"
ENV_KEYRING = "MANA_DESKTOP_KEYRING"

ErrorReason = Literal["auth", "network", "server", "unknown"]


class VaultState(StrEnum):
    UNLOCKED = "unlocked"
    LOCKED = "locked"
    AWAITING_RECOVERY_CODE = "awaiting-recovery-code"
    ERROR = "error"


class VaultError(Exception):
    """A vault request failed. `reason` is the webapp's classification (auth, network,
    server, unknown); `code` is the server's error code when it sent one. Messages are our
    own words plus the server's error text, never key material or tokens."""

    def __init__(self, message: str, *, reason: ErrorReason, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.reason: ErrorReason = reason
        self.status = status
        self.code = code


class WrongRecoveryCodeError(VaultError):
    """The code is well-formed but does not open the recovery wrap."""


@dataclass(frozen=True, slots=True)
class VaultInfo:
    """`GET /status`."""

    vault_exists: bool
    has_recovery_wrap: bool
    zero_knowledge: bool
    recovery_set_at: str | None


class KeyCache(Protocol):
    def load(self) -> MasterKey | None: ...
    def save(self, key: MasterKey) -> None: ...
    def clear(self) -> None: ...


class KeyringBackend(Protocol):
    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


class KeyringKeyCache:
    """The opt-in MK cache in the OS keyring, one entry per (profile dir, user). With no
    usable keyring (or `MANA_DESKTOP_KEYRING=none`) it caches nothing: the MK never goes to
    a file."""

    def __init__(self, data_dir: Path, user_id: str, *,
                 backend: KeyringBackend | None = None) -> None:
        digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
        self.username = f"{user_id}#{digest}"
        self._backend = backend if backend is not None else _system_keyring()

    @property
    def available(self) -> bool:
        return self._backend is not None

    def load(self) -> MasterKey | None:
        if self._backend is None:
            return None
        try:
            text = self._backend.get_password(KEYRING_SERVICE, self.username)
            return MasterKey.from_b64(text) if text else None
        except KeyFormatError:
            self.clear()  # a damaged entry: drop it, the vault has the key
            return None
        except Exception as exc:  # a locked or broken keyring is "no cache", never a crash
            log.warning("keyring unavailable for the vault cache (%s)", type(exc).__name__)
            return None

    def save(self, key: MasterKey) -> None:
        if self._backend is None:
            return
        try:
            self._backend.set_password(KEYRING_SERVICE, self.username, key.to_b64())
        except Exception as exc:
            log.warning("could not cache the vault key (%s)", type(exc).__name__)

    def clear(self) -> None:
        if self._backend is None:
            return
        with contextlib.suppress(Exception):
            self._backend.delete_password(KEYRING_SERVICE, self.username)


def _system_keyring() -> KeyringBackend | None:
    if os.environ.get(ENV_KEYRING, "").strip().lower() in ("none", "file", "off", "0"):
        return None
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:
        return None
    return secure_backend(backend)  # type: ignore[no-any-return]


StateListener = Callable[[VaultState], None]


class VaultClient:
    """The master key of one signed-in user. Thread-safe; blocking calls."""

    def __init__(
        self,
        auth_url: str,
        token: Callable[[], str],
        *,
        refresh_token: Callable[[str], str] | None = None,
        cache: KeyCache | None = None,
        create_if_missing: bool = True,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.auth_url = auth_url.rstrip("/")
        self._token = token
        self._refresh = refresh_token
        self._cache = cache
        self._create = create_if_missing
        self._transport = transport
        self._sleep = sleep
        self._jitter = jitter
        self._lock = threading.RLock()
        self._key: MasterKey | None = None
        self._state = VaultState.LOCKED
        self._error: VaultError | None = None
        self._recovery_blob: tuple[str, str] | None = None
        self._pending_secret: bytes | None = None
        self._listeners: list[StateListener] = []

    # -- reading ------------------------------------------------------------------------

    @property
    def key(self) -> MasterKey | None:
        """The master key when unlocked, else None (pass it to domain.crypto as is)."""
        return self._key

    @property
    def state(self) -> VaultState:
        return self._state

    @property
    def error(self) -> VaultError | None:
        """Why the state is `error` (reason, message), else None."""
        return self._error

    def subscribe(self, listener: StateListener) -> Callable[[], None]:
        """Call `listener(state)` after every state change, on the changing thread."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- unlocking ----------------------------------------------------------------------

    def unlock(self) -> VaultState:
        """Load the key: from the opt-in cache, else from the vault. Never raises for
        server or network trouble: the state says `error` and `error` says why."""
        with self._lock:
            if self._key is not None:
                return self._state
            cached = self._cache.load() if self._cache is not None else None
            if cached is not None:
                self._set_key(cached, cache=False)
                return self._state
            try:
                body = self._fetch_key()
            except VaultError as exc:
                self._error = exc
                self._set_state(VaultState.ERROR)
                return self._state
            return self._accept(body)

    def _fetch_key(self) -> dict[str, Any]:
        try:
            return self._request("GET", "/key")
        except VaultError as exc:
            if exc.code != "VAULT_NOT_INITIALISED" or not self._create:
                raise
        return self._request("POST", "/init")

    def _accept(self, body: dict[str, Any]) -> VaultState:
        if body.get("requiresRecoveryCode") is True:
            wrapped, iv = body.get("recoveryWrappedMk"), body.get("recoveryIv")
            if not (isinstance(wrapped, str) and isinstance(iv, str)):
                return self._fail("The vault's recovery data is incomplete.", "server")
            self._recovery_blob = (wrapped, iv)
            self._error = None
            self._set_state(VaultState.AWAITING_RECOVERY_CODE)
            return self._state
        key = MasterKey.parse(body.get("masterKey"))
        if key is None:
            return self._fail("The vault did not return a usable 32-byte key.", "server")
        self._set_key(key, cache=True)
        return self._state

    def submit_recovery_code(self, code: str) -> VaultState:
        """Unlock a zero-knowledge vault with the user's 64-hex-digit recovery code.

        Raises RecoveryCodeFormatError (not 64 hex digits) or WrongRecoveryCodeError; the
        state stays `awaiting-recovery-code` so the user can try again.
        """
        secret = parse_recovery_code(code)
        with self._lock:
            if self._key is not None:
                return self._state
            if self._recovery_blob is None:
                raise VaultError("The vault is not waiting for a recovery code.",
                                 reason="unknown")
            try:
                key = unwrap_key(derive_recovery_key(secret), *self._recovery_blob)
            except DecryptError:
                raise WrongRecoveryCodeError(
                    "This recovery code does not open the vault.", reason="auth") from None
            self._recovery_blob = None
            self._set_key(key, cache=True)
            return self._state

    def lock(self, *, forget_cache: bool = False) -> None:
        """Drop the key from memory (sign-out: `forget_cache=True` also clears the cache)."""
        with self._lock:
            self._key = None
            self._recovery_blob = None
            self._pending_secret = None
            self._error = None
            if forget_cache and self._cache is not None:
                self._cache.clear()
            self._set_state(VaultState.LOCKED)

    # -- settings → security -------------------------------------------------------------

    def info(self) -> VaultInfo:
        body = self._request("GET", "/status")
        set_at = body.get("recoverySetAt")
        return VaultInfo(bool(body.get("vaultExists")), bool(body.get("hasRecoveryWrap")),
                         bool(body.get("zeroKnowledge")),
                         set_at if isinstance(set_at, str) else None)

    def create_recovery_code(self) -> str:
        """Wrap the MK with a new recovery secret, store the wrap on the server and return
        the code to show once (79 characters). Needs the vault unlocked. A previous code
        stops working."""
        with self._lock:
            key = self._require_key()
            secret = generate_recovery_secret()
            wrapped, iv = wrap_key(derive_recovery_key(secret), key)
            self._request("POST", "/recovery-wrap",
                          {"recoveryWrappedMk": wrapped, "recoveryIv": iv})
            self._pending_secret = secret
            return format_recovery_code(secret)

    def enable_zero_knowledge(self, retyped_code: str) -> None:
        """Switch to zero-knowledge mode once the user retyped the code just created: the
        server then forgets its own wrap, and every unlock needs the code."""
        secret = parse_recovery_code(retyped_code)
        with self._lock:
            if self._pending_secret is None:
                raise VaultError("Create a recovery code first.", reason="unknown")
            if secret != self._pending_secret:
                raise WrongRecoveryCodeError("The code does not match the one just shown.",
                                             reason="auth")
            self._request("POST", "/zero-knowledge", {"enable": True})
            self._pending_secret = None

    def disable_zero_knowledge(self) -> None:
        """Give the server its own wrap again (needs the key unlocked)."""
        with self._lock:
            key = self._require_key()
            self._request("POST", "/zero-knowledge", {"enable": False, "masterKey": key.to_b64()})

    # -- helpers --------------------------------------------------------------------------

    def _require_key(self) -> MasterKey:
        if self._key is None:
            raise VaultError("Unlock the vault first.", reason="unknown")
        return self._key

    def _set_key(self, key: MasterKey, *, cache: bool) -> None:
        self._key = key
        self._error = None
        if cache and self._cache is not None:
            self._cache.save(key)
        self._set_state(VaultState.UNLOCKED)

    def _fail(self, message: str, reason: ErrorReason) -> VaultState:
        self._error = VaultError(message, reason=reason)
        self._set_state(VaultState.ERROR)
        return self._state

    def _set_state(self, state: VaultState) -> None:
        self._state = state
        for listener in list(self._listeners):
            try:
                listener(state)
            except Exception:
                log.exception("vault state listener failed")

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
        """One vault call with the webapp's retry policy and one token refresh on 401."""
        refreshed = False
        attempt = 0
        while True:
            token = self._token_or_error()
            try:
                response = self._send(method, path, token, body)
            except httpx.HTTPError as exc:
                error = VaultError(f"Cannot reach the vault ({type(exc).__name__}).",
                                   reason="network")
            else:
                if response.status_code == 401 and self._refresh is not None and not refreshed:
                    refreshed = True
                    with contextlib.suppress(Exception):
                        self._refresh(token)
                    continue
                if response.is_success:
                    return _json_object(response)
                error = _error_from(response)
                if not _retryable(response.status_code):
                    raise error
            attempt += 1
            if attempt >= ATTEMPTS:
                raise error
            # Full jitter: random(0 … min(cap, base·2^attempt)).
            self._sleep(self._jitter() * min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt))

    def _token_or_error(self) -> str:
        try:
            return self._token()
        except Exception as exc:
            raise VaultError(f"Not signed in ({type(exc).__name__}).", reason="auth") from None

    def _send(self, method: str, path: str, token: str, body: dict[str, Any] | None
              ) -> httpx.Response:
        with httpx.Client(timeout=TIMEOUT, transport=self._transport) as client:
            return client.request(method, self.auth_url + VAULT_PATH + path, json=body,
                                  headers={"Authorization": f"Bearer {token}"})


def _retryable(status: int) -> bool:
    return status in (408, 429) or status >= 500


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise VaultError("The vault's answer is not a JSON object.", reason="server",
                         status=response.status_code)
    return body


def _error_from(response: httpx.Response) -> VaultError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    code = body.get("code")
    text = body.get("error") if isinstance(body.get("error"), str) else body.get("message")
    detail = str(text)[:200] if text else response.reason_phrase
    reason: ErrorReason = ("auth" if status in (401, 403) else
                           "server" if status >= 500 else "unknown")
    return VaultError(f"The vault refused ({status}): {detail}", reason=reason, status=status,
                      code=code if isinstance(code, str) else None)
