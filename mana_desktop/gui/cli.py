"""The `app` command: open the desktop window for a profile."""

from __future__ import annotations

import argparse

from mana_desktop.cli import add_data_dir_option


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "app",
        help="open the desktop app (runs the demo when no account is set up)",
        description="Open Mana Desktop for a profile. With no account set up, runs the demo.",
    )
    add_data_dir_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from mana_desktop.domain.paths import resolve_data_dir
    from mana_desktop.gui.app import has_account

    data_dir = resolve_data_dir(args.data_dir)
    if not _profile_has_account(data_dir, has_account):
        try:
            from mana_desktop.demo import run_demo  # type: ignore[attr-defined]
        except ImportError:
            run_demo = None
        if run_demo is not None:
            return int(run_demo(argv=[]))
    from mana_desktop.gui.app import run_app

    return run_app(data_dir, [])


def _profile_has_account(data_dir: object, check: object) -> bool:
    from mana_desktop.store.profile import Profile
    from mana_desktop.store.settings import SettingsError

    try:
        settings = Profile(data_dir).load_settings()  # type: ignore[arg-type]
    except SettingsError:
        return True  # let the window show the error instead of starting the demo
    return bool(check(settings))  # type: ignore[operator]
