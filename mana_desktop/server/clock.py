"""One monotonic microsecond clock for `created_at` and `syncedUntil`.

Upstream stamps rows with Postgres `now()` (transaction start) but answers `syncedUntil` from
the Go clock after the query, so rows committed late are skipped forever (sync-protocol.md F2).
Here every stamp comes from this clock, strictly increasing, and a reader's horizon is never
at or past a stamp that is issued but not yet committed. So "every row with created_at <=
horizon is visible to a snapshot opened after horizon()" holds, and cursors lose nothing.
"""

from __future__ import annotations

import threading
import time


def wall_micros() -> int:
    return time.time_ns() // 1000


class StampClock:
    """Issues strictly increasing microsecond stamps and safe read horizons."""

    def __init__(self, last: int = 0) -> None:
        self._lock = threading.Lock()
        self._last = last  # highest stamp issued or horizon handed out
        self._inflight: dict[int, int] = {}  # first stamp of an uncommitted batch -> count

    def issue(self, count: int) -> int:
        """Reserve `count` consecutive stamps; returns the first. Call `done(first)` after commit."""
        with self._lock:
            first = max(wall_micros(), self._last + 1)
            self._last = first + max(count, 1) - 1
            self._inflight[first] = count
            return first

    def done(self, first: int) -> None:
        """The batch starting at `first` committed (or rolled back)."""
        with self._lock:
            self._inflight.pop(first, None)

    def horizon(self) -> int:
        """A stamp such that all rows at or before it are committed and later rows exceed it."""
        with self._lock:
            if self._inflight:
                # Writers are busy: stop just before the oldest uncommitted stamp.
                return min(self._inflight) - 1
            now = max(wall_micros(), self._last)
            self._last = now  # later stamps must be strictly greater
            return now
