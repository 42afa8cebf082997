"""Hypothesis: any order, duplication, replay or paging of the same server changes converges."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mana_desktop.store import Replica

IDS = ["a", "b", "c"]
FIELDS = ["title", "n", "deletedAt"]
# The same instants in different text shapes, so ties across shapes are exercised too.
TIMES = [
    "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00+01:00",
    "2026-01-01T00:00:01Z", "2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:01.000Z",
]
values = st.one_of(st.none(), st.integers(-2, 2), st.sampled_from(["x", "y", ""]), st.booleans())
actors = st.sampled_from([None, {"kind": "user", "principalId": "u"}, {"kind": "ai", "principalId": "g"}])


@st.composite
def changes(draw: st.DrawFn) -> dict[str, Any]:
    record_id = draw(st.sampled_from(IDS))
    kind = draw(st.sampled_from(["insert", "update", "update", "delete", "hard"]))
    change: dict[str, Any] = {"table": "tasks", "id": record_id, "actor": draw(actors)}
    if kind == "insert":
        data = {f: draw(values) for f in draw(st.lists(st.sampled_from(FIELDS[:2]), unique=True))}
        data["id"] = record_id
        if draw(st.booleans()):
            data["createdAt"] = draw(st.sampled_from(TIMES))
        change.update(op="insert", data=data)
    elif kind == "update":
        names = draw(st.lists(st.sampled_from(FIELDS), min_size=1, unique=True))
        change.update(op="update", fields={
            f: {"value": draw(values), draw(st.sampled_from(["at", "updatedAt"])): draw(st.sampled_from(TIMES))}
            for f in names})
    elif kind == "delete":
        change.update(op="delete", deletedAt=draw(st.sampled_from(TIMES)))
    else:
        change.update(op="delete")
    return change


def snapshot(replica: Replica) -> list[tuple[Any, ...]]:
    return [(r.collection, r.id, r.data, r.field_meta, r.deleted_at) for r in replica.iter_all()]


def apply_pages(replica: Replica, items: list[dict[str, Any]], cuts: list[int]) -> None:
    edges = sorted({0, len(items), *(c % (len(items) + 1) for c in cuts)})
    for start, end in itertools.pairwise(edges):
        replica.apply_remote("todo", items[start:end], collection="tasks")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.lists(changes(), min_size=1, max_size=12),
    data=st.data(),
)
def test_any_order_duplication_and_paging_converges(base: list[dict[str, Any]], data: st.DataObject) -> None:
    with_ids = [{**c, "eventId": f"e{i}"} if i % 2 else c for i, c in enumerate(base)]
    shuffled = data.draw(st.permutations(with_ids))
    replays = data.draw(st.lists(st.sampled_from(with_ids), max_size=6))
    cuts = data.draw(st.lists(st.integers(0, 40), max_size=4))
    with (
        tempfile.TemporaryDirectory() as tmp,
        Replica.open(Path(tmp) / "one.db") as one,
        Replica.open(Path(tmp) / "two.db") as two,
    ):
        apply_pages(one, with_ids, [])
        apply_pages(two, shuffled + replays, cuts)
        # a full replay of everything, in another order, changes nothing
        apply_pages(two, list(reversed(with_ids)), [3])
        assert snapshot(one) == snapshot(two)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
envelopes = st.fixed_dictionaries(
    {"op": st.sampled_from(["insert", "update", "delete", "upsert"]), "table": st.sampled_from(["t", "", 5]),
     "id": st.sampled_from(["r", "", "a\x00", None])},
    optional={"data": st.one_of(json_values, st.fixed_dictionaries({"id": st.sampled_from(["r", "x"])}, optional={
                  "createdAt": st.sampled_from(["2026-01-01T00:00:00Z", "bad", 3]), "__fieldMeta": json_values})),
              "eventId": json_values, "actor": json_values, "schemaVersion": json_values,
              "spaceId": json_values, "origin": json_values, "deletedAt": json_values, "fields": json_values},
)


@settings(max_examples=300, deadline=None)
@given(raw=envelopes)
def test_plain_insert_fast_path_accepts_only_what_the_validator_accepts(raw: dict[str, Any]) -> None:
    from mana_desktop.domain.incoming import parse_change, plain_insert

    if plain_insert(raw):
        parsed = parse_change(raw)
        assert not isinstance(parsed, str), parsed
        assert parsed.op == "insert" and parsed.data == raw["data"] and not parsed.hard_delete
