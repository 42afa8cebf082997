"""The whole-page fast path of bulk apply (store/page.py `_whole_page`) and the typed decoding of
bulk pages (domain/bulk.py) change nothing but speed.

Every property compares a fast path with the general one on the same input: the replica rows
(byte for byte), the journal, the event memory, the cursor and the reported result.
"""

from __future__ import annotations

import json
import math
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mana_desktop.domain import fastjson
from mana_desktop.domain.bulk import BulkInserts, insert_columns
from mana_desktop.domain.bulk import decode_page as decode_bulk_page
from mana_desktop.domain.fastjson import dumps, dumps_many, loads
from mana_desktop.domain.incoming import plain_insert, plain_insert_columns
from mana_desktop.domain.lww import compact_json
from mana_desktop.server.changes import go_escape
from mana_desktop.store import page as page_module
from mana_desktop.store.events import EventMemory
from mana_desktop.store.models import ApplyResult
from mana_desktop.store.replica import Replica
from mana_desktop.sync.errors import RetryableError
from mana_desktop.sync.protocol import decode_sync_page

IDS = ["a", "b", "c", "d", "e", "f"]
TIMES = [
    "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00+01:00",
    "2026-01-01T00:00:01Z", "2999-01-01T00:00:00Z", "not a time", 7,
]
ACTORS = [None, {"kind": "user", "principalId": "u"}, {"kind": "ai", "principalId": "g"},
          {"kind": "user", "principalId": 1}, {"kind": "user", "principalId": True}]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e-05, 2.5e-07, 0.1, -0.0, 1e16]),
    st.text(max_size=4), st.sampled_from(["Müller", "x\x7fy", "\ud800", "😀", 'q"\\\n']),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=2)
                      | st.dictionaries(st.text(max_size=3), inner, max_size=2), max_leaves=4)


@st.composite
def inserts(draw: st.DrawFn, record_id: str, clean: bool) -> dict[str, Any]:
    """A plain insert (the bulk case), sometimes bent just enough to leave the fast path."""
    data: dict[str, Any] = {"id": record_id}
    for name in draw(st.lists(st.sampled_from(["title", "n", "tags"]), unique=True)):
        data[name] = draw(values)
    for name in draw(st.lists(st.sampled_from(["createdAt", "updatedAt", "deletedAt"]), unique=True)):
        data[name] = draw(st.sampled_from([*TIMES, "", None, ""]))
    # Event ids repeat across pages now and then (de-duplication), rarely within one.
    event_id = draw(st.sampled_from([None, "e1", f"e-{record_id}", f"e-{record_id}", f"f-{record_id}"]))
    change: dict[str, Any] = {"eventId": event_id,
                              "table": "tasks", "id": record_id, "op": "insert", "data": data}
    for name, choices in (("actor", ACTORS), ("schemaVersion", [None, 1, 0, 2, True, 1.0]),
                          ("spaceId", [None, "s-1", 5]), ("origin", [None, "user", []])):
        if draw(st.booleans()):
            change[name] = draw(st.sampled_from(choices[:3] if clean else choices))
    if clean:
        return change
    bend = draw(st.sampled_from(["none"] * 6 + ["other id", "internal", "extra key", "long id"]))
    if bend == "other id":
        data["id"] = "zz"
    elif bend == "internal":
        data["__fieldMeta"] = {}
    elif bend == "extra key":
        change["deletedAt"] = draw(st.sampled_from(TIMES))
    elif bend == "long id":
        change["id"] = data["id"] = "x" * 600
    return change


@st.composite
def changes(draw: st.DrawFn, record_id: str, clean: bool) -> Any:
    kind = "insert" if clean else draw(st.sampled_from(["insert"] * 8 + ["update", "delete", "hard", "junk"]))
    if kind == "insert":
        return draw(inserts(record_id, clean))
    base = {"table": "tasks", "id": record_id, "eventId": draw(st.sampled_from([None, "e1", "e6"])),
            "actor": draw(st.sampled_from(ACTORS))}
    if kind == "update":
        return {**base, "op": "update", "fields": {"title": {"value": draw(values), "at": draw(st.sampled_from(TIMES))}}}
    if kind == "delete":
        return {**base, "op": "delete", "deletedAt": draw(st.sampled_from(TIMES))}
    if kind == "hard":
        return {**base, "op": "delete"}
    return draw(st.sampled_from([5, None, {"op": "insert"}, {**base, "op": "upsert"}, {**base, "id": ""}]))


