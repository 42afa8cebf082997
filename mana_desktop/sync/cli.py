"""`mana-desktop login | logout | sync | status` (docs/sync.md).

Heavy imports happen inside the handlers so `mana-desktop --help` stays fast. Exit codes:
0 done, 1 the operation failed (message on stderr), 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mana_desktop.cli import add_data_dir_option
from mana_desktop.domain.terminal import safe_print

if TYPE_CHECKING:
    from mana_desktop.sync.status import SyncStatus

# Status lines carry server text (errors, the 402 message, cursors): print it as data.
print = safe_print


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    login = subparsers.add_parser("login", help="sign in to a Mana server")
    login.add_argument("--server", required=True, metavar="URL", help="the mana-sync server URL")
    login.add_argument("--email", required=True, metavar="EMAIL")
    login.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    login.add_argument("--auth-url", metavar="URL",
                       help="the mana-auth URL when it differs from --server")
    add_data_dir_option(login)
    login.set_defaults(handler=_guarded(cmd_login))

    logout = subparsers.add_parser("logout", help="sign out and forget the stored token")
    add_data_dir_option(logout)
    logout.set_defaults(handler=_guarded(cmd_logout))

    sync = subparsers.add_parser("sync", help="sync with the server (until interrupted)")
    sync.add_argument("--once", action="store_true", help="one full pull and push, then exit")
    add_data_dir_option(sync)
    sync.set_defaults(handler=_guarded(cmd_sync))

    status = subparsers.add_parser("status", help="show the sync status of the profile")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    add_data_dir_option(status)
    status.set_defaults(handler=_guarded(cmd_status))


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a handler; a bad profile (settings file, database, disk) is one clear line and
    exit 1, never a traceback, and the file in question is left as it is."""

    def run(args: argparse.Namespace) -> int:
        import sqlite3

        from mana_desktop.store.models import StoreError
        from mana_desktop.store.schema import SchemaError
        from mana_desktop.store.settings import SettingsError

        try:
            return handler(args)
        except (SettingsError, StoreError, SchemaError) as exc:
            _err(f"error: {exc}")
        except sqlite3.DatabaseError as exc:
            _err(f"error: the profile database cannot be used: {exc}")
        except OSError as exc:
            _err(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return 1

    return run


def _profile(args: argparse.Namespace) -> Any:
    from mana_desktop.store.profile import Profile

    return Profile.from_args(args)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cmd_login(args: argparse.Namespace) -> int:
    from mana_desktop.sync.account import AccountMismatchError, check_profile_owner
    from mana_desktop.sync.credentials import Credentials
    from mana_desktop.sync.errors import AuthError

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.email}: ")
    else:
        _err("error: no terminal to ask for the password; use --password-stdin")
        return 2
    if not password:
        _err("error: empty password")
        return 2
    profile = _profile(args)
    credentials = Credentials(profile)
    replica = profile.open_replica()
    try:
        account = credentials.login(args.server, args.email, password, auth_url=args.auth_url,
                                    check=lambda user_id: check_profile_owner(replica, user_id))
    except AccountMismatchError as exc:
        _err(f"error: {exc}")
        return 1
    except AuthError as exc:
        _err(f"error: {credentials.scrub(str(exc))}")
        return 1
    finally:
        replica.close()
    if credentials.storage_warning:
        _err(f"warning: {credentials.storage_warning}")
    print(f"Signed in to {account.server_url} as {account.email}.")
    if credentials.session_warning:
        print(f"Warning: {credentials.session_warning}.")
    _start_account(profile, credentials)
    return 0


def _start_account(profile: Any, credentials: Any) -> None:
    """After a login: unlock the vault (one try), load the Spaces and say how it went."""
    from mana_desktop.sync.account import AccountSession

    session = AccountSession.open(profile, profile.load_settings(), credentials)
    if session is None:
        return
    session.start()
    print(vault_line(session.vault))
    print(space_line(session.spaces.context))


def vault_line(vault: Any) -> str:
    """One line about the vault for people (never the key)."""
    from mana_desktop.sync.vault import VaultState

    state = vault.state
    if state is VaultState.UNLOCKED:
        return "Encryption key unlocked."
    if state is VaultState.AWAITING_RECOVERY_CODE:
        return ("This account uses zero-knowledge encryption: run `mana-desktop vault unlock "
                "--recovery-code-stdin` to unlock encrypted fields on this computer.")
    error = vault.error
    reason = getattr(error, "reason", "unknown")
    return (f"Encryption key not unlocked ({reason}: {error}); encrypted fields stay locked. "
            "Retry with `mana-desktop vault unlock`.")


def space_line(context: Any) -> str:
    active = context.spaces.get(context.active_space_id) if context.active_space_id else None
    if active is None:
        return ("Spaces not loaded yet: new records go to your personal Space "
                "(retry with `mana-desktop spaces`).")
    return f"Active Space: {active.name or active.id} ({active.type})."


