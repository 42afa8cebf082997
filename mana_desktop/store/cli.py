"""`mana-desktop export [--out FILE]` and `mana-desktop import FILE` (JSON Lines backups)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    from mana_desktop.cli import add_data_dir_option

    export = subparsers.add_parser(
        "export", help="write every record (tombstones included) as JSON Lines"
    )
    export.add_argument("--out", metavar="FILE", help="output file (default: standard output)")
    add_data_dir_option(export)
    export.set_defaults(handler=run_export)

    restore = subparsers.add_parser("import", help="restore a JSON Lines backup into an empty profile")
    restore.add_argument("file", metavar="FILE", help="a file written by `mana-desktop export`")
    add_data_dir_option(restore)
    restore.set_defaults(handler=run_import)


def run_export(args: argparse.Namespace) -> int:
    import os
    import tempfile
    from pathlib import Path

    from mana_desktop.store.backup import export_to
    from mana_desktop.store.models import StoreError
    from mana_desktop.store.profile import Profile

    try:
        replica = Profile.from_args(args).open_replica()
    except StoreError as exc:
        print(f"mana-desktop export: {exc}", file=sys.stderr)
        return 1
    with replica:
        if not args.out:
            count = export_to(replica, sys.stdout)
        else:
            target = Path(args.out)
            # Write beside the target and rename: a failed export never leaves half a file.
            fd, tmp = tempfile.mkstemp(prefix=".export-", dir=target.parent or Path("."))
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    count = export_to(replica, handle)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
    print(f"exported {count} records", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from mana_desktop.store.backup import import_lines
    from mana_desktop.store.models import StoreError
    from mana_desktop.store.profile import Profile

    try:
        with open(args.file, encoding="utf-8") as handle:
            lines = handle.readlines()
    except OSError as exc:
        print(f"mana-desktop import: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError:
        print(f"mana-desktop import: {args.file} is not UTF-8 text", file=sys.stderr)
        return 2
    try:
        replica = Profile.from_args(args).open_replica()
    except StoreError as exc:
        print(f"mana-desktop import: {exc}", file=sys.stderr)
        return 1
    with replica:
        try:
            count = import_lines(replica, lines)
        except StoreError as exc:
            print(f"mana-desktop import: {args.file}: {exc}", file=sys.stderr)
            return 1
    print(f"imported {count} records", file=sys.stderr)
    return 0