@st.composite
def pages(draw: st.DrawFn) -> list[Any]:
    clean = draw(st.booleans())  # only valid plain inserts (records and event ids may repeat)
    unique = draw(st.booleans())  # most bulk pages name each record once
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=unique))
    return [draw(changes(record_id, clean)) for record_id in ids]


def dump(path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(path)
    try:
        return {
            "records": conn.execute("SELECT * FROM records ORDER BY app, collection, id").fetchall(),
            "journal": conn.execute(
                "SELECT kind, app, collection, record_id, reason, detail FROM journal ORDER BY id").fetchall(),
            "cursors": conn.execute("SELECT app, collection, cursor FROM cursors").fetchall(),
            "events": conn.execute("SELECT ids FROM event_pages ORDER BY seq").fetchall(),
        }
    finally:
        conn.close()


def apply_all(path: Path, batches: list[list[Any]], whole_page: bool, chunk: int = 100) -> list[ApplyResult]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(page_module, "CHUNK", chunk)  # small chunks: pages are cut into several
        if not whole_page:
            mp.setattr(page_module, "_whole_page", lambda *args: None)
        with Replica.open(path) as replica:
            return [replica.apply_remote("todo", batch, collection="tasks", cursor=f"c{i}")
                    for i, batch in enumerate(batches)]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(pages(), min_size=1, max_size=3), chunk=st.integers(1, 7))
def test_whole_page_path_and_change_by_change_make_identical_replicas(
    batches: list[list[Any]], chunk: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fast = apply_all(Path(tmp) / "fast.db", batches, whole_page=True, chunk=chunk)
        slow = apply_all(Path(tmp) / "slow.db", batches, whole_page=False)
        assert fast == slow
        assert dump(Path(tmp) / "fast.db") == dump(Path(tmp) / "slow.db")


@settings(max_examples=300, deadline=None)
@given(batch=pages())
def test_columns_accept_exactly_the_pages_of_plain_inserts(batch: list[Any]) -> None:
    every = all(type(c) is dict and plain_insert(c) for c in batch)
    assert (plain_insert_columns(batch) is not None) == every


@settings(max_examples=300, deadline=None)
@given(records=st.lists(values, max_size=5))
def test_dumps_many_is_dumps_of_each(records: list[Any]) -> None:
    try:
        expected = [compact_json(v) for v in records]
    except ValueError:  # NaN/Infinity: both refuse
        with pytest.raises(ValueError):
            dumps_many(records)
        return
    assert dumps_many(records) == expected == [dumps(v) for v in records]


def whole_page(changes: list[Any], events: EventMemory | None, horizon: str) -> Any:
    parts = page_module._parts(changes, plain_insert_columns)
    return page_module._whole_page("todo", parts, changes, events, horizon)


def test_a_clean_bulk_page_takes_the_whole_page_path_and_a_bent_one_does_not() -> None:
    clean = [{"eventId": f"e{i}", "table": "tasks", "id": f"r{i}", "op": "insert",
              "data": {"id": f"r{i}", "t": "Straße", "f": 0.5, "createdAt": "2026-01-01T00:00:00Z"},
              "actor": {"kind": "user"}} for i in range(5)]
    events = EventMemory()
    page = whole_page(clean, events, "2027-01-01T00:00:00.000000Z")
    assert page is not None and len(page.fast) == 5 and page.event_ids == [f"e{i}" for i in range(5)]
    assert events.ids == {f"e{i}" for i in range(5)}
    assert page.fast_rows()[0][3] == '{"id":"r0","t":"Stra\\u00dfe","f":0.5,"createdAt":"2026-01-01T00:00:00Z"}'
    # a replayed event id, a record named twice, a float that is not JSON: change by change
    assert whole_page(clean[:2], events, "2027") is None
    assert whole_page([*clean[:1], {**clean[0], "eventId": "x"}], None, "2027") is None
    assert events.ids == {f"e{i}" for i in range(5)}  # a refused page leaves the memory alone
    with pytest.raises(ValueError):
        dumps_many([{"id": "r", "f": math.nan}])


@pytest.mark.parametrize("shift", [-19, -18, -10, -1, 0, 1])
def test_loads_sees_a_long_integer_across_a_scan_window_boundary(shift: int) -> None:
    big = 12345678901234567890123  # beyond 64 bits: orjson would make a float of it
    pad = fastjson._WINDOW + shift - len('{"p":"","n":')  # the digits start at the window edge + shift
    body = ('{"p":"' + "x" * pad + '","n":' + str(big) + "}").encode()
    assert body.index(b"1234567890") == fastjson._WINDOW + shift
    value = loads(body)
    assert value["n"] == big and type(value["n"]) is int


# --- typed decoding of bulk pages (domain/bulk.py) -------------------------------------------


def response_body(batch: list[Any], ascii_only: bool, go: bool) -> bytes:
    """A SyncResponse as a server writes it: compact, UTF-8 or ASCII escapes, Go's HTML escapes."""
    body = {"serverChanges": batch, "conflicts": [], "syncedUntil": "2026-01-01T00:00:00.000Z"}
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=ascii_only)
    try:
        return go_escape(text) if go else text.encode()
    except UnicodeEncodeError:  # a lone surrogate: only its escape can be sent
        return json.dumps(body, separators=(",", ":")).encode()


