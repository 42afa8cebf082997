"""Paints ghost cards and iteration headers, and hit-tests their buttons.

No widget per card: one delegate paints every row from the model's view objects (aesthetics.md
§4 item 7). Text is drawn with QPainter.drawText, which never interprets markup, so server text
stays plain.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from mana_desktop.gui import theme
from mana_desktop.gui.card_layout import (
    BUTTON_H,
    HEADER_H,
    RADIUS,
    CardGeometry,
    Fonts,
    button_label,
    card_height,
    card_state_key,
    height_class,
    layout_card,
    layout_header,
    suggests_text,
)
from mana_desktop.gui.formatting import format_moment
from mana_desktop.gui.modules import module_name
from mana_desktop.gui.proposal_model import HEADER, Group, ProposalLike, ProposalListModel, Role
from mana_desktop.gui.qtcompat import emit

translate = QCoreApplication.translate
Index = QModelIndex | QPersistentModelIndex


class CardDelegate(QStyledItemDelegate):
    """Ghost cards; emits what was clicked, the page decides what it means."""

    sig_button_clicked = Signal(str, str)
    """(button name, proposal id): approve, reject, edit or retry."""
    sig_mission_clicked = Signal(str)
    """A mission title link (mission id)."""
    sig_group_clicked = Signal(str, str)
    """(approve_all | reject_all, iteration id) from an iteration header."""

    def __init__(self, model: ProposalListModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._fonts: Fonts | None = None
        self._heights: dict[tuple[str, str, int], int] = {}
        self._frames: dict[tuple[int, int, str, bool, int], QPixmap] = {}
        self.show_module = False

    def fonts(self, option: QStyleOptionViewItem) -> Fonts:
        if self._fonts is None or self._fonts.base != option.font:
            self._fonts = Fonts.from_font(option.font)
            self._heights.clear()
        return self._fonts

    # -- sizes ------------------------------------------------------------------------------
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # Called for every row on each layout (10,000 rows): pure Python lookups and a cache,
        # no index.data() round trips through Qt.
        width = option.rect.width() if option.rect.width() > 0 else 600
        kind, pid = self._model.row_at(index.row())
        if kind == HEADER:
            return QSize(width, HEADER_H)
        view = self._model.view(pid)
        if view is None:
            return QSize(width, HEADER_H)
        state = self._model.state_of(pid)
        key = (pid, height_class(view, state), width)
        height = self._heights.get(key)
        if height is None:
            details = self._model.text(pid).details
            height = card_height(view, state, details, width, self.fonts(option))
            if len(self._heights) > 50_000:
                self._heights.clear()
            self._heights[key] = height
        return QSize(width, height)

    def _row_rect(self, option: QStyleOptionViewItem) -> QRect:
        rect = QRect(option.rect)
        widget = option.widget  # type: ignore[attr-defined]
        if isinstance(widget, QWidget) and hasattr(widget, "viewport"):
            rect.setWidth(min(rect.width(), widget.viewport().width()))
        return rect.adjusted(12, 0, -12, 0)

    # -- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            if index.data(Role.KIND) == HEADER:
                self._paint_header(painter, option, index.data(Role.GROUP))
            else:
                view = self._model.view(index.data(Role.ID))
                if view is not None:
                    self._paint_card(painter, option, view, index.data(Role.STATE))
        finally:
            painter.restore()

    def _paint_header(self, painter: QPainter, option: QStyleOptionViewItem, group: Group) -> None:
        fonts = self.fonts(option)
        pal = option.palette
        geo = layout_header(self._row_rect(option), group.mission_title, fonts)
        painter.setFont(fonts.bold)
        painter.setPen(pal.color(QPalette.ColorRole.Link))
        title = QFontMetrics(fonts.bold).elidedText(
            "▾ " + group.mission_title, Qt.TextElideMode.ElideRight, geo.title.width()
        )
        painter.drawText(geo.title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        meta = translate("Card", "planned {when} · %n step(s)", "", len(group.ids)).format(
            when=format_moment(group.planned_at) or "—"
        )
        painter.setFont(fonts.base)
        painter.setPen(theme.muted(pal))
        painter.drawText(
            geo.meta,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            QFontMetrics(fonts.base).elidedText(meta, Qt.TextElideMode.ElideRight, geo.meta.width()),
        )
        if self._model.decidable_ids(group.iteration_id):
            painter.setFont(fonts.base)
            self._paint_button(painter, pal, geo.reject_all, translate("Card", "Reject all  ⇧R"), False)
            self._paint_button(painter, pal, geo.approve_all, translate("Card", "Approve all  ⇧A"), True)

    def _paint_card(
        self, painter: QPainter, option: QStyleOptionViewItem, view: ProposalLike, state: str
    ) -> None:
        fonts = self.fonts(option)
        pal = option.palette
        text = self._model.text(view.id)
        geo = layout_card(self._row_rect(option), view, state, text.details, fonts)
        key = card_state_key(view, state)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if key in ("superseded", "unsupported", "running"):
            painter.setOpacity(0.6)
        self._paint_frame(painter, pal, geo, key, selected)
        self._paint_header_line(painter, pal, geo, view, fonts)
        painter.setFont(fonts.bold)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        action = f"{text.verb}  {text.subject}" if text.subject else text.verb
        painter.drawText(geo.action, _left(), _elide(action, fonts.bold, geo.action.width()))
        if geo.details is not None:
            painter.setFont(fonts.base)
            painter.setPen(theme.muted(pal))
            painter.drawText(geo.details, _left(), _elide(text.details, fonts.base, geo.details.width()))
        if geo.rationale is not None and view.rationale:
            painter.setFont(fonts.italic)
            painter.setPen(theme.muted(pal))
            _draw_wrapped(painter, geo.rationale, f"“{view.rationale}”", geo.rationale_lines, fonts)
        if geo.status_line is not None:
            self._paint_status_line(painter, pal, geo.status_line, view, key, text.one_line(), fonts)
        if geo.working is not None:
            painter.setFont(fonts.base)
            painter.setPen(theme.muted(pal))
            painter.drawText(geo.working, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             translate("Card", "⟳ Working…"))  # fmt: skip
        painter.setOpacity(1.0)
        painter.setFont(fonts.base)
        for name, rect in geo.buttons.items():
            label = button_label(name)
            if selected and name in ("approve", "reject"):
                label += "  " + ("A" if name == "approve" else "R")
            self._paint_button(painter, pal, rect, label, name in ("approve", "retry"))

    def _paint_frame(
        self, painter: QPainter, pal: QPalette, geo: CardGeometry, key: str, selected: bool
    ) -> None:
        # Antialiased dashed rounded rects cost ~0.5 ms each; cards share a few sizes, so the
        # painted frame is cached per size, state, selection and palette.
        frame = geo.frame
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        cache_key = (frame.width(), frame.height(), key, selected, pal.cacheKey() ^ int(ratio * 100))
        pixmap = self._frames.get(cache_key)
        if pixmap is None:
            pixmap = QPixmap(QSize(frame.width() + 2, frame.height() + 2) * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            frame_painter = QPainter(pixmap)
            frame_painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._draw_frame(frame_painter, pal, frame.translated(-frame.left() + 1, -frame.top() + 1), key, selected)
            frame_painter.end()
            if len(self._frames) > 200:
                self._frames.clear()
            self._frames[cache_key] = pixmap
        painter.drawPixmap(frame.left() - 1, frame.top() - 1, pixmap)

    def _draw_frame(self, painter: QPainter, pal: QPalette, frame: QRect, key: str, selected: bool) -> None:
        if key == "note":
            painter.setPen(QPen(theme.muted(pal), 1))
            painter.setBrush(pal.color(QPalette.ColorRole.Base))
        elif key == "failed":
            painter.setPen(QPen(theme.error_color(pal), 1.5))
            painter.setBrush(theme.card_tint(pal))
        else:
            pen = QPen(theme.card_border(pal), 1, Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(theme.card_tint(pal))
        painter.drawRoundedRect(frame, RADIUS, RADIUS)
        if selected:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRoundedRect(frame.adjusted(1, 1, -1, -1), RADIUS, RADIUS)

    def _paint_header_line(
        self, painter: QPainter, pal: QPalette, geo: CardGeometry, view: ProposalLike, fonts: Fonts
    ) -> None:
        painter.setFont(fonts.small)
        painter.setPen(pal.color(QPalette.ColorRole.Highlight))
        prefix = suggests_text(view) + " · "
        painter.drawText(geo.header, _left(), prefix)
        if geo.mission_link is not None and geo.mission_link.width() > 0:
            font = QFont(fonts.small)
            font.setUnderline(True)
            painter.setFont(font)
            painter.setPen(pal.color(QPalette.ColorRole.Link))
            painter.drawText(geo.mission_link, _left(), _elide(view.mission_title, font, geo.mission_link.width()))
        if self.show_module:
            painter.setFont(fonts.small)
            painter.setPen(theme.muted(pal))
            painter.drawText(geo.header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, module_name(view.module))

    def _paint_status_line(
        self, painter: QPainter, pal: QPalette, rect: QRect, view: ProposalLike, key: str,
        action: str, fonts: Fonts,
    ) -> None:
        painter.setFont(fonts.base)
        if key == "failed":
            painter.setPen(theme.error_color(pal))
            message = translate("Card", "Failed: {error}").format(error=(view.error or "").strip())
        elif key == "superseded":
            painter.setPen(theme.muted(pal))
            message = translate("Card", "Decided on another device: {how}").format(
                how=view.decided_elsewhere or translate("Card", "done")
            )
        elif key == "unsupported":
            painter.setPen(theme.muted(pal))
            message = translate("Card", "This device can't run “{action}”").format(action=action)
        else:
            return
        first_line = message.splitlines()[0] if message else ""
        painter.drawText(rect, _left(), _elide(first_line, fonts.base, rect.width()))

    def _paint_button(self, painter: QPainter, pal: QPalette, rect: QRect, label: str, primary: bool) -> None:
        painter.setPen(QPen(theme.card_border(pal), 1))
        if primary:
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight))
        else:
            painter.setBrush(pal.color(QPalette.ColorRole.Button))
        painter.drawRoundedRect(rect, 6, 6)
        role = QPalette.ColorRole.HighlightedText if primary else QPalette.ColorRole.ButtonText
        painter.setPen(pal.color(role))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    # -- hit testing ------------------------------------------------------------------------
    def hit_test(self, option: QStyleOptionViewItem, index: Index, pos: QPoint) -> tuple[str, str] | None:
        """(what, id) under `pos`: a button name, "mission", "approve_all" or "reject_all"."""
        fonts = self.fonts(option)
        if index.data(Role.KIND) == HEADER:
            group: Group = index.data(Role.GROUP)
            geo = layout_header(self._row_rect(option), group.mission_title, fonts)
            if not self._model.decidable_ids(group.iteration_id):
                return ("mission", group.mission_id) if geo.title.contains(pos) else None
            for name, rect in (("approve_all", geo.approve_all), ("reject_all", geo.reject_all)):
                if rect.contains(pos):
                    return name, group.iteration_id
            return ("mission", group.mission_id) if geo.title.contains(pos) else None
        view = self._model.view(index.data(Role.ID))
        if view is None:
            return None
        card = layout_card(self._row_rect(option), view, index.data(Role.STATE), self._model.text(view.id).details, fonts)
        for name, rect in card.buttons.items():
            if rect.contains(pos):
                return name, view.id
        if card.mission_link is not None and card.mission_link.contains(pos):
            return "mission", view.mission_id
        return None

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem, index: Index) -> bool:
        if event.type() != QEvent.Type.MouseButtonRelease or not isinstance(event, QMouseEvent):
            return False
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        hit = self.hit_test(option, index, event.position().toPoint())
        if hit is None:
            return False
        what, key = hit
        if what == "mission":
            emit(self.sig_mission_clicked, key)
        elif what in ("approve_all", "reject_all"):
            emit(self.sig_group_clicked, what, key)
        else:
            emit(self.sig_button_clicked, what, key)
        return True


def _left() -> Qt.AlignmentFlag:
    return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _elide(text: str, font: object, width: int) -> str:
    # Server text may hold newlines; a card line shows the first one.
    line = text.replace("\n", " ")
    return QFontMetrics(font).elidedText(line, Qt.TextElideMode.ElideRight, max(0, width))  # type: ignore[arg-type]


def _draw_wrapped(painter: QPainter, rect: QRect, text: str, max_lines: int, fonts: Fonts) -> None:
    """Up to `max_lines` wrapped lines, the last one elided (plain text, never markup)."""
    layout = QTextLayout(text.replace("\n", " "), fonts.italic)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    fm = QFontMetrics(fonts.italic)
    layout.beginLayout()
    y = rect.top()
    for n in range(max_lines):
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(rect.width())
        start, length = line.textStart(), line.textLength()
        piece = layout.text()[start : start + length]
        if n == max_lines - 1 and start + length < len(layout.text()):
            piece = fm.elidedText(layout.text()[start:], Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(QRect(rect.left(), y, rect.width(), fm.height()), _left(), piece.rstrip())
        y += fm.height()
    layout.endLayout()


_ = (BUTTON_H, QColor)
