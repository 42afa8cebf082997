"""Splitting a page of server changes: validation, de-duplication, and the bulk fast path.

Plain inserts of records not seen earlier in the page become stored rows right here (one
stamp for the whole record); everything else becomes an `Incoming` for the general LWW path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Final

from mana_desktop.domain.fastjson import dumps as fast_dumps
from mana_desktop.domain.incoming import Incoming, insert_time, parse_change, plain_insert
from mana_desktop.domain.timeutil import format_micro, utc_now
from mana_desktop.store.events import EventMemory
from mana_desktop.store.rows import dumps

FUTURE_HORIZON: Final = timedelta(days=1)  # stamps beyond now + this are journalled

Key = tuple[str, str]
Row = tuple[Any, ...]


class Page:
    """One page split into fast rows and general changes, after validation and de-duplication."""

    def __init__(self) -> None:
        self.fast: dict[Key, tuple[Row, dict[str, Any]]] = {}  # key -> (row, raw change)
        self.slow: list[Incoming] = []
        self.slow_keys: set[Key] = set()
        self.drops: list[tuple[Any, str]] = []
        self.event_ids: list[str] = []
        self.duplicates = 0
        self.future: dict[Key, str] = {}  # records stamped far in the future -> that stamp

    def take_slow(self, change: Incoming) -> None:
        key = (change.table, change.id)
        earlier = self.fast.pop(key, None)
        if earlier is not None:  # a second change to the same record: both go the general way
            parsed = parse_change(earlier[1])
            assert not isinstance(parsed, str)
            self.slow.append(parsed)
        self.slow.append(change)
        self.slow_keys.add(key)


def split_page(app: str, changes: Iterable[Any], events: EventMemory | None) -> Page:
    """Validate, de-duplicate and sort one page into fast rows and general changes.

    The loop is written flat on purpose: it runs for every change of every page, and the
    bulk-apply budget (3x a raw executemany) leaves room for little more than the JSON work.
    """
    page = Page()
    horizon = format_micro(utc_now() + FUTURE_HORIZON)
    # Ids go into the memory set at once (it also catches repeats within the page); a page
    # that does not commit is taken back out by the caller (EventMemory.forget/refresh).
    known = events.ids if events is not None else None
    new_ids = page.event_ids
    fast, slow_keys = page.fast, page.slow_keys
    last_actor: Any = None  # pages repeat one actor: encode it once
    last_actor_json = "null"
    for raw in changes:
        change: Incoming | None = None
        if type(raw) is dict and plain_insert(raw):
            event_id = raw.get("eventId")
        else:
            parsed = parse_change(raw)
            if isinstance(parsed, str):
                page.drops.append((raw, parsed))
                continue
            change, event_id = parsed, parsed.event_id
        if known is not None and event_id is not None:
            if event_id in known:
                page.duplicates += 1
                continue
            known.add(event_id)
            new_ids.append(event_id)
        if change is None:
            key = (raw["table"], raw["id"])
            if key not in fast and key not in slow_keys:
                data = raw["data"]
                at = insert_time(data)
                if at > horizon:
                    page.future[key] = at
                actor = raw.get("actor")
                if actor is not last_actor and actor != last_actor:
                    last_actor, last_actor_json = actor, dumps(actor)
                deleted = data.get("deletedAt")
                fast[key] = (
                    (app, key[0], key[1], fast_dumps(data),
                     '{"u":["' + at + '","server-replay",' + last_actor_json + "]}",
                     deleted if type(deleted) is str and deleted else None),
                    raw,
                )
                continue
            reparsed = parse_change(raw)
            assert not isinstance(reparsed, str)
            change = reparsed
        latest = max((w[2] for w in change.writes), default="")
        if latest > horizon:
            page.future[(change.table, change.id)] = latest
        page.take_slow(change)
    return page
