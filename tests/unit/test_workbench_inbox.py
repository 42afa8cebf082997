"""The inbox read: `inbox()` order and paging, `inbox_counts()`, the fast view builder."""

from __future__ import annotations

import pytest

from mana_desktop.domain.proposal import INBOX_STATUSES
from mana_desktop.store.replica import Replica
from mana_desktop.workbench import rows
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    iteration,
    mission_data,
    note_step,
    server_insert_mission,
    tool_step,
)


def _seed(replica: Replica, workbench: Workbench) -> None:
    """Three missions, iterations planned at different times (two at the same instant), a
    note, an unsupported tool, a places card and tasks; then one card approved, one rejected."""
    plans = {
        "m1": [
            iteration("it-a", *[tool_step(f"a{s}", "create_task", {"title": f"A{s}"}) for s in range(4)],
                      startedAt="2026-05-03T08:00:00.000Z"),
            iteration("it-b", note_step("b0", "just so you know"),
                      tool_step("b1", "research_news", {"query": "x"}),
                      tool_step("b2", "create_task", {"title": "B2"}),
                      startedAt="2026-05-01T08:00:00.000Z"),
        ],
        "m2": [
            iteration("it-c", *[tool_step(f"c{s}", "create_task", {"title": f"C{s}"}) for s in range(3)],
                      startedAt="2026-05-03T08:00:00.000Z"),
        ],
        "m3": [
            iteration("it-d", tool_step("d0", "create_place", {"name": "Cafe", "category": "food"}),
                      tool_step("d1", "create_task", {"title": "D1"}),
                      startedAt="2026-05-02T08:00:00.000Z"),
        ],
    }  # fmt: skip
    for mission_id, its in plans.items():
        server_insert_mission(replica, mission_data(mission_id, its))
    workbench.stage()
    tasks = workbench.proposals(mission_id="m1", status="pending")
    workbench.approve(next(p.id for p in tasks if p.step_id == "a1"))
    workbench.reject(next(p.id for p in tasks if p.step_id == "a2"), reason="not-needed")


def test_inbox_holds_the_visible_cards_newest_plan_first_in_plan_order(
    workbench: Workbench, wb_replica: Replica
) -> None:
    _seed(wb_replica, workbench)
    cards = workbench.inbox()
    assert {c.status for c in cards} <= INBOX_STATUSES
    assert {c.id for c in cards} == {
        p.id for p in workbench.proposals() if p.status in INBOX_STATUSES
    }
    assert [c.step_id for c in cards] == [
        "a0", "a3", "c0", "c1", "c2", "d0", "d1", "b0", "b1", "b2",
    ]  # fmt: skip
    planned = [c.planned_at for c in cards]
    assert planned == sorted(planned, reverse=True)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50])
def test_pages_concatenate_to_the_whole_inbox_in_order(
    workbench: Workbench, wb_replica: Replica, size: int
) -> None:
    _seed(wb_replica, workbench)
    for module in (None, "todo", "places"):
        whole = workbench.inbox(module)
        paged, offset = [], 0
        while page := workbench.inbox(module, limit=size, offset=offset):
            assert len(page) <= size
            paged += page
            offset += size
        assert paged == whole
        assert workbench.inbox(module, offset=size) == whole[size:]
    assert workbench.inbox(limit=0) == []


def test_inbox_module_filter_and_counts(workbench: Workbench, wb_replica: Replica) -> None:
    _seed(wb_replica, workbench)
    todo = workbench.inbox("todo")
    assert todo and {c.module for c in todo} == {"todo"}
    assert [c.step_id for c in workbench.inbox("places")] == ["d0"]
    for module in (None, "todo", "places", "news"):
        expected: dict[str, int] = {}
        for card in workbench.inbox(module):
            if card.kind == "tool":
                expected[card.status] = expected.get(card.status, 0) + 1
        assert workbench.inbox_counts(module) == expected
    assert workbench.inbox_counts("todo")["pending"] == 7  # a1 approved, a2 rejected


def test_bad_paging_is_a_clear_error(workbench: Workbench) -> None:
    with pytest.raises(ValueError, match="negative"):
        workbench.inbox(limit=-1)
    with pytest.raises(ValueError, match="negative"):
        workbench.inbox(offset=-3)


def test_fast_views_equal_the_row_by_row_views(workbench: Workbench, wb_replica: Replica) -> None:
    """`rows.views` builds cards positionally from a narrow select; it must give exactly what
    the dict path (`rows.view(rows.fetch(...))`) gives, for every status and kind."""
    _seed(wb_replica, workbench)
    conn = workbench._ctx.read()
    slow = [rows.view(r) for r in rows.fetch(conn, "ORDER BY id")]
    fast = rows.views(conn, "ORDER BY id")
    assert fast == slow
    assert {v.status for v in fast} >= {"pending", "approved", "rejected", "info", "unsupported"}
    assert any(not v.executable for v in fast) and any(v.executable for v in fast)
    assert all(workbench.proposal(v.id) == v for v in fast)


def test_an_existing_profile_gets_the_inbox_index(wb_replica: Replica, wb_settings: object) -> None:
    first = Workbench(wb_replica, wb_settings)
    first.inbox()
    first.close()
    with wb_replica.write() as tx:  # a profile made before the index existed
        tx.conn.execute("DROP INDEX wb_proposals_inbox")
    second = Workbench(wb_replica, wb_settings)
    try:
        assert second.inbox() == []
        names = {n for (n,) in second._ctx.read().execute("SELECT name FROM sqlite_master")}
        assert "wb_proposals_inbox" in names
    finally:
        second.close()
