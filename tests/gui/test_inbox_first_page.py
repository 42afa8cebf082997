"""A long inbox paints a first page, then appends the rest (real Workbench, issue 5 perf)."""

from __future__ import annotations

import dataclasses

from mana_desktop.gui.inbox_page import FIRST_PAGE, InboxPage
from mana_desktop.gui.proposal_model import ProposalListModel
from mana_desktop.gui.session import Session
from tests.fixtures.gui import seed_proposals
from tests.gui.fake_workbench import make_view


def test_first_page_paints_then_the_rest_is_appended(qtbot, gui_workbench):
    wb, replica = gui_workbench
    seed_proposals(replica, wb, missions=4, per_iteration=10, iterations=10)  # 400 cards
    whole = wb.inbox("todo")
    assert len(whole) == 400 > FIRST_PAGE
    session = Session(wb, replica=replica)
    page = InboxPage(session, "todo")
    qtbot.addWidget(page)
    page.resize(900, 700)
    page.show()
    seen: list[tuple[int, bool, str]] = []
    # The first page arrives before sig_loaded: the model holds it, the summary shows the
    # whole inbox's count (not the page's).
    original = page._first_page

    def spy(result):
        original(result)
        seen.append((len(page.model.card_ids()), page.model.is_partial(), page.summary.text()))

    page._first_page = spy
    try:
        with qtbot.waitSignal(page.sig_loaded, timeout=15000):
            page.reload()
        assert len(seen) == 1 and seen[0][:2] == (FIRST_PAGE, True)
        assert seen[0][2].startswith("400 suggestion")
        assert not page.model.is_partial()
        assert page.model.card_ids() == [v.id for v in whole]
        assert page.summary.text().startswith("400 suggestion")
        reference = ProposalListModel()
        reference.set_views(whole)
        rows = [page.model.row_at(r) for r in range(len(whole) + 40)]
        assert rows == [reference.row_at(r) for r in range(len(whole) + 40)]
        assert page.view.current_card_id() == whole[0].id
        # The records below the cards are read too (after the first page was painted).
        assert page.records is not None
        qtbot.waitUntil(lambda: "(0)" in page.records.heading.text(), timeout=15000)
    finally:
        session.close()


def test_extend_views_keeps_a_prefix_and_resets_otherwise(qtbot):
    views = [make_view(i) for i in range(20)]  # it0..it3, five cards each, it3 newest
    ordered = [v for g in (3, 2, 1, 0) for v in views if v.iteration_id == f"it{g}"]
    model = ProposalListModel()
    model.set_first_page(ordered[:7], pending=20)  # cuts it2 in two
    assert model.is_partial() and model.pending_count() == 20
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    assert model.extend_views(ordered) is True
    assert not resets and not model.is_partial()
    assert model.card_ids() == [v.id for v in ordered]
    assert model.group("it2").ids == [f"p{i}" for i in range(10, 15)]
    assert model.pending_count() == 20
    # A card of the first page was decided in between: the rows on hand are no prefix of the
    # new ones, so the model starts over with the new list.
    model.set_first_page(ordered[:7], pending=20)
    decided = [dataclasses.replace(v, status="approved") if v.id == "p16" else v for v in ordered]
    assert model.extend_views(decided) is False
    assert resets and not model.is_partial()
    assert model.card_ids() == [v.id for v in ordered if v.id != "p16"]


def test_a_page_that_never_paints_still_reads_the_rest(qtbot, gui_workbench):
    wb, replica = gui_workbench
    seed_proposals(replica, wb, missions=4, per_iteration=10, iterations=10)
    session = Session(wb, replica=replica)
    page = InboxPage(session, None)  # never shown: no paint event starts the second read
    qtbot.addWidget(page)
    try:
        with qtbot.waitSignal(page.sig_loaded, timeout=15000):
            page.reload()
        assert len(page.model.card_ids()) == 400 and not page.model.is_partial()
    finally:
        session.close()
