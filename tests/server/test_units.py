"""Pure pieces of the server: the clock, cursor parsing, change mapping, the store's pages."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from mana_desktop.server.changes import BadRequest, encode_json, parse_push, row_to_change
from mana_desktop.server.clock import StampClock
from mana_desktop.server.service import format_stamp, parse_since
from mana_desktop.server.store import PendingRow, Scope, Store


def test_parse_since_follows_go_rfc3339nano() -> None:
    assert parse_since("1970-01-01T00:00:01Z") == 1_000_000
    assert parse_since("1970-01-01T00:00:00.0000019Z") == 1  # truncated to microseconds
    assert parse_since("1970-01-01T02:00:00+02:00") == 0
    for bad in (
        "",
        "x",
        "1970-01-01",
        "1970-01-01 00:00:01Z",
        "1970-13-01T00:00:00Z",
        "1970-01-01T00:00:01+0200",
    ):
        assert parse_since(bad) == 0, bad


def test_format_stamp_trims_zeros() -> None:
    assert format_stamp(1_500_000) == "1970-01-01T00:00:01.5Z"
    assert format_stamp(2_000_000) == "1970-01-01T00:00:02Z"
    assert parse_since(format_stamp(1_234_567_891_234_567)) == 1_234_567_891_234_567


def test_clock_is_strictly_monotonic_across_threads() -> None:
    clock = StampClock(last=10**18)  # far ahead of the wall clock: must still increase
    seen: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(200):
            first = clock.issue(3)
            clock.done(first)
            with lock:
                seen.extend([first, first + 1, first + 2])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == 2400
    assert min(seen) > 10**18


def test_horizon_stays_below_uncommitted_stamps() -> None:
    clock = StampClock()
    first = clock.issue(5)
    assert clock.horizon() == first - 1
    clock.done(first)
    after = clock.horizon()
    assert after >= first + 4
    assert clock.issue(1) > after


def test_space_id_precedence_and_op_mapping() -> None:
    body = (
        b'{"changes":['
        b'{"table":"t","id":"1","op":"insert","spaceId":"space-top","data":{"spaceId":"d"}},'
        b'{"table":"t","id":"2","op":"insert","data":{"spaceId":"from-data"}},'
        b'{"table":"t","id":"3","op":"update","fields":{"spaceId":{"value":"from-fields","at":"a"}}},'
        b'{"table":"t","id":"4","op":"insert","data":{"spaceId":42}},'
        b'{"table":"t","id":"5","op":"update","fields":{"spaceId":{"value":null,"at":"a"}}},'
        b'{"table":"t","id":"6","op":"delete","data":{"x":1},"deletedAt":"2026-01-01T00:00:00.000Z"}'
        b"]}"
    )
    rows = parse_push(body, "at").rows
    assert [r.space_id for r in rows] == ["space-top", "from-data", "from-fields", None, None, None]
    assert rows[2].data == '{"spaceId":"from-fields"}' and rows[2].field_meta == '{"spaceId":"a"}'
    assert rows[5].data == '{"deletedAt":"2026-01-01T00:00:00.000Z","x":1}'
    assert [r.space_id for r in parse_push(body, "updatedAt").rows] == [None] * 6


def test_row_to_change_drops_fields_without_meta_and_clamps_schema() -> None:
    row = (
        "e1",
        "t",
        "r",
        "update",
        '{"a":1,"b":2}',
        '{"a":"2026-01-01T00:00:00.000Z"}',
        5,
        0,
        None,
        None,
        None,
    )
    change = row_to_change(row, "at")
    assert change == {
        "eventId": "e1",
        "schemaVersion": 1,
        "table": "t",
        "id": "r",
        "op": "update",
        "fields": {"a": {"value": 1, "at": "2026-01-01T00:00:00.000Z"}},
    }
    assert "eventId" not in row_to_change(row, "at", stream=True)


def test_encode_json_matches_go_encoder() -> None:
    assert encode_json({"a": "<&>\u2028é"}) == '{"a":"\\u003c\\u0026\\u003e\\u2028é"}\n'.encode()


def test_nan_is_not_json() -> None:
    with pytest.raises(BadRequest):
        parse_push(b'{"changes":[{"table":"t","id":"1","op":"insert","data":{"x":NaN}}]}', "at")


def test_store_refuses_memory_and_pages_past_equal_stamps(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="memory"):
        Store(Path(":memory:"))
    store = Store(tmp_path / "s.db")
    try:
        row = PendingRow("t", "r", "insert", "{}", "{}", 1, None, None, None)
        store.append("u", "app", "c", [row] * 12)
        with store.write() as conn:
            conn.execute("UPDATE sync_changes SET created_at = 42 WHERE rowid BETWEEN 3 AND 8")
            conn.execute("UPDATE sync_changes SET created_at = 41 WHERE rowid < 3")
        page = store.read(Scope("u"), "app", since=0, exclude_client="x", limit=4)
        assert len(page.rows) == 8 and page.has_more and page.until == 42
        rest = store.read(Scope("u"), "app", since=page.until, exclude_client="x", limit=4)
        assert len(rest.rows) == 4 and not rest.has_more
        assert store.read(Scope("other"), "app", since=0, exclude_client="x", limit=4).rows == []
    finally:
        store.close()


def test_joined_pages_equal_row_pages(tmp_path: Path) -> None:
    """`read_joined` (pull pages joined by SQLite) gives `read`'s pages: the same rows in the
    same order, runs of equal stamps finished, the same hasMore and cursor, both scope arms,
    and rows left to Python marked in place."""
    from mana_desktop.server.sql_json import change_json_sql

    select = change_json_sql("at", False)
    store = Store(tmp_path / "s.db")
    try:
        for user, client in (("u", "c"), ("v", "d"), ("u", "e")):
            rows = [
                PendingRow(
                    "t",
                    f"{user}{client}{i}",
                    "insert",
                    f'{{"n":{i}}}',
                    "{}",
                    1,
                    None,
                    None,
                    "shared" if i % 2 else None,
                )
                for i in range(9)
            ]
            # An update whose field name holds a backslash: SQL leaves it to Python.
            rows.append(
                PendingRow(
                    "t", "odd", "update", '{"a\\\\b":1}', '{"a\\\\b":"t"}', 1, None, None, None
                )
            )
            store.append(user, "app", client, rows)
        with store.write() as conn:
            conn.execute("UPDATE sync_changes SET created_at = 42 WHERE rowid BETWEEN 4 AND 12")
            conn.execute("UPDATE sync_changes SET created_at = 41 WHERE rowid < 4")
        seen = 0
        for scope in (Scope("u"), Scope("u", ("shared",)), Scope("v", ("shared",))):
            for limit in (1, 2, 3, 4, 7, 10, 50):
                for exclude in ("x", "c"):
                    since = 0
                    while True:
                        args = dict(since=since, exclude_client=exclude, limit=limit, table="t")
                        page = store.read(scope, "app", select=select, **args)
                        joined = store.read_joined(scope, "app", select=select, **args)
                        expected = ",".join(
                            row[0] if row[0] is not None else f"\0{row[-1]}\0" for row in page.rows
                        )
                        assert joined.text == expected, (scope, limit, since)
                        assert joined.has_more == page.has_more
                        if page.has_more:
                            assert joined.until == page.until
                        else:  # the horizon: the clock's "now" at each call
                            assert joined.until >= page.until
                        seen += len(page.rows)
                        if not page.has_more:
                            break
                        since = page.until
        assert seen > 100
        whole = store.read_joined(
            Scope("u"), "app", select=select, since=0, exclude_client="x", limit=50, table="t"
        )
        assert whole.text.count("\0") == 4  # the two odd updates of "u"
    finally:
        store.close()


def test_pull_pages_render_python_rows_in_place(tmp_path: Path) -> None:
    """A pull page with a row SQL leaves to Python equals the row-by-row response."""
    import json

    from mana_desktop.server.service import SyncService

    service = SyncService.open(tmp_path / "s.db")
    try:
        changes = [
            {"table": "t", "id": "a", "op": "insert", "data": {"title": "<one>"}},
            {"table": "t", "id": "a", "op": "update",
             "fields": {'q"k\\': {"value": 1, "at": "2026-01-01T00:00:00.000Z"}}},
            {"table": "t", "id": "b", "op": "insert", "data": {"title": "two"}},
        ]  # fmt: skip
        body = json.dumps({"clientId": "w", "since": "", "changes": changes}).encode()
        service.push("u", "app", "w", body)
        since = "1970-01-01T00:00:00Z"
        pulled = service.pull("u", "app", "t", since, "r")
        page = service.read_page("u", "app", "t", 0, "r")
        expected = service._response_bytes(page)
        cut = b',"syncedUntil"'  # the horizon is the clock's "now" at each read
        assert pulled.split(cut)[0] == expected.split(cut)[0] and cut in pulled
        ids = [c["id"] for c in json.loads(pulled)["serverChanges"]]
        assert ids == ["a", "a", "b"] and b'q\\"k' in pulled and b"\\u003cone" in pulled
        # A page over SQLite's string limit is built row by row instead.
        service.store.reader().setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 300)
        with pytest.raises(sqlite3.DataError):
            service.store.read_joined(
                Scope("u"), "app", table="t", since=0, exclude_client="r", limit=9,
                select="printf('%.200c', 'x')",
            )  # fmt: skip
        capped = service.pull("u", "app", "t", since, "r")
        assert capped.split(cut)[0] == expected.split(cut)[0]
    finally:
        service.close()


@pytest.mark.parametrize("dialect", ["at", "updatedAt"])
@pytest.mark.parametrize("stream", [False, True])
def test_fast_row_json_equals_the_plain_encoding(dialect: str, stream: bool) -> None:
    import json

    from mana_desktop.server.changes import row_json

    rows = [
        (
            "e1",
            "t",
            "r1",
            "insert",
            '{"a":1,"spaceId":"s"}',
            "{}",
            1,
            1,
            '{"kind":"user"}',
            "user",
            "s",
        ),
        ("e2", "t", 'r"2', "insert", None, "{}", 2, 0, "null", None, None),
        ("e3", "t", "r3", "insert", "{}", "{}", 3, 2, None, "", None),
        (
            "e4",
            "t",
            "r4",
            "update",
            '{"a":[1,{"b":null}],"z":"<&>"}',
            '{"z":"2026-01-01T00:00:00.000Z","a":"x","gone":"y"}',
            4,
            1,
            None,
            "agent",
            "s",
        ),
        ("e5", "t", "r5", "update", '{"a":1}', "{}", 5, 1, None, None, None),
        (
            "e6",
            "t",
            "r6",
            "delete",
            '{"deletedAt":"2026-01-01T00:00:00.000Z"}',
            "{}",
            6,
            1,
            None,
            None,
            "s",
        ),
    ]
    for row in rows:
        plain = json.dumps(
            row_to_change(row, dialect, stream=stream), separators=(",", ":"), ensure_ascii=False
        )
        assert row_json(row, dialect, stream=stream) == plain


@pytest.mark.parametrize("dialect", ["at", "updatedAt"])
@pytest.mark.parametrize("stream", [False, True])
def test_sql_rendering_equals_python_rendering(tmp_path: Path, dialect: str, stream: bool) -> None:
    """The SQL encoder (pull pages) and row_json agree byte for byte, fallbacks included."""
    from mana_desktop.server.changes import dumps, row_json
    from mana_desktop.server.sql_json import change_json_sql

    weird = 'tab\there "q" \\ back \u2028 é 😀 \x01 <&>'
    data = {
        "id": weird,
        "n": 12345678901234567890,
        "f": 0.30000000000000004,
        "x": None,
        "nested": {"b": [1, 2.5, {"c": weird}]},
        "deletedAt": "2026-01-01T00:00:00.000Z",
    }
    rows = [
        PendingRow(
            "tasks", weird, "insert", dumps(data), "{}", 1, dumps({"k": weird}), "user", "sp"
        ),
        PendingRow(
            "tasks",
            "u1",
            "update",
            dumps({"a.b": 1, "x": None, weird: "v", "": 0.1}),
            dumps({"a.b": "t1", "x": "t2", "": "t3", "gone": "t4"}),
            0,
            "null",
            None,
            None,
        ),
        PendingRow(
            "tasks",
            "u2",
            "update",
            dumps({'q"k': 1, "n": weird}),
            dumps({'q"k': "t", "n": weird}),
            1,
            None,
            "agent",
            "",
        ),
        PendingRow("tasks", "u3", "update", dumps({"t": 1}), "{}", 1, None, None, None),
        PendingRow("tasks", "u4", "update", None, "{}", 1, None, None, None),
        PendingRow("tasks", "d1", "delete", dumps(data), "{}", 1, None, None, "sp"),
        PendingRow("tasks", "d2", "delete", dumps({"deletedAt": ""}), "{}", 1, None, None, None),
        PendingRow("tasks", "i2", "insert", None, "{}", -1, None, None, None),
        PendingRow("tasks", "i3", "insert", "{}", "{}", 1, None, None, None),
    ]
    store = Store(tmp_path / "s.db")
    try:
        store.append("u", "app", "c", rows)
        raw = store.read(Scope("u"), "app", since=0, exclude_client="x", limit=100).rows
        rendered = store.read(
            Scope("u"),
            "app",
            since=0,
            exclude_client="x",
            limit=100,
            select=change_json_sql(dialect, stream),
        ).rows
        assert len(raw) == len(rendered) == len(rows)
        fallbacks = 0
        for raw_row, sql_row in zip(raw, rendered, strict=True):
            expected = row_json(raw_row, dialect, stream=stream)
            if sql_row[0] is None:
                fallbacks += 1  # the update whose field name holds a quote
            else:
                assert sql_row[0] == expected
        assert fallbacks == 1  # the update whose field_meta holds backslashes
    finally:
        store.close()


def test_any_json_body_is_accepted_or_a_400() -> None:
    """Whatever JSON arrives, decoding and validation end in rows or BadRequest, never a crash."""
    import json

    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = (
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    )
    values = st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
        ),
        max_leaves=8,
    )
    keys = st.sampled_from(
        [
            "table",
            "id",
            "op",
            "data",
            "fields",
            "deletedAt",
            "spaceId",
            "actor",
            "origin",
            "schemaVersion",
            "eventId",
            "x",
        ]
    )
    change = st.dictionaries(
        keys, values | st.sampled_from(["insert", "update", "delete", "t"]), max_size=7
    )
    body = (
        st.fixed_dictionaries(
            {},
            optional={
                "changes": st.lists(change, max_size=4) | values,
                "since": values,
                "clientId": values,
                "schemaVersion": values,
            },
        )
        | values
    )

    @settings(max_examples=300, deadline=None)
    @given(body, st.sampled_from(["at", "updatedAt"]))
    def check(value: object, dialect: str) -> None:
        try:
            request = parse_push(json.dumps(value).encode(), dialect)
        except BadRequest as exc:
            assert str(exc)
        else:
            assert all(row.op in ("insert", "update", "delete") for row in request.rows)
            assert all(row.table and row.record_id for row in request.rows)

    check()


def test_deep_nesting_is_a_400_not_a_crash() -> None:
    for depth in (50, 2000, 20000):
        value = "[" * depth + "]" * depth
        head = '{"changes":[{"table":"t","id":"1","op":"update","fields":{"a":{"value":'
        body = (head + value + ',"at":""}}}]}').encode()
        try:
            rows = parse_push(body, "at").rows
        except BadRequest as exc:
            assert str(exc) == "invalid JSON: exceeded max depth"
            assert depth > 50
        else:
            assert depth == 50 and len(rows) == 1
