"""Decoding, validating and encoding changes, as upstream mana-sync does on the wire.

Decoding mimics Go's `encoding/json` into the upstream structs closely enough for clients:
unknown keys are ignored, `null` leaves a field at its zero value, a value of the wrong type is
a 400 `invalid JSON: json: cannot unmarshal …`. The whole changeset is validated before any
row is stored (upstream stores change by change and can leave a partial batch behind).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mana_desktop.domain.wire import DIALECT_AT, OPS, SCHEMA_VERSION, field_time_key
from mana_desktop.server.store import PendingRow

_JSON_SEP = (",", ":")


class BadRequest(ValueError):
    """A 400 whose text is the response body (without the trailing newline)."""


@dataclass(frozen=True, slots=True)
class PushRequest:
    client_id: str
    since: str
    schema_version: int
    rows: list[PendingRow]
    tables: list[str]  # distinct tables of the batch, in first-seen order


_STORE_ENCODER = json.JSONEncoder(separators=_JSON_SEP, sort_keys=True, ensure_ascii=False)
_WIRE_ENCODER = json.JSONEncoder(separators=_JSON_SEP, ensure_ascii=False)
_quote: Any = getattr(json.encoder, "c_encode_basestring", None) or json.encoder.encode_basestring


def _c_encoder(sort_keys: bool) -> Any:
    """The C encoder behind json.dumps, built once (JSONEncoder.encode builds one per call).
    NaN and Infinity are refused (ValueError): stored JSON must stay valid for SQLite."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        encoder = json.JSONEncoder(
            separators=_JSON_SEP, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False
        )
        return lambda value, _level: [encoder.encode(value)]
    return make(None, _no_default, _quote, None, ":", ",", sort_keys, False, False)


