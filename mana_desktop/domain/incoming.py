"""Validation of changes that come from a server (spec §7.6 step 1, plus real checks).

`parse_change` turns one wire change into an `Incoming` (field writes with canonical stamps)
or a one-line reason why it is dropped. Both wire dialects are read: a field change may carry
`at` (HEAD) or `updatedAt` (OLD); `at` wins when both are present. Beyond upstream's shape
checks we also reject what would corrupt the replica: timestamps that are not instants, an
insert without `data`, ids that are too long or contain control characters, and changes from
a newer schema version than we understand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import eq
from typing import Any, Final

from mana_desktop.domain.lww import CANON_EPOCH, INTERNAL_KEYS, canon_at, canon_many

SUPPORTED_SCHEMA: Final = 1
MAX_ID_LENGTH: Final = 512
OPS: Final[frozenset[str]] = frozenset({"insert", "update", "delete"})

FieldWrite = tuple[str, Any, str]  # (field, value, canonical at)


class Incoming:
    """A validated remote change, reduced to field writes."""

    __slots__ = ("_writes", "actor", "data", "event_id", "hard_delete", "id", "insert_at", "op", "table")

    def __init__(
        self,
        table: str,
        record_id: str,
        op: str,
        event_id: str | None,
        actor: Any,
        writes: list[FieldWrite] | None,
        hard_delete: bool = False,
        data: dict[str, Any] | None = None,
        insert_at: str = CANON_EPOCH,
    ) -> None:
        self.table = table
        self.id = record_id
        self.op = op
        self.event_id = event_id
        self.actor = actor
        self._writes = writes
        self.hard_delete = hard_delete
        # A plain insert keeps its data and one stamp time; its writes are made only when
        # the record already exists (the fast path creates new records from `data` directly).
        self.data = data
        self.insert_at = insert_at

    @property
    def writes(self) -> list[FieldWrite]:
        if self._writes is None:
            data = self.data or {}
            at = self.insert_at
            self._writes = [(k, v, at) for k, v in data.items() if k not in INTERNAL_KEYS]
        return self._writes


def _bad_key(value: object, name: str) -> str | None:
    if type(value) is not str or not value:
        return f"{name} must be a non-empty string"
    if len(value) > MAX_ID_LENGTH:
        return f"{name} is longer than {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        return f"{name} contains control characters"
    return None


def _envelope_reason(raw: dict[str, Any]) -> str | None:
    """Upstream's shape checks on the envelope (everything except fields and data).

    Straight-line code on purpose: it runs once per change of every page.
    """
    table, record_id = raw.get("table"), raw.get("id")
    if not (
        type(table) is str and type(record_id) is str
        and 0 < len(table) <= MAX_ID_LENGTH and 0 < len(record_id) <= MAX_ID_LENGTH
        and table.isprintable() and record_id.isprintable()
    ):
        return _bad_key(table, "table") or _bad_key(record_id, "id")
    op = raw.get("op")
    if op not in OPS:
        return f"op must be insert, update or delete, not {str(op)[:20]!r}"
    version = raw.get("schemaVersion")
    if version is not None and type(version) is not int and type(version) is not float:
        return "schemaVersion must be a number"
    if version is not None and version > SUPPORTED_SCHEMA:
        return f"schemaVersion {version} is newer than this client understands"
    event_id, origin, space = raw.get("eventId"), raw.get("origin"), raw.get("spaceId")
    if event_id is not None and type(event_id) is not str:
        return "eventId must be a string"
    if origin is not None and type(origin) is not str:
        return "origin must be a string"
    if space is not None and type(space) is not str:
        return "spaceId must be a string"
    actor = raw.get("actor")
    if actor is not None and type(actor) is not dict:
        return "actor must be an object"
    return None


def _field_writes(fields: object) -> list[FieldWrite] | str:
    if not isinstance(fields, dict):
        return "fields must be an object"
    writes: list[FieldWrite] = []
    for name, entry in fields.items():
        if not isinstance(entry, dict) or "value" not in entry:
            return f"fields.{name[:40]} must be an object with a value"
        at_text = entry.get("at")
        if at_text is None:
            at_text = entry.get("updatedAt")
        if at_text is None:
            at = CANON_EPOCH  # upstream compares '' here: loses to any stamp
        elif not isinstance(at_text, str):
            return f"fields.{name[:40]}.at must be a string"
        else:
            canonical = canon_at(at_text)
            if canonical is None:
                return f"fields.{name[:40]}.at is not an instant: {at_text[:40]!r}"
            at = canonical
        if name and name not in INTERNAL_KEYS:
            writes.append((name, entry["value"], at))
    return writes


def insert_time(data: dict[str, Any]) -> str:
    """The stamp of every field of an inserted record.

    upstream: `data.updatedAt ?? data.createdAt ?? receiver now()`; we use the epoch instead of
    now (F16), and skip values that are not instants.
    """
    return stamp_of(data.get("updatedAt"), data.get("createdAt"))


def stamp_of(updated_at: Any, created_at: Any) -> str:
    """`insert_time` from a record's two stamps (None where the record lacks one)."""
    if type(updated_at) is str and (canonical := canon_at(updated_at)) is not None:
        return canonical
    if type(created_at) is str and (canonical := canon_at(created_at)) is not None:
        return canonical
    return CANON_EPOCH


