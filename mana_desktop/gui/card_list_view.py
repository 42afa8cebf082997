"""The QListView of ghost cards with the keyboard of a review tool (UI.md "Keyboard")."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from mana_desktop.gui.proposal_model import CARD, ProposalListModel, Role
from mana_desktop.gui.qtcompat import emit


class CardListView(QListView):
    """Cards only are selectable; keys become intentions the page acts on."""

    sig_key_action = Signal(str)
    """approve | reject | edit | approve_all | reject_all | help."""

    def __init__(self, model: ProposalListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._cards = model
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setFrameShape(QListView.Shape.NoFrame)
        self.setSpacing(0)
        self.setObjectName("cardList")
        self.setAccessibleName("suggestions")

    def resizeEvent(self, event: QResizeEvent) -> None:
        # Card heights depend on the width (wrapped rationale); relayout on width changes only.
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.scheduleDelayedItemsLayout()

    # -- navigation -------------------------------------------------------------------------
    def current_card_id(self) -> str | None:
        index = self.currentIndex()
        if index.isValid() and index.data(Role.KIND) == CARD:
            return str(index.data(Role.ID))
        return None

    def selected_card_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        ids = [self._cards.row_at(r)[1] for r in rows if self._cards.row_at(r)[0] == CARD]
        current = self.current_card_id()
        if not ids and current is not None:
            ids = [current]
        return ids

    def step_card(self, step: int, extend: bool = False) -> None:
        """Next/previous card, skipping iteration headers."""
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        if row + step >= self._cards.rowCount() and self._cards.canFetchMore(QModelIndex()):
            self._cards.fetchMore(QModelIndex())
        count = self._cards.rowCount()
        row += step
        while 0 <= row < count and self._cards.row_at(row)[0] != CARD:
            row += step
            if row >= count and self._cards.canFetchMore(QModelIndex()):
                self._cards.fetchMore(QModelIndex())
                count = self._cards.rowCount()
        if 0 <= row < count:
            self.select_row(row, extend)

    def select_row(self, row: int, extend: bool = False) -> None:
        index = self._cards.index(row)
        flags = QItemSelectionModel.SelectionFlag.Rows
        if extend:
            flags |= QItemSelectionModel.SelectionFlag.Select
        else:
            flags |= QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index)

    def select_card(self, proposal_id: str) -> bool:
        row = self._cards.row_of_card(proposal_id)
        if row is None:
            return False
        self._cards.ensure_shown(row)
        self.select_row(row)
        return True

    def select_first_card(self) -> None:
        self.setCurrentIndex(QModelIndex())
        self.step_card(+1)

    def current_is_visible(self) -> bool:
        index = self.currentIndex()
        return index.isValid() and self.viewport().rect().intersects(self.visualRect(index))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            super().keyPressEvent(event)
            return
        moves = {Qt.Key.Key_J: 1, Qt.Key.Key_Down: 1, Qt.Key.Key_K: -1, Qt.Key.Key_Up: -1}
        if key in moves:
            self.step_card(moves[key], extend=shift)
            return
        if key == Qt.Key.Key_Space:
            index = self.currentIndex()
            if index.isValid():
                self.selectionModel().select(index, QItemSelectionModel.SelectionFlag.Toggle)
            return
        actions = {
            (Qt.Key.Key_A, False): "approve",
            (Qt.Key.Key_R, False): "reject",
            (Qt.Key.Key_E, False): "edit",
            (Qt.Key.Key_A, True): "approve_all",
            (Qt.Key.Key_R, True): "reject_all",
        }
        action = actions.get((Qt.Key(key), shift))
        if action is None and event.text() == "?":
            action = "help"
        if action is not None:
            emit(self.sig_key_action, action)
            return
        super().keyPressEvent(event)