def apply_bodies(path: Path, bodies: list[bytes], typed: bool) -> list[Any]:
    results: list[Any] = []
    with Replica.open(path) as replica:
        for i, body in enumerate(bodies):
            try:
                changes = decode_sync_page(body).changes if typed else loads(body)["serverChanges"]
            except (RetryableError, ValueError) as exc:
                results.append(type(exc).__name__)
                continue
            results.append(replica.apply_remote("todo", changes, collection="tasks", cursor=f"c{i}"))
    return results


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(pages(), min_size=1, max_size=3), ascii_only=st.booleans(), go=st.booleans())
def test_typed_decoding_makes_the_replica_the_general_parse_makes(
    batches: list[list[Any]], ascii_only: bool, go: bool
) -> None:
    bodies = [response_body(batch, ascii_only, go) for batch in batches]
    with tempfile.TemporaryDirectory() as tmp:
        typed = apply_bodies(Path(tmp) / "typed.db", bodies, typed=True)
        general = apply_bodies(Path(tmp) / "general.db", bodies, typed=False)
        assert [r if isinstance(r, ApplyResult) else "refused" for r in typed] == [
            r if isinstance(r, ApplyResult) else "refused" for r in general]
        assert dump(Path(tmp) / "typed.db") == dump(Path(tmp) / "general.db")


@settings(max_examples=300, deadline=None)
@given(batch=pages(), ascii_only=st.booleans(), go=st.booleans())
def test_typed_decoding_accepts_only_plain_inserts_and_reads_as_the_general_parse(
    batch: list[Any], ascii_only: bool, go: bool
) -> None:
    body = response_body(batch, ascii_only, go)
    decoded = decode_bulk_page(body)
    if decoded is None:
        return
    general = loads(body)["serverChanges"]
    changes = decoded[0]
    assert changes.dicts() == general and list(changes) == general and changes == general
    every = all(plain_insert(c) for c in general)
    assert (insert_columns(changes.items) is not None) == (every and bool(general))


def test_a_page_from_a_server_is_decoded_typed_and_a_mixed_one_is_not() -> None:
    inserts = [{"eventId": f"e{i}", "schemaVersion": 1, "table": "tasks", "id": f"r{i}", "op": "insert",
                "data": {"id": f"r{i}", "t": "Straße <b>", "n": 2**70, "f": 0.1}, "spaceId": "s",
                "actor": {"kind": "user"}, "origin": "user"} for i in range(3)]
    page = decode_sync_page(response_body(inserts, ascii_only=False, go=True))
    assert isinstance(page.changes, BulkInserts) and page.synced_until == "2026-01-01T00:00:00.000Z"
    assert page.changes[2]["data"] == inserts[2]["data"] and page.has_more is False
    update = {"table": "tasks", "id": "r1", "op": "update", "fields": {}}
    for bent in ([*inserts, update], [{**inserts[0], "data": {"id": "r0", "x": math.nan}}]):
        page = decode_sync_page(response_body(bent, ascii_only=True, go=False))
        assert type(page.changes) is list and len(page.changes) == len(bent)
    with pytest.raises(RetryableError):
        decode_sync_page(b'{"serverChanges": [], "syncedUntil": 5}')


