"""Full-jitter exponential backoff (ARCHITECTURE decision 6).

delay(n) = uniform(0, min(cap, base * 2**n)): the first retry comes within `base` seconds
(5 s at most, as the issue asks), later ones spread out up to the cap of 60 s, and many clients
never retry in lockstep. A server's Retry-After is a floor, never shortened by the jitter.
"""

from __future__ import annotations

import random
from email.utils import parsedate_to_datetime

from mana_desktop.domain.timeutil import utc_now

FIRST_RETRY_S = 5.0
CAP_S = 60.0
# A Retry-After beyond this is treated as this (a broken header must not stall sync for days).
MAX_RETRY_AFTER_S = 3600.0


class Backoff:
    """Counts consecutive failures and says how long to wait before the next attempt."""

    def __init__(self, base: float = FIRST_RETRY_S, cap: float = CAP_S,
                 rng: random.Random | None = None) -> None:
        self.base = base
        self.cap = cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self, retry_after: float | None = None) -> float:
        """The wait before the next attempt; advances the failure count."""
        ceiling = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        delay = self._rng.uniform(0.0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
        return delay

    def reset(self) -> None:
        self.attempt = 0


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date. None when absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - utc_now()).total_seconds())
