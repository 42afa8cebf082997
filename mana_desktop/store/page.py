"""Splitting a page of server changes: validation, de-duplication, and the bulk fast path.

Plain inserts of records not seen earlier in the page become stored rows right here (one
stamp for the whole record); everything else becomes an `Incoming` for the general LWW path.
A page made only of such inserts (an initial sync) is built column by column, without Python
code per change (`_whole_page`), from change dicts or from a typed page (`domain.bulk`); any
other page goes change by change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from itertools import chain, compress, repeat
from operator import eq, is_, is_not
from typing import Any, Final

from mana_desktop.domain.bulk import BulkInserts, insert_columns
from mana_desktop.domain.fastjson import dumps as fast_dumps
from mana_desktop.domain.fastjson import dumps_many
from mana_desktop.domain.incoming import (
    Incoming,
    InsertColumns,
    insert_time,
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
        self._fast: dict[Key, tuple[Row, dict[str, Any]]] | None = {}  # key -> (row, raw change)
        self.slow: list[Incoming] = []
        self.slow_keys: set[Key] = set()
        self.drops: list[tuple[Any, str]] = []
        self.event_ids: list[str] = []
        self.duplicates = 0
        self.future: dict[Key, str] = {}  # records stamped far in the future -> that stamp
        # A whole page built at once keeps its columns; `fast` is made from them when asked.
        self._rows: list[Row] | None = None
        self._columns: tuple[Sequence[str], Sequence[str], Sequence[Any]] = ((), (), [])

    @property
    def fast(self) -> dict[Key, tuple[Row, dict[str, Any]]]:
        if self._fast is None:
            tables, ids, raws = self._columns
            keys = zip(tables, ids, strict=True)
            self._fast = dict(zip(keys, zip(self.fast_rows(), raws, strict=True), strict=True))
        return self._fast

    def set_rows(self, tables: Sequence[str], ids: Sequence[str], rows: list[Row], raws: Sequence[Any]) -> None:
        self._fast, self._rows, self._columns = None, rows, (tables, ids, raws)

    def fast_rows(self) -> list[Row]:
        if self._rows is None:
            self._rows = [row for row, _ in self.fast.values()]
        return self._rows

    def fast_count(self) -> int:
        return len(self._rows) if self._fast is None and self._rows is not None else len(self.fast)

    def take_slow(self, change: Incoming) -> None:
        key = (change.table, change.id)
        earlier = self.fast.pop(key, None)
        self._rows = None
        if earlier is not None:  # a second change to the same record: both go the general way
            parsed = parse_change(earlier[1])
            assert not isinstance(parsed, str)
            self.slow.append(parsed)
        self.slow.append(change)
        self.slow_keys.add(key)


def split_page(app: str, changes: list[Any] | BulkInserts, events: EventMemory | None) -> Page:
    """Validate, de-duplicate and sort one page into fast rows and general changes."""
    horizon = format_micro(utc_now() + FUTURE_HORIZON)
    if isinstance(changes, BulkInserts):
        page = _whole_page(app, _parts(changes.items, insert_columns), changes, events, horizon)
        changes = changes.dicts() if page is None else changes
    else:
        page = _whole_page(app, _parts(changes, plain_insert_columns), changes, events, horizon)
    return page if page is not None else _change_by_change(app, changes, events, horizon)


def _parts(changes: Sequence[Any], columns_of: Callable[[Any], InsertColumns | None]) -> list[_Part] | None:
    """The columns of a page, chunk by chunk (`plain_insert_columns` for change dicts,
    `bulk.insert_columns` for a typed page); None unless every change is a plain insert."""
    parts: list[_Part] = []
    for start in range(0, len(changes), CHUNK):
        columns = columns_of(changes[start : start + CHUNK])
        if columns is None:
            return None
        parts.append(_Part(columns))
    return parts


def _whole_page(
    app: str, parts: list[_Part] | None, changes: Sequence[Any], events: EventMemory | None,
    horizon: str,
) -> Page | None:
    """The page of a bulk sync, every change a plain insert of a distinct new record, built
    column by column (no Python code per change); None when any change needs a closer look.

    The result equals what `_change_by_change` makes of the same page (a property test holds
    the two together); nothing is changed (the event memory included) before it is certain.
    """
    if not parts:
        return None
    tables, ids = _joined(p.tables for p in parts), _joined(p.ids for p in parts)
    count = len(changes)
    if len(set(ids) if len(set(tables)) == 1 else set(zip(tables, ids, strict=True))) != count:
        return None  # a record changed twice: the general path merges them
    event_ids: list[str] = _joined(p.event_ids for p in parts)
    known = events.ids if events is not None else None
    if known is not None and (len(set(event_ids)) != len(event_ids) or not known.isdisjoint(event_ids)):
        return None  # duplicates: counted and skipped one by one
    texts, metas = _joined(p.texts for p in parts), _joined(p.metas for p in parts)
    if all(p.deleted is None for p in parts):  # no tombstones: rows without deleted_at
        rows: list[Row] = list(zip(repeat(app, count), tables, ids, texts, metas, strict=True))
    else:
        deleted = _joined(p.deleted or repeat(None, len(p.ids)) for p in parts)
        rows = list(zip(repeat(app, count), tables, ids, texts, metas, deleted, strict=True))
    page = Page()
    page.set_rows(tables, ids, rows, changes)
    if known is not None:
        known.update(event_ids)
        page.event_ids = event_ids
    times = _joined(p.times for p in parts)
    if max(times) > horizon:
        page.future = {(t, i): at for t, i, at in zip(tables, ids, times, strict=True) if at > horizon}
    return page


# Changes per column pass: the passes over a chunk find its dicts still in the CPU cache.
# Over a whole page of dicts scattered in a fragmented heap they missed it on every pass.
CHUNK: Final = 100


class _Part:
    """The columns of one chunk of a whole page (`deleted` None: no tombstone in it)."""

    __slots__ = ("deleted", "event_ids", "ids", "metas", "tables", "texts", "times")

    def __init__(self, columns: InsertColumns) -> None:
        self.tables, self.ids = columns.tables, columns.ids
        present = map(is_not, columns.event_ids, repeat(None))
        self.event_ids: list[str] = list(compress(columns.event_ids, present))  # type: ignore[arg-type]
        self.times = columns.insert_times()
        # An actor's JSON is a function of the actor alone, so chunks can encode their own.
        self.metas = _insert_metas(self.times, columns.actors)
        self.texts = columns.texts if columns.texts is not None else dumps_many(columns.datas)
        deleted = columns.data_columns["deletedAt"]
        self.deleted: list[str | None] | None = None
        if set(map(type, deleted)) != {type(None)}:
            self.deleted = [d if type(d) is str and d else None for d in deleted]


def _joined(columns: Iterable[Iterable[Any]]) -> list[Any]:
    return list(chain.from_iterable(columns))


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


def _all_same_json(first: Any, actors: Sequence[Any]) -> bool:
    """`same_json(first, a)` for every actor, in C passes (see `domain.lww.same_json`)."""
    if all(map(is_, actors, repeat(first))):  # one object (a typed bulk page shares it)
        return True
    if first is None:
        return set(map(type, actors)) == {type(None)}
    if type(first) is not dict or set(map(type, actors)) != {dict}:
        return False
    if not set(map(type, first.values())) <= {str}:
        return False  # JSON of anything but strings is compared by identity only
    # Equal dicts with the same key order: the same JSON (all values are strings).
    return all(map(eq, actors, repeat(first))) and len(set(map(tuple, actors))) == 1


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
