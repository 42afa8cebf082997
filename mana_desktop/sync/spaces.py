"""The signed-in user's Spaces (Better Auth organizations) and the active one.

Upstream boot (encryption-and-account.md §5.2): `GET /api/auth/organization/list`, pick the
hinted Space or the personal one, `POST /api/auth/organization/set-active {organizationId}`.
Those routes are cookie-authenticated upstream; we send the stored session cookies and the
Bearer JWT (the reference server accepts either). The last known Spaces and the active id are
cached in `spaces.json` in the profile, so an offline start still stamps the real personal
Space id instead of the sentinel and knows which Spaces are shared (their records stay
plaintext). HTTP calls block: run them off the GUI thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx

from mana_desktop.domain.spaces import Space, SpaceContext, parse_organizations
from mana_desktop.store.atomic import write_atomic
from mana_desktop.sync.ports import ProfileLike

log = logging.getLogger(__name__)

ORG_PATH = "/api/auth/organization"
CACHE_FILE = "spaces.json"
CACHE_VERSION = 1
TIMEOUT = httpx.Timeout(20.0, connect=10.0)

Reason = Literal["auth", "network", "server"]
ContextListener = Callable[[SpaceContext], None]


class SpacesError(Exception):
    """Loading or switching Spaces failed. `reason` is auth, network or server; the message
    is for people (our words plus the server's error text, never tokens)."""

    def __init__(self, message: str, *, reason: Reason, status: int | None = None) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.status = status


class SpaceCredentials(Protocol):
    """What the directory needs from `sync.credentials.Credentials`."""

    def access_token(self) -> str: ...
    def refresh(self, rejected: str | None = None) -> str: ...
    def session_cookies(self) -> dict[str, str]: ...
    def merge_cookies(self, cookies: dict[str, str]) -> None: ...
    def scrub(self, text: str) -> str: ...


class SpaceDirectory:
    """The Spaces of one signed-in user. Thread-safe: `context` is an immutable snapshot
    replaced whole; `refresh`/`set_active` serialize on a lock."""

    def __init__(self, profile: ProfileLike, credentials: SpaceCredentials, *, user_id: str,
                 auth_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.user_id = user_id
        self.auth_url = auth_url.rstrip("/")
        self.path = Path(profile.data_dir) / CACHE_FILE
        self._credentials = credentials
        self._transport = transport
        self._lock = threading.RLock()
        self._listeners: list[ContextListener] = []
        self._context = _read_cache(self.path, user_id)

    # -- reading ---------------------------------------------------------------------------

    @property
    def context(self) -> SpaceContext:
        return self._context

    def spaces(self) -> list[Space]:
        return list(self._context.spaces.values())

    @property
    def active_space_id(self) -> str | None:
        return self._context.active_space_id

    def subscribe(self, listener: ContextListener) -> Callable[[], None]:
        """Call `listener(context)` after every change, on the thread that made it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- loading and switching ---------------------------------------------------------------

    def refresh(self) -> SpaceContext:
        """Load the Spaces and make the hinted (else the personal) one active on the server.
        On failure the cached Spaces stay and SpacesError is raised."""
        with self._lock:
            listed = self._request("GET", "/list")
            if not isinstance(listed, list):
                raise SpacesError("The Space list from the server is not a list.",
                                  reason="server")
            spaces = _keep_roles(parse_organizations(listed), self._context.spaces)
            if _own_personal_unclear(self.user_id, spaces):
                # Several personal-type Spaces: only our role tells which one is ours.
                spaces = self._fill_roles(spaces)
            hint = self._context.active_space_id
            active = _choose_active(SpaceContext(self.user_id, None, spaces), hint)
            if active is not None:
                answer = self._request("POST", "/set-active", {"organizationId": active})
                spaces = _with_role(spaces, active, answer, self.user_id)
            spaces = self._fill_roles(spaces)
            return self._replace(SpaceContext(self.user_id, active, spaces, loaded=True))

    def _fill_roles(self, spaces: dict[str, Space]) -> dict[str, Space]:
        """Our role in Spaces whose role is not known yet (`organization/list` has none;
        the cache keeps them, so this costs requests only for new Spaces). A failure leaves
        the role unknown. Roles decide one thing: which personal-type Space is ours
        (`SpaceContext.personal_space_id`)."""
        for space in [s for s in spaces.values() if s.role is None]:
            try:
                answer = self._request("GET", "/list-members", params={"organizationId": space.id})
            except SpacesError as exc:
                log.info("role in Space %s not loaded: %s", space.id, exc)
                continue
            members = answer.get("members") if isinstance(answer, Mapping) else None
            spaces = _with_role(spaces, space.id, {"members": members}, self.user_id)
        return spaces

    def set_active(self, space_id: str) -> SpaceContext:
        """Switch the active Space (new records go there) and remember it as the hint.
        Raises ValueError for a Space this account is not known to be a member of."""
        with self._lock:
            spaces = dict(self._context.spaces)
            if spaces and space_id not in spaces:
                raise ValueError(f"No Space with id {space_id!r} among this account's Spaces.")
            answer = self._request("POST", "/set-active", {"organizationId": space_id})
            if space_id not in spaces:
                parsed = parse_organizations([answer]) if isinstance(answer, Mapping) else []
                spaces.update({s.id: s for s in parsed if s.id == space_id})
            spaces = _with_role(spaces, space_id, answer, self.user_id)
            return self._replace(SpaceContext(self.user_id, space_id, spaces,
                                              loaded=self._context.loaded))

    def forget(self) -> None:
        """Sign-out: drop the Spaces from memory and remove the cache file."""
        with self._lock:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            self._replace(SpaceContext(self.user_id), persist=False)

    # -- helpers -----------------------------------------------------------------------------

    def _replace(self, context: SpaceContext, *, persist: bool = True) -> SpaceContext:
        changed = context != self._context
        self._context = context
        if persist:
            _write_cache(self.path, context)
        if changed:
            for listener in list(self._listeners):
                try:
                    listener(context)
                except Exception:  # a broken listener must not undo a switch
                    log.exception("Space listener failed")
        return context

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, *,
                 params: dict[str, str] | None = None) -> Any:
        token = self._token()
        response = self._send(method, path, token, body, params)
        if response.status_code == 401:
            with contextlib.suppress(Exception):
                token = self._credentials.refresh(token)
            response = self._send(method, path, token, body, params)
        if not response.is_success:
            raise _error_from(response, self._credentials.scrub)
        try:
            return response.json()
        except ValueError:
            raise SpacesError("The server's Space answer is not JSON.", reason="server",
                              status=response.status_code) from None

    def _token(self) -> str:
        try:
            return self._credentials.access_token()
        except Exception as exc:
            raise SpacesError(self._credentials.scrub(f"Not signed in: {exc}"),
                              reason="auth") from None

    def _send(self, method: str, path: str, token: str, body: dict[str, Any] | None,
              params: dict[str, str] | None = None) -> httpx.Response:
        cookies = self._credentials.session_cookies()
        try:
            with httpx.Client(timeout=TIMEOUT, transport=self._transport, cookies=cookies or None,
                              follow_redirects=False) as client:
                response = client.request(method, self.auth_url + ORG_PATH + path, json=body,
                                          params=params,
                                          headers={"Authorization": f"Bearer {token}"})
                fresh = {c.name: c.value for c in client.cookies.jar if c.value}
        except httpx.HTTPError as exc:
            raise SpacesError(f"Cannot reach the account server ({type(exc).__name__}).",
                              reason="network") from None
        if fresh and fresh != cookies:
            self._credentials.merge_cookies(fresh)
        return response


def _keep_roles(listed: list[Space], known: Mapping[str, Space]) -> dict[str, Space]:
    """The listed Spaces, with the roles we already knew (the list carries none)."""
    spaces = {}
    for space in listed:
        old = known.get(space.id)
        role = space.role or (old.role if old is not None else None)
        spaces[space.id] = Space(space.id, space.name, space.type, role)
    return spaces


def _own_personal_unclear(user_id: str, spaces: Mapping[str, Space]) -> bool:
    personal = [s for s in spaces.values() if s.is_personal]
    return len(personal) > 1 and SpaceContext(user_id, None, spaces).personal_space_id is None


def _choose_active(context: SpaceContext, hint: str | None) -> str | None:
    """Upstream: the hinted Space if it still exists, else our own personal one (None when
    that is ambiguous: nothing is made active rather than another user's Space)."""
    if hint and hint in context.spaces:
        return hint
    return context.personal_space_id


def _with_role(spaces: dict[str, Space], space_id: str, answer: Any,
               user_id: str) -> dict[str, Space]:
    """Fill in our role in the active Space from `set-active`'s member list (Better Auth's
    `organization/list` has no roles)."""
    space = spaces.get(space_id)
    if space is None or not isinstance(answer, Mapping):
        return spaces
    members = answer.get("members")
    for member in members if isinstance(members, list) else []:
        if isinstance(member, Mapping) and member.get("userId") == user_id:
            role = member.get("role")
            if isinstance(role, str):
                spaces = {**spaces, space_id: Space(space.id, space.name, space.type, role)}
            break
    return spaces


def _error_from(response: httpx.Response, scrub: Callable[[str], str]) -> SpacesError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    text = None
    if isinstance(body, Mapping):
        text = body.get("message") or body.get("error") or body.get("code")
    detail = scrub(str(text)[:200]) if text else response.reason_phrase
    reason: Reason = "auth" if status in (401, 403) else "server"
    return SpacesError(f"The account server refused ({status}): {detail}", reason=reason,
                       status=status)


def _read_cache(path: Path, user_id: str) -> SpaceContext:
    """The cached Spaces of `user_id`; an empty context when there is none, it belongs to
    another user or it is damaged (the server has the truth; the next refresh rewrites it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return SpaceContext(user_id)
    except (OSError, ValueError) as exc:
        log.warning("ignoring the Space cache %s (%s)", path, type(exc).__name__)
        return SpaceContext(user_id)
    if not isinstance(data, dict) or data.get("userId") != user_id:
        return SpaceContext(user_id)
    items = data.get("spaces")
    spaces = {s.id: s for s in _cached_spaces(items if isinstance(items, list) else [])}
    active = data.get("activeSpaceId")
    return SpaceContext(user_id, active if isinstance(active, str) else None, spaces)


def _cached_spaces(items: list[Any]) -> list[Space]:
    spaces = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            role = item.get("role")
            spaces.append(Space(item["id"], str(item.get("name") or ""),
                                str(item.get("type") or "unknown"),
                                role if isinstance(role, str) else None))
    return spaces


def _write_cache(path: Path, context: SpaceContext) -> None:
    """Atomic (temp + fsync + rename): a crash leaves the old cache or the new one."""
    data = {
        "version": CACHE_VERSION,
        "userId": context.user_id,
        "activeSpaceId": context.active_space_id,
        "spaces": [{"id": s.id, "name": s.name, "type": s.type, "role": s.role}
                   for s in context.spaces.values()],
    }
    write_atomic(path, json.dumps(data, indent=2))
