"""`mana-desktop serve`: the reference mana-sync server, standalone."""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from mana_desktop.cli import add_data_dir_option
from mana_desktop.server.spaces import SPACE_TYPES

DB_NAME = "sync.db"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the reference mana-sync server (sync, SSE, WebSocket, login)",
        description=(
            "Run a mana-sync compatible server on one SQLite file. The first line on stdout is "
            "'listening on http://HOST:PORT'. SIGINT/SIGTERM stop it cleanly. "
            "See docs/server.md."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=3050, help="TCP port (default 3050; 0 picks a free port)"
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        help=f"the SQLite database (default: {DB_NAME} in --data-dir, or in the platform data "
        "dir of mana-desktop-server); the signing key is kept beside it; ':memory:' is refused",
    )
    parser.add_argument(
        "--dialect",
        choices=("at", "updatedAt"),
        default="at",
        help="wire dialect: 'at' = upstream HEAD {value, at} (default); "
        "'updatedAt' = the OLD {value, updatedAt} shape of 5e01763ca",
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL:PASSWORD",
        help="create this account (or reset its password); repeatable",
    )
    parser.add_argument(
        "--inactive-user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="mark this account's sync inactive: its sync requests get 402 sync_inactive; repeatable",
    )
    parser.add_argument(
        "--active-user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="mark this account's sync active again; repeatable",
    )
    parser.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME:TYPE:EMAIL[,EMAIL...]",
        help="create a shared Space (a Better Auth organization): the first email is its owner, "
        f"the others members; TYPE is one of {'|'.join(SPACE_TYPES)}; the accounts must exist "
        "(--user); found again by name on restart; repeatable",
    )
    parser.add_argument(
        "--service-key",
        default=os.environ.get("MANA_SERVICE_KEY", ""),
        metavar="KEY",
        help="X-Service-Key for the internal membership endpoints (default: $MANA_SERVICE_KEY; "
        "without one they answer 404)",
    )
    parser.add_argument(
        "--upstream-login",
        action="store_true",
        help="behave like upstream mana-auth: POST /api/v1/auth/login sets no session cookie "
        "(only Better Auth's POST /api/auth/sign-in/email does), /api/v1/auth/refresh ignores "
        "{refreshToken} in the body and the organization routes take only the cookie",
    )
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=15 * 60,
        metavar="SECONDS",
        help="lifetime of access tokens (default 900)",
    )
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="SSE heartbeat interval (default 30)",
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=("critical", "error", "warning", "info", "debug"),
        help="server log level on stderr (default warning)",
    )
    add_data_dir_option(parser)
    runner = _runner_module()
    if runner is not None and hasattr(runner, "add_runner_arguments"):
        runner.add_runner_arguments(parser)
    parser.set_defaults(handler=run_serve)


def _runner_module() -> ModuleType | None:
    """The mission runner plugs into `serve` when its module exists (a later issue)."""
    try:
        return importlib.import_module("mana_desktop.server.runner")
    except ModuleNotFoundError as exc:
        if exc.name != "mana_desktop.server.runner":
            raise
        return None


def _fail(message: str) -> int:
    print(f"mana-desktop serve: {message}", file=sys.stderr)
    return 2


def resolve_db(args: argparse.Namespace) -> Path:
    if args.db:
        return Path(args.db).expanduser().resolve()
    if args.data_dir:
        return Path(args.data_dir).expanduser().resolve() / DB_NAME
    from mana_desktop.domain.paths import server_data_dir

    return server_data_dir() / DB_NAME


def parse_users(values: list[str]) -> list[tuple[str, str]]:
    users = []
    for value in values:
        email, sep, password = value.partition(":")
        if not sep or not email.strip() or "@" not in email or not password:
            raise ValueError(f"--user expects EMAIL:PASSWORD, got {value.split(':')[0]!r}:…")
        users.append((email.strip(), password))
    return users


def parse_spaces(values: list[str]) -> list[tuple[str, str, list[str]]]:
    """`NAME:TYPE:EMAIL[,EMAIL...]` values as (name, type, emails); raises ValueError."""
    spaces = []
    for value in values:
        parts = value.rsplit(":", 2)
        if len(parts) != 3 or not parts[0].strip():
            raise ValueError(f"--space expects NAME:TYPE:EMAIL[,EMAIL...], got {value!r}")
        name, space_type, email_text = (part.strip() for part in parts)
        if space_type not in SPACE_TYPES:
            raise ValueError(
                f"--space {value!r}: TYPE must be one of {', '.join(SPACE_TYPES)},"
                f" got {space_type!r}"
            )
        emails = [e.strip() for e in email_text.split(",")]
        bad = [e for e in emails if "@" not in e or not e.split("@", 1)[0]]
        if bad or not emails:
            raise ValueError(f"--space {value!r}: not an email address: {(bad or [''])[0]!r}")
        spaces.append((name, space_type, emails))
    return spaces


def run_serve(args: argparse.Namespace) -> int:
    if args.db is not None and args.db.strip() == ":memory:":
        return _fail("--db :memory: is not allowed: the data must survive a restart; give a file")
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be 0..65535, got {args.port}")
    if args.token_ttl <= 0 or args.heartbeat <= 0:
        return _fail("--token-ttl and --heartbeat must be positive")
    try:
        users = parse_users(args.user)
        spaces = parse_spaces(args.space)
    except ValueError as exc:
        return _fail(str(exc))

    from mana_desktop.server.runtime import ManaServer, bind_socket, socket_url
    from mana_desktop.server.service import SyncService

    db_path = resolve_db(args)
    try:
        service = SyncService.open(
            db_path,
            dialect=args.dialect,
            sse_heartbeat_s=args.heartbeat,
            access_ttl_s=args.token_ttl,
            service_key=args.service_key,
        )
    except (OSError, ValueError, sqlite3.Error) as exc:
        return _fail(f"cannot open {db_path}: {exc}")
    service.auth.login_sets_cookie = not args.upstream_login
    try:
        try:
            for email, password in users:
                service.auth.add_user(email, password)
            for name, space_type, emails in spaces:
                service.auth.add_space(name, space_type, emails)
            for email in args.inactive_user:
                service.auth.set_sync_active(email, False)
            for email in args.active_user:
                service.auth.set_sync_active(email, True)
            runner = _runner_module()
            if runner is not None and hasattr(runner, "start_runner"):
                runner.start_runner(service, args)  # raises ValueError for a bad --llm-url
        except ValueError as exc:
            return _fail(str(exc))
        try:
            sock = bind_socket(args.host, args.port)
        except OSError as exc:
            return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        print(f"listening on {socket_url(sock)}", flush=True)
        ManaServer(service, log_level=args.log_level).run(sockets=[sock])
    finally:
        service.close()
    return 0