def parse_change(raw: object) -> Incoming | str:
    """A validated change, or the reason it must be dropped."""
    if type(raw) is not dict:
        return f"a change must be an object, not {type(raw).__name__}"
    reason = _envelope_reason(raw)
    if reason:
        return reason
    op: str = raw["op"]
    writes: list[FieldWrite] = []
    data = raw.get("data")
    if data is not None and not isinstance(data, dict):
        return "data must be an object"
    if op == "insert":
        if data is None:
            return "an insert must carry data"
        if raw.get("deletedAt") is None:
            return Incoming(raw["table"], raw["id"], op, raw.get("eventId"), raw.get("actor"),
                            None, data=data, insert_at=insert_time(data))
        at = insert_time(data)
        writes = [(k, v, at) for k, v in data.items() if k not in INTERNAL_KEYS]
    if raw.get("fields") is not None and op != "insert":
        parsed = _field_writes(raw["fields"])
        if isinstance(parsed, str):
            return parsed
        writes = parsed
    deleted_at = raw.get("deletedAt")
    hard_delete = False
    if deleted_at is not None:
        if not isinstance(deleted_at, str):
            return "deletedAt must be a string"
        canonical = canon_at(deleted_at)
        if canonical is None:
            return f"deletedAt is not an instant: {deleted_at[:40]!r}"
        writes = [w for w in writes if w[0] != "deletedAt"]
        writes.append(("deletedAt", deleted_at, canonical))
    elif op == "delete":
        hard_delete = True
    return Incoming(raw["table"], raw["id"], op, raw.get("eventId"), raw.get("actor"), writes, hard_delete)


PLAIN_INSERT_KEYS: Final[frozenset[str]] = frozenset(
    {"eventId", "schemaVersion", "table", "id", "op", "data", "spaceId", "actor", "origin"}
)


_STR_OR_NONE: Final[frozenset[type]] = frozenset({str, type(None)})
_DICT_OR_NONE: Final[frozenset[type]] = frozenset({dict, type(None)})


def plain_insert(raw: dict[str, Any]) -> bool:
    """True for the common, simplest valid change: an insert whose data carries its own id.

    The bulk path builds the stored row of such a change directly. It must accept only what
    `parse_change` accepts as an insert without field writes (tests hold the two together);
    anything unusual returns False and takes the general path.
    """
    get = raw.get
    if get("op") != "insert" or not raw.keys() <= PLAIN_INSERT_KEYS:
        return False
    table, record_id, data = get("table"), get("id"), get("data")
    if not (
        type(table) is str and type(record_id) is str and type(data) is dict
        and 0 < len(table) <= MAX_ID_LENGTH and 0 < len(record_id) <= MAX_ID_LENGTH
        and data.get("id") == record_id and table.isprintable() and record_id.isprintable()
        and "__fieldMeta" not in data and "_updatedAtIndex" not in data
    ):
        return False
    # One set lookup per optional field: this runs for every change of a bulk sync.
    version = get("schemaVersion")
    return (
        type(get("eventId")) in _STR_OR_NONE
        and type(get("spaceId")) in _STR_OR_NONE
        and type(get("origin")) in _STR_OR_NONE
        and type(get("actor")) in _DICT_OR_NONE
        and (version is None or (type(version) is int and version <= SUPPORTED_SCHEMA))
    )


