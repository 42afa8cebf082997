"""Splitting a page of server changes: validation, de-duplication, and the bulk fast path.

Plain inserts of records not seen earlier in the page become stored rows right here (one
stamp for the whole record); everything else becomes an `Incoming` for the general LWW path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from itertools import compress, repeat
from operator import eq, is_not
from typing import Any, Final

from mana_desktop.domain.fastjson import dumps as fast_dumps
from mana_desktop.domain.fastjson import dumps_many
from mana_desktop.domain.incoming import (
    Incoming,
    insert_time,
    insert_times,
    parse_change,
    plain_insert,
    plain_insert_columns,
)
from mana_desktop.domain.lww import same_json
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
        self.rows: list[Row] | None = None  # the fast rows in page order, when built at once

    def fast_rows(self) -> list[Row]:
        if self.rows is None:
            self.rows = [row for row, _ in self.fast.values()]
        return self.rows

    def take_slow(self, change: Incoming) -> None:
        key = (change.table, change.id)
        earlier = self.fast.pop(key, None)
        self.rows = None
        if earlier is not None:  # a second change to the same record: both go the general way
            parsed = parse_change(earlier[1])
            assert not isinstance(parsed, str)
            self.slow.append(parsed)
        self.slow.append(change)
        self.slow_keys.add(key)


def split_page(app: str, changes: list[Any], events: EventMemory | None) -> Page:
    """Validate, de-duplicate and sort one page into fast rows and general changes."""
    horizon = format_micro(utc_now() + FUTURE_HORIZON)
    page = _whole_page(app, changes, events, horizon)
    return page if page is not None else _change_by_change(app, changes, events, horizon)


def _whole_page(app: str, changes: list[Any], events: EventMemory | None, horizon: str) -> Page | None:
    """The page of a bulk sync, every change a plain insert of a distinct new record, built
    column by column (no Python code per change); None when any change needs a closer look.

    The result equals what `_change_by_change` makes of the same page (a property test holds
    the two together); nothing is changed (the event memory included) before it is certain.
    """
    columns = plain_insert_columns(changes)
    if columns is None:
        return None
    keys = list(zip(columns.tables, columns.ids, strict=True))
    if len(set(keys)) != len(keys):
        return None  # a record changed twice: the general path merges them
    present = map(is_not, columns.event_ids, repeat(None))
    event_ids: list[str] = list(compress(columns.event_ids, present))  # type: ignore[arg-type]
    known = events.ids if events is not None else None
    if known is not None and (len(set(event_ids)) != len(event_ids) or not known.isdisjoint(event_ids)):
        return None  # duplicates: counted and skipped one by one
    datas = columns.datas
    times = insert_times(datas)
    metas = _insert_metas(times, columns.actors)
    deleted = _column(datas, "deletedAt")
    if set(map(type, deleted)) != {type(None)}:
        deleted = [d if type(d) is str and d else None for d in deleted]
    rows = list(zip(repeat(app, len(keys)), columns.tables, columns.ids, dumps_many(datas), metas, deleted, strict=True))
    page = Page()
    page.fast = dict(zip(keys, zip(rows, changes, strict=True), strict=True))
    page.rows = rows
    if known is not None:
        known.update(event_ids)
        page.event_ids = event_ids
    if max(times) > horizon:
        page.future = {key: at for key, at in zip(keys, times, strict=True) if at > horizon}
    return page


def _column(rows: list[dict[str, Any]], name: str) -> list[Any]:
    return list(map(dict.get, rows, repeat(name)))


def _insert_metas(times: list[str], actors: list[Any]) -> list[str]:
    """The `{"u": stamp}` meta of each inserted record (the loop's actor encoding, at once)."""
    first = actors[0]
    if _all_same_json(first, actors):
        tail = '","server-replay",' + dumps(first) + "]}"
        return ['{"u":["' + at + tail for at in times]
    metas = []
    last_actor: Any = None
    last_json = "null"
    for at, actor in zip(times, actors, strict=True):
        if not same_json(actor, last_actor):
            last_actor, last_json = actor, dumps(actor)
        metas.append('{"u":["' + at + '","server-replay",' + last_json + "]}")
    return metas


def _all_same_json(first: Any, actors: list[Any]) -> bool:
    """`same_json(first, a)` for every actor, in C passes (see `domain.lww.same_json`)."""
    if first is None:
        return actors.count(None) == len(actors)
    if type(first) is not dict or set(map(type, actors)) != {dict}:
        return False
    if not set(map(type, first.values())) <= {str}:
        return False  # JSON of anything but strings is compared by identity only
    items = list(first.items())
    return all(map(eq, map(list, map(dict.items, actors)), repeat(items)))


def _change_by_change(
    app: str, changes: Iterable[Any], events: EventMemory | None, horizon: str
) -> Page:
    """Validate, de-duplicate and sort one page into fast rows and general changes, one by one.

    The loop is written flat on purpose: it runs for every change of every page, and the
    bulk-apply budget (3x a raw executemany) leaves room for little more than the JSON work.
    """
    page = Page()
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
                if not same_json(actor, last_actor):
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
