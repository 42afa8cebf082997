"""How far the server's clock is from ours.

Two kinds of samples: the HTTP `Date` header (second resolution) and a non-paginated
`syncedUntil` (the Go server's `time.Now()`, taken just before it answers). Each sample is
compared with the midpoint of our request, and the estimate is the median of recent samples,
so one slow answer cannot swing it. Used for status (and for picking a push `since` that
means "now" on the server's clock).
"""

from __future__ import annotations

import statistics
from collections import deque
from datetime import datetime

COARSE_AGREEMENT_S = 5.0


class ClockSkew:
    """Median of the last samples of server-minus-local time, in seconds."""

    def __init__(self, keep: int = 15) -> None:
        self._samples: deque[float] = deque(maxlen=keep)
        self._coarse: deque[float] = deque(maxlen=keep)

    def add_precise(self, server_time: datetime, sent: datetime, received: datetime) -> None:
        offset = _offset(server_time, sent, received)
        coarse = self.coarse
        # A syncedUntil that disagrees with the Date header is the server's bug (a cursor in
        # 2099), not its clock: it must not poison the estimate used to catch such cursors.
        if coarse is not None and abs(offset - coarse) > COARSE_AGREEMENT_S:
            return
        self._samples.append(offset)

    def add_date_header(self, server_time: datetime, sent: datetime, received: datetime) -> None:
        # The Date header truncates to the second: its true value is up to 1 s later.
        self._coarse.append(_offset(server_time, sent, received) + 0.5)

    @property
    def coarse(self) -> float | None:
        """The estimate from Date headers alone (what a bogus cursor cannot move)."""
        return round(statistics.median(self._coarse), 3) if self._coarse else None

    @property
    def estimate(self) -> float | None:
        if self._samples:
            return round(statistics.median(self._samples), 3)
        if self._coarse:
            return round(statistics.median(self._coarse), 3)
        return None


def _offset(server_time: datetime, sent: datetime, received: datetime) -> float:
    midpoint = sent + (received - sent) / 2
    return (server_time - midpoint).total_seconds()
