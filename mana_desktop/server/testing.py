"""The reference server for tests: `start_server(db_path, users=..., dialect=...)`.

It runs uvicorn on 127.0.0.1:0 in a daemon thread and returns once the socket listens and the
app started. `RunningServer` also offers the admin switches tests need (tokens, billing,
memberships, server-side writes) without going through HTTP.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from mana_desktop.domain.wire import DIALECT_AT
from mana_desktop.server.auth import hash_password
from mana_desktop.server.runtime import ManaServer, bind_socket, socket_url
from mana_desktop.server.service import SyncService

DEFAULT_USERS: tuple[tuple[str, str], ...] = (
    ("alice@example.com", "alice-password"),
    ("bob@example.com", "bob-password"),
)
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0


@dataclass
class RunningServer:
    url: str
    users: dict[str, str]  # email -> user id
    app: Starlette
    service: SyncService
    db_path: Path
    _server: ManaServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def token(self, email: str, *, ttl_s: int | None = None) -> str:
        """A fresh access token for one of the users (as login would return)."""
        user = self.service.auth.user_by_email(email)
        if user is None:
            raise KeyError(email)
        return self.service.auth.issue_access(user, ttl_s=ttl_s)

    def headers(self, email: str, client_id: str | None = None) -> dict[str, str]:
        """Authorization (and X-Client-Id) headers for a user."""
        headers = {"Authorization": f"Bearer {self.token(email)}"}
        if client_id is not None:
            headers["X-Client-Id"] = client_id
        return headers

    def add_user(self, email: str, password: str, name: str | None = None) -> str:
        user = self.service.auth.add_user(email, password, name)
        self.users[user.email] = user.id
        return user.id

    def set_sync_active(self, email: str, active: bool) -> None:
        """Flip the billing gate: an inactive user gets 402 sync_inactive on sync routes."""
        self.service.auth.set_sync_active(email, active)

    def add_membership(self, email: str, space_id: str) -> None:
        """Make the user a member of a shared Space (reads include rows stamped with it)."""
        self.service.auth.add_membership(self.users[email], space_id)

    def add_space(self, name: str, space_type: str, emails: list[str]) -> str:
        """A shared Space owned by the first email with the others as members (as
        `serve --space`); returns its id."""
        return self.service.auth.add_space(name, space_type, emails)

    def personal_space(self, email: str) -> str:
        """The id of the user's personal Space."""
        space_id = self.service.auth.orgs.personal_space(self.users[email])
        assert space_id is not None, f"{email} has no personal Space"
        return space_id

    def append_changes(
        self,
        email: str,
        app: str,
        changes: list[dict[str, Any]],
        *,
        client_id: str = "mana-ai-runner",
        actor: Any = None,
        origin: str | None = None,
    ) -> list[str]:
        """A server-side write for a user (wakes SSE and WebSocket subscribers)."""
        return self.service.append_changes(
            self.users[email], app, changes, client_id=client_id, actor=actor, origin=origin
        )

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._server.request_exit()
        self._thread.join(STOP_TIMEOUT_S)
        self.service.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(
    db_path: Path | str,
    *,
    users: Iterable[tuple[str, str]] = DEFAULT_USERS,
    dialect: str = DIALECT_AT,
    runner: bool = False,
    inactive: Iterable[str] = (),
    sse_heartbeat_s: float = 30.0,
    ws_auth_deadline_s: float = 10.0,
    access_ttl_s: int = 15 * 60,
    host: str = "127.0.0.1",
    service_key: str = "",
    login_sets_cookie: bool = True,
) -> RunningServer:
    """Start the reference server on `host`:0 in a thread; returns when it accepts requests.

    `login_sets_cookie=False` behaves like upstream mana-auth (`serve --upstream-login`):
    `/api/v1/auth/login` sets no session cookie; only `/api/auth/sign-in/email` does."""
    service = SyncService.open(
        Path(db_path),
        dialect=dialect,
        sse_heartbeat_s=sse_heartbeat_s,
        ws_auth_deadline_s=ws_auth_deadline_s,
        access_ttl_s=access_ttl_s,
        service_key=service_key,
    )
    service.auth.login_sets_cookie = login_sets_cookie
    try:
        known = {}
        for email, password in users:
            user = service.auth.add_user(email, password, password_hash=_hash(email, password))
            known[user.email] = user.id
        for email in inactive:
            service.auth.set_sync_active(email, False)
        if runner:
            install_runner(service)
        sock = bind_socket(host, 0)
    except BaseException:
        service.close()
        raise
    started = threading.Event()

    async def signal_started(_service: SyncService) -> None:
        started.set()

    service.add_background_task(signal_started)
    server = ManaServer(service)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="mana-sync-server", daemon=True
    )
    thread.start()
    if not started.wait(START_TIMEOUT_S) or not thread.is_alive():
        server.request_exit()
        thread.join(STOP_TIMEOUT_S)
        service.close()
        raise RuntimeError("the reference server did not start")
    return RunningServer(
        socket_url(sock), known, server.app, service, service.store.path, server, thread
    )


@functools.lru_cache(maxsize=64)
def _hash(email: str, password: str) -> str:
    """A real scrypt hash with its own salt, computed once per account per process (tests
    start many servers with the same accounts)."""
    return hash_password(password)


def install_runner(service: SyncService) -> None:
    """Attach the mission runner (`mana_desktop.server.runner.install(service)`), if present."""
    from mana_desktop.server import runner

    runner.install(service)
