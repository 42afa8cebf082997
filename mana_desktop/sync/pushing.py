"""Pushing: each app's outbox in batches of at most 200, in order.

After a 2xx the batch is acknowledged first and the response's `serverChanges` applied after
(they never move a cursor, finding F1; the pull delivers them anyway, so a crash in between
costs nothing). Every change passes `sealing.prepare_change` first (no sentinel, no plaintext
where the webapp writes ciphertext); a change that needs the locked vault's key, or whose
Space is not known before the Spaces have loaded, waits with the later changes of its record.
With `require_cipher` (a signed-in profile: the app and `sync` set it) and no cipher on the
replica, every change waits: a signed-in account never gets unsealed, unstamped writes.
A refused batch (400/409/410/413/422: upstream validates every change before writing any) is
narrowed down to the refused change, by the index the server names (`... in change N`) or by
bisection, and only that change is quarantined with the reason. A 403 that names a change
(`not a member of space ... in change N`: a Space we were removed from) quarantines that
change too; a 403 without one is a wrong server (retried, nothing quarantined).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import Any

from mana_desktop.domain.crypto import RecordCipher, VaultLockedError
from mana_desktop.sync.changes import wire_change
from mana_desktop.sync.errors import RejectedError, RetryableError
from mana_desktop.sync.ports import ApplyResultLike, OutboxEntryLike, ReplicaLike
from mana_desktop.sync.protocol import SyncClient
from mana_desktop.sync.report import SyncReport
from mana_desktop.sync.sealing import SpacesNotLoadedError, prepare_change

PUSH_BATCH = 200
QUARANTINE_STATUSES = frozenset({400, 409, 410, 413, 422})
_CHANGE_INDEX = re.compile(r"in change (\d+)")


Prepared = tuple[OutboxEntryLike, dict[str, Any]]  # an entry and the change to send


Reason = str  # why an entry waits: "key" or "spaces"


class Pusher:
    def __init__(self, client: SyncClient, replica: ReplicaLike,
                 apply: Callable[..., ApplyResultLike], *, since: Callable[[str], str],
                 scrub: Callable[[str], str], on_pushed: Callable[[], object],
                 cipher: Callable[[], RecordCipher | None] = lambda: None,
                 require_cipher: bool = False) -> None:
        self.client = client
        self.replica = replica
        self.apply = apply
        self.since = since
        self.scrub = scrub
        self.on_pushed = on_pushed
        self.cipher = cipher
        self.require_cipher = require_cipher

    async def push_all(self, report: SyncReport) -> None:
        for app in await asyncio.to_thread(self._apps_with_pending):
            await self._push_app(app, report)

    def _apps_with_pending(self) -> list[str]:
        apps: list[str] = []
        for entry in self.replica.outbox_pending():
            if entry.app not in apps:
                apps.append(entry.app)
        return apps

    async def _push_app(self, app: str, report: SyncReport) -> None:
        acked: set[int] = set()
        held = 0
        while True:
            # Waiting entries stay at the head of the queue: fetch past them.
            batch = list(await asyncio.to_thread(self.replica.outbox_batch, app,
                                                 PUSH_BATCH + held))
            ready, waiting = self._prepare(batch)
            held = len(waiting)
            if not ready:
                reasons = list(waiting.values())
                report.waiting += reasons.count("key")
                report.waiting_spaces += reasons.count("spaces")
                return
            ready = ready[:PUSH_BATCH]
            if {entry.id for entry, _ in ready} & acked:
                # The replica handed out an acknowledged entry again: stop, do not loop.
                raise RetryableError(f"outbox of {app} did not advance")
            # Only acknowledged ids count: a quarantined change leaves the rest of its batch
            # pending, and the next round sends it.
            acked |= await self._push_batch(app, ready, report)

    def _prepare(self, batch: Sequence[OutboxEntryLike]
                 ) -> tuple[list[Prepared], dict[int, Reason]]:
        """Each entry's wire change, sealed where needed. An entry that cannot go yet (key
        locked, Spaces not loaded, no cipher for a signed-in profile) waits, and so does
        every later entry of the same record (their order on the server must stay the
        order they were made in). Returns the ready ones and the waiting ids with why."""
        cipher = self.cipher()
        ready: list[Prepared] = []
        waiting: dict[int, Reason] = {}
        blocked: dict[tuple[str, str], Reason] = {}
        for entry in batch:
            record = (entry.collection, entry.record_id)
            if record in blocked:
                waiting[entry.id] = blocked[record]
                continue
            reason: Reason | None = None
            if cipher is None and self.require_cipher:
                reason = "key"
            else:
                try:
                    ready.append((entry, prepare_change(wire_change(entry), cipher)))
                except VaultLockedError:
                    reason = "key"
                except SpacesNotLoadedError:
                    reason = "spaces"
            if reason is not None:
                blocked[record] = reason
                waiting[entry.id] = reason
        return ready, waiting

    async def _push_batch(self, app: str, batch: Sequence[Prepared],
                          report: SyncReport) -> set[int]:
        """Push `batch`; returns the ids acknowledged (a refused change is quarantined)."""
        try:
            page = await self.client.push(app, [change for _, change in batch], self.since(app))
        except RejectedError as exc:
            if exc.status not in QUARANTINE_STATUSES and not _names_a_change(exc, len(batch)):
                raise  # 403/404/405 about the request as a whole: a wrong server
            return await self._reject(app, batch, exc, report)
        ids = [e.id for e, _ in batch]
        await asyncio.to_thread(self.replica.outbox_ack, ids)
        report.pushed += len(batch)
        self.on_pushed()
        if page.changes:
            result = await asyncio.to_thread(self.apply, app, page.changes)
            report.from_push += result.applied
            report.dropped += result.dropped
        return set(ids)

    async def _reject(self, app: str, batch: Sequence[Prepared], exc: RejectedError,
                      report: SyncReport) -> set[int]:
        reason = self.scrub(f"{exc.status} {exc.reason}")
        index = _change_index(exc)
        if len(batch) == 1 or (index is not None and index < len(batch)):
            culprit, _ = batch[index if index is not None and len(batch) > 1 else 0]
            await asyncio.to_thread(self.replica.outbox_quarantine, [culprit.id], reason)
            report.quarantined += 1
            report.errors.append(f"push {app}: quarantined change to "
                                 f"{culprit.collection}/{culprit.record_id}: {reason}")
            return set()  # the caller's loop fetches the rest again, in order
        half = len(batch) // 2
        acked: set[int] = set()
        for part in (batch[:half], batch[half:]):
            acked |= await self._push_batch(app, part, report)
        return acked


def _change_index(exc: RejectedError) -> int | None:
    match = _CHANGE_INDEX.search(exc.reason)
    return int(match.group(1)) if match else None


def _names_a_change(exc: RejectedError, size: int) -> bool:
    """A 403 about one change of the batch (`not a member of space ... in change N`)."""
    index = _change_index(exc)
    return exc.status == 403 and index is not None and index < size
