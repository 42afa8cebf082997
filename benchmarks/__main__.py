"""`python -m benchmarks [--full] [--only AREA]`: run every benchmark and print one table."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import traceback
from pathlib import Path

from benchmarks.report import Result, format_table


def discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small sizes (default)")
    mode.add_argument("--full", action="store_true", help="the sizes the issues name")
    parser.add_argument("--only", action="append", default=[], help="bench module suffix, repeatable")
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args(argv)
    results: list[Result] = []
    failed: list[str] = []
    for name in discover():
        if args.only and name.removeprefix("bench_") not in args.only:
            continue
        print(f"running {name} ({'full' if args.full else 'quick'}) ...", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            results.extend(module.run(quick=not args.full))
        except Exception:
            traceback.print_exc()
            failed.append(name)
    table = format_table(results)
    print()
    print(table)
    if failed:
        print("\nbenchmarks that crashed: " + ", ".join(failed))
    if args.out:
        Path(args.out).write_text(table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
