"""`mana-desktop demo [--reset] [--no-gui]`."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="try Mana Desktop with no account: embedded server, mission runner, demo data",
        description=(
            "Start an embedded mana-sync server with the mission runner on a free loopback "
            "port, seed a demo account with missions across modules, sign in and open the app. "
            "New proposals arrive within seconds. The demo keeps its own data directory and "
            "never touches a real profile. See docs/runner.md."
        ),
    )
    parser.add_argument("--reset", action="store_true", help="delete the demo data and start over")
    parser.add_argument(
        "--no-gui",
        action="store_true",
        help="run only the demo server and mission runner (for machines without a display)",
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from mana_desktop.demo.app import run_demo

    return run_demo(reset=args.reset, argv=[], gui=not args.no_gui)