def cmd_logout(args: argparse.Namespace) -> int:
    from mana_desktop.sync.account import AccountSession, forget_account_secrets
    from mana_desktop.sync.credentials import Credentials

    profile = _profile(args)
    credentials = Credentials(profile)
    account = credentials.account()
    session = AccountSession.open(profile, profile.load_settings(), credentials)
    if session is not None:
        session.close(forget=True)
    # Also when the stored token is already gone (no session): the keyring copy of the key
    # and the Space cache go in any case.
    forget_account_secrets(profile)
    credentials.logout()
    print(f"Signed out{f' ({account.email})' if account else ''}.")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    from mana_desktop.sync.credentials import Credentials
    from mana_desktop.sync.engine import SyncEngine

    profile = _profile(args)
    credentials = Credentials(profile)
    if credentials.account() is None:
        _err("error: not signed in; run `mana-desktop login --server URL --email EMAIL` first")
        return 1
    if credentials.storage_warning:
        _err(f"warning: {credentials.storage_warning}")
    replica = profile.open_replica()
    try:
        session = _sync_session(profile, replica, credentials)
        if session is None:
            return 1
        # Signed in: nothing goes out without the session's cipher (docs/sync.md).
        engine = SyncEngine(profile, replica, credentials, require_cipher=True)
        session.wake_on_spaces(engine)
        if args.once:
            _start_session(session, profile)
            return _sync_once(engine)
        starter = threading.Thread(target=_start_then_wake, args=(session, profile, engine),
                                   name="account-start", daemon=True)
        starter.start()
        return _sync_forever(engine)
    finally:
        close = getattr(replica, "close", None)
        if close is not None:
            close()


def _sync_session(profile: Any, replica: Any, credentials: Any) -> Any:
    """The account session whose cipher the replica uses while syncing (sealing plaintext
    before a push, the real personal Space id on the wire); None (after a message) when the
    replica belongs to another account."""
    from mana_desktop.sync.account import AccountMismatchError, AccountSession, check_profile_owner

    session = AccountSession.open(profile, profile.load_settings(), credentials)
    if session is None:
        _err("error: not signed in; run `mana-desktop login --server URL --email EMAIL` first")
        return None
    try:
        check_profile_owner(replica, session.user_id)
    except AccountMismatchError as exc:
        _err(f"error: {exc}")
        return None
    replica.set_cipher(session.cipher)
    return session


def _start_session(session: Any, profile: Any) -> None:
    """Unlock and load the Spaces (blocking; while working offline only the opt-in keyring
    copy of the key, no request)."""
    offline = bool(profile.load_settings().work_offline)
    session.start(offline=offline)
    if offline:
        return
    if session.vault.state.value != "unlocked":
        _err(f"warning: {vault_line(session.vault)}")


def _start_then_wake(session: Any, profile: Any, engine: Any) -> None:
    # Off the engine's thread: the first cycle runs meanwhile (entries that need the key
    # wait), then a wake pushes them once the key is there.
    _start_session(session, profile)
    engine.sync_now()


def _sync_once(engine: Any) -> int:
    last = [0.0]

    def show_progress(status: SyncStatus) -> None:
        now = time.monotonic()
        if status.progress is not None and now - last[0] >= 0.5:
            last[0] = now
            _err(f"initial sync {status.progress * 100:.0f}%")

    engine.subscribe_status(show_progress)
    report = engine.run_once()
    print(report.summary())
    print(engine.status().describe())
    return 0 if report.ok else 1


def _sync_forever(engine: Any) -> int:
    done = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: done.set())
    last_line = [""]

    def show(status: SyncStatus) -> None:
        line = status.describe()
        if status.progress is None and line != last_line[0]:
            last_line[0] = line
            print(line, flush=True)

    engine.subscribe_status(show)
    engine.start()
    try:
        while not done.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from mana_desktop.sync.credentials import Credentials
    from mana_desktop.sync.persist import disk_status

    profile = _profile(args)
    credentials = Credentials(profile)
    replica = profile.open_replica()
    try:
        status, extra = disk_status(profile, replica, credentials)
    finally:
        close = getattr(replica, "close", None)
        if close is not None:
            close()
    if args.json:
        print(json.dumps({**status.to_json(), **extra}, indent=2, sort_keys=True))
        return 0
    _print_status(status, extra)
    return 0


def _print_status(status: SyncStatus, extra: dict[str, Any]) -> None:
    account = status.account or "not signed in"
    print(f"account:       {account}" + (f" on {extra['server']}" if extra.get("server") else ""))
    print(f"state:         {status.state}"
          + ("" if extra.get("engine_running") else " (no sync running)"))
    print(f"pending:       {status.pending}"
          + (f" (oldest {status.oldest_pending_at})" if status.oldest_pending_at else ""))
    if status.quarantined:
        print(f"quarantined:   {status.quarantined} (see the sync journal)")
    if status.waiting_for_key:
        print(f"waiting:       {status.waiting_for_key} waiting for the encryption key "
              "(run `mana-desktop vault unlock`)")
    if status.waiting_for_spaces:
        print(f"waiting:       {status.waiting_for_spaces} waiting for the account's Spaces "
              "(run `mana-desktop spaces`)")
    print(f"last pull:     {status.last_pull_at or 'never'}")
    print(f"last push:     {status.last_push_at or 'never'}")
    if status.last_error:
        print(f"last error:    {status.last_error}")
    if status.paused_message:
        print(f"paused:        {status.paused_message}")
    if status.clock_skew_s is not None:
        print(f"clock skew:    {status.clock_skew_s:+.3f} s (server minus local)")
    if status.clock_warning:
        print(f"warning:       {status.clock_warning}")
    if extra.get("storage_warning"):
        print(f"warning:       {extra['storage_warning']}")
    print(f"cursors:       {len(status.cursors)} collections")
    for key, cursor in status.cursors.items():
        print(f"  {key:<32} {cursor}")
