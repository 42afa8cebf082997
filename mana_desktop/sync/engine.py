"""The sync engine: pull, push and live updates on its own thread (ARCHITECTURE decision 8).

One thread runs one asyncio loop. Its main task repeats a *cycle* (pull the collections that
are due, then push every app's outbox) whenever something is due: start-up, the poll timer
(30 s, `ai` included), an SSE event, a local write, `sync_now()`. Between cycles it waits on
one asyncio.Event with a timeout, so idle and offline cost nothing but a timer.

Errors map to states (decision 6): network trouble -> `offline` and a full-jitter reconnect
probe (one request per backoff period, nothing else); 408/429/5xx -> `error` and the same
backoff honouring Retry-After; 401 after a refresh -> `signed-out` until `sync_now()`;
402 -> `paused` with the server's message; other 4xx on push -> the change is quarantined
(with the server's reason) after bisecting the batch down to the culprit.

Replica writes (page apply, ack, quarantine) run in a worker thread via asyncio.to_thread so
the loop keeps fetching the next page meanwhile; the replica serializes writers itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.timeutil import format_ms, format_nano, try_parse_instant, utc_now
from mana_desktop.sync import persist
from mana_desktop.sync.backoff import FIRST_RETRY_S, Backoff
from mana_desktop.sync.changes import earliest, later_cursor, latest, overlap_since, wire_change
from mana_desktop.sync.clock import ClockSkew
from mana_desktop.sync.errors import (
    PaymentRequiredError,
    RejectedError,
    RetryableError,
    SignedOutError,
    SyncError,
)
from mana_desktop.sync.live import LiveChannel
from mana_desktop.sync.ports import OutboxEntryLike, ProfileLike, ReplicaLike
from mana_desktop.sync.protocol import SyncClient, SyncPage, TokenSource
from mana_desktop.sync.status import StatusBoard, SyncStatus

log = logging.getLogger(__name__)

PUSH_BATCH = 200
OVERLAP_S = 2.0  # re-read this much before each stored cursor (spec §14.3, finding F2)
PULL_CONCURRENCY = 4
PAUSE_PROBE_S = 300.0  # billing status is cached 5 min server-side; ask again after that
LOCAL_DEBOUNCE_S = 0.2  # let a burst of local writes go out as one push
ONCE_ATTEMPTS = 4  # run_once retries a retryable failure this many times in all
QUARANTINE_STATUSES = frozenset({400, 409, 410, 413, 422})
_CHANGE_INDEX = re.compile(r"in change (\d+)")
EPOCH_SINCE = "1970-01-01T00:00:00.000Z"


@dataclass
class SyncReport:
    """What one cycle (or `run_once`) did."""

    pulled: int = 0  # changes applied from pulls
    from_push: int = 0  # serverChanges of push responses applied
    duplicates: int = 0
    dropped: int = 0
    pushed: int = 0
    quarantined: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    state: str = "idle"

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = (f"pulled {self.pulled}, pushed {self.pushed}, quarantined {self.quarantined}, "
                f"{self.requests} requests in {self.duration_s:.2f} s")
        return text + (f"; errors: {'; '.join(self.errors)}" if self.errors else "")


class _Progress:
    """Share done of an initial sync: collections without a cursor, each weighted equally;
    inside one, how far its cursor moved towards the server's "now" since its first page."""

    def __init__(self, keys: Sequence[tuple[str, str]], server_now: Any) -> None:
        self.keys = set(keys)
        self.server_now = server_now
        self.parts: dict[tuple[str, str], float] = dict.fromkeys(keys, 0.0)
        self.first: dict[tuple[str, str], Any] = {}

    def page(self, key: tuple[str, str], cursor: str, done: bool) -> None:
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
            self.parts[key] = max(self.parts[key], min(0.99, (when - start).total_seconds() / span))

    @property
    def value(self) -> float | None:
        if not self.keys:
            return None
        return sum(self.parts.values()) / len(self.parts)


