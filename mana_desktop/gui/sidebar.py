"""The sidebar: Review (All + modules with pending counts) and Workbench pages."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from mana_desktop.gui import theme
from mana_desktop.gui.modules import MODULES
from mana_desktop.gui.qtcompat import emit

translate = QCoreApplication.translate
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1
COUNT_ROLE = Qt.ItemDataRole.UserRole + 2

WORKBENCH_PAGES = ("missions", "activity", "settings")


def page_title(page: str) -> str:
    titles = {
        "all": translate("Sidebar", "All"),
        "missions": translate("Sidebar", "Missions"),
        "activity": translate("Sidebar", "Activity"),
        "settings": translate("Sidebar", "Settings"),
    }
    if page in titles:
        return titles[page]
    return next((m.name() for m in MODULES if m.key == page), page)


class CountDelegate(QStyledItemDelegate):
    """Paints the pending count on the right (hidden at 0)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        count = index.data(COUNT_ROLE)
        if not count:
            return
        painter.save()
        painter.setPen(theme.muted(option.palette) if not option.state & option.state.State_Selected
                       else option.palette.color(QPalette.ColorRole.HighlightedText))  # fmt: skip
        rect = option.rect.adjusted(0, 0, -10, 0)
        painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(count))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 30, max(size.height(), 26))


class Sidebar(QListWidget):
    sig_page_selected = Signal(str)
    """A page id: all, a module key, missions, activity or settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setItemDelegate(CountDelegate(self))
        self.setFixedWidth(200)
        self._items: dict[str, QListWidgetItem] = {}
        self._section(translate("Sidebar", "REVIEW"))
        self._page("all", "✦")
        for module in MODULES:
            self._page(module.key, module.icon)
        self._section(translate("Sidebar", "WORKBENCH"))
        self._page("missions", "◎")
        self._page("activity", "↺")
        self._page("settings", "⚙")
        self.currentItemChanged.connect(self._on_current)

    def _section(self, title: str) -> None:
        item = QListWidgetItem(title)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = item.font()
        font.setPointSizeF(font.pointSizeF() * 0.8)
        font.setBold(True)
        item.setFont(font)
        self.addItem(item)

    def _page(self, page: str, icon: str) -> None:
        item = QListWidgetItem(f"{icon}  {page_title(page)}")
        item.setData(PAGE_ROLE, page)
        self.addItem(item)
        self._items[page] = item

    def _on_current(self, current: QListWidgetItem | None, _previous: Any) -> None:
        if current is not None and current.data(PAGE_ROLE):
            emit(self.sig_page_selected, current.data(PAGE_ROLE))

    def select_page(self, page: str) -> None:
        item = self._items.get(page)
        if item is not None:
            self.setCurrentItem(item)

    def current_page(self) -> str | None:
        item = self.currentItem()
        return item.data(PAGE_ROLE) if item is not None else None

    def set_counts(self, counts: dict[str, int]) -> None:
        total = 0
        for module in MODULES:
            n = int(counts.get(module.key, 0))
            total += n
            self._items[module.key].setData(COUNT_ROLE, n)
            self._items[module.key].setData(Qt.ItemDataRole.AccessibleTextRole,
                                            f"{page_title(module.key)}: {n}")  # fmt: skip
        extra = sum(int(v) for k, v in counts.items() if k not in {m.key for m in MODULES})
        self._items["all"].setData(COUNT_ROLE, total + extra)

    def count_of(self, page: str) -> int:
        item = self._items.get(page)
        return int(item.data(COUNT_ROLE) or 0) if item is not None else 0

    def retranslate(self) -> None:
        icons = {item.data(PAGE_ROLE): item.text().split("  ")[0] for item in self._items.values()}
        for page, item in self._items.items():
            item.setText(f"{icons[page]}  {page_title(page)}")
