"""The `mana-desktop` command.

Each layer contributes its subcommands from its own `cli` module (a `register(subparsers)`
function), so this file stays a thin dispatcher and layers stay independent. Modules listed
here import their heavy dependencies lazily, inside the command handlers, so `--help` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from mana_desktop import __version__

# Order is the order of `--help`. A module that is missing is skipped (work in progress).
COMMAND_MODULES: tuple[str, ...] = (
    "mana_desktop.gui.cli",  # app
    "mana_desktop.demo.cli",  # demo
    "mana_desktop.server.cli",  # serve
    "mana_desktop.sync.cli",  # login, logout, sync, status
    "mana_desktop.sync.account_cli",  # vault, spaces
    "mana_desktop.store.cli",  # export, import
    "mana_desktop.workbench.cli",  # inbox, missions, policy
    "mana_desktop.selftest",  # --self-test support
)

Handler = Callable[[argparse.Namespace], int]


def add_data_dir_option(parser: argparse.ArgumentParser) -> None:
    """The profile option every subcommand takes (overrides MANA_DESKTOP_DATA_DIR)."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        default=os.environ.get("MANA_DESKTOP_DATA_DIR"),
        help="profile directory (default: $MANA_DESKTOP_DATA_DIR or the platform data dir)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mana-desktop",
        description="Mana Desktop: review AI mission proposals, offline-first, synced with mana-sync.",
    )
    parser.add_argument("--version", action="version", version=f"mana-desktop {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check that Qt imports, the database opens and the engine starts offscreen; exit 0 if so",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.self_test:
        from mana_desktop.selftest import run_self_test

        return run_self_test()
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


def gui_main() -> int:
    """Entry point of the installed desktop launcher: the app."""
    return main(["app", *sys.argv[1:]])