class SyncEngine:
    """See the module docstring and docs/CONTRACTS.md "Sync engine"."""

    def __init__(self, profile: ProfileLike, replica: ReplicaLike, credentials: TokenSource, *,
                 transport: httpx.AsyncBaseTransport | None = None, live: bool = True,
                 backoff_base: float = FIRST_RETRY_S, poll_interval_s: float | None = None,
                 overlap_s: float = OVERLAP_S, pull_concurrency: int = PULL_CONCURRENCY) -> None:
        self.profile = profile
        self.replica = replica
        self.credentials = credentials
        self._transport = transport
        self._live_enabled = live
        self._backoff_base = backoff_base
        self._overlap_s = overlap_s
        self._pull_concurrency = max(1, pull_concurrency)
        settings = profile.load_settings()
        self._server_url: str | None = settings.server_url
        self._poll_s = float(poll_interval_s if poll_interval_s is not None
                             else settings.poll_interval_s)
        self.subscriptions = parse_subscriptions(settings.subscriptions)
        self._offline_requested = bool(settings.work_offline)
        self.clock = ClockSkew()
        self._board = StatusBoard(self._initial_status(settings))
        self._tls = threading.local()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._pull_all = True
        self._pull_keys: set[tuple[str, str]] = set()
        self._push_due = True
        self._client: SyncClient | None = None
        self._live: LiveChannel | None = None
        self._requests_done = 0  # of clients already closed
        self._unsubscribe: Callable[[], None] | None = None
        self._started = threading.Event()
        self._cycle_lock: asyncio.Lock | None = None
        self._failing = False  # the last attempt failed: the next one starts with one probe
        self._urgent = False  # cut a backoff wait short (sync_now, set_offline)
        self._journaled: tuple[str, str | None] | None = None

    # ===== public API (any thread) =====
    def start(self) -> None:
        """Run the engine on its own thread until stop()."""
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._thread_main, name="mana-sync", daemon=True)
        self._thread.start()
        self._started.wait(10.0)

    def stop(self, timeout: float = 15.0) -> None:
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        self._stopping = True
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake_now)
        thread.join(timeout)
        self._thread = None

    def sync_now(self) -> None:
        """Pull everything and push now (also leaves signed-out/paused/backoff waits)."""
        self._call_in_loop(self._request_all)

    def set_offline(self, offline: bool) -> None:
        """"Work offline": no requests at all while True; back online at once when False."""
        self._offline_requested = offline
        self._board.update(work_offline=offline)
        self._call_in_loop(self._request_all)

    def status(self) -> SyncStatus:
        return self._board.current

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Callable[[], None]:
        return self._board.subscribe(callback)

    @property
    def requests(self) -> int:
        """HTTP requests made so far (all clients of this engine)."""
        return self._requests_done + (self._client.requests if self._client else 0)

    def run_once(self) -> SyncReport:
        """One full pull + push, blocking; retries retryable failures a few times."""
        loop = self._loop
        if self._thread is not None and loop is not None and not loop.is_closed():
            future: Future[SyncReport] = asyncio.run_coroutine_threadsafe(self._once(), loop)
            return future.result()
        return asyncio.run(self._standalone_once())

    # ===== thread and loop =====
    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("sync engine crashed")
            self._board.update(state="error", last_error="the sync engine stopped unexpectedly")
        finally:
            self._persist(running=False)
            loop.close()
            self._loop = None

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn)

    def _wake_now(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def _request_all(self) -> None:
        self._urgent = True
        self._pull_all = True
        self._push_due = True
        self._wake_now()

    def _request_pull(self, key: tuple[str, str]) -> None:
        self._pull_keys.add(key)
        self._wake_now()

    def _on_replica_change(self, changes: ChangeSet) -> None:
        # Our own applies report here too; only other writers (app, CLI) mean "push".
        if getattr(self._tls, "applying", False):
            return
        self._call_in_loop(self._local_change)

    def _local_change(self) -> None:
        self._push_due = True
        self._wake_now()

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        self._cycle_lock = asyncio.Lock()
        self._unsubscribe = self.replica.subscribe(self._on_replica_change)
        self._started.set()
        backoff = Backoff(self._backoff_base)
        next_poll = 0.0
        retry_at: float | None = None  # monotonic deadline of the next attempt after a failure
        try:
            while not self._stopping:
                if self._offline_requested:
                    await self._go_offline(None)
                    continue
                now = time.monotonic()
                if self._urgent:  # sync_now, back online, live channel lost: try at once
                    self._urgent, retry_at = False, None
                if retry_at is not None and now < retry_at:
                    # Backing off: local writes only update the counts, they do not probe.
                    await self._wait(retry_at - now)
                    await self._refresh_counts()
                    continue
                retry_at = None
                due = self._pull_all or self._pull_keys or self._push_due or now >= next_poll
                if not due:
                    await self._wait(next_poll - now)
                    continue
                if now >= next_poll:
                    self._pull_all = True
                delay = await self._cycle_with_state(backoff)
                if delay is None:
                    next_poll = time.monotonic() + self._poll_s
                    await self._wait_hold()
                else:
                    self._pull_all = self._push_due = True
                    retry_at = time.monotonic() + delay
        finally:
            await self._close_client()
            if self._unsubscribe is not None:
                self._unsubscribe()

    async def _cycle_with_state(self, backoff: Backoff) -> float | None:
        """Run one cycle; return None on success or the seconds to wait before retrying."""
        report = SyncReport()
        delay: float
        try:
            client = self._ensure_client()
            await self._cycle(client, report)
        except RetryableError as exc:
            delay = backoff.next_delay(exc.retry_after)
            self._retry_state(exc, delay)
        except SignedOutError as exc:
            # Drop the client: signing in again may name another server.
            await self._close_client()
            self._board.update(state="signed-out", last_error=self._scrub(str(exc)),
                               retry_at=None, progress=None)
            delay = float("inf")
        except PaymentRequiredError as exc:
            self._stop_live()
            self._board.update(state="paused", paused_message=exc.server_message,
                               progress=None, retry_at=self._at(PAUSE_PROBE_S))
            delay = PAUSE_PROBE_S
        except SyncError as exc:  # e.g. a 403/404 on a whole endpoint: wrong server
            delay = backoff.next_delay()
            self._board.update(state="error", last_error=self._scrub(str(exc)), progress=None,
                               retry_at=self._at(delay))
        else:
            backoff.reset()
            if self._live_enabled:
                self._start_live()
            self._finish_state(report)
            await self._journal_state()
            return None
        self._persist()
        await self._journal_state()
        return delay

    async def _journal_state(self) -> None:
        """One journal entry per change of trouble (not one per retry): decision 10."""
        status = self._board.current
        if status.state in ("idle", "syncing"):
            self._journaled = None
            return
        reason = status.paused_message if status.state == "paused" else status.last_error
        entry = (status.state, reason)
        if entry == self._journaled or reason is None:
            return
        self._journaled = entry
        kind = "error" if status.state in ("error", "offline", "signed-out") else "info"
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self._journal, kind, f"sync {status.state}: {reason}",
                                    state=status.state)

    async def _wait(self, timeout: float | None) -> None:
        assert self._wake is not None
        if self._stopping:
            return
        try:
            if timeout is None or timeout == float("inf"):
                await self._wake.wait()
            else:
                await asyncio.wait_for(self._wake.wait(), max(0.0, timeout))
        except TimeoutError:
            pass
        self._wake.clear()
        if self._push_due and not (self._pull_all or self._pull_keys or self._urgent):
            await asyncio.sleep(LOCAL_DEBOUNCE_S)

    async def _wait_hold(self) -> None:
        """Nothing is due: sleep until the poll timer, a wake, or a held change's release."""
        release = await asyncio.to_thread(self._next_release_s)
        if release is not None and not (self._pull_all or self._pull_keys or self._push_due):
            await self._wait(release)
            self._push_due = True

    def _next_release_s(self) -> float | None:
        now = utc_now()
        waits = []
        for entry in self.replica.outbox_pending():
            until = try_parse_instant(entry.hold_until) if entry.hold_until else None
            if until is not None and until > now:
                waits.append((until - now).total_seconds())
        return min(waits) + 0.05 if waits else None

    async def _go_offline(self, _: object) -> None:
        self._stop_live()
        await self._close_client()
        self._board.update(state="offline", last_error=None, retry_at=None, progress=None)
        self._persist()
        await self._wait(None)

    # ===== one cycle =====
    async def _cycle(self, client: SyncClient, report: SyncReport) -> None:
        # run_once() may run on the engine loop beside the main task: one cycle at a time,
        # or the same outbox batch could go out twice.
        assert self._cycle_lock is not None
        async with self._cycle_lock:
            await self._cycle_locked(client, report)

    async def _cycle_locked(self, client: SyncClient, report: SyncReport) -> None:
        if not self._server_url:
            raise SignedOutError("No server configured: run `mana-desktop login` first.")
        if self._pull_all or self._pull_keys:
            keys = list(self.subscriptions) if self._pull_all else sorted(self._pull_keys)
            self._pull_all = False
            self._pull_keys.clear()
            self._board.update(state="syncing")
            try:
                await self._pull(client, keys, report)
            except BaseException:
                self._pull_keys.update(keys)
                raise
        if self._push_due:
            self._push_due = False
            try:
                await self._push_all(client, report)
            except BaseException:
                self._push_due = True
                raise

    async def _once(self) -> SyncReport:
        started, requests = time.monotonic(), self.requests
        report = SyncReport()
        backoff = Backoff(self._backoff_base)
        for attempt in range(ONCE_ATTEMPTS):
            self._pull_all = self._push_due = True
            try:
                client = self._ensure_client()
                await self._cycle(client, report)
                break
            except RetryableError as exc:
                delay = backoff.next_delay(exc.retry_after)
                if attempt == ONCE_ATTEMPTS - 1:
                    report.errors.append(self._scrub(str(exc)))
                    self._retry_state(exc, None)
                    break
                self._retry_state(exc, delay)
                await asyncio.sleep(delay)
            except SignedOutError as exc:
                report.errors.append(self._scrub(str(exc)))
                self._board.update(state="signed-out", last_error=self._scrub(str(exc)))
                break
            except PaymentRequiredError as exc:
                report.errors.append(f"sync is paused: {exc.server_message}")
                self._board.update(state="paused", paused_message=exc.server_message)
                break
            except SyncError as exc:
                report.errors.append(self._scrub(str(exc)))
                self._board.update(state="error", last_error=self._scrub(str(exc)))
                break
        else:  # pragma: no cover - the loop always breaks
            pass
        if not report.errors:
            self._finish_state(report)
        report.requests = self.requests - requests
        report.duration_s = time.monotonic() - started
        report.state = self._board.current.state
        self._persist()
        await self._journal_state()
        return report

    async def _standalone_once(self) -> SyncReport:
        self._wake = asyncio.Event()
        self._cycle_lock = asyncio.Lock()
        try:
            return await self._once()
        finally:
            await self._close_client()

    # ===== pulling =====
    async def _pull(self, client: SyncClient, keys: Sequence[tuple[str, str]],
                    report: SyncReport) -> None:
        stored = self.replica.cursors()
        initial = [k for k in keys if k not in stored]
        progress = _Progress(initial, utc_now() + timedelta(seconds=self.clock.estimate or 0))
        if initial:
            self._board.update(progress=0.0)
        gate = asyncio.Semaphore(self._pull_concurrency)

        async def one(key: tuple[str, str]) -> None:
            async with gate:
                await self._pull_collection(client, key, stored.get(key), report, progress)

        if keys and self._failing:
            # Probe with one request: while the network is down a cycle costs one request.
            await one(keys[0])
            keys = keys[1:]
        tasks = [asyncio.create_task(one(key)) for key in keys]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._board.update(progress=None, last_pull_at=format_ms(utc_now()))

    async def _pull_collection(self, client: SyncClient, key: tuple[str, str],
                               stored: str | None, report: SyncReport,
                               progress: _Progress) -> None:
        app, collection = key
        since = overlap_since(stored, self._overlap_s) or stored or EPOCH_SINCE
        try:
            page = await client.pull(app, collection, since)
        except RejectedError as exc:
            # A bad request for one collection must not stop the others.
            reason = self._scrub(exc.reason)
            report.errors.append(f"pull {app}/{collection}: {exc.status} {reason}")
            await asyncio.to_thread(self._journal, "error", f"pull refused: {reason}",
                                    app=app, collection=collection, status=exc.status)
            return
        while True:
            # Fetch the next page while this one is applied (its cursor is already known).
            ahead = (asyncio.create_task(client.pull(app, collection, page.synced_until))
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
                self._board.update(progress=progress.value)
            if ahead is None:
                return
            page = await ahead

    def _apply_page(self, key: tuple[str, str], page: SyncPage, stored: str | None,
                    report: SyncReport) -> str:
        cursor = later_cursor(stored, page.synced_until)
        result = self._apply(key[0], page.changes, collection=key[1], cursor=cursor)
        report.pulled += result.applied
        report.duplicates += result.duplicates
        report.dropped += result.dropped
        return cursor

    def _apply(self, app: str, changes: Sequence[dict[str, Any]], *,
               collection: str | None = None, cursor: str | None = None) -> Any:
        self._tls.applying = True
        try:
            return self.replica.apply_remote(app, changes, collection=collection, cursor=cursor,
                                             event_dedup=True)
        finally:
            self._tls.applying = False

    # ===== pushing =====
    async def _push_all(self, client: SyncClient, report: SyncReport) -> None:
        apps = await asyncio.to_thread(self._apps_with_pending)
        for app in apps:
            await self._push_app(client, app, report)
        await self._refresh_counts()

    def _apps_with_pending(self) -> list[str]:
        apps: list[str] = []
        for entry in self.replica.outbox_pending():
            if entry.app not in apps:
                apps.append(entry.app)
        return apps

    async def _push_app(self, client: SyncClient, app: str, report: SyncReport) -> None:
        sent: set[int] = set()
        while True:
            batch = list(await asyncio.to_thread(self.replica.outbox_batch, app, PUSH_BATCH))
            if not batch:
                return
            ids = {entry.id for entry in batch}
            if ids & sent:  # the replica handed out an acked entry again: stop, do not loop
                raise RetryableError(f"outbox of {app} did not advance")
            sent |= ids
            await self._push_batch(client, app, batch, report)

    async def _push_batch(self, client: SyncClient, app: str,
                          batch: Sequence[OutboxEntryLike], report: SyncReport) -> None:
        try:
            page = await client.push(app, [wire_change(e) for e in batch], self._push_since(app))
        except RejectedError as exc:
            if exc.status not in QUARANTINE_STATUSES:
                raise
            await self._reject(client, app, batch, exc, report)
            return
        # Ack first: the server has the changes. serverChanges are a bonus (the pull
        # delivers them too), so losing them to a crash right here costs nothing.
        await asyncio.to_thread(self.replica.outbox_ack, [e.id for e in batch])
        report.pushed += len(batch)
        self._board.update(last_push_at=format_ms(utc_now()))
        if page.changes:
            result = await asyncio.to_thread(self._apply, app, page.changes)
            report.from_push += result.applied
            report.dropped += result.dropped

    async def _reject(self, client: SyncClient, app: str, batch: Sequence[OutboxEntryLike],
                      exc: RejectedError, report: SyncReport) -> None:
        """Find the change the server refuses and quarantine only it (upstream validates the
        whole batch before writing anything, so a 400 means nothing of it was stored)."""
        reason = self._scrub(f"{exc.status} {exc.reason}")
        match = _CHANGE_INDEX.search(exc.reason)
        if len(batch) == 1 or (match and int(match.group(1)) < len(batch)):
            culprit = batch[0] if len(batch) == 1 else batch[int(match.group(1))]  # type: ignore[union-attr]
            await asyncio.to_thread(self.replica.outbox_quarantine, [culprit.id], reason)
            report.quarantined += 1
            report.errors.append(f"push {app}: quarantined change to "
                                 f"{culprit.collection}/{culprit.record_id}: {reason}")
            return  # the caller's loop fetches the rest again, in order
        half = len(batch) // 2
        for part in (batch[:half], batch[half:]):
            await self._push_batch(client, app, part, report)

    def _push_since(self, app: str) -> str:
        """The app's oldest cursor (so serverChanges cover what we lack), else server "now"."""
        cursors = [c for (a, coll), c in self.replica.cursors().items()
                   if a == app and (a, coll) in self.subscriptions]
        oldest = earliest(cursors)
        if oldest is None:
            oldest = utc_now() + timedelta(seconds=self.clock.estimate or 0)
        return format_nano(oldest)

    # ===== live channel =====
    def _start_live(self) -> None:
        if self._live is None and self._client is not None:
            self._live = LiveChannel(self._client, self.subscriptions, self._live_since,
                                     on_changes=self._request_pull, on_lost=self._request_all,
                                     backoff_base=self._backoff_base)
            self._live.start()

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _live_since(self, app: str) -> str:
        cursors = [c for (a, _), c in self.replica.cursors().items() if a == app]
        newest = latest(cursors)
        if newest is None:
            newest = utc_now() + timedelta(seconds=self.clock.estimate or 0)
        return format_nano(newest)

    # ===== client, state, status =====
    def _ensure_client(self) -> SyncClient:
        if self._client is None:
            settings = self.profile.load_settings()
            self._server_url = settings.server_url
            if not self._server_url:
                raise SignedOutError("No server configured: run `mana-desktop login` first.")
            self._client = SyncClient(self._server_url, self.replica.client_id, self.credentials,
                                      transport=self._transport, clock=self.clock)
        return self._client

    async def _close_client(self) -> None:
        self._stop_live()
        if self._client is not None:
            client, self._client = self._client, None
            self._requests_done += client.requests
            await client.aclose()

    def _retry_state(self, exc: RetryableError, delay: float | None) -> None:
        self._failing = True
        if exc.network:
            self._stop_live()
        state = "offline" if exc.network else "error"
        self._board.update(state=state, last_error=self._scrub(str(exc)), progress=None,
                           retry_at=self._at(delay) if delay is not None else None,
                           clock_skew_s=self.clock.estimate)
        self._persist()

    def _finish_state(self, report: SyncReport) -> None:
        self._failing = False
        self._board.update(state="error" if report.errors else "idle",
                           last_error=report.errors[-1] if report.errors else None,
                           retry_at=None, paused_message=None, progress=None,
                           clock_skew_s=self.clock.estimate)
        self._persist()

    async def _refresh_counts(self) -> None:
        counts = await asyncio.to_thread(self._counts)
        self._board.update(**counts)

    def _counts(self) -> dict[str, Any]:
        return {
            "pending": self.replica.pending_count(),
            "oldest_pending_at": self.replica.oldest_pending_at(),
            "quarantined": len(self.replica.quarantined()),
            "cursors": {f"{a}/{c}": v for (a, c), v in sorted(self.replica.cursors().items())},
        }

    def _initial_status(self, settings: Any) -> SyncStatus:
        saved = persist.load_state(self.profile.data_dir)
        status = SyncStatus(
            state="offline" if settings.work_offline else "idle",
            last_pull_at=saved.get("last_pull_at"), last_push_at=saved.get("last_push_at"),
            account=settings.account_email, work_offline=bool(settings.work_offline),
        )
        try:
            import dataclasses

            return dataclasses.replace(status, **self._counts())
        except Exception:  # a replica that cannot answer yet must not stop the engine
            return status

    def _persist(self, running: bool = True) -> None:
        try:
            persist.save_state(self.profile.data_dir, self._board.current, running=running)
        except OSError as exc:
            log.warning("cannot save sync state: %s", exc)
        with contextlib.suppress(Exception):
            self._board.update(**self._counts())

    def _journal(self, kind: str, reason: str, **detail: Any) -> None:
        with self.replica.write() as tx:
            tx.journal(kind, reason, **detail)

    def _scrub(self, text: str) -> str:
        return self.credentials.scrub(text)

    @staticmethod
    def _at(delay: float | None) -> str | None:
        if delay is None or delay == float("inf"):
            return None
        return format_ms(utc_now() + timedelta(seconds=delay))


def parse_subscriptions(entries: Sequence[str]) -> list[tuple[str, str]]:
    """`"app/collection"` strings to keys (blank or malformed entries are skipped)."""
    keys: list[tuple[str, str]] = []
    for entry in entries:
        app, sep, collection = entry.strip().partition("/")
        if sep and app and collection and (app, collection) not in keys:
            keys.append((app, collection))
    return keys
