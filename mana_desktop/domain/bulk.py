"""Typed decoding of a pull response made only of plain inserts (the pages of an initial sync).

A bulk page is parsed by msgspec against the shape of a plain insert (`incoming.plain_insert`):
the envelope is checked while it is parsed, in C, and neither the envelope nor the record
becomes a dict. Each record's JSON is kept as the server wrote it (`msgspec.Raw`); only the
fields the replica needs (id, the stamps, the internal keys) are read out of it. What msgspec
accepts it decodes to exactly the values the stdlib would (integers of any size, floats,
duplicate keys: the last wins); everything it refuses (another op, an unknown key, NaN, a lone
surrogate, a byte order mark) returns None, and the caller parses the body the general way.

The stored text is the general path's text byte for byte for the reference server's bodies
(compact JSON; UTF-8 and Go's `<>&` escapes are put in the stdlib's spelling, `_texts`). Other
spellings (whitespace, Go's `1e-07` or old Go's `\\u0008`, `1.50`, `\\u00E9`, a repeated key)
are stored as written: they read back as the same value, in the same key order. Numbers that
would not read back as stored (beyond a double, or longer than `int()` converts) send the body
the general way (`_unsafe_numbers`). The checks the schema cannot express run column by
column (`insert_columns`); a page failing them goes change by change, with the dicts of the
general parse (`BulkInserts.dicts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from operator import attrgetter, eq
from typing import Annotated, Any, Final, Literal, overload

import msgspec
from msgspec import UNSET, UnsetType

from mana_desktop.domain import fastjson
from mana_desktop.domain.fastjson import ascii_escaped_many
from mana_desktop.domain.incoming import MAX_ID_LENGTH, SUPPORTED_SCHEMA, InsertColumns

_ABSENT: Final = msgspec.Raw(b"")  # no actor key (a decoded Raw is never empty)
# `incoming._bad_key` and the schema version, checked while parsing (`isprintable` is not).
_Key = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)]
_Version = Annotated[int, msgspec.Meta(le=SUPPORTED_SCHEMA)]


class PlainInsert(msgspec.Struct, forbid_unknown_fields=True):
    """One change of the shape `plain_insert` accepts (field names as on the wire; a missing
    key reads as None, as `dict.get` gives it)."""

    op: Literal["insert"]
    table: _Key
    id: _Key
    data: msgspec.Raw
    eventId: str | None = None
    schemaVersion: _Version | None = None
    spaceId: str | None = None
    actor: msgspec.Raw = _ABSENT
    origin: str | None = None


class _Response(msgspec.Struct):
    syncedUntil: str
    serverChanges: list[PlainInsert] | None = None
    hasMore: Any = None


class _Record(msgspec.Struct):
    """What the replica reads out of a record; other keys are skipped unparsed. An internal
    key, whatever its value, fails the decoding (no JSON value is an UnsetType)."""

    id: Any = None
    updatedAt: Any = None
    createdAt: Any = None
    deletedAt: Any = None
    fieldMeta: UnsetType = msgspec.field(default=UNSET, name="__fieldMeta")
    updatedAtIndex: UnsetType = msgspec.field(default=UNSET, name="_updatedAtIndex")


_DECODER: Final = msgspec.json.Decoder(_Response)
_RECORDS: Final = msgspec.json.Decoder(list[_Record])
_VALUE: Final = msgspec.json.Decoder()


class BulkInserts(Sequence[dict[str, Any]]):
    """A page of plain inserts, typed. It reads as the list of change dicts the general parse
    gives (the body is parsed the general way on first use), so code that does not know the
    type, and the change-by-change path of a page that fails a check, work with it as is."""

    def __init__(self, items: list[PlainInsert], body: bytes) -> None:
        self.items = items
        self._body = body
        self._dicts: list[dict[str, Any]] | None = None

    def dicts(self) -> list[dict[str, Any]]:
        if self._dicts is None:
            changes = fastjson.loads(self._body).get("serverChanges")
            self._dicts = changes if changes is not None else []
        return self._dicts

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.dicts()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.dicts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BulkInserts):
            other = other.dicts()
        return self.dicts() == other

    __hash__ = None  # type: ignore[assignment]  # compares like a list


def decode_page(body: bytes) -> tuple[BulkInserts, str, Any] | None:
    """(changes, syncedUntil, hasMore) of a response made only of plain inserts, else None."""
    if not body.isascii():
        try:  # the record texts are kept undecoded: their UTF-8 is checked here, at once
            body.decode()
        except UnicodeDecodeError:
            return None
    if _unsafe_numbers(body):
        return None
    try:
        response = _DECODER.decode(body)
    except (msgspec.MsgspecError, RecursionError):
        return None
    return BulkInserts(response.serverChanges or [], body), response.syncedUntil, response.hasMore


# Numbers msgspec leaves unparsed in a Raw that the stdlib would not give back as stored: a
# float beyond the double range (the stdlib reads infinity, which cannot be stored: the
# general path drops the change) and an integer longer than `int()` converts (the stdlib
# refuses the body). They are looked for in a copy of the body with every digit a 0, `+`
# dropped, `E` as `e`, and each character that can end a number as `;`. A body with a number
# whose exponent has three digits or more (`1e+300` too: cheaper than telling them apart) or
# with 200 digits in a row anywhere, strings included, is parsed the general way (an integer
# part of 211 digits overflows with a two-digit exponent: `1` and 210 zeros, then `e99`).
_NUMBER_MAP: Final = bytes.maketrans(b"123456789E,}] \t\n\r", b"000000000e;;;;;;;")
_HUGE_EXPONENT: Final = re.compile(rb"e000(?<=[0.]e000)0*;")  # found by its literal first
_LONG_DIGITS: Final = b"0" * 200


def _unsafe_numbers(body: bytes) -> bool:
    mapped = body.translate(_NUMBER_MAP, b"+")
    return _LONG_DIGITS in mapped or _HUGE_EXPONENT.search(mapped) is not None


_TABLE: Final = attrgetter("table")
_ID: Final = attrgetter("id")
_DATA: Final = attrgetter("data")
_EVENT: Final = attrgetter("eventId")
_ACTOR: Final = attrgetter("actor")
_STAMPS: Final = attrgetter("id", "updatedAt", "createdAt", "deletedAt")


def insert_columns(items: Sequence[PlainInsert]) -> InsertColumns | None:
    """The columns of typed plain inserts, after the checks of `plain_insert` that the schema
    does not make (printable keys, a record that is an object with the change's id and no
    internal keys, an actor that is an object or null); None when one change fails them."""
    tables, ids = list(map(_TABLE, items)), list(map(_ID, items))
    if not items or not all(map(str.isprintable, set(tables))) or not all(map(str.isprintable, ids)):
        return None
    raws = list(map(_DATA, items))
    try:  # one decode for the chunk; it fails unless every record is an object
        records = _RECORDS.decode(b"[" + b",".join(raws) + b"]")
    except (msgspec.MsgspecError, RecursionError):
        return None
    record_ids, updated, created, deleted = map(list, zip(*map(_STAMPS, records), strict=True))
    actors = _actors(list(map(_ACTOR, items)))
    if actors is None or not all(map(eq, record_ids, ids)):
        return None
    stamps = {"id": record_ids, "updatedAt": updated, "createdAt": created, "deletedAt": deleted}
    columns = {"table": tables, "id": ids, "eventId": list(map(_EVENT, items)), "actor": actors}
    return InsertColumns(columns, stamps, texts=_texts(raws))


def _texts(raws: list[msgspec.Raw]) -> list[str]:
    """The records' JSON as the general path writes it, where the two servers' spellings
    differ from it: UTF-8 and DEL become `\\uXXXX` escapes, Go's escapes of `<>&` the
    characters (each a check of the whole chunk first, in C). NUL cannot occur in JSON text
    outside an escape, so it separates the records for one decoding of them all."""
    joined = b"\x00".join(raws)
    texts = joined.decode().split("\x00")
    if not joined.isascii() or b"\x7f" in joined:
        texts = ascii_escaped_many(texts)
    if b"\\u00" in joined:
        texts = list(map(_go_unescaped, texts))
    return texts


# An escaped backslash is matched whole, so `\\u003c` (a backslash, then `u003c`) stays.
_GO_ESCAPE: Final = re.compile(r"\\\\|\\u00(?:3c|3e|26)")
_GO_CHARS: Final = {"\\u003c": "<", "\\u003e": ">", "\\u0026": "&"}


def _go_unescaped(text: str) -> str:
    if "\\u00" not in text:
        return text
    return _GO_ESCAPE.sub(_go_char, text)


def _go_char(match: re.Match[str]) -> str:
    return _GO_CHARS.get(match.group(), match.group())


def _actors(raws: list[msgspec.Raw]) -> list[Any] | None:
    """Each change's actor (None if it has none), or None when one is not an object or null.
    A page usually has one actor throughout: it is decoded once and shared."""
    first = raws[0]
    if raws.count(first) == len(raws):
        value = _actor(first)
        return None if value is UNSET else [value] * len(raws)
    known: dict[bytes, Any] = {}
    for raw in map(bytes, raws):
        if raw not in known:
            known[raw] = _actor(msgspec.Raw(raw))
    actors = [known[raw] for raw in map(bytes, raws)]
    return None if UNSET in known.values() else actors


def _actor(raw: msgspec.Raw) -> Any:
    """The actor of one change, None without one, UNSET when it is neither object nor null."""
    if raw == _ABSENT:
        return None
    try:
        value = _VALUE.decode(raw)
    except (msgspec.MsgspecError, RecursionError):  # a number beyond a double, deep nesting
        return UNSET
    return value if value is None or type(value) is dict else UNSET
