"""Long convergence runs under faults: `python scripts/convergence.py --kills 10000`.

Several client processes edit, decide and sync through fault proxies while the mission runner
plans; each client process is SIGKILLed at random points and restarted; then everything drains
and the checks run (tests/harness/convergence.py). Prints the counts and the peak RSS of the
harness parent and of its largest child; exit 0 when every check held, 1 when a violation or a
crash was found. `--quick` is a 50-kill smoke run that also fails when the parent's RSS grows
by more than `--max-rss-growth-mb` (default 64 there) between kill point N/2 and N.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.convergence import Config, run  # noqa: E402

QUICK_RSS_GROWTH_MB = 64.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10_000, help="kill points (default 10000)")
    parser.add_argument("--quick", action="store_true", help="a short run: 50 kill points")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--missions", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the run's files here (default: temp)")
    parser.add_argument("--max-rss-growth-mb", type=float, metavar="MB",
                        help="fail when the parent's RSS grows more than this from kill point "
                             f"N/2 to N (default: {QUICK_RSS_GROWTH_MB:g} with --quick, else "
                             "report only)")
    args = parser.parse_args(argv)
    if args.kills < 1 or args.clients < 1 or args.missions < 0:
        parser.error("--kills and --clients must be at least 1, --missions at least 0")
    if args.max_rss_growth_mb is not None and args.max_rss_growth_mb < 0:
        parser.error("--max-rss-growth-mb must be at least 0")
    bound = args.max_rss_growth_mb
    if bound is None and args.quick:
        bound = QUICK_RSS_GROWTH_MB
    config = Config(clients=args.clients, kills=50 if args.quick else args.kills,
                    seed=args.seed, missions=args.missions, progress=True,
                    max_rss_growth_mb=bound)
    if args.workdir:
        result = run(config, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="mana-convergence-") as tmp:
            result = run(config, Path(tmp))
    print(result.report())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
