"""Long convergence runs under faults: `python scripts/convergence.py --kills 10000`.

Several client processes edit, decide and sync through fault proxies while the mission runner
plans; each client process is SIGKILLed at random points and restarted; then everything drains
and the checks run (tests/harness/convergence.py). Prints the counts; exit 0 when every check
held, 1 when a violation or a crash was found. `--quick` is a 50-kill smoke run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.harness.convergence import Config, run  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10_000, help="kill points (default 10000)")
    parser.add_argument("--quick", action="store_true", help="a short run: 50 kill points")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--missions", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the run's files here (default: temp)")
    args = parser.parse_args(argv)
    if args.kills < 1 or args.clients < 1 or args.missions < 0:
        parser.error("--kills and --clients must be at least 1, --missions at least 0")
    config = Config(clients=args.clients, kills=50 if args.quick else args.kills,
                    seed=args.seed, missions=args.missions, progress=True)
    if args.workdir:
        result = run(config, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="mana-convergence-") as tmp:
            result = run(config, Path(tmp))
    print(result.report())
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
