"""The whole-page fast path of bulk apply (store/page.py `_whole_page`) changes nothing but speed.

Every property compares it with the change-by-change path on the same input: the replica rows
(byte for byte), the journal, the event memory, the cursor and the reported result.
"""

from __future__ import annotations

import math
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mana_desktop.domain import fastjson
from mana_desktop.domain.fastjson import dumps, dumps_many, loads
from mana_desktop.domain.incoming import plain_insert, plain_insert_columns
from mana_desktop.domain.lww import compact_json
from mana_desktop.store import page as page_module
from mana_desktop.store.events import EventMemory
from mana_desktop.store.models import ApplyResult
from mana_desktop.store.replica import Replica

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


def test_a_clean_bulk_page_takes_the_whole_page_path_and_a_bent_one_does_not() -> None:
    clean = [{"eventId": f"e{i}", "table": "tasks", "id": f"r{i}", "op": "insert",
              "data": {"id": f"r{i}", "t": "Straße", "f": 0.5, "createdAt": "2026-01-01T00:00:00Z"},
              "actor": {"kind": "user"}} for i in range(5)]
    events = EventMemory()
    page = page_module._whole_page("todo", clean, events, "2027-01-01T00:00:00.000000Z")
    assert page is not None and len(page.fast) == 5 and page.event_ids == [f"e{i}" for i in range(5)]
    assert events.ids == {f"e{i}" for i in range(5)}
    assert page.fast_rows()[0][3] == '{"id":"r0","t":"Stra\\u00dfe","f":0.5,"createdAt":"2026-01-01T00:00:00Z"}'
    # a replayed event id, a record named twice, a float that is not JSON: change by change
    assert page_module._whole_page("todo", clean[:2], events, "2027") is None
    assert page_module._whole_page("todo", [*clean[:1], {**clean[0], "eventId": "x"}], None, "2027") is None
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
