"""Pulling: every due `(app, collection)`, page by page, each page applied with its cursor.

Up to `concurrency` collections at once; inside one, the next page is fetched while the current
one is applied (its cursor is already known). The first request of a pull starts `overlap_s`
before the stored cursor (finding F2: rows committed late on the server are re-read; the
replica drops them by `eventId`), and a stored cursor never moves back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mana_desktop.domain.timeutil import try_parse_instant
from mana_desktop.sync.changes import later_cursor, overlap_since
from mana_desktop.sync.errors import RejectedError
from mana_desktop.sync.ports import ApplyResultLike
from mana_desktop.sync.protocol import SyncClient, SyncPage
from mana_desktop.sync.report import SyncReport

Key = tuple[str, str]
EPOCH_SINCE = "1970-01-01T00:00:00.000Z"
Apply = Callable[..., ApplyResultLike]


class Progress:
    """Share done of an initial sync: collections without a cursor, each weighted equally;
    inside one, how far its cursor moved towards the server's "now" since its first page."""

    def __init__(self, keys: Sequence[Key], server_now: datetime) -> None:
        self.keys = set(keys)
        self.server_now = server_now
        self.parts: dict[Key, float] = dict.fromkeys(keys, 0.0)
        self.first: dict[Key, datetime] = {}

    def page(self, key: Key, cursor: str, done: bool) -> None:
        if key not in self.keys:
            return
        if done:
            self.parts[key] = 1.0
            return
        when = try_parse_instant(cursor)
        if when is None:
            return
        start = self.first.setdefault(key, when)
        span = (self.server_now - start).total_seconds()
        if span > 0:
            share = (when - start).total_seconds() / span
            self.parts[key] = max(self.parts[key], min(0.99, share))

    @property
    def value(self) -> float | None:
        if not self.keys:
            return None
        return sum(self.parts.values()) / len(self.parts)


class Puller:
    """One pull pass; `apply` is the engine's replica apply (it marks its own commits)."""

    def __init__(self, client: SyncClient, apply: Apply, *, overlap_s: float,
                 concurrency: int, scrub: Callable[[str], str],
                 journal: Callable[..., None], cursor_limit: datetime) -> None:
        self.cursor_limit = cursor_limit
        self.client = client
        self.apply = apply
        self.overlap_s = overlap_s
        self.concurrency = concurrency
        self.scrub = scrub
        self.journal = journal

    async def pull(self, keys: Sequence[Key], stored: dict[Key, str], report: SyncReport,
                   progress: Progress, on_progress: Callable[[float | None], object], *,
                   probe_first: bool) -> None:
        gate = asyncio.Semaphore(self.concurrency)

        async def one(key: Key) -> None:
            async with gate:
                await self._collection(key, stored.get(key), report, progress, on_progress)

        keys = list(keys)
        if keys and probe_first:
            # Probe with one request: while the network is down a cycle costs one request.
            await one(keys.pop(0))
        tasks = [asyncio.create_task(one(key)) for key in keys]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _collection(self, key: Key, stored: str | None, report: SyncReport,
                          progress: Progress, on_progress: Callable[[float | None], object]
                          ) -> None:
        app, collection = key
        since = overlap_since(stored, self.overlap_s) or stored or EPOCH_SINCE
        try:
            page = await self.client.pull(app, collection, since)
        except RejectedError as exc:
            # A bad request for one collection must not stop the others.
            reason = self.scrub(exc.reason)
            report.errors.append(f"pull {app}/{collection}: {exc.status} {reason}")
            await asyncio.to_thread(self.journal, "error", f"pull refused: {reason}",
                                    app=app, collection=collection, status=exc.status)
            return
        while True:
            if page.has_more and not _advances(since, page.synced_until):
                # A server that says hasMore without moving its cursor would spin us forever.
                await self._refuse(key, report, f"paging does not advance ({page.synced_until})")
                page = SyncPage(page.changes, page.synced_until, False)
            since = page.synced_until
            ahead = (asyncio.create_task(self.client.pull(app, collection, page.synced_until))
                     if page.has_more else None)
            try:
                stored = await asyncio.to_thread(self._apply_page, key, page, stored, report)
            except BaseException:
                if ahead is not None:
                    ahead.cancel()
                    with contextlib.suppress(BaseException):
                        await ahead
                raise
            progress.page(key, page.synced_until, done=ahead is None)
            if progress.keys:
                on_progress(progress.value)
            if ahead is None:
                return
            page = await ahead

    async def _refuse(self, key: Key, report: SyncReport, why: str) -> None:
        text = f"pull {key[0]}/{key[1]}: {self.scrub(why)}"
        report.errors.append(text)
        await asyncio.to_thread(self.journal, "error", text, app=key[0], collection=key[1])

    def _apply_page(self, key: Key, page: SyncPage, stored: str | None,
                    report: SyncReport) -> str | None:
        cursor: str | None = later_cursor(stored, page.synced_until)
        when = try_parse_instant(cursor) if cursor else None
        if when is not None and when > self.cursor_limit:
            # A cursor in the future would skip every change until then: apply the page,
            # keep the old cursor, and say so.
            text = (f"pull {key[0]}/{key[1]}: the server's cursor {page.synced_until} is in "
                    f"the future; not stored")
            report.errors.append(self.scrub(text))
            self.journal("error", self.scrub(text), app=key[0], collection=key[1])
            cursor = None
        result: Any = self.apply(key[0], page.changes, collection=key[1], cursor=cursor)
        report.pulled += result.applied
        report.duplicates += result.duplicates
        report.dropped += result.dropped
        return cursor or stored


def _advances(since: str, cursor: str) -> bool:
    old, new = try_parse_instant(since), try_parse_instant(cursor)
    if old is None or new is None:
        return since != cursor
    return new > old
