"""The bounded set of recently applied event ids (de-duplicates overlap re-reads).

One row per applied page (ids joined by newlines) is far cheaper to write than one row per
event, and the set only has to cover the pull overlap window, so it is bounded by count. The
set lives in memory too; rows another process added are read in before each page applies.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Final

EVENT_MEMORY: Final = 20_000  # ids kept; many times the overlap window of every collection


class EventMemory:
    def __init__(self, limit: int = EVENT_MEMORY) -> None:
        self.limit = limit
        self.ids: set[str] = set()  # read directly by the bulk apply loop
        self._pages: deque[tuple[int, list[str]]] = deque()
        self._last_seq = 0
        self._count = 0

    def __contains__(self, event_id: str) -> bool:
        return event_id in self.ids

    def __len__(self) -> int:
        return self._count

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Take in pages written since we last looked (by this or another process)."""
        rows = conn.execute(
            "SELECT seq, ids FROM event_pages WHERE seq > ? ORDER BY seq", (self._last_seq,)
        ).fetchall()
        for seq, text in rows:
            self._remember(int(seq), text.split("\n") if text else [])

    def add(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        """Persist one page of ids (inside the caller's transaction) and prune old pages."""
        cur = conn.execute("INSERT INTO event_pages (ids) VALUES (?)", ("\n".join(ids),))
        self._remember(int(cur.lastrowid or 0), ids)
        if self._pages and self._count > self.limit:
            self._prune(conn)

    def _remember(self, seq: int, ids: list[str]) -> None:
        self._pages.append((seq, ids))
        self.ids.update(ids)
        self._count += len(ids)
        self._last_seq = max(self._last_seq, seq)

    def _prune(self, conn: sqlite3.Connection) -> None:
        while len(self._pages) > 1 and self._count - len(self._pages[0][1]) >= self.limit:
            _, ids = self._pages.popleft()
            self._count -= len(ids)
            self.ids.difference_update(ids)
        conn.execute("DELETE FROM event_pages WHERE seq < ?", (self._pages[0][0],))

    def forget(self) -> None:
        """Drop what is in memory; rolled-back pages must not count as applied."""
        self.ids.clear()
        self._pages.clear()
        self._last_seq = 0
        self._count = 0
