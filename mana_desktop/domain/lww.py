"""Field-level last-write-wins, the way upstream's webapp applies changes (spec §7.6), fixed.

Every field of a record carries a stamp `(at, origin, actor)`. A remote value replaces the local
one when its `at` is later, or equal (the server wins ties). Our fixes over upstream:

- `at` values are parsed as instants and stored in one canonical, fixed-width, sortable text
  form (`YYYY-MM-DDTHH:MM:SS.ffffffZ`), so comparing the stored texts compares instants (F13).
- A tie between two *remote* stamps (both `server-replay`) is broken by the values themselves,
  so any order of the same changes converges to the same replica.
- An insert without `updatedAt`/`createdAt` is stamped with the epoch, not the receiver's
  now (F16): it fills fields the replica lacks but never beats an earlier local edit.
- A delete without `deletedAt` (upstream: a hard delete) becomes a permanent tombstone whose
  stamp is the end of time, so a reordered older change cannot resurrect the record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any, Final, TypedDict

from mana_desktop.domain.timeutil import BadInstant, format_micro, format_ms, parse_instant


class FieldMeta(TypedDict):
    """Who last wrote a field, when, and by which path."""

    at: str
    actor: Any
    origin: str


ORIGINS: Final[frozenset[str]] = frozenset({"user", "agent", "system", "migration", "server-replay"})
REPLAY: Final = "server-replay"
CANON_EPOCH: Final = "1970-01-01T00:00:00.000000Z"
HARD_DELETE_AT: Final = "9999-12-31T23:59:59.999999Z"  # stamp of an op:delete without a time
INTERNAL_KEYS: Final[frozenset[str]] = frozenset({"__fieldMeta", "_updatedAtIndex"})

Stamp = tuple[str, str, Any]  # (canonical at, origin, actor)


@lru_cache(maxsize=65536)
def canon_at(text: str) -> str | None:
    """The canonical stored form of a wire instant, or None when it is not one."""
    try:
        return format_micro(parse_instant(text))
    except BadInstant:
        return None


# JavaScript's `toISOString` (24 characters) and our canonical form (27), every digit a 0.
_SHAPES: Final = {24: b"0000-00-00T00:00:00.000Z\n", 27: b"0000-00-00T00:00:00.000000Z\n"}
_DIGITS_TO_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")


def canon_many(texts: list[str]) -> list[str | None]:
    """`[canon_at(t) for t in texts]` for a column of strings (an initial sync's stamps).

    When every text has one of the two shapes above, the column is checked at once in C (the
    shape on the joined text, then the calendar by `datetime.fromisoformat`) and rewritten
    without parsing: parsing costs microseconds a stamp, and a bulk sync's stamps all differ.
    """
    lengths = set(map(len, texts))
    if len(lengths) != 1 or (length := lengths.pop()) not in _SHAPES:
        return list(map(canon_at, texts))
    joined = "\n".join(texts) + "\n"
    if not _well_formed(joined, len(texts), _SHAPES[length]) or min(texts)[0] == "0":
        return list(map(canon_at, texts))  # (a year before 1000: canon_at does not pad it)
    try:
        list(map(datetime.fromisoformat, texts))  # real dates and times
    except ValueError:
        return list(map(canon_at, texts))
    canonical: list[str | None] = list(texts)
    if length == 24:
        canonical[:] = joined[:-1].replace("Z", "000Z").split("\n")  # each one's only Z is last
    return canonical


def _well_formed(joined: str, count: int, shape: bytes) -> bool:
    """Every line of `joined` has `shape`, with ASCII digits (canon_at's `\\d` takes any
    script's digits; `fromisoformat` only ASCII ones)."""
    return joined.isascii() and joined.encode().translate(_DIGITS_TO_ZERO) == shape * count


def wire_at(canonical: str) -> str:
    """The fixed-width millisecond wire shape of a canonical stamp (sub-ms digits dropped)."""
    return canonical[:23] + "Z"


def next_local_at(now_ms_text: str, local: Stamp | None) -> str:
    """The canonical `at` for a local edit: now, but always after the field's current stamp.

    Clocks skew and servers replay future stamps; an edit stamped before the value it replaces
    would lose on every other replica, so it is stamped one millisecond after it instead.
    """
    at = canon_at(now_ms_text) or CANON_EPOCH
    if local is None or at > local[0] or local[0] == HARD_DELETE_AT:
        return at
    bumped = parse_instant(local[0]) + timedelta(milliseconds=1)
    return format_micro(parse_instant(format_ms(bumped)))


def _tie_key(value: Any, actor: Any) -> str:
    return json.dumps([value, actor], sort_keys=True, separators=(",", ":"), default=str)


def remote_wins(value: Any, stamp: Stamp, local_value: Any, local: Stamp | None) -> bool:
    """Whether a remote field value replaces the local one (server wins ties with local edits)."""
    if local is None:
        return True
    if stamp[0] != local[0]:
        return stamp[0] > local[0]
    if local[1] != REPLAY:
        return True
    return _tie_key(value, stamp[2]) >= _tie_key(local_value, local[2])


def same_value(a: Any, b: Any) -> bool:
    """JSON equality (1 and True differ; upstream compares with === or equal JSON text)."""
    return type(a) is type(b) and a == b


def _not_json(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _make_compact_json() -> Callable[[Any], str]:
    """Compact, ASCII-escaped JSON that refuses NaN/Infinity.

    Stored JSON must stay valid for SQLite's JSON1 and encodable as UTF-8: ASCII escapes keep
    a lone surrogate ("\ud800", legal in JSON) storable, NaN/Infinity are not JSON. The C
    encoder is built once and called directly: `JSONEncoder.encode` rebuilds it on every
    call, which costs a third of the time for a small record (this runs once per row).
    """
    encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=False, check_circular=False)
    if c_make_encoder is None:  # pragma: no cover - CPython always has the C accelerator
        return encoder.encode
    make = c_make_encoder(None, _not_json, encode_basestring_ascii, None, ":", ",", False, False, False)
    join = "".join

    def compact(value: Any) -> str:
        return join(make(value, 0))

    return compact


compact_json = _make_compact_json()
_encode = compact_json
# The previous actor and its JSON: a page repeats the same actor thousands of times.
_last_actor: tuple[Any, str] = (None, "null")
_STRINGS: Final[frozenset[type]] = frozenset({str})


def same_json(a: Any, b: Any) -> bool:
    """Whether two actors certainly encode to the same JSON text, cheaply.

    Plain `==` is not enough: it ignores key order and takes 1 for True, which would let one
    actor's cached JSON stand for another's. Actors are flat objects of strings; anything
    else is only the same when it is the same object.
    """
    if a is b:
        return True
    if type(a) is not dict or type(b) is not dict or len(a) != len(b):
        return False
    return list(a.items()) == list(b.items()) and set(map(type, a.values())) <= _STRINGS


def stamp_json(stamp: Stamp) -> str:
    global _last_actor
    at, origin, actor = stamp
    last = _last_actor  # one read: another thread may replace it meanwhile
    if not same_json(actor, last[0]):
        last = _last_actor = (actor, _encode(actor))
    origin_json = '"server-replay"' if origin == REPLAY else _encode(origin)
    return '["' + at + '",' + origin_json + "," + last[1] + "]"


def encode_meta(meta: dict[str, Stamp], data: dict[str, Any] | None = None) -> str:
    """Compact JSON of a record's stamps.

    `{"u": stamp}` when one stamp covers exactly the fields of `data` (an inserted record: the
    common case, and the cheapest to write); otherwise `{"f": {field: i}, "s": [stamps]}`
    with each distinct stamp written once.
    """
    stamps: list[Stamp] = []
    index: dict[int, int] = {}
    fields: dict[str, int] = {}
    for name, stamp in meta.items():
        i = index.get(id(stamp))
        if i is None:
            i = index[id(stamp)] = len(stamps)
            stamps.append(stamp)
        fields[name] = i
    if len(stamps) == 1 and data is not None and len(data) == len(meta) and data.keys() == meta.keys():
        return '{"u":' + stamp_json(stamps[0]) + "}"
    return '{"f":' + _encode(fields) + ',"s":[' + ",".join(map(stamp_json, stamps)) + "]}"


def decode_meta(text: str | None, data: dict[str, Any]) -> dict[str, Stamp]:
    """The stamps of a stored record (an empty map for a missing or unreadable value)."""
    if not text:
        return {}
    try:
        raw = json.loads(text)
        if "u" in raw:
            u = raw["u"]
            return dict.fromkeys(data, (u[0], u[1], u[2]))
        stamps = [(s[0], s[1], s[2]) for s in raw["s"]]
        return {name: stamps[i] for name, i in raw["f"].items()}
    except (ValueError, KeyError, IndexError, TypeError):
        return {}


def to_field_meta(meta: dict[str, Stamp]) -> dict[str, FieldMeta]:
    """The public view of the stamps: `{field: {at, actor, origin}}`."""
    return {name: FieldMeta(at=s[0], actor=s[2], origin=s[1]) for name, s in meta.items()}


def from_field_meta(meta: dict[str, Any]) -> dict[str, Stamp]:
    """Stamps from the public view (backups); entries without a valid `at` are skipped."""
    out: dict[str, Stamp] = {}
    for name, entry in meta.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("at"), str):
            continue
        at = canon_at(entry["at"])
        origin = entry.get("origin")
        if at is not None:
            out[name] = (at, origin if isinstance(origin, str) else REPLAY, entry.get("actor"))
    return out


def read_field_meta(value: object) -> dict[str, Any]:
    """Upstream's `readFieldMeta`: the map, or `{}` for missing, null or non-object values."""
    return value if isinstance(value, dict) else {}


class RecordState:
    """One record while a page is applied: its data and stamps, and whether they changed."""

    __slots__ = ("data", "dirty", "meta", "text", "uniform")

    def __init__(self, data: dict[str, Any], meta: dict[str, Stamp]) -> None:
        self.data = data
        self.meta = meta
        self.dirty = False
        self.uniform: Stamp | None = None  # set while every field carries this one stamp
        self.text: tuple[str, str] | None = None  # the stored (data, meta) JSON, when kept

    def encoded_meta(self) -> str:
        if self.uniform is not None:
            return '{"u":' + stamp_json(self.uniform) + "}"
        return encode_meta(self.meta, self.data)

    @property
    def hard_deleted(self) -> bool:
        stamp = self.meta.get("deletedAt")
        return stamp is not None and stamp[0] == HARD_DELETE_AT

    def deleted_at(self) -> str | None:
        """The record's tombstone time as stored in data (None when live)."""
        value = self.data.get("deletedAt")
        if isinstance(value, str) and value:
            return value
        return "1970-01-01T00:00:00.000Z" if self.hard_deleted else None


Conflict = tuple[str, Any, Any, str, str]  # (field, local value, server value, local at, server at)


def apply_writes(
    state: RecordState,
    writes: list[tuple[str, Any, str]],
    actor: Any,
    conflicts: list[Conflict] | None = None,
) -> bool:
    """Apply remote field writes under LWW; True when anything changed.

    `conflicts`, when given, collects upstream's conflict cases (§7.6.8): the server value is
    strictly newer and replaces a different, non-null value the user wrote.
    """
    if state.hard_deleted:
        return False
    data, meta = state.data, state.meta
    stamps: dict[str, Stamp] = {}
    changed = False
    for name, value, at in writes:
        stamp = stamps.get(at)
        if stamp is None:
            stamp = stamps[at] = (at, REPLAY, actor)
        local = meta.get(name)
        local_value = data.get(name)
        if not remote_wins(value, stamp, local_value, local):
            continue
        if local is not None and local == stamp and same_value(local_value, value) and name in data:
            continue
        if (
            conflicts is not None
            and local is not None
            and local[1] == "user"
            and at > local[0]
            and local_value is not None
            and not same_value(local_value, value)
        ):
            conflicts.append((name, local_value, value, local[0], at))
        data[name] = value
        meta[name] = stamp
        changed = True
    if changed:
        state.dirty = True
        state.uniform = None
    return changed


def apply_hard_delete(state: RecordState) -> bool:
    """A delete without a time: wipe the record and keep a tombstone nothing outlives."""
    if state.hard_deleted:
        return False
    record_id = state.data.get("id")
    state.data = {"id": record_id} if record_id is not None else {}
    # No actor: two hard deletes by different actors must converge to the same tombstone.
    state.meta = {"deletedAt": (HARD_DELETE_AT, REPLAY, None)}
    state.dirty = True
    state.uniform = None
    return True


def origin_of(actor: Any) -> str:
    """The field origin upstream derives from an actor (`originFromActor`)."""
    kind = actor.get("kind") if isinstance(actor, dict) else None
    if kind == "ai":
        return "agent"
    if kind == "system":
        migration = actor.get("principalId") == "system:migration" or actor.get("source") == "migration"
        return "migration" if migration else "system"
    return "user"
