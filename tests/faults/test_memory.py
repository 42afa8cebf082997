"""The convergence harness keeps its memory bounded (the 10,000-kill run once needed 14.6 GB).

- a short harness run: the parent's RSS from kill point N/2 to N grows less than a bound, and
  the run reports its own peak RSS (parent and largest child);
- the growth check itself fails loudly on a planted leak;
- the fault proxy's bookkeeping stays bounded however many requests pass;
- BUG (server layer): a reader connection is kept for every thread that ever read.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.harness.convergence import rss_growth_violation
from tests.harness.faultproxy import FaultProxy
from tests.harness.memory import MemoryWatch, Sample, settled_rss_kb, status_kb

SHORT_RUN_GROWTH_MB = 16.0  # measured 3-4 MB from kill 20 to 40


def test_rss_is_read_from_proc() -> None:
    rss, peak = status_kb(), status_kb("self", "VmHWM")
    assert rss is not None and peak is not None
    assert 0 < rss <= peak
    assert status_kb(2**22 + 12345) is None  # no such process: None, not an exception


def test_growth_check_catches_a_planted_leak() -> None:
    watch = MemoryWatch(kills=4, rounds=4)
    watch.start()
    kept: list[bytearray] = []
    for kill in range(1, 5):
        kept.append(bytearray(b"x") * (16 << 20))  # 16 MB per round, written, kept
        watch.kill_point(kill)
    assert [s.kills for s in watch.samples] == [0, 1, 2, 3, 4]
    violation = rss_growth_violation(watch, bound_mb=16)  # kill 2 -> 4: about 32 MB
    assert violation is not None and "grew" in violation, watch.samples
    assert rss_growth_violation(watch, bound_mb=1024) is None
    del kept


def test_growth_is_measured_between_the_middle_and_the_end() -> None:
    watch = MemoryWatch(kills=100, rounds=10)
    watch.samples = [Sample(k, 1000 + k * 10, None) for k in range(0, 101, 10)]
    halves = watch.halves()
    assert halves is not None
    assert (halves[0].kills, halves[1].kills) == (50, 100)
    assert settled_rss_kb() > 0


def test_proxy_bookkeeping_is_bounded() -> None:
    proxy = FaultProxy("127.0.0.1", 9, seed=1, event_log=50)
    for n in range(500):  # decisions only: what each request adds to the bookkeeping
        proxy._decide("GET", f"/sync/todo/pull?n={n}")
    proxy.set_offline(True)
    proxy._decide("POST", "/sync/todo/push")
    events = proxy.events()
    assert len(events) == 50
    assert events[-1].fault == "offline" and events[0].seq == 452
    assert proxy.counts() == {"forwarded": 500, "offline": 1}


pytest.importorskip("mana_desktop.server.runner", reason="the mission runner has not landed")


@pytest.mark.timeout(240)
def test_short_run_keeps_the_parent_bounded(tmp_path: Path) -> None:
    """A short run (2 clients, 40 kill points, ~12 s) with the bound on: it passes and reports."""
    from tests.harness.convergence import Config, run

    config = Config(clients=2, kills=40, seed=11, missions=1, max_rss_growth_mb=SHORT_RUN_GROWTH_MB)
    result = run(config, tmp_path)
    report = result.report()
    print(report)
    assert result.ok, report
    assert result.memory is not None
    halves = result.memory.halves()
    assert halves is not None, result.memory.samples
    assert halves[1].kills >= 40
    growth_mb = (halves[1].rss_kb - halves[0].rss_kb) / 1024
    assert growth_mb < SHORT_RUN_GROWTH_MB, report
    assert result.memory.parent_peak_kb > 0 and result.memory.child_peak_kb > 0
    assert "peak RSS: parent" in report and "largest child" in report


def test_server_reader_connections_do_not_pile_up_with_threads(tmp_path: Path) -> None:
    from mana_desktop.server.store import Store

    store = Store(tmp_path / "server.db")
    try:
        def read() -> None:
            store.reader().execute("SELECT count(*) FROM sync_changes").fetchone()

        read()
        before = len(os.listdir("/proc/self/fd"))
        for _ in range(40):  # threads that read once and end, like idle pool workers
            t = threading.Thread(target=read)
            t.start()
            t.join(10)
        after = len(os.listdir("/proc/self/fd"))
        assert after - before < 10, f"{after - before} more open files after 40 finished threads"
    finally:
        store.close()
