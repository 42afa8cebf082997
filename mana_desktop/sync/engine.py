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
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

import httpx

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.timeutil import format_ms, format_nano, try_parse_instant, utc_now
from mana_desktop.sync import check_times, persist
from mana_desktop.sync.account import AccountMismatchError, check_profile_owner
from mana_desktop.sync.backoff import FIRST_RETRY_S, Backoff
from mana_desktop.sync.changes import earliest, latest
from mana_desktop.sync.clock import ClockSkew
from mana_desktop.sync.errors import (
    PaymentRequiredError,
    RejectedError,
    RetryableError,
    SignedOutError,
    SyncError,
)
from mana_desktop.sync.integrity import INTEGRITY_INTERVAL_S, compare, repair, replay
from mana_desktop.sync.live import LiveChannel
from mana_desktop.sync.ports import ApplyResultLike, ProfileLike, ReplicaLike
from mana_desktop.sync.protocol import SyncClient, TokenSource
from mana_desktop.sync.pulling import Progress, Puller
from mana_desktop.sync.pushing import Pusher
from mana_desktop.sync.report import SyncReport
from mana_desktop.sync.status import StatusBoard, SyncStatus, clock_warning

__all__ = ["SyncEngine", "SyncReport", "parse_subscriptions"]

log = logging.getLogger(__name__)

OVERLAP_S = 2.0  # re-read this much before each stored cursor (spec §14.3, finding F2)
PULL_CONCURRENCY = 4
MAX_CURSOR_AHEAD_S = 600.0  # a cursor beyond the server's "now" plus this is not stored
PAUSE_PROBE_S = 300.0  # billing status is cached 5 min server-side; ask again after that
LOCAL_DEBOUNCE_S = 0.2  # let a burst of local writes go out as one push
ONCE_ATTEMPTS = 4  # run_once retries a retryable failure this many times in all
ONCE_MAX_WAIT_S = 8.0  # and waits at most this long between attempts (unless Retry-After)
SKEW_WARN_S = 60.0  # a clock further off than this gets a warning in status and the journal


