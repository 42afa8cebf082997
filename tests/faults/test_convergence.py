"""The CI convergence run: 3 client processes, the mission runner, faults, >= 200 SIGKILLs.

Long runs: `python scripts/convergence.py --kills 10000` (see docs/faults.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("mana_desktop.store.replica", reason="the replica store has not landed")
pytest.importorskip("mana_desktop.sync.engine", reason="the sync engine has not landed")
pytest.importorskip("mana_desktop.server.runner", reason="the mission runner has not landed")

from tests.harness.convergence import Config, run

# The parent's RSS may rise this much from kill point 100 to 200 (measured: a few MB with the
# server's reader leak still in; see docs/faults.md). More is a leak per round: it fails.
RSS_GROWTH_BOUND_MB = 64.0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_converges_after_200_kill_points(tmp_path: Path) -> None:
    result = run(Config(clients=3, kills=200, seed=7, max_rss_growth_mb=RSS_GROWTH_BOUND_MB),
                 tmp_path)
    print(result.report())
    assert result.ok, result.report()
    assert result.memory is not None and result.memory.halves() is not None
    assert result.counts["kill_points"] >= 200
    assert result.counts["edits"] > 0
    assert result.counts["server_records"] > 0


def test_short_run_with_one_client_converges(tmp_path: Path) -> None:
    """A small run that fails fast when a layer is broken (before the long one)."""
    result = run(Config(clients=1, kills=5, seed=3, missions=1), tmp_path)
    assert result.ok, result.report()
    assert result.counts["kill_points"] >= 5
