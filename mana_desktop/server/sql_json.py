"""Wire changes rendered by SQLite itself, for pull pages and push responses.

A 1000-row page spends most of its time turning rows into JSON. Doing it in SQL keeps that
work in C and outside the GIL, so concurrent pulls use both cores. The text is byte-for-byte
what `changes.row_json` produces (a test holds them equal): stored `data`, `actor` and field
values are spliced verbatim (`->` returns the stored text of a value, numbers and escapes
untouched), keys come out in the same order, and the omission rules are the same.

One case stays in Python: an update whose `field_meta` holds a backslash (a field name with a
quote or backslash cannot be addressed by a JSON path); the SQL yields NULL for those rows and
the caller encodes them with `changes.row_json`.
"""

from __future__ import annotations

from functools import lru_cache

from mana_desktop.domain.wire import DIALECT_AT, field_time_key


@lru_cache(maxsize=8)
def change_json_sql(dialect: str, stream: bool) -> str:
    """An SQL expression over a `sync_changes` row giving the change's JSON text (or NULL)."""
    head = dialect == DIALECT_AT
    time_key = field_time_key(dialect)
    parts = ["'{'"]
    if not stream:
        parts.append(
            # Event ids are our own UUIDs: nothing in them needs escaping.
            """'"eventId":"' || id || '","schemaVersion":'"""
            " || (CASE WHEN schema_version > 0 THEN schema_version ELSE 1 END) || ','"
        )
    parts.append(
        """'"table":' || json_quote(table_name) || ',"id":' || json_quote(record_id)"""
        """ || ',"op":"' || op || '"'"""
    )
    # field_meta is always stored with sorted keys (changes.dumps), so json_each already walks
    # the fields in the order Go's encoder writes map keys; `->` is NULL for a missing field.
    fields = (
        "(SELECT ',\"fields\":{' || group_concat(json_quote(k) || ':{\"value\":' || v"
        f" || ',\"{time_key}\":' || json_quote(at) || '}}', ',') || '}}' FROM ("
        "SELECT m.key AS k, m.value AS at, data -> m.fullkey AS v"
        " FROM json_each(field_meta) AS m) WHERE v IS NOT NULL)"
    )
    parts.append(
        "(CASE op"
        " WHEN 'insert' THEN (CASE WHEN substr(data, 1, 1) = '{' AND data != '{}'"
        """ THEN ',"data":' || data ELSE '' END)"""
        f" WHEN 'update' THEN (CASE WHEN json_type(field_meta) = 'object' AND"
        f" json_type(data) = 'object' THEN coalesce({fields}, '') ELSE '' END)"
        " ELSE (CASE WHEN json_type(data, '$.deletedAt') = 'text'"
        " AND json_extract(data, '$.deletedAt') != ''"
        """ THEN ',"deletedAt":' || json_quote(json_extract(data, '$.deletedAt')) ELSE '' END)"""
        " END)"
    )
    if head and not stream:
        parts.append(
            """(CASE WHEN space_id IS NOT NULL AND space_id != ''"""
            """ THEN ',"spaceId":' || json_quote(space_id) ELSE '' END)"""
        )
    parts.append("""(CASE WHEN actor IS NOT NULL THEN ',"actor":' || actor ELSE '' END)""")
    if head:
        parts.append(
            """(CASE WHEN origin IS NOT NULL AND origin != ''"""
            """ THEN ',"origin":' || json_quote(origin) ELSE '' END)"""
        )
    parts.append("'}'")
    body = " || ".join(parts)
    # Rows the JSON path cannot address go back to Python (see the module docstring).
    return f"(CASE WHEN op = 'update' AND instr(field_meta, '\\') > 0 THEN NULL ELSE {body} END)"