class SyncEngine:
    """See the module docstring and docs/CONTRACTS.md "Sync engine"."""

    def __init__(self, profile: ProfileLike, replica: ReplicaLike, credentials: TokenSource, *,
                 transport: httpx.AsyncBaseTransport | None = None, live: bool = True,
                 backoff_base: float = FIRST_RETRY_S, poll_interval_s: float | None = None,
                 overlap_s: float = OVERLAP_S, pull_concurrency: int = PULL_CONCURRENCY,
                 rng: random.Random | None = None, require_cipher: bool = False) -> None:
        self.profile = profile
        # Signed-in callers (the app, `sync`) set it: without a cipher on the replica
        # nothing is pushed (it would go unsealed and unstamped), see pushing.py.
        self.require_cipher = require_cipher
        self.replica = replica
        self.credentials = credentials
        self._transport = transport
        self._live_enabled = live
        self._backoff_base = backoff_base
        self._overlap_s = overlap_s
        self._pull_concurrency = max(1, pull_concurrency)
        settings = profile.load_settings()
        self._server_url: str | None = settings.server_url
        self._explicit_poll = poll_interval_s
        self._rng = rng  # the backoff's jitter source (tests seed it)
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
        self._main_task: asyncio.Task[None] | None = None
        self._stopped_streams: list[asyncio.Task[None]] = []
        # (app, collection) -> monotonic time of its last integrity check (or initial pull).
        self._checked: dict[tuple[str, str], float] = {}
        # Check times are persisted in the replica (check_times.py): loaded once, saved after
        # a full cycle for the collections checked, pulled initially or loaded in it.
        self._checks_loaded = False
        self._owner_ok_for: str | None = None
        self._checks_to_save: set[tuple[str, str]] = set()
        self._skew_warned = False

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
            # Cancel whatever is in flight (a request may wait up to its timeout); a page
            # being applied in a worker thread still commits or rolls back as a whole.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._cancel_main)
        thread.join(timeout)
        self._thread = None

    def _cancel_main(self) -> None:
        if self._main_task is not None:
            self._main_task.cancel()

    def sync_now(self) -> None:
        """Pull everything and push now (also leaves signed-out/paused/backoff waits)."""
        self._call_in_loop(self._request_all)

    def push_now(self) -> None:
        """Push the outbox soon (as after a local write): e.g. held changes can go now
        because the Spaces loaded. Does not cut a backoff wait short."""
        self._call_in_loop(self._local_change)

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
            self._main_task = loop.create_task(self._main())
            loop.run_until_complete(self._main_task)
        except asyncio.CancelledError:
            pass  # stop()
        except Exception:
            log.exception("sync engine crashed")
            self._board.update(state="error", last_error="the sync engine stopped unexpectedly")
        finally:
            self._persist(running=False)
            # Wait for a page still being applied in a worker thread before closing the loop.
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            self._loop = None
            self._main_task = None

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
        backoff = Backoff(self._backoff_base, rng=self._rng)
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
        await asyncio.to_thread(self._check_owner)
        if self._pull_all:
            await asyncio.to_thread(self._reload_settings)
        if self._pull_all or self._pull_keys:
            full = self._pull_all
            keys = list(self.subscriptions) if self._pull_all else sorted(self._pull_keys)
            self._pull_all = False
            self._pull_keys.clear()
            self._board.update(state="syncing")
            if full and not self._checks_loaded:
                await asyncio.to_thread(self._load_check_times)
            try:
                await self._pull(client, keys, report)
            except BaseException:
                self._pull_keys.update(keys)
                raise
            if full:
                await self._check_integrity(client, report)
        else:
            full = False
        if self._push_due:
            self._push_due = False
            try:
                await self._push_all(client, report)
            except BaseException:
                self._push_due = True
                raise
        if full and self._checks_to_save:
            await asyncio.to_thread(self._save_check_times)

    def _check_owner(self) -> None:
        """One account per replica: never pull or push for an account other than the one
        whose records and unsent changes the replica holds (e.g. a sign-in that skipped
        `check_profile_owner`). Checked until it passes once per signed-in user."""
        user_id = self.profile.load_settings().user_id
        if not user_id or user_id == self._owner_ok_for:
            return
        try:
            check_profile_owner(self.replica, user_id)
        except AccountMismatchError as exc:
            raise SignedOutError(str(exc)) from None
        self._owner_ok_for = user_id

    def _load_check_times(self) -> None:
        """Take over recent checks of earlier engines (other processes) on this replica."""
        self._checks_loaded = True
        wall, mono = time.time(), time.monotonic()
        try:
            loaded = check_times.load(self.replica, self.subscriptions, now_wall=wall,
                                      interval_s=INTEGRITY_INTERVAL_S)
        except Exception as exc:  # a replica that cannot say: check as if new
            log.warning("integrity check times not loaded: %s", exc)
            return
        for key, at in loaded.items():
            self._checked.setdefault(key, mono - (wall - at))
        self._checks_to_save.update(loaded)

    def _save_check_times(self) -> None:
        wall, mono = time.time(), time.monotonic()
        keys, self._checks_to_save = self._checks_to_save, set()
        times = {key: wall - (mono - self._checked[key]) for key in keys if key in self._checked}
        try:
            check_times.save(self.replica, times)
        except Exception as exc:  # only costs a replay in the next process
            log.warning("integrity check times not saved: %s", exc)

    async def _once(self) -> SyncReport:
        started, requests = time.monotonic(), self.requests
        report = SyncReport()
        backoff = Backoff(self._backoff_base, rng=self._rng)
        for attempt in range(ONCE_ATTEMPTS):
            self._pull_all = self._push_due = True
            try:
                client = self._ensure_client()
                await self._cycle(client, report)
                break
            except RetryableError as exc:
                delay = backoff.next_delay(exc.retry_after)
                if exc.retry_after is None:
                    delay = min(delay, ONCE_MAX_WAIT_S)  # someone is waiting at the terminal
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

    # ===== pulling and pushing =====
    async def _pull(self, client: SyncClient, keys: Sequence[tuple[str, str]],
                    report: SyncReport) -> None:
        stored = self.replica.cursors()
        initial = [k for k in keys if k not in stored]
        progress = Progress(initial, self._server_now())
        if initial:
            self._board.update(progress=0.0)
        puller = Puller(client, self._apply, overlap_s=self._overlap_s,
                        concurrency=self._pull_concurrency, scrub=self._scrub,
                        journal=self._journal, cursor_limit=self._cursor_limit())
        await puller.pull(keys, stored, report, progress,
                          lambda value: self._board.update(progress=value),
                          probe_first=self._failing)
        # An initial pull is itself a fresh replay: no check needed for it now.
        self._checked.update(dict.fromkeys(initial, time.monotonic()))
        self._checks_to_save.update(initial)
        self._board.update(progress=None, last_pull_at=format_ms(utc_now()))

    async def _check_integrity(self, client: SyncClient, report: SyncReport) -> None:
        """Compare due collections with a fresh replay of the server's log; repair drift.

        Due: not checked by this engine yet, or longer ago than INTEGRITY_INTERVAL_S (the check
        is a full re-pull, so a normal incremental cycle must not pay for it)."""
        now = time.monotonic()
        stored = self.replica.cursors()
        due = [key for key in self.subscriptions if key in stored
               and now - self._checked.get(key, -INTEGRITY_INTERVAL_S) >= INTEGRITY_INTERVAL_S]
        for key in due:
            try:
                scratch = await replay(client, key)
            except RejectedError:
                continue  # the pull already journaled a refusal for this collection
            repaired = await asyncio.to_thread(self._compare_and_repair, key, scratch)
            report.repaired += repaired
            self._checked[key] = time.monotonic()
            self._checks_to_save.add(key)

    def _compare_and_repair(self, key: tuple[str, str], scratch: Any) -> int:
        app, collection = key
        alive = {r.id for r in self.replica.list(app, collection)}
        pending = {e.record_id for e in self.replica.outbox_pending(app)
                   if e.collection == collection}
        drift = compare(key, scratch, alive, pending)
        if drift is None:
            return 0
        log.warning("integrity: %s/%s drifted (%d ids); repairing", app, collection,
                    len(drift.ids))
        return repair(drift, scratch, self._apply, self._journal)

    async def _push_all(self, client: SyncClient, report: SyncReport) -> None:
        pusher = Pusher(client, self.replica, self._apply, since=self._push_since,
                        scrub=self._scrub,
                        on_pushed=lambda: self._board.update(last_push_at=format_ms(utc_now())),
                        cipher=lambda: getattr(self.replica, "cipher", None),
                        require_cipher=self.require_cipher)
        await pusher.push_all(report)
        self._board.update(waiting_for_key=report.waiting,
                           waiting_for_spaces=report.waiting_spaces)
        await self._refresh_counts()

    def _apply(self, app: str, changes: Sequence[dict[str, Any]], *,
               collection: str | None = None, cursor: str | None = None,
               event_dedup: bool = True) -> ApplyResultLike:
        self._tls.applying = True  # our own commits are not local writes to push
        try:
            return self.replica.apply_remote(app, changes, collection=collection, cursor=cursor,
                                             event_dedup=event_dedup)
        finally:
            self._tls.applying = False

    def _reload_settings(self) -> None:
        """Pick up subscriptions and the poll interval changed by the app or the CLI (a
        settings file that cannot be read keeps the current ones; the store names the error)."""
        try:
            settings = self.profile.load_settings()
        except Exception as exc:
            log.warning("settings not reloaded: %s", exc)
            return
        subscriptions = parse_subscriptions(settings.subscriptions)
        if self._explicit_poll is None:
            self._poll_s = float(settings.poll_interval_s)
        if subscriptions != self.subscriptions:
            self.subscriptions = subscriptions
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._restart_live)

    def _restart_live(self) -> None:
        if self._live is not None:
            self._stop_live()
            self._start_live()

    def _cursor_limit(self) -> datetime:
        """The latest cursor we store: the server's now by its Date header, plus a margin."""
        return utc_now() + timedelta(seconds=(self.clock.coarse or 0.0) + MAX_CURSOR_AHEAD_S)

    def _server_now(self) -> datetime:
        return utc_now() + timedelta(seconds=self.clock.estimate or 0)

    def _push_since(self, app: str) -> str:
        """The app's oldest cursor (so serverChanges cover what we lack), else server "now"."""
        cursors = [c for (a, coll), c in self.replica.cursors().items()
                   if a == app and (a, coll) in self.subscriptions]
        oldest = earliest(cursors)
        return format_nano(oldest if oldest is not None else self._server_now())

    # ===== live channel =====
    def _start_live(self) -> None:
        if self._live is None and self._client is not None:
            self._live = LiveChannel(self._client, self.subscriptions, self._live_since,
                                     on_changes=self._request_pull, on_lost=self._request_all,
                                     backoff_base=self._backoff_base)
            self._live.start()

    def _stop_live(self) -> None:
        if self._live is not None:
            self._stopped_streams = [t for t in self._stopped_streams if not t.done()]
            self._stopped_streams.extend(self._live.stop())
            self._live = None

    def _live_since(self, app: str) -> str:
        cursors = [c for (a, _), c in self.replica.cursors().items() if a == app]
        newest = latest(cursors)
        return format_nano(newest if newest is not None else self._server_now())

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
        # Let cancelled streams finish (their connections close) before the client goes.
        streams, self._stopped_streams = self._stopped_streams, []
        await asyncio.gather(*streams, return_exceptions=True)
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
                           **self._skew_fields())
        self._persist()

    def _finish_state(self, report: SyncReport) -> None:
        self._failing = False
        self._board.update(state="error" if report.errors else "idle",
                           last_error=report.errors[-1] if report.errors else None,
                           retry_at=None, paused_message=None, progress=None,
                           **self._skew_fields())
        self._persist()

    def _skew_fields(self) -> dict[str, Any]:
        """Status fields for the clock skew; journals the warning once per crossing."""
        skew = self.clock.estimate
        warning = clock_warning(skew, SKEW_WARN_S)
        if (warning is not None) != self._skew_warned:
            self._skew_warned = warning is not None
            text = warning or f"clock skew back within {SKEW_WARN_S:.0f} s ({skew} s)"
            try:
                self._journal("warning" if warning else "info", text, clock_skew_s=skew)
            except Exception as exc:  # a journal that cannot be written must not stop sync
                log.warning("cannot journal the clock skew: %s", exc)
        return {"clock_skew_s": skew, "clock_warning": warning}

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
