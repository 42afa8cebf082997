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
    # One printf per row instead of a chain of `||`: each `||` allocates and copies the
    # growing text, printf writes the change into one buffer (about 8% of a pull page's
    # SQL time, see docs/server.md "Performance"). Optional parts are NULL when absent,
    # which `%s` prints as nothing.
    fmt = ["{"]
    args: list[str] = []
    if not stream:
        # Event ids are our own UUIDs: nothing in them needs escaping.
        fmt.append('"eventId":"%s","schemaVersion":%d,')
        args += ["id", "(CASE WHEN schema_version > 0 THEN schema_version ELSE 1 END)"]
    fmt.append('"table":%s,"id":%s,"op":"%s"%s')
    # field_meta is always stored with sorted keys (changes.dumps), so json_each already walks
    # the fields in the order Go's encoder writes map keys; `->` is NULL for a missing field.
    fields = (
        '(SELECT \',"fields":{\' || group_concat(printf(\'%s:{"value":%s,"'
        + time_key
        + "\":%s}', json_quote(k), v, json_quote(at)), ',') || '}' FROM ("
        "SELECT m.key AS k, m.value AS at, data -> m.fullkey AS v"
        " FROM json_each(field_meta) AS m) WHERE v IS NOT NULL)"
    )
    body = (
        "(CASE op"
        " WHEN 'insert' THEN (CASE WHEN substr(data, 1, 1) = '{' AND data != '{}'"
        """ THEN ',"data":' || data END)"""
        " WHEN 'update' THEN (CASE WHEN json_type(field_meta) = 'object' AND"
        f" json_type(data) = 'object' THEN {fields} END)"
        " ELSE (CASE WHEN json_type(data, '$.deletedAt') = 'text'"
        " AND json_extract(data, '$.deletedAt') != ''"
        """ THEN ',"deletedAt":' || json_quote(json_extract(data, '$.deletedAt')) END)"""
        " END)"
    )
    args += ["json_quote(table_name)", "json_quote(record_id)", "op", body]
    if head and not stream:
        fmt.append("%s")
        args.append(
            """(CASE WHEN space_id IS NOT NULL AND space_id != ''"""
            """ THEN ',"spaceId":' || json_quote(space_id) END)"""
        )
    fmt.append("%s")
    args.append("""(CASE WHEN actor IS NOT NULL THEN ',"actor":' || actor END)""")
    if head:
        fmt.append("%s")
        args.append(
            """(CASE WHEN origin IS NOT NULL AND origin != ''"""
            """ THEN ',"origin":' || json_quote(origin) END)"""
        )
    fmt.append("}")
    expr = f"printf('{''.join(fmt)}', {', '.join(args)})"
    # Rows the JSON path cannot address go back to Python (see the module docstring).
    return f"(CASE WHEN op = 'update' AND instr(field_meta, '\\') > 0 THEN NULL ELSE {expr} END)"
