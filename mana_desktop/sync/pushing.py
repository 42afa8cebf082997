"""Pushing: each app's outbox in batches of at most 200, in order.

After a 2xx the batch is acknowledged first and the response's `serverChanges` applied after
(they never move a cursor, finding F1; the pull delivers them anyway, so a crash in between
costs nothing). Every change passes `sealing.prepare_change` first (no sentinel, no plaintext
where the webapp writes ciphertext); a change that needs the locked vault's key waits, with
the later changes of its record. A refused batch (400/409/410/413/422: upstream validates every change before
writing any) is narrowed down to the refused change, by the index the server names
(`... in change N`) or by bisection, and only that change is quarantined with the reason.
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
from mana_desktop.sync.sealing import prepare_change

PUSH_BATCH = 200
QUARANTINE_STATUSES = frozenset({400, 409, 410, 413, 422})
_CHANGE_INDEX = re.compile(r"in change (\d+)")


Prepared = tuple[OutboxEntryLike, dict[str, Any]]  # an entry and the change to send


class Pusher:
    def __init__(self, client: SyncClient, replica: ReplicaLike,
                 apply: Callable[..., ApplyResultLike], *, since: Callable[[str], str],
                 scrub: Callable[[str], str], on_pushed: Callable[[], object],
                 cipher: Callable[[], RecordCipher | None] = lambda: None) -> None:
        self.client = client
        self.replica = replica
        self.apply = apply
        self.since = since
        self.scrub = scrub
        self.on_pushed = on_pushed
        self.cipher = cipher

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
        sent: set[int] = set()
        held = 0
        while True:
            # Entries waiting for the key stay at the head of the queue: fetch past them.
            batch = list(await asyncio.to_thread(self.replica.outbox_batch, app,
                                                 PUSH_BATCH + held))
            ready, waiting = self._prepare(batch)
            held = len(waiting)
            if not ready:
                report.waiting += held
                return
            ready = ready[:PUSH_BATCH]
            ids = {entry.id for entry, _ in ready}
            if ids & sent:  # the replica handed out an acked entry again: stop, do not loop
                raise RetryableError(f"outbox of {app} did not advance")
            sent |= ids
            await self._push_batch(app, ready, report)

    def _prepare(self, batch: Sequence[OutboxEntryLike]
                 ) -> tuple[list[Prepared], list[OutboxEntryLike]]:
        """Each entry's wire change, sealed where needed. An entry that needs the key while
        the vault is locked waits, and so does every later entry of the same record (their
        order on the server must stay the order they were made in)."""
        cipher = self.cipher()
        ready: list[Prepared] = []
        waiting: list[OutboxEntryLike] = []
        blocked: set[tuple[str, str]] = set()
        for entry in batch:
            record = (entry.collection, entry.record_id)
            if record in blocked:
                waiting.append(entry)
                continue
            try:
                ready.append((entry, prepare_change(wire_change(entry), cipher)))
            except VaultLockedError:
                blocked.add(record)
                waiting.append(entry)
        return ready, waiting

    async def _push_batch(self, app: str, batch: Sequence[Prepared],
                          report: SyncReport) -> None:
        try:
            page = await self.client.push(app, [change for _, change in batch], self.since(app))
        except RejectedError as exc:
            if exc.status not in QUARANTINE_STATUSES:
                raise  # 403/404/405: a wrong server, not a bad change
            await self._reject(app, batch, exc, report)
            return
        await asyncio.to_thread(self.replica.outbox_ack, [e.id for e, _ in batch])
        report.pushed += len(batch)
        self.on_pushed()
        if page.changes:
            result = await asyncio.to_thread(self.apply, app, page.changes)
            report.from_push += result.applied
            report.dropped += result.dropped

    async def _reject(self, app: str, batch: Sequence[Prepared], exc: RejectedError,
                      report: SyncReport) -> None:
        reason = self.scrub(f"{exc.status} {exc.reason}")
        match = _CHANGE_INDEX.search(exc.reason)
        index = int(match.group(1)) if match else None
        if len(batch) == 1 or (index is not None and index < len(batch)):
            culprit, _ = batch[index if index is not None and len(batch) > 1 else 0]
            await asyncio.to_thread(self.replica.outbox_quarantine, [culprit.id], reason)
            report.quarantined += 1
            report.errors.append(f"push {app}: quarantined change to "
                                 f"{culprit.collection}/{culprit.record_id}: {reason}")
            return  # the caller's loop fetches the rest again, in order
        half = len(batch) // 2
        for part in (batch[:half], batch[half:]):
            await self._push_batch(app, part, report)
