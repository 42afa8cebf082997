"""Integrity check: the replica against a fresh replay of the server's log (issue 7).

For one `(app, collection)` the check pulls the whole log from the epoch into a scratch map
(record id -> its changes in server order; alive unless the last op is a delete), then compares
record count and a hash of the alive ids with the live replica. Records with local changes
still in the outbox are left out on both sides (they may differ on purpose), and so are
records the server never saw (quarantined local writes are not the server's to judge).
Where the two differ, the server's changes for exactly the drifted records are applied again
without the eventId de-duplication (which is what hid the drift) and a journal entry says so.

Cost: one full re-pull of the collection. The engine therefore runs it only on a full cycle,
at most once per `INTEGRITY_INTERVAL_S` per collection, and never right after an initial
pull (that pull *is* the replay).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mana_desktop.sync.changes import later_cursor
from mana_desktop.sync.protocol import SyncClient
from mana_desktop.sync.pulling import EPOCH_SINCE, Key

INTEGRITY_INTERVAL_S = 600.0
MAX_PAGES = 10_000  # a server that pages forever must not hold the check forever


@dataclass
class Replay:
    """The server's log for one collection, replayed into id -> changes."""

    changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, page: Iterable[dict[str, Any]]) -> None:
        for change in page:
            record_id = change.get("id") if isinstance(change, dict) else None
            if isinstance(record_id, str):
                self.changes.setdefault(record_id, []).append(change)

    def alive(self) -> set[str]:
        return {rid for rid, log in self.changes.items() if log[-1].get("op") != "delete"}


@dataclass(frozen=True)
class Digest:
    count: int
    hash: str

    @staticmethod
    def of(ids: Iterable[str]) -> Digest:
        ordered = sorted(ids)
        return Digest(len(ordered), hashlib.sha256("\n".join(ordered).encode()).hexdigest())


@dataclass(frozen=True)
class Drift:
    key: Key
    server: Digest
    replica: Digest
    missing: frozenset[str]  # alive on the server, absent or deleted here
    extra: frozenset[str]  # deleted on the server, alive here

    @property
    def ids(self) -> list[str]:
        return sorted(self.missing | self.extra)


async def replay(client: SyncClient, key: Key) -> Replay:
    """Pull the whole log of one collection from the epoch (no replica writes)."""
    result, since = Replay(), EPOCH_SINCE
    for _ in range(MAX_PAGES):
        page = await client.pull(key[0], key[1], since)
        result.add(page.changes)
        moved = later_cursor(since, page.synced_until)
        if not page.has_more or moved == since:
            break
        since = moved
    return result


def compare(key: Key, scratch: Replay, replica_alive: set[str], pending: set[str]) -> Drift | None:
    known = set(scratch.changes) - pending
    server = scratch.alive() & known
    here = replica_alive & known
    server_digest, replica_digest = Digest.of(server), Digest.of(here)
    if server_digest == replica_digest:
        return None
    return Drift(key, server_digest, replica_digest,
                 frozenset(server - here), frozenset(here - server))


def repair(drift: Drift, scratch: Replay, apply: Callable[..., Any],
           journal: Callable[..., None]) -> int:
    """Apply the server's changes for the drifted records again; journal it. Returns the
    number of records repaired."""
    app, collection = drift.key
    changes = [change for rid in drift.ids for change in scratch.changes[rid]]
    apply(app, changes, collection=collection, event_dedup=False)
    journal("repair",
            f"integrity check: {app}/{collection} had drifted from the server "
            f"({drift.replica.count} records here, {drift.server.count} on the server); "
            f"re-pulled {len(drift.ids)} record(s)",
            app=app, collection=collection, missing=sorted(drift.missing)[:50],
            extra=sorted(drift.extra)[:50], server_hash=drift.server.hash,
            replica_hash=drift.replica.hash)
    return len(drift.ids)
