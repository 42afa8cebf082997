"""`mana-desktop vault ...` and `mana-desktop spaces ...` (docs/encryption.md, docs/sync.md).

The vault commands never print the master key. A recovery code is printed once, with a
warning, when it is made. A CLI process holds the key only while it runs: `vault unlock
--remember` keeps it in the OS keyring (the profile's opt-in cache) so that later `sync`,
`inbox` and `missions` commands can use it without the network or the recovery code.
Exit codes: 0 done, 1 the operation failed (message on stderr), 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from mana_desktop.cli import add_data_dir_option
from mana_desktop.domain.terminal import safe_print

# Space names and server errors are server text: print them as data.
print = safe_print

RECOVERY_WARNING = (
    "Write this recovery code down and keep it somewhere safe. It is shown only this once; "
    "Mana cannot show it again, and any earlier code stops working.")
ZK_WARNING = (
    "Zero-knowledge mode: the server forgets its copy of your key. Without this recovery code "
    "nobody, not even Mana, can open your encrypted data again.")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    vault = subparsers.add_parser(
        "vault", help="the encryption vault: status, unlock, recovery code, zero-knowledge",
        description="Manage the account's encryption key (never printed). A recovery code is "
                    "shown once when it is made; keep it safe.")
    commands = vault.add_subparsers(dest="vault_command", metavar="COMMAND", required=True)

    status = commands.add_parser("status", help="vault state, recovery code, zero-knowledge")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    _common(status, _cmd_status)

    unlock = commands.add_parser("unlock", help="unlock the key (asks for the recovery code "
                                                "in zero-knowledge mode)")
    _code_option(unlock)
    unlock.add_argument("--remember", action="store_true",
                        help="keep the key in the OS keyring for this profile, so later "
                             "commands (sync, inbox) can use it")
    unlock.add_argument("--forget", action="store_true",
                        help="remove the key from the OS keyring and switch that off")
    _common(unlock, _cmd_unlock)

    recovery = commands.add_parser("recovery-code",
                                   help="make a new recovery code (shown once)")
    _code_option(recovery)
    _common(recovery, _cmd_recovery_code)

    zk = commands.add_parser("zero-knowledge", help="switch zero-knowledge mode on or off")
    zk.add_argument("mode", choices=("on", "off"))
    _code_option(zk, on_help="on: the new code, retyped; off: the current code if the vault "
                             "asks for it")
    _common(zk, _cmd_zero_knowledge)

    spaces = subparsers.add_parser(
        "spaces", help="list the account's Spaces (`spaces use ID` switches the active one)",
        description="List the account's Spaces with type and role; `*` marks the active one, "
                    "where new records go. `spaces use ID` switches it.")
    spaces.add_argument("--json", action="store_true", help="print one JSON object")
    space_commands = spaces.add_subparsers(dest="spaces_command", metavar="COMMAND")
    use = space_commands.add_parser("use", help="make a Space the active one")
    use.add_argument("space_id", metavar="ID", help="the Space id (or its exact name)")
    # Suppressed default: a sub-parser default would overwrite `spaces --data-dir DIR use ID`.
    use.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS,
                     help="profile directory (as for `spaces`)")
    add_data_dir_option(spaces)
    spaces.set_defaults(handler=_guarded(_cmd_spaces))


def _common(parser: argparse.ArgumentParser,
            handler: Callable[[argparse.Namespace, Any], int]) -> None:
    add_data_dir_option(parser)
    parser.set_defaults(handler=_guarded(lambda args: _with_session(args, handler)))


def _code_option(parser: argparse.ArgumentParser, on_help: str | None = None) -> None:
    parser.add_argument("--recovery-code-stdin", action="store_true",
                        help=on_help or "read the recovery code from the first line of "
                                        "standard input (when the vault asks for it)")


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    from mana_desktop.sync.cli import _guarded as guarded

    return guarded(handler)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _open_session(args: argparse.Namespace) -> tuple[Any, Any] | None:
    from mana_desktop.store.profile import Profile
    from mana_desktop.sync.account import AccountSession
    from mana_desktop.sync.credentials import Credentials

    profile = Profile.from_args(args)
    session = AccountSession.open(profile, profile.load_settings(), Credentials(profile))
    if session is None:
        _err("error: not signed in; run `mana-desktop login --server URL --email EMAIL` first")
        return None
    return profile, session


def _with_session(args: argparse.Namespace, handler: Callable[[argparse.Namespace, Any], int]
                  ) -> int:
    from mana_desktop.domain.crypto import RecoveryCodeFormatError
    from mana_desktop.sync.vault import VaultError

    opened = _open_session(args)
    if opened is None:
        return 1
    profile, session = opened
    args.profile = profile
    try:
        return handler(args, session)
    except RecoveryCodeFormatError as exc:
        _err(f"error: {exc}")
        return 2
    except VaultError as exc:
        _err(f"error: {exc}")
        return 1
    finally:
        session.close(forget=False)


# -- vault ------------------------------------------------------------------------------------


STATE_NOT_SET_UP = "not-set-up"


def _cmd_status(args: argparse.Namespace, session: Any) -> int:
    """Read-only: `GET /status` and what this profile holds (the opt-in keyring copy). It
    never unlocks, so it never creates a vault (`POST /init`) as a side effect."""
    from mana_desktop.sync.vault import KeyringKeyCache

    info = session.vault.info()
    keyring = bool(args.profile.load_settings().vault_keyring_cache)
    cache = KeyringKeyCache(args.profile.data_dir, session.user_id)
    held = keyring and cache.load() is not None
    state = ("unlocked" if held else "locked" if info.vault_exists else STATE_NOT_SET_UP)
    data = {
        "vaultExists": info.vault_exists,
        "hasRecoveryCode": info.has_recovery_wrap,
        "zeroKnowledge": info.zero_knowledge,
        "recoverySetAt": info.recovery_set_at,
        "state": state,
        "error": None,
        "keyringCache": keyring,
        "keyringAvailable": cache.available,
    }
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
        return 0
    notes = {"unlocked": " (the key is kept in the OS keyring for this profile)",
             "locked": " (`mana-desktop vault unlock` unlocks it)",
             STATE_NOT_SET_UP: " yet (the first `mana-desktop vault unlock` or sign-in "
                               "creates it)"}
    shown = "not set up" if state == STATE_NOT_SET_UP else state
    print(f"state:          {shown}{notes[state]}")
    print(f"recovery code:  {'set' if info.has_recovery_wrap else 'none'}"
          + (f" (since {info.recovery_set_at})" if info.recovery_set_at else ""))
    print(f"zero-knowledge: {'on' if info.zero_knowledge else 'off'}")
    print(f"keyring cache:  {'on' if keyring else 'off'}"
          + ("" if data["keyringAvailable"] else " (no OS keyring available)"))
    return 0


def _cmd_unlock(args: argparse.Namespace, session: Any) -> int:
    from mana_desktop.sync.cli import vault_line

    if args.forget:
        _remember(args, session, False)
        print("The key is no longer kept in the OS keyring for this profile.")
        return 0
    if not _unlock(args, session):
        return 1
    print(vault_line(session.vault))
    if args.remember:
        return _remember(args, session, True)
    if not args.profile.load_settings().vault_keyring_cache:
        print("The key is held by this command only; `mana-desktop vault unlock --remember` "
              "keeps it in the OS keyring so `sync` and `inbox` can use it.")
    return 0


def _remember(args: argparse.Namespace, session: Any, on: bool) -> int:
    from mana_desktop.sync.vault import KeyringKeyCache

    cache = KeyringKeyCache(args.profile.data_dir, session.user_id)
    if on and not cache.available:
        _err("error: no OS keyring is available, so the key cannot be kept (it never goes "
             "to a file)")
        return 1
    if on:
        cache.save(session.vault.key)
    else:
        cache.clear()
    settings = args.profile.load_settings()
    args.profile.save_settings(settings.model_copy(update={"vault_keyring_cache": on}))
    if on:
        print("The key is kept in the OS keyring for this profile (`vault unlock --forget` "
              "removes it; `logout` does too).")
    return 0


def _unlock(args: argparse.Namespace, session: Any) -> bool:
    """Unlock, asking for the recovery code when the vault is in zero-knowledge mode."""
    from mana_desktop.sync.cli import vault_line
    from mana_desktop.sync.vault import VaultState, WrongRecoveryCodeError

    state = session.vault.unlock()
    if state is VaultState.AWAITING_RECOVERY_CODE:
        code = _read_code(args, "Recovery code: ")
        if code is None:
            return False
        try:
            state = session.vault.submit_recovery_code(code)
        except WrongRecoveryCodeError as exc:
            _err(f"error: {exc}")
            return False
    if state is not VaultState.UNLOCKED:
        _err(f"error: {vault_line(session.vault)}")
        return False
    return True


def _read_code(args: argparse.Namespace, prompt: str) -> str | None:
    if args.recovery_code_stdin:
        code = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        code = getpass.getpass(prompt).strip()
    else:
        _err("error: the vault needs the recovery code and there is no terminal to ask; "
             "use --recovery-code-stdin")
        return None
    if not code:
        _err("error: empty recovery code")
        return None
    return code


def _cmd_recovery_code(args: argparse.Namespace, session: Any) -> int:
    if not _unlock(args, session):
        return 1
    code = session.vault.create_recovery_code()
    _err(f"warning: {RECOVERY_WARNING}")
    print(code, flush=True)
    return 0


def _cmd_zero_knowledge(args: argparse.Namespace, session: Any) -> int:
    from mana_desktop.sync.vault import WrongRecoveryCodeError

    if args.mode == "off":
        if not _unlock(args, session):
            return 1
        session.vault.disable_zero_knowledge()
        print("Zero-knowledge mode is off: the server can unlock your key again "
              "(your recovery code still works).")
        return 0
    if session.vault.info().zero_knowledge:
        print("Zero-knowledge mode is already on.")
        return 0
    if not _unlock(args, session):
        return 1
    code = session.vault.create_recovery_code()
    _err(f"warning: {ZK_WARNING}")
    _err(f"warning: {RECOVERY_WARNING}")
    print(code, flush=True)
    retyped = _read_code(args, "Type the recovery code again to switch zero-knowledge on: ")
    if retyped is None:
        return 1
    try:
        session.vault.enable_zero_knowledge(retyped)
    except WrongRecoveryCodeError as exc:
        _err(f"error: {exc} Zero-knowledge mode stays off.")
        return 1
    print("Zero-knowledge mode is on: every new computer needs your recovery code.")
    return 0


# -- spaces -----------------------------------------------------------------------------------


def _cmd_spaces(args: argparse.Namespace) -> int:
    from mana_desktop.sync.spaces import SpacesError

    opened = _open_session(args)
    if opened is None:
        return 1
    _, session = opened
    directory = session.spaces
    try:
        if getattr(args, "spaces_command", None) == "use":
            return _use(directory, args.space_id)
        try:
            directory.refresh()
        except SpacesError as exc:
            if not directory.spaces():
                _err(f"error: {exc}")
                return 1
            _err(f"warning: {exc}; showing the Spaces known from the last refresh")
        _list(directory, as_json=args.json)
        return 0
    finally:
        session.close(forget=False)


def _use(directory: Any, wanted: str) -> int:
    from mana_desktop.sync.spaces import SpacesError

    if not directory.spaces():
        try:
            directory.refresh()
        except SpacesError as exc:
            _err(f"error: {exc}")
            return 1
    by_name = [s.id for s in directory.spaces() if s.name == wanted]
    space_id = wanted if any(s.id == wanted for s in directory.spaces()) or len(by_name) != 1 \
        else by_name[0]
    try:
        context = directory.set_active(space_id)
    except (SpacesError, ValueError) as exc:
        _err(f"error: {exc}")
        return 1
    space = context.spaces.get(space_id)
    name = space.name if space is not None and space.name else space_id
    print(f"Active Space: {name} ({space.type if space else 'unknown'}). "
          "New records go there.")
    return 0


def _list(directory: Any, *, as_json: bool) -> None:
    context = directory.context
    if as_json:
        print(json.dumps({
            "activeSpaceId": context.active_space_id,
            "personalSpaceId": context.personal_space_id,
            "spaces": [{"id": s.id, "name": s.name, "type": s.type, "role": s.role,
                        "active": s.id == context.active_space_id}
                       for s in context.spaces.values()],
        }, indent=2))
        return
    if not context.spaces:
        print("No Spaces.")
        return
    width = max(len(s.id) for s in context.spaces.values())
    for space in context.spaces.values():
        mark = "*" if space.id == context.active_space_id else " "
        print(f"{mark} {space.id:<{width}}  {space.type:<9} {space.role or '-':<7} {space.name}")
