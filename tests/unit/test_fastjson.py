"""domain/fastjson.py: orjson on the bulk path gives exactly the stdlib's values, text and errors."""

from __future__ import annotations

import datetime
import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mana_desktop.domain.fastjson import ascii_escaped, ascii_escaped_many, dumps, loads
from mana_desktop.domain.lww import compact_json
from mana_desktop.store.replica import Replica

EDGE_BODIES = [
    b'{"a": 123456789012345678901234567890}',  # orjson would make a float of it
    b'[-9223372036854775809, 9223372036854775807, 18446744073709551616]',
    b'[NaN, Infinity, -Infinity, 1e400]',
    b'["\\ud800", "\\udfff x", "\\ud83d\\ude00"]',
    b"[" * 300 + b"]" * 300,
    b'{"a": 1, "a": 2}',
    b'{"s": "caf\xc3\xa9", "f": [1e-05, 2.5e-07, 1e16, 0.1, -0.0]}',
    "\ufeff".encode("utf-16")[2:] + '{"x": 1}'.encode("utf-16-le"),  # stdlib detects UTF-16
]


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@pytest.mark.parametrize("body", EDGE_BODIES)
def test_loads_matches_stdlib_on_edges(body: bytes) -> None:
    assert _same(loads(body), json.loads(body))


@pytest.mark.parametrize("body", [b"{", b'{"a": tru}', b"\xff\xfe\x00", b"", b'{"a": 1} x'])
def test_loads_raises_what_stdlib_raises(body: bytes) -> None:
    with pytest.raises(ValueError) as ours:
        loads(body)
    with pytest.raises(ValueError) as theirs:
        json.loads(body)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)


EDGE_VALUES: list[Any] = [
    {"id": "r", "title": "plain", "n": 3, "ok": True, "none": None, "nested": {"a": [1, 2.5]}},
    {"t": "café ☕ 😀", "k": "é"},
    {"lone": "\ud800", "f": [1e-05, 2.5e-07, 0.0001, 1e16, 1e22, 123456789012345678.0, -0.0]},
    {"space": "space-1", "hex": "3e-4", "zeros": "0.00001", "del": "a\x7fb"},
    {"ctrl": "".join(map(chr, range(32))), "q": '"\\/'},
    {"big": 2**64, "neg": -(2**63) - 1, "max": 2**63 - 1},
    {1: "int key", None: "null key", False: "bool key", 2.5: "float key"},
    {"null": None, "list": [None, {"x": None}]},
]


@pytest.mark.parametrize("value", EDGE_VALUES)
def test_dumps_matches_compact_json(value: Any) -> None:
    assert dumps(value) == compact_json(value)


@pytest.mark.parametrize(
    "value", [{"x": math.nan}, {"x": [None, math.inf]}, {"x": {"y": -math.inf}, "n": None}]
)
def test_dumps_refuses_non_finite_like_the_stdlib(value: Any) -> None:
    with pytest.raises(ValueError):
        compact_json(value)
    with pytest.raises(ValueError):
        dumps(value)


def test_dumps_refuses_what_is_not_json_and_deep_nesting_like_the_stdlib() -> None:
    with pytest.raises(TypeError):
        dumps({"when": datetime.datetime(2026, 1, 1)})
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    assert dumps(deep) == compact_json(deep)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_dumps_and_loads_match_the_stdlib_on_any_value(value: Any) -> None:
    assert dumps(value) == compact_json(value)
    body = json.dumps(value).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:
        return  # a lone surrogate written raw is not UTF-8: covered by the error test
    assert _same(loads(body), expected)


def test_bulk_apply_stores_the_stdlib_text(tmp_path: Path) -> None:
    data = {"id": "r-1", "title": "café \ud800", "f": 1e-05, "big": 2**70, "space": "space-1"}
    change = {"eventId": "e-1", "table": "tasks", "id": "r-1", "op": "insert", "data": data}
    body = json.dumps({"serverChanges": [change]}).encode()
    with Replica.open(tmp_path / "r.db") as replica:
        result = replica.apply_remote("todo", loads(body)["serverChanges"], collection="tasks", cursor="c")
    conn = sqlite3.connect(tmp_path / "r.db")
    stored = conn.execute("SELECT data FROM records WHERE id = 'r-1'").fetchone()[0]
    conn.close()
    assert result.applied == 1
    assert stored == compact_json(json.loads(body)["serverChanges"][0]["data"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec=None), max_size=8)
    | st.sampled_from(["ä\\x41", "\\\\ä", '"ü"', "😀\\", "\x7f", "\u2028", "\ud800", "C:\\xyz", "ß\\U0001"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None)
@given(values=st.lists(json_values, min_size=1, max_size=4))
def test_ascii_escaped_gives_the_stdlib_escapes_of_json_text(values: list[object]) -> None:
    """UTF-8 JSON text (what orjson and the servers write) gets exactly `json.dumps`' escapes."""
    texts = [json.dumps(v, separators=(",", ":"), ensure_ascii=False) for v in values]
    expected = [json.dumps(v, separators=(",", ":")) for v in values]
    assert [ascii_escaped(t) for t in texts] == expected
    assert ascii_escaped_many(texts) == expected