def stored_values(path: Path) -> dict[str, Any]:
    """`dump`, with each record's JSON read back and written the general path's way."""
    state = dump(path)
    state["records"] = [(*row[:3], compact_json(json.loads(row[3])), *row[4:]) for row in state["records"]]
    return state


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches=st.lists(pages(), min_size=1, max_size=2), indent=st.sampled_from([0, 1, 2]))
def test_typed_decoding_of_another_spelling_stores_the_same_values(
    batches: list[list[Any]], indent: int
) -> None:
    bodies = []
    for batch in batches:
        body = {"serverChanges": batch, "syncedUntil": "2026-01-01T00:00:00.000Z"}
        bodies.append(json.dumps(body, indent=indent, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    with tempfile.TemporaryDirectory() as tmp:
        typed = apply_bodies(Path(tmp) / "typed.db", bodies, typed=True)
        general = apply_bodies(Path(tmp) / "general.db", bodies, typed=False)
        assert stored_values(Path(tmp) / "typed.db") == stored_values(Path(tmp) / "general.db")
    for ours, theirs in zip(typed, general, strict=True):
        if not isinstance(theirs, ApplyResult):  # not JSON: both refuse the body
            assert not isinstance(ours, ApplyResult)
            continue
        assert isinstance(ours, ApplyResult)
        # A record offered again unchanged is a no-op; the general path, finding its own text,
        # may still report it (harmless), the typed one finds another spelling and merges.
        assert (ours.applied, ours.dropped, ours.duplicates, ours.conflicts) == (
            theirs.applied, theirs.dropped, theirs.duplicates, theirs.conflicts)
        assert all(ids <= theirs.changed.get(key, set()) for key, ids in ours.changed.items())


def test_a_record_is_stored_as_written_and_reads_back_as_the_same_value() -> None:
    body = (b'{"serverChanges":[{"op":"insert","table":"tasks","id":"r","data":{"id":"r",'
            b'"a":1.50,"b":1E2,"c":-0,"d":"\\u00E9\\/\\u003c","e":[ 1 , 2 ],"a":2.5}}],'
            b'"syncedUntil":"2026-01-01T00:00:00.000Z"}')
    with tempfile.TemporaryDirectory() as tmp:
        apply_bodies(Path(tmp) / "typed.db", [body], typed=True)
        apply_bodies(Path(tmp) / "general.db", [body], typed=False)
        (typed_row,) = dump(Path(tmp) / "typed.db")["records"]
        (general_row,) = dump(Path(tmp) / "general.db")["records"]
    assert general_row[3] == '{"id":"r","a":2.5,"b":100.0,"c":0,"d":"\\u00e9/<","e":[1,2]}'
    assert typed_row[3] != general_row[3] and compact_json(json.loads(typed_row[3])) == general_row[3]
    assert typed_row[:3] == general_row[:3] and typed_row[4:] == general_row[4:]


BIG = "1" * 4301  # more digits than int() converts: the stdlib refuses the body


@pytest.mark.parametrize(
    "number", ["1E400", "2e+308", "-1e400", "1" * 401 + ".0", "1e0400", "1" + "0" * 210 + "e99",
               "1" + "0" * 250 + ".5E+99"])
def test_a_float_beyond_a_double_is_dropped_on_both_paths(number: str) -> None:
    body = ('{"serverChanges":[{"op":"insert","table":"tasks","id":"r","data":{"id":"r","x":' + number
            + '}},{"op":"insert","table":"tasks","id":"s","data":{"id":"s"},"actor":{"n":' + number
            + '}}],"syncedUntil":"2026-01-01T00:00:00.000Z"}').encode()
    assert decode_bulk_page(body) is None  # msgspec would keep the number unparsed
    with tempfile.TemporaryDirectory() as tmp:
        typed = apply_bodies(Path(tmp) / "typed.db", [body], typed=True)
        general = apply_bodies(Path(tmp) / "general.db", [body], typed=False)
        assert typed == general and typed[0].dropped == 2
        assert dump(Path(tmp) / "typed.db") == dump(Path(tmp) / "general.db")


@pytest.mark.parametrize("where", ["data", "actor", "envelope"])
def test_an_integer_longer_than_int_converts_refuses_the_body_on_both_paths(where: str) -> None:
    data = '{"id":"r","n":' + BIG + "}" if where == "data" else '{"id":"r"}'
    actor = ',"actor":{"n":-' + BIG + "}" if where == "actor" else ""
    extra = ',"conflicts":[' + BIG + "]" if where == "envelope" else ""
    body = ('{"serverChanges":[{"op":"insert","table":"tasks","id":"r","data":' + data + actor
            + "}]" + extra + ',"syncedUntil":"2026-01-01T00:00:00.000Z"}').encode()
    with pytest.raises(RetryableError):
        decode_sync_page(body)
    with pytest.raises(ValueError):
        loads(body)


def test_exponent_shapes_inside_strings_keep_the_typed_path() -> None:
    ids = ["3f2e1234-4e12-4e99-8e00-0e1234567890", "e400", "x 1e400", "1e400"]
    batch = [{"op": "insert", "table": "tasks", "id": f"r{i}", "data": {"id": f"r{i}", "ref": ref, "n": 1e30}}
             for i, ref in enumerate(ids)]
    body = response_body(batch, ascii_only=True, go=False)
    decoded = decode_bulk_page(body)
    assert decoded is not None and insert_columns(decoded[0].items) is not None