def is_valid_change(raw: object) -> bool:
    """upstream's `isValidSyncChange`, with our stricter checks."""
    return not isinstance(parse_change(raw), str)


class InsertColumns:
    """A page of plain inserts, read column by column (see `plain_insert_columns`).

    Columns hold None where a change (or record) lacks the field. `texts` holds the stored JSON
    of each record when the decoder already has it (`domain.bulk`); `datas` is then unused.
    """

    __slots__ = ("actors", "data_columns", "datas", "event_ids", "ids", "tables", "texts")

    def __init__(self, columns: dict[str, list[Any]], data_columns: dict[str, list[Any]],
                 texts: list[str] | None = None) -> None:
        self.tables: list[str] = columns["table"]
        self.ids: list[str] = columns["id"]
        self.datas: list[dict[str, Any]] = columns.get("data", [])
        self.event_ids: list[str | None] = columns["eventId"]
        self.actors: list[Any] = columns["actor"]
        self.data_columns = data_columns
        self.texts = texts

    def insert_times(self) -> list[str]:
        """`insert_time` of every record, column-wise when every record's stamp is one field."""
        for name in ("updatedAt", "createdAt"):
            texts = self.data_columns[name]
            kinds = set(map(type, texts))
            if kinds == {_NONE}:
                continue  # no record has it
            if kinds == {str}:
                times = canon_many(texts)
                if None not in times:
                    return times  # type: ignore[return-value]
            break  # a mix, or not instants: record by record
        return list(map(stamp_of, self.data_columns["updatedAt"], self.data_columns["createdAt"]))


_NONE: Final = type(None)
_INT_OR_NONE: Final[frozenset[type]] = frozenset({int, _NONE})
_ENVELOPE: Final = ("op", "table", "id", "data", "eventId", "spaceId", "origin", "actor", "schemaVersion")
_RECORD: Final = ("id", "updatedAt", "createdAt", "deletedAt")


def _columns(rows: Sequence[dict[str, Any]], names: Iterable[str]) -> dict[str, list[Any]]:
    """One list per name (None where a row lacks it): one C pass per column."""
    return {name: list(map(dict.get, rows, repeat(name))) for name in names}


def keys_ok(values: Sequence[str]) -> bool:
    """`_bad_key` for a whole column: non-empty printable strings of bounded length."""
    return (
        set(map(type, values)) == {str}
        and min(map(len, values)) > 0 and max(map(len, values)) <= MAX_ID_LENGTH
        and all(map(str.isprintable, values))
    )


def data_columns(datas: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The record fields the bulk path reads (id and the three stamps), one list each."""
    return _columns(datas, _RECORD)


def plain_insert_columns(changes: list[Any]) -> InsertColumns | None:
    """The columns of a page in which every change passes `plain_insert`, else None.

    The same checks as `plain_insert`, run column by column over the whole page: each is one
    pass of C code (`map`, `set`, `all`), where `plain_insert` costs a dozen Python-level
    operations per change. A bulk (initial) sync is made of such pages. A page with one
    change that fails a check returns None and goes change by change (a property test holds
    this to `plain_insert`).
    """
    try:
        if not changes or set(map(type, changes)) != {dict}:
            return None
        if not all(map(PLAIN_INSERT_KEYS.issuperset, changes)):
            return None
        columns = _columns(changes, _ENVELOPE)
        if set(columns["op"]) != {"insert"} or not keys_ok(list(set(columns["table"]))):
            return None
        if not keys_ok(columns["id"]) or set(map(type, columns["data"])) != {dict}:
            return None
        if not all(set(map(type, columns[name])) <= _STR_OR_NONE for name in ("eventId", "spaceId", "origin")):
            return None
        versions = columns["schemaVersion"]
        if not set(map(type, columns["actor"])) <= _DICT_OR_NONE or not set(map(type, versions)) <= _INT_OR_NONE:
            return None
        if max(set(versions) - {None}, default=0) > SUPPORTED_SCHEMA:
            return None
        datas = columns["data"]
        if any(any(map(dict.__contains__, datas, repeat(name))) for name in INTERNAL_KEYS):
            return None
        record = data_columns(datas)
        if not all(map(eq, record["id"], columns["id"])):
            return None
    except TypeError:  # an unhashable value where a string belongs: not a plain insert
        return None
    return InsertColumns(columns, record)
