"""Signing in to mana-auth and keeping a valid access token (docs/CONTRACTS.md "Credentials").

Login posts `{email, password}` to `/api/v1/auth/login`, which answers with a 15-minute EdDSA
access JWT and a session ("refresh") token. Upstream refreshes (and serves the Spaces) only
with Better Auth's session cookie, which that route does NOT set; so, as the webapp does, when
no `*session_token` cookie came back we also sign in through Better Auth's native
`/api/auth/sign-in/email` in the same cookie jar (encryption-and-account.md §4.3, §4.6). We
keep the token and the cookies and send both to `/api/v1/auth/refresh` (or, where that route
is missing, `GET /api/auth/token` with the cookie). Secrets go to the keyring (or the 0600
file, see secrets.py); the account itself (server, email, user id) goes to the profile
settings.

Tokens never appear in exceptions, logs or status: every message is built from our own words
and the server's error text, and `scrub()` removes any secret that could still slip in.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from mana_desktop.sync.errors import AuthError, SignedOutError, describe_transport_error
from mana_desktop.sync.ports import ProfileLike
from mana_desktop.sync.secrets import SecretStore

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
LOGOUT_PATH = "/api/v1/auth/logout"
NATIVE_SIGN_IN_PATH = "/api/auth/sign-in/email"
SESSION_JWT_PATH = "/api/auth/token"
NO_SESSION_COOKIE = ("the server gave no session cookie, so the session cannot be renewed "
                     "automatically: sign in again when it expires (about every 15 minutes)")
# Refresh this long before `exp`, as the webapp does, so a token never expires in flight.
EXPIRY_MARGIN_S = 10.0
DEFAULT_LIFETIME_S = 15 * 60.0
AUTH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)

log = logging.getLogger(__name__)


# One lock per profile directory, shared by every `Credentials` of it in this process: a
# sign-out through one instance must not race a refresh in flight on another (the engine's),
# which would otherwise write the secrets back after they were wiped.
_PROFILE_LOCKS: dict[str, threading.RLock] = {}
_PROFILE_LOCKS_GUARD = threading.Lock()


def profile_lock(data_dir: Path | str) -> threading.RLock:
    """The lock of one profile directory (the same object for every caller)."""
    key = str(Path(data_dir).resolve())
    with _PROFILE_LOCKS_GUARD:
        return _PROFILE_LOCKS.setdefault(key, threading.RLock())


@dataclass(frozen=True)
class Account:
    server_url: str
    auth_url: str
    email: str
    user_id: str
    display_name: str | None


class Credentials:
    """The signed-in account of one profile; thread-safe; blocking calls (never on the GUI thread)."""

    def __init__(self, profile: ProfileLike, *, transport: httpx.BaseTransport | None = None) -> None:
        self.profile = profile
        self._store = SecretStore(profile.data_dir)
        self._transport = transport
        self._lock = profile_lock(profile.data_dir)
        self._access: str | None = None
        self._expires_at = 0.0
        self._known: set[str] = set()
        self._session_warning: str | None = None

    # ----- reading -----
    @property
    def storage_warning(self) -> str | None:
        """Set when secrets live in the fallback file instead of a keyring (show it)."""
        return self._store.warning

    @property
    def session_warning(self) -> str | None:
        """Set by the last `login` when no session cookie could be obtained (show it): the
        access token then cannot be renewed and the Spaces cannot load upstream."""
        return self._session_warning

    def account(self) -> Account | None:
        settings = self.profile.load_settings()
        if not settings.server_url or not settings.account_email or not settings.user_id:
            return None
        return Account(settings.server_url, settings.auth_url or settings.server_url,
                       settings.account_email, settings.user_id, settings.display_name)

    def signed_in(self) -> bool:
        account = self.account()
        return account is not None and self._secret(account) is not None

    # ----- login / logout -----
    def login(self, server: str, email: str, password: str, *, auth_url: str | None = None,
              check: Callable[[str], None] | None = None) -> Account:
        """Sign in, store the secrets and the account in the profile. Raises AuthError.

        `check(user_id)` runs once the server has said who signed in and before anything is
        stored (e.g. `sync.account.check_profile_owner`); what it raises propagates, the
        profile stays as it was and the new server session is ended again."""
        server = server.rstrip("/")
        auth = (auth_url or server).rstrip("/")
        with self._client() as client:
            response = _post(client, auth + LOGIN_PATH, {"email": email, "password": password})
            body = _json_or_error(response, "sign in")
            access = body.get("accessToken")
            if not isinstance(access, str) or not access:
                if body.get("twoFactorRedirect"):
                    raise AuthError("This account uses two-factor sign-in, which Mana Desktop "
                                    "cannot do yet.", status=response.status_code)
                raise AuthError("The server did not return an access token.",
                                status=response.status_code)
            self._session_warning = None
            if not _has_session_cookie(client):
                self._session_warning = _native_sign_in(client, auth, email, password)
            cookies = {c.name: c.value for c in client.cookies.jar if c.value}
        raw_user = body.get("user")
        user: dict[str, Any] = raw_user if isinstance(raw_user, dict) else {}
        user_id = str(user.get("id") or _jwt_claims(access).get("sub") or "")
        if not user_id:
            raise AuthError("The server did not say which user signed in.")
        name = user.get("name") if isinstance(user.get("name"), str) else None
        account = Account(server, auth, str(user.get("email") or email), user_id, name)
        if check is not None:
            try:
                check(user_id)
            except BaseException:
                self._end_session(account, {"cookies": cookies})
                raise
        with self._lock:
            self._store.save(account.email, {
                "refreshToken": str(body.get("refreshToken") or body.get("token") or ""),
                "cookies": cookies,
                "accessToken": access,
            })
            self._remember(access, cookies, body.get("refreshToken"), body.get("token"))
            self._set_access(access)
        settings = self.profile.load_settings()
        self.profile.save_settings(settings.model_copy(update={
            "server_url": server, "auth_url": None if auth == server else auth,
            "account_email": account.email, "user_id": user_id, "display_name": name,
        }))
        return account

    def logout(self) -> None:
        """Forget the secrets and the account (best effort: also end the server session)."""
        account = self.account()
        with self._lock:
            if account is not None:
                secret = self._secret(account)
                if secret is not None:
                    self._end_session(account, secret)
                self._store.delete(account.email)
            self._access, self._expires_at = None, 0.0
            settings = self.profile.load_settings()
            self.profile.save_settings(settings.model_copy(update={
                "account_email": None, "user_id": None, "display_name": None,
            }))

    def _end_session(self, account: Account, secret: dict[str, Any]) -> None:
        try:
            with self._client(cookies=secret.get("cookies")) as client:
                client.post(account.auth_url + LOGOUT_PATH, timeout=5.0)
        except httpx.HTTPError:
            pass  # offline: the session expires on its own; local secrets still go

    # ----- tokens -----
    def cached_token(self) -> str | None:
        """The access token if it is valid for a while yet; never does I/O."""
        if self._access is not None and time.time() < self._expires_at - EXPIRY_MARGIN_S:
            return self._access
        return None

    def access_token(self) -> str:
        """A valid access token, refreshed when it expires. Raises SignedOutError, AuthError."""
        with self._lock:
            token = self.cached_token()
            if token is not None:
                return token
            account = self._require_account()
            secret = self._secret(account) or {}
            stored = secret.get("accessToken")
            if isinstance(stored, str) and stored:
                self._remember(stored)
                self._set_access(stored)
                token = self.cached_token()
                if token is not None:
                    return token
            return self._refresh(account, secret)

    def refresh(self, rejected: str | None = None) -> str:
        """Get a new access token (after a 401). `rejected` is the token the server refused:
        if another thread already replaced it, that newer token is returned instead."""
        with self._lock:
            if rejected is not None and self._access and self._access != rejected:
                return self._access
            account = self._require_account()
            return self._refresh(account, self._secret(account) or {})

    def _refresh(self, account: Account, secret: dict[str, Any]) -> str:
        refresh_token = secret.get("refreshToken")
        raw_cookies = secret.get("cookies")
        cookies: dict[str, str] = raw_cookies if isinstance(raw_cookies, dict) else {}
        if not refresh_token and not cookies:
            raise SignedOutError("Not signed in: sign in again.")
        with self._client(cookies=cookies) as client:
            response = _post(client, account.auth_url + REFRESH_PATH,
                             {"refreshToken": refresh_token or ""})
            if response.status_code in (404, 405) and cookies:
                # No mana-auth refresh route (a bare Better Auth): mint from the cookie.
                response = _session_jwt(client, account.auth_url)
            if response.status_code in (401, 403):
                self._access, self._expires_at = None, 0.0
                raise SignedOutError("The session has expired: sign in again.")
            body = _json_or_error(response, "refresh the session")
            new_cookies = {c.name: c.value for c in client.cookies.jar if c.value}
        access = body.get("accessToken") or body.get("token")
        if not isinstance(access, str) or not access:
            raise SignedOutError("The server did not renew the session: sign in again.")
        new_refresh = body.get("refreshToken")
        secret = {
            "refreshToken": new_refresh if isinstance(new_refresh, str) and new_refresh
            else refresh_token,
            "cookies": {**cookies, **new_cookies},
            "accessToken": access,
        }
        self._remember(access, new_cookies, new_refresh)
        if not self._still_signed_in(account):
            # Signed out while the request was in flight (another process, or a wipe without
            # this lock): never write the secrets back.
            self._access, self._expires_at = None, 0.0
            raise SignedOutError("Signed out: sign in again.")
        self._store.save(account.email, secret)
        self._set_access(access)
        return access

    def _still_signed_in(self, account: Account) -> bool:
        """Under the profile lock: the same account is still in the settings and its secret
        still stored (sign-out removes both)."""
        current = self.account()
        return (current is not None and current.email == account.email
                and current.user_id == account.user_id
                and self._store.load(account.email) is not None)

    def session_cookies(self) -> dict[str, str]:
        """The stored session cookies (Better Auth's cookie-authenticated routes need them:
        `organization/*`); empty when signed out. Reads the secret store, no HTTP."""
        with self._lock:
            account = self.account()
            secret = self._secret(account) if account is not None else None
            cookies = secret.get("cookies") if secret is not None else None
            if not isinstance(cookies, dict):
                return {}
            return {str(k): str(v) for k, v in cookies.items() if v}

    def merge_cookies(self, cookies: dict[str, str]) -> None:
        """Keep cookies a server set on a later request (a renewed session cookie)."""
        fresh = {k: v for k, v in cookies.items() if v}
        if not fresh:
            return
        with self._lock:
            account = self.account()
            secret = self._secret(account) if account is not None else None
            if account is None or secret is None:
                return
            old = secret.get("cookies")
            merged = {**(old if isinstance(old, dict) else {}), **fresh}
            if merged != old and self._still_signed_in(account):
                self._store.save(account.email, {**secret, "cookies": merged})
                self._remember(fresh)

    def invalidate(self) -> None:
        """Forget the in-memory access token (the next call refreshes)."""
        with self._lock:
            self._access, self._expires_at = None, 0.0

    # ----- hygiene -----
    def scrub(self, text: str) -> str:
        """`text` with every secret we have seen replaced (for errors, logs, journal)."""
        for secret in self._known:
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    # ----- helpers -----
    def _require_account(self) -> Account:
        account = self.account()
        if account is None:
            raise SignedOutError("Not signed in: run `mana-desktop login` first.")
        return account

    def _secret(self, account: Account) -> dict[str, Any] | None:
        secret = self._store.load(account.email)
        if secret is not None:
            self._remember(secret.get("refreshToken"), secret.get("accessToken"))
            cookies = secret.get("cookies")
            if isinstance(cookies, dict):
                self._remember(cookies)
        return secret

    def _set_access(self, token: str) -> None:
        exp = _jwt_claims(token).get("exp")
        lifetime_end = time.time() + DEFAULT_LIFETIME_S
        self._access = token
        self._expires_at = float(exp) if isinstance(exp, int | float) else lifetime_end

    def _remember(self, *values: Any) -> None:
        for value in values:
            if isinstance(value, dict):
                for item in (str(v) for v in value.values() if v):
                    # A session cookie is `<token>.<HMAC>` (URL-encoded): the bare token is
                    # a secret too (a native sign-in answer carries it in its body).
                    self._remember(item, unquote(item).rpartition(".")[0])
            elif isinstance(value, str) and len(value) >= 8:
                self._known.add(value)

    def _client(self, cookies: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(timeout=AUTH_TIMEOUT, transport=self._transport,
                            cookies=cookies or None, follow_redirects=False)


def _has_session_cookie(client: httpx.Client) -> bool:
    """Whether the jar holds Better Auth's session cookie (`mana.session_token`, maybe with a
    `__Secure-` prefix or another cookie prefix)."""
    return any(c.name.endswith("session_token") and c.value for c in client.cookies.jar)


def _native_sign_in(client: httpx.Client, auth: str, email: str, password: str) -> str | None:
    """Better Auth's `POST /api/auth/sign-in/email` in the login's jar, for the session cookie
    mana-auth's `/login` does not set. None when the cookie came; else the warning to show.
    Never raises: the access token from `/login` is good for a while without it."""
    try:
        response = client.post(auth + NATIVE_SIGN_IN_PATH,
                               json={"email": email, "password": password})
    except httpx.HTTPError as exc:
        log.warning("native sign-in for the session cookie failed: %s",
                    describe_transport_error(exc)[0])
        return NO_SESSION_COOKIE
    if response.is_success and _has_session_cookie(client):
        return None
    if response.status_code in (404, 405):
        log.warning("the auth server has no %s route: no session cookie", NATIVE_SIGN_IN_PATH)
    else:
        # Status only: the body of a sign-in answer holds a session token.
        log.warning("native sign-in for the session cookie failed: HTTP %s%s",
                    response.status_code, "" if not response.is_success else " without a cookie")
    return NO_SESSION_COOKIE


def _session_jwt(client: httpx.Client, auth: str) -> httpx.Response:
    """Better Auth's `GET /api/auth/token` (cookie) -> `{token: <JWT>}`."""
    try:
        return client.get(auth + SESSION_JWT_PATH)
    except httpx.HTTPError as exc:
        message, network = describe_transport_error(exc)
        raise AuthError(f"Cannot reach the server: {message}.", network=network) from None


def _post(client: httpx.Client, url: str, body: dict[str, Any]) -> httpx.Response:
    try:
        return client.post(url, json=body)
    except httpx.HTTPError as exc:
        message, network = describe_transport_error(exc)
        raise AuthError(f"Cannot reach the server: {message}.", network=network) from None


def _json_or_error(response: httpx.Response, doing: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    status = response.status_code
    if response.is_success:
        raise AuthError(f"Could not {doing}: the server's answer is not JSON.", status=status)
    code = body.get("error") if isinstance(body, dict) else None
    message = body.get("message") if isinstance(body, dict) else None
    text = message or code or response.text.strip()[:200] or response.reason_phrase
    if status == 401:
        text = f"wrong email or password ({text})" if doing == "sign in" else str(text)
    raise AuthError(f"Could not {doing}: {text}", status=status,
                    code=code if isinstance(code, str) else None)


def _jwt_claims(token: str) -> dict[str, Any]:
    """The JWT payload, unverified (we only read `exp`/`sub`; the server verifies)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
