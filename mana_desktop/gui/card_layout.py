"""Where every part of a ghost card goes, computed once for painting and for hit-testing.

Heights are computed in O(1) per row (line counts from the text length, not text layout), so
a list of 10,000 cards lays out in milliseconds; the painter elides what does not fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QRect
from PySide6.QtGui import QFont, QFontMetrics

from mana_desktop.gui.proposal_model import ProposalLike

translate = QCoreApplication.translate

PAD = 12
GAP = 8
RADIUS = 10
BUTTON_H = 26
HEADER_H = 34
MAX_RATIONALE_LINES = 3

# Which buttons a card shows in each state (right to left order is reversed when painting).
BUTTONS: dict[str, tuple[str, ...]] = {
    "pending": ("reject", "edit", "approve"),
    "failed": ("reject", "edit", "retry"),
    "unsupported": ("reject",),
    "running": (),
    "superseded": (),
    "note": (),
}


@dataclass
class Fonts:
    base: QFont
    small: QFont
    bold: QFont
    italic: QFont
    small_h: int = 0
    line_h: int = 0
    bold_h: int = 0
    italic_h: int = 0
    italic_avg: int = 1

    @classmethod
    def from_font(cls, given: QFont) -> Fonts:
        # Copy: the option's font is a reference into a C++ temporary (a dangling pointer later).
        font = QFont(given)
        small = QFont(font)
        small.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
        bold = QFont(font)
        bold.setWeight(QFont.Weight.DemiBold)
        italic = QFont(font)
        italic.setItalic(True)
        return cls(
            font,
            small,
            bold,
            italic,
            small_h=QFontMetrics(small).height(),
            line_h=QFontMetrics(font).height(),
            bold_h=QFontMetrics(bold).height(),
            italic_h=QFontMetrics(italic).height(),
            italic_avg=max(1, QFontMetrics(italic).averageCharWidth()),
        )


@dataclass
class CardGeometry:
    frame: QRect
    header: QRect
    action: QRect
    details: QRect | None
    rationale: QRect | None
    rationale_lines: int
    status_line: QRect | None
    buttons: dict[str, QRect] = field(default_factory=dict)
    mission_link: QRect | None = None
    working: QRect | None = None  # where "Working…" stands in for the buttons


def card_state_key(view: ProposalLike, state: str) -> str:
    return "note" if view.kind == "note" else state


def button_label(name: str) -> str:
    labels = {
        "approve": translate("Card", "✓ Approve"),
        "reject": translate("Card", "✕ Reject"),
        "edit": "✎",
        "retry": translate("Card", "↻ Retry"),
    }
    return labels[name]


def rationale_line_count(text: str | None, width: int, fonts: Fonts) -> int:
    if not text:
        return 0
    chars_per_line = max(10, width // fonts.italic_avg)
    explicit = text.count("\n")
    return min(MAX_RATIONALE_LINES, max(1, math.ceil(len(text) / chars_per_line) + explicit))


def has_status_line(view: ProposalLike, state: str) -> bool:
    return state in ("failed", "superseded", "unsupported")


def height_class(view: ProposalLike, state: str) -> str:
    """Cards of one class have one height: pending and running share one (no relayout when a
    decision starts, only a repaint)."""
    key = card_state_key(view, state)
    return "pending" if key == "running" else key


def has_details(details: str) -> bool:
    return bool(details)


def card_height(view: ProposalLike, state: str, details: str, width: int, fonts: Fonts) -> int:
    inner = max(50, width - 2 * PAD)
    key = card_state_key(view, state)
    small_h, line_h = fonts.small_h, fonts.line_h
    height = PAD + small_h + 4 + fonts.bold_h
    if has_details(details):
        height += line_h
    lines = rationale_line_count(view.rationale, inner, fonts)
    height += lines * fonts.italic_h + (4 if lines else 0)
    if has_status_line(view, key):
        height += line_h + 2
    if BUTTONS[key] or key == "running":
        height += 6 + BUTTON_H
    return height + PAD + GAP


def layout_card(
    rect: QRect, view: ProposalLike, state: str, details: str, fonts: Fonts
) -> CardGeometry:
    key = card_state_key(view, state)
    frame = rect.adjusted(1, 1, -1, -GAP)
    inner = frame.adjusted(PAD, PAD, -PAD, -PAD)
    y = inner.top()
    small_h, line_h = fonts.small_h, fonts.line_h
    header = QRect(inner.left(), y, inner.width(), small_h)
    y += small_h + 4
    bold_h = fonts.bold_h
    action = QRect(inner.left(), y, inner.width(), bold_h)
    y += bold_h
    details_rect = None
    if has_details(details):
        details_rect = QRect(inner.left(), y, inner.width(), line_h)
        y += line_h
    lines = rationale_line_count(view.rationale, inner.width(), fonts)
    rationale = None
    if lines:
        y += 4
        rationale = QRect(inner.left(), y, inner.width(), lines * fonts.italic_h)
        y += rationale.height()
    status_line = None
    if has_status_line(view, key):
        status_line = QRect(inner.left(), y + 2, inner.width(), line_h)
        y += line_h + 2
    geometry = CardGeometry(frame, header, action, details_rect, rationale, lines, status_line)
    geometry.buttons = _buttons(BUTTONS[key], inner, y + 6, fonts)
    if key == "running":
        geometry.working = QRect(inner.left(), y + 6, inner.width(), BUTTON_H)
    geometry.mission_link = _mission_link(view, header, fonts)
    return geometry


def _buttons(names: tuple[str, ...], inner: QRect, top: int, fonts: Fonts) -> dict[str, QRect]:
    fm = QFontMetrics(fonts.base)
    right = inner.right()
    rects: dict[str, QRect] = {}
    for name in reversed(names):
        width = fm.horizontalAdvance(button_label(name)) + (16 if name == "edit" else 28)
        width += fm.horizontalAdvance("  A") if name in ("approve", "reject") else 0
        rects[name] = QRect(right - width + 1, top, width, BUTTON_H)
        right -= width + 8
    return rects


def _mission_link(view: ProposalLike, header: QRect, fonts: Fonts) -> QRect:
    """The mission title sits after "✦ <agent> suggests · " in the header line."""
    fm = QFontMetrics(fonts.small)
    prefix = suggests_text(view) + " · "
    left = header.left() + fm.horizontalAdvance(prefix)
    # +4: advances are rounded to ints, elision compares real widths.
    width = min(fm.horizontalAdvance(view.mission_title or "") + 4, max(0, header.right() - left))
    return QRect(left, header.top(), width, header.height())


def suggests_text(view: ProposalLike) -> str:
    agent = view.agent_name or "Mana"
    return translate("Card", "✦ {agent} suggests").format(agent=agent)


@dataclass
class HeaderGeometry:
    title: QRect
    meta: QRect
    approve_all: QRect
    reject_all: QRect


def layout_header(rect: QRect, title: str, fonts: Fonts) -> HeaderGeometry:
    inner = rect.adjusted(4, 6, -2, -4)
    fm = QFontMetrics(fonts.base)
    approve_w = fm.horizontalAdvance(translate("Card", "Approve all  ⇧A")) + 20
    reject_w = fm.horizontalAdvance(translate("Card", "Reject all  ⇧R")) + 20
    approve = QRect(inner.right() - approve_w + 1, inner.top(), approve_w, inner.height())
    reject = QRect(approve.left() - 8 - reject_w, inner.top(), reject_w, inner.height())
    title_w = min(QFontMetrics(fonts.bold).horizontalAdvance("▾ " + title) + 4, reject.left() - inner.left() - 8)
    title_rect = QRect(inner.left(), inner.top(), max(0, title_w), inner.height())
    meta = QRect(title_rect.right() + 8, inner.top(), max(0, reject.left() - title_rect.right() - 16), inner.height())
    return HeaderGeometry(title_rect, meta, approve, reject)