def _no_default(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_STORE_C_ENCODER = _c_encoder(True)


def dumps(value: Any) -> str:
    """Compact JSON text with sorted keys (JSONB does not keep key order either)."""
    if type(value) is str:  # the C encoder wants a container or a scalar; strings are quick
        return str(_quote(value))
    return "".join(_STORE_C_ENCODER(value, 0))


# -- decoding the body ------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode_body(raw: bytes) -> Any:
    """Decode the first JSON value of a body the way Go's json.Decoder does."""
    text = raw.decode("utf-8", errors="replace")  # Go replaces invalid UTF-8 silently
    stripped = text.lstrip(" \t\r\n")
    if not stripped:
        raise BadRequest("invalid JSON: EOF")
    try:
        value, _end = _DECODER.raw_decode(stripped)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(stripped):
            raise BadRequest("invalid JSON: unexpected EOF") from None
        char = stripped[exc.pos]
        raise BadRequest(f"invalid JSON: invalid character {char!r} ({exc.msg})") from None
    except ValueError as exc:
        raise BadRequest(f"invalid JSON: {exc}") from None
    except RecursionError:
        # Go allows 10000 levels; Python's decoder stops near 1000. Either way: a clear 400.
        raise BadRequest("invalid JSON: exceeded max depth") from None
    if _SURROGATE_ESCAPE.search(stripped):
        value = _replace_lone_surrogates(value)
    return value


# `\ud800`-style escapes: Python keeps a lone surrogate that SQLite cannot store; Go's decoder
# turns it into U+FFFD. Only bodies that contain such an escape pay for the walk.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _replace_lone_surrogates(key): _replace_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


_GO_KIND = {
    bool: "bool",
    int: "number",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def _type_error(value: Any, where: str, go_type: str) -> BadRequest:
    kind = _GO_KIND.get(type(value), "value")
    if kind == "number":
        kind = f"number {value}"
    return BadRequest(
        f"invalid JSON: json: cannot unmarshal {kind} into Go struct field {where} of type {go_type}"
    )


def _string(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _type_error(value, f"{where}.{key}", "string")
    return value


def _int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(value, f"{where}.{key}", "int")
    if isinstance(value, float) and not value.is_integer():
        raise _type_error(value, f"{where}.{key}", "int")
    return int(value)


def _object(obj: dict[str, Any], key: str, where: str, go_type: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _type_error(value, f"{where}.{key}", go_type)
    return value


def parse_push(raw: bytes, dialect: str) -> PushRequest:
    """Decode and validate a push body completely; raise BadRequest with upstream's text."""
    body = decode_body(raw)
    if not isinstance(body, dict):
        raise BadRequest(
            f"invalid JSON: json: cannot unmarshal {_GO_KIND.get(type(body), 'value')}"
            " into Go value of type sync.Changeset"
        )
    client_id = _string(body, "clientId", "Changeset")
    since = _string(body, "since", "Changeset")
    _string(body, "appId", "Changeset")  # ignored, but a wrong type still fails to decode
    schema = _int(body, "schemaVersion", "Changeset")
    changes = body.get("changes")
    if changes is not None and not isinstance(changes, list):
        raise _type_error(changes, "Changeset.changes", "[]sync.Change")
    if schema <= 0:
        schema = SCHEMA_VERSION
    if schema > SCHEMA_VERSION:
        raise BadRequest(f"unsupported schemaVersion {schema} (max {SCHEMA_VERSION})")
    try:
        rows = prepare_changes(changes or [], dialect, schema)
    except RecursionError:
        raise BadRequest("invalid JSON: exceeded max depth") from None
    tables = list(dict.fromkeys(row.table for row in rows))
    return PushRequest(client_id, since, schema, rows, tables)


def prepare_changes(
    changes: list[Any],
    dialect: str,
    default_schema: int = SCHEMA_VERSION,
    *,
    actor: Any = None,
    origin: str | None = None,
) -> list[PendingRow]:
    """Validate every change, then map each to its stored row (§2.3 table). `actor` and
    `origin` fill in changes that carry none (for server-side writers)."""
    time_key = field_time_key(dialect)
    rows: list[PendingRow] = []
    actors = _ActorTexts()
    for index, change in enumerate(changes):
        if not isinstance(change, dict):
            raise _type_error(change, "Changeset.changes", "sync.Change")
        rows.append(
            _prepare_one(index, change, dialect, time_key, default_schema, actor, origin, actors)
        )
    return rows


class _ActorTexts:
    """Encodes actors, reusing the text when a batch repeats the same actor (the usual case)."""

    def __init__(self) -> None:
        self._last: Any = None
        self._text = ""

    def text(self, actor: Any) -> str:
        # Identity only: equality would confuse True with 1 inside nested values.
        if self._text and actor is self._last:
            return self._text
        self._last, self._text = actor, dumps(actor)
        return self._text


def _prepare_one(
    index: int,
    change: dict[str, Any],
    dialect: str,
    time_key: str,
    default_schema: int,
    default_actor: Any,
    default_origin: str | None,
    actors: _ActorTexts,
) -> PendingRow:
    where = "Changeset.changes"
    get = change.get
    # Fast path for well-typed strings; _string reports the Go-style error otherwise.
    table = get("table")
    if type(table) is not str:
        table = _string(change, "table", where)
    record_id = get("id")
    if type(record_id) is not str:
        record_id = _string(change, "id", where)
    op = get("op")
    if type(op) is not str:
        op = _string(change, "op", where)
    if "eventId" in change:
        _string(change, "eventId", where)
    deleted_at = get("deletedAt")
    if type(deleted_at) is not str:
        deleted_at = _string(change, "deletedAt", where)
    data = _object(change, "data", where, "map[string]interface {}")
    fields = _object(change, "fields", where, "map[string]*sync.FieldChange")
    schema = _int(change, "schemaVersion", where)
    head = dialect == DIALECT_AT
    top_space: Any = ""
    origin: Any = ""
    if head:
        top_space = get("spaceId")
        if type(top_space) is not str:
            top_space = _string(change, "spaceId", where)
        origin = get("origin")
        if type(origin) is not str:
            origin = _string(change, "origin", where)
    if op not in OPS:
        raise BadRequest(f"invalid op {json.dumps(op)} in change {index}")
    if not table or not record_id:
        raise BadRequest(f"missing table or id in change {index}")
    field_values, field_times = _split_fields(index, fields or {}, time_key)

    if op == "insert":
        stored, meta = data, {}
    elif op == "update" and field_values:
        stored, meta = field_values, field_times
    elif op == "update":
        stored, meta = data, {}
    else:  # delete: fields are ignored
        stored = dict(data or {})
        if deleted_at:
            stored["deletedAt"] = deleted_at
        meta = {}

    if "actor" in change:
        actor_text: str | None = actors.text(change["actor"])
    elif default_actor is not None:
        actor_text = actors.text(default_actor)
    else:
        actor_text = None
    space = _space_id(top_space, data, fields) if head else ""
    return PendingRow(
        table=table,
        record_id=record_id,
        op=op,
        data=None if stored is None else dumps(stored),
        field_meta=dumps(meta) if meta else "{}",
        schema_version=schema if schema > 0 else default_schema,
        actor=actor_text,
        origin=(origin or default_origin or None) if head else None,
        space_id=space or None,
    )


def _split_fields(
    index: int, fields: dict[str, Any], time_key: str
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    times: dict[str, str] = {}
    for name, entry in fields.items():
        if entry is None:
            # Upstream dereferences the nil pointer and drops the connection (F10); we refuse.
            raise BadRequest(f"invalid field {json.dumps(name)} in change {index}: null")
        if not isinstance(entry, dict):
            raise _type_error(entry, "Changeset.changes.fields", "sync.FieldChange")
        at = entry.get(time_key)
        if at is not None and not isinstance(at, str):
            raise _type_error(at, f"Changeset.changes.fields.{time_key}", "string")
        values[name] = entry.get("value")
        times[name] = at or ""
    return values, times


def _space_id(top: str, data: dict[str, Any] | None, fields: dict[str, Any] | None) -> str:
    """First non-empty string of top-level spaceId, data.spaceId, fields.spaceId.value."""
    if top:
        return top
    if data is not None:
        value = data.get("spaceId")
        if isinstance(value, str) and value:
            return value
    if fields is not None:
        entry = fields.get("spaceId")
        if isinstance(entry, dict):
            value = entry.get("value")
            if isinstance(value, str) and value:
                return value
    return ""


# -- encoding rows --------------------------------------------------------------------


def row_to_change(row: tuple[Any, ...], dialect: str, *, stream: bool = False) -> dict[str, Any]:
    """A stored row as a wire change (`changeFromRow`; the SSE converter when `stream`)."""
    event_id, table, record_id, op, data_text, meta_text, _at, schema, actor, origin, space = row[
        :11
    ]
    change: dict[str, Any] = {}
    if not stream:
        change["eventId"] = event_id
        change["schemaVersion"] = schema if schema and schema > 0 else 1
    change["table"] = table
    change["id"] = record_id
    change["op"] = op
    data = json.loads(data_text) if data_text else None
    if op == "update":
        meta = json.loads(meta_text) if meta_text else {}
        if isinstance(data, dict) and isinstance(meta, dict) and meta:
            time_key = field_time_key(dialect)
            fields = {
                name: {"value": data[name], time_key: at}
                for name, at in sorted(meta.items())
                if name in data
            }
            if fields:
                change["fields"] = fields
    elif op == "insert":
        if isinstance(data, dict) and data:
            change["data"] = data
    elif isinstance(data, dict):
        deleted_at = data.get("deletedAt")
        if isinstance(deleted_at, str) and deleted_at:
            change["deletedAt"] = deleted_at
    head = dialect == DIALECT_AT
    if head and space and not stream:
        change["spaceId"] = space
    if actor is not None:
        change["actor"] = json.loads(actor)
    if head and origin:
        change["origin"] = origin
    return change


def row_json(row: tuple[Any, ...], dialect: str, *, stream: bool = False) -> str:
    """`row_to_change` serialized, splicing the stored JSON text instead of re-encoding it.

    Same keys, order and omissions as `row_to_change` (a test holds them equal); only update
    and delete rows need their JSON parsed.
    """
    event_id, table, record_id, op, data_text, meta_text, _at, schema, actor, origin, space = row[
        :11
    ]
    if op == "delete":
        return _WIRE_ENCODER.encode(row_to_change(row, dialect, stream=stream))
    parts = []
    if not stream:
        version = schema if schema and schema > 0 else 1
        parts.append(f'"eventId":{_quote(event_id)},"schemaVersion":{version},')
    parts.append(f'"table":{_quote(table)},"id":{_quote(record_id)},"op":"{op}"')
    if op == "update":
        fields = _fields_json(data_text, meta_text, dialect)
        if fields:
            parts.append(',"fields":{' + fields + "}")
    elif data_text and data_text[0] == "{" and data_text != "{}":
        parts.append(',"data":' + data_text)
    head = dialect == DIALECT_AT
    if head and space and not stream:
        parts.append(',"spaceId":' + _quote(space))
    if actor is not None:
        parts.append(',"actor":' + actor)
    if head and origin:
        parts.append(',"origin":' + _quote(origin))
    return "{" + "".join(parts) + "}"


def _fields_json(data_text: str | None, meta_text: str | None, dialect: str) -> str:
    if not data_text or not meta_text or meta_text == "{}":
        return ""
    data = json.loads(data_text)
    meta = json.loads(meta_text)
    if not isinstance(data, dict) or not isinstance(meta, dict):
        return ""
    key = field_time_key(dialect)
    encode = _WIRE_ENCODER.encode
    return ",".join(
        f'{_quote(name)}:{{"value":{encode(data[name])},"{key}":{encode(at)}}}'
        for name, at in sorted(meta.items())
        if name in data
    )


def response_json(
    rows: list[tuple[Any, ...]], dialect: str, synced_until: str, has_more: bool
) -> bytes:
    """A SyncResponse body, as Go's encoder writes it."""
    changes = ",".join(row_json(row, dialect) for row in rows)
    tail = ',"hasMore":true' if has_more else ""
    text = f'{{"serverChanges":[{changes}],"conflicts":[],"syncedUntil":"{synced_until}"{tail}}}'
    return go_escape(text)


def go_escape(text: str) -> bytes:
    """Go's HTML-safe escapes and the trailing newline of `Encoder.Encode`."""
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        # These characters can only occur inside JSON strings, so a plain replace is safe.
        text = text.translate(_GO_ESCAPES)
    return (text + "\n").encode("utf-8")


_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def encode_json(value: Any) -> bytes:
    """Go's `json.NewEncoder(w).Encode`: compact, HTML-safe escapes, trailing newline."""
    return go_escape(_WIRE_ENCODER.encode(value))
