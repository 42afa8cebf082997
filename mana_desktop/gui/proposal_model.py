"""The ghost-card list model: ids in rows, views in a dict, cards grouped by iteration.

Rows are either an iteration header or a card. The model never touches the database: the
page fetches ProposalView objects on the worker and hands them over (`set_views`,
`update_views`). Optimistic state (a decision in flight) lives here, keyed by id, so a stale
refresh cannot undo a click on screen (aesthetics.md §4 item 9).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from mana_desktop.domain.proposal import INBOX_STATUSES
from mana_desktop.gui.formatting import ActionText, describe_action, describe_note
from mana_desktop.gui.qtcompat import emit

translate = QCoreApplication.translate

# Proposals in these states have a card; approved and rejected ones leave the inbox.
VISIBLE_STATUSES = INBOX_STATUSES
DECIDABLE_STATUSES = frozenset({"pending", "failed", "unsupported"})


class ProposalLike(Protocol):
    """The fields of workbench.ProposalView the GUI reads (CONTRACTS.md)."""

    id: str
    status: str
    module: str
    tool_name: str
    params: dict[str, Any]
    rationale: str | None
    mission_id: str
    mission_title: str
    iteration_id: str
    step_id: str
    step_summary: str | None
    agent_name: str | None
    created_at: str | None
    planned_at: str | None
    error: str | None
    executable: bool
    decided_elsewhere: str | None
    kind: str


class Role(IntEnum):
    KIND = Qt.ItemDataRole.UserRole + 1  # "header" | "card"
    VIEW = Qt.ItemDataRole.UserRole + 2  # the ProposalView (cards)
    GROUP = Qt.ItemDataRole.UserRole + 3  # the Group (headers and cards)
    STATE = Qt.ItemDataRole.UserRole + 4  # effective status incl. optimistic overlay
    ID = Qt.ItemDataRole.UserRole + 5  # proposal id or iteration id


@dataclass
class Group:
    """One iteration's cards under a header."""

    iteration_id: str
    mission_id: str
    mission_title: str
    planned_at: str | None
    ids: list[str] = field(default_factory=list)


HEADER = "header"
CARD = "card"
# Rows handed to the view at a time (Qt's fetchMore): a 10,000-card inbox lays out and
# relayouts a few hundred rows, never all of them.
CHUNK = 300


def effective_status(view: ProposalLike, overlay: str | None) -> str:
    if overlay is not None:
        return overlay
    if view.decided_elsewhere and view.status in ("pending", "superseded"):
        return "superseded"
    if view.status == "pending" and not view.executable:
        return "unsupported"
    return view.status


class ProposalListModel(QAbstractListModel):
    """Rows: ("header", iteration_id) and ("card", proposal_id)."""

    sig_repaint = Signal()
    """Cards changed without changing their height: repaint, no relayout."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, str]] = []
        self._row_of: dict[tuple[str, str], int] = {}
        self._views: dict[str, ProposalLike] = {}
        self._groups: dict[str, Group] = {}
        self._overlay: dict[str, str] = {}
        self._texts: dict[str, ActionText] = {}
        self._shown = 0
        # Set while the model holds only a first page: the page's count of pending cards
        # would be wrong, so the summary shows the workbench's count until the rest arrives.
        self._pending_hint: int | None = None

    # -- Qt API -----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._shown < len(self._rows)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not parent.isValid():
            self.ensure_shown(self._shown + CHUNK - 1)

    def ensure_shown(self, row: int) -> None:
        """Hand rows up to `row` (and a bit beyond) to the view."""
        target = min(len(self._rows), max(row + 1, self._shown))
        if target > self._shown:
            target = min(len(self._rows), max(target, self._shown + CHUNK))
            self.beginInsertRows(QModelIndex(), self._shown, target - 1)
            self._shown = target
            self.endInsertRows()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or index.row() >= self._shown:
            return None
        kind, key = self._rows[index.row()]
        if role == Role.KIND:
            return kind
        if role == Role.ID:
            return key
        if kind == HEADER:
            return self._header_data(key, role)
        return self._card_data(key, role)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if self._rows[index.row()][0] == HEADER:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def _header_data(self, iteration_id: str, role: int) -> Any:
        group = self._groups[iteration_id]
        if role == Role.GROUP:
            return group
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return translate("Inbox", "{mission}: {n} suggestions").format(
                mission=group.mission_title, n=len(group.ids)
            )
        return None

    def _card_data(self, proposal_id: str, role: int) -> Any:
        view = self._views[proposal_id]
        if role == Role.VIEW:
            return view
        if role == Role.STATE:
            return effective_status(view, self._overlay.get(proposal_id))
        if role == Role.GROUP:
            return self._groups.get(view.iteration_id)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(proposal_id).one_line()
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return accessible_text(view, self.text(proposal_id))
        if role == Qt.ItemDataRole.ToolTipRole:
            return view.rationale or None
        return None

    # -- content ----------------------------------------------------------------------------
    def set_views(
        self, views: Iterable[ProposalLike], texts: dict[str, ActionText] | None = None
    ) -> None:
        """Replace everything (a page load or a coarse refresh).

        `texts` are the action lines, formatted on the worker so 10,000 cards cost the GUI
        thread nothing; missing ones are formatted on first paint.
        """
        self.beginResetModel()
        self._pending_hint = None
        self._views = {v.id: v for v in views if v.status in VISIBLE_STATUSES}
        if texts is not None:
            self._texts.update(texts)
        self._texts = {k: t for k, t in self._texts.items() if k in self._views}
        self._overlay = {k: s for k, s in self._overlay.items() if k in self._views}
        self._groups, self._rows = _grouped(self._views.values())
        self._row_of = {row: i for i, row in enumerate(self._rows)}
        self._shown = min(len(self._rows), CHUNK)
        self.endResetModel()

    def set_first_page(self, views: Iterable[ProposalLike], pending: int) -> None:
        """Show the first cards of a long inbox now; `extend_views` adds the rest later.

        `pending` is the whole inbox's pending count, shown until the rest arrives.
        """
        self.set_views(views)
        self._pending_hint = pending

    def is_partial(self) -> bool:
        """True between `set_first_page` and the `extend_views` (or reset) that completes it."""
        return self._pending_hint is not None

    def extend_views(self, views: Sequence[ProposalLike]) -> bool:
        """The whole inbox after a first page: when the rows on hand are a prefix of its rows
        (nothing moved in between), keep them (and the scroll position and selection) and only
        add the rest beyond them; otherwise replace everything. True when it extended."""
        fresh = {v.id: v for v in views if v.status in VISIBLE_STATUSES}
        groups, rows = _grouped(fresh.values())
        if rows[: len(self._rows)] != self._rows:
            self.set_views(fresh.values())
            return False
        moved = [
            pid
            for kind, pid in self._rows[: self._shown]
            if kind == CARD and _height_key(self._views[pid], self.state_of(pid))
            != _height_key(fresh[pid], effective_status(fresh[pid], self._overlay.get(pid)))
        ]
        self._texts = {k: t for k, t in self._texts.items() if k in fresh and self._views.get(k) == fresh[k]}
        self._views, self._groups, self._rows = fresh, groups, rows
        self._row_of = {row: i for i, row in enumerate(rows)}
        self._pending_hint = None
        for pid in moved:
            self._emit_changed(pid)
        emit(self.sig_repaint)  # a header's count may have grown
        return True

    def update_views(self, views: Sequence[ProposalLike], gone: Iterable[str] = ()) -> None:
        """Apply changed views by id: repaint in place, remove decided cards, regroup new ones.

        Removing rows (the common case: a decision) keeps the model; only new cards or moved
        ones reset it.
        """
        removed = [pid for pid in gone if pid in self._views]
        regroup = False
        changed_height: list[str] = []
        for view in views:
            old = self._views.get(view.id)
            old_state = effective_status(old, self._overlay.get(view.id)) if old else None
            self._overlay.pop(view.id, None)
            self._texts.pop(view.id, None)
            if view.status not in VISIBLE_STATUSES:
                if old is not None:
                    removed.append(view.id)
                continue
            if old is None or old.iteration_id != view.iteration_id:
                regroup = True
            self._views[view.id] = view
            if old is not None and _height_key(old, old_state) != _height_key(view, effective_status(view, None)):
                changed_height.append(view.id)
        if regroup:
            for pid in removed:
                self._views.pop(pid, None)
            self.set_views(list(self._views.values()))
            return
        self._remove_cards(removed)
        for pid in changed_height:
            self._emit_changed(pid)
        emit(self.sig_repaint)

    def _remove_cards(self, ids: list[str]) -> None:
        rows = sorted({r for pid in ids if (r := self._row_of.get((CARD, pid))) is not None}, reverse=True)
        for pid in ids:
            view = self._views.pop(pid, None)
            self._overlay.pop(pid, None)
            group = self._groups.get(view.iteration_id) if view else None
            if group is not None and pid in group.ids:
                group.ids.remove(pid)
        for group in [g for g in self._groups.values() if not g.ids]:
            row = self._row_of.get((HEADER, group.iteration_id))
            if row is not None:
                rows.append(row)
            del self._groups[group.iteration_id]
        for first, last in _ranges(sorted(set(rows), reverse=True)):
            if first >= self._shown:
                del self._rows[first : last + 1]  # never handed to the view
                continue
            last = min(last, self._shown - 1)
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self._shown -= last - first + 1
            self.endRemoveRows()
        self._row_of = {row: i for i, row in enumerate(self._rows)}

    def set_overlay(self, ids: Iterable[str], state: str | None) -> None:
        """Optimistic state for cards with a decision in flight (None clears it).

        Running cards keep their height, so this asks for a repaint, never a relayout.
        """
        for pid in ids:
            if state is None:
                self._overlay.pop(pid, None)
            else:
                self._overlay[pid] = state
        emit(self.sig_repaint)

    def _emit_changed(self, proposal_id: str) -> None:
        row = self._row_of.get((CARD, proposal_id))
        if row is not None:
            index = self.index(row)
            emit(self.dataChanged, index, index)

    # -- lookups ----------------------------------------------------------------------------
    def row_at(self, row: int) -> tuple[str, str]:
        return self._rows[row]

    def state_of(self, proposal_id: str) -> str:
        return effective_status(self._views[proposal_id], self._overlay.get(proposal_id))

    def text(self, proposal_id: str) -> ActionText:
        text = self._texts.get(proposal_id)
        if text is None:
            text = action_for(self._views[proposal_id])
            self._texts[proposal_id] = text
        return text

    def view(self, proposal_id: str) -> ProposalLike | None:
        return self._views.get(proposal_id)

    def views(self) -> list[ProposalLike]:
        return list(self._views.values())

    def row_of_card(self, proposal_id: str) -> int | None:
        return self._row_of.get((CARD, proposal_id))

    def row_of_header(self, iteration_id: str) -> int | None:
        return self._row_of.get((HEADER, iteration_id))

    def group(self, iteration_id: str) -> Group | None:
        return self._groups.get(iteration_id)

    def card_ids(self) -> list[str]:
        return [key for kind, key in self._rows if kind == CARD]

    def decidable_ids(self, iteration_id: str) -> list[str]:
        group = self._groups.get(iteration_id)
        if group is None:
            return []
        return [
            pid
            for pid in group.ids
            if effective_status(self._views[pid], self._overlay.get(pid)) in DECIDABLE_STATUSES
            and self._views[pid].kind != "note"
        ]

    def pending_count(self) -> int:
        if self._pending_hint is not None:
            return self._pending_hint
        return sum(1 for v in self._views.values() if v.status == "pending" and v.kind != "note")


def _grouped(views: Iterable[ProposalLike]) -> tuple[dict[str, Group], list[tuple[str, str]]]:
    """Cards grouped by iteration under headers: newest plan first, cards in the given order.

    The sort is stable, so views in `Workbench.inbox()` order (planned_at descending, then
    iteration) keep their order, and a first page of that order is a prefix of these rows.
    """
    groups: dict[str, Group] = {}
    for view in views:
        group = groups.get(view.iteration_id)
        if group is None:
            group = Group(view.iteration_id, view.mission_id, view.mission_title, view.planned_at)
            groups[view.iteration_id] = group
        group.ids.append(view.id)
    # Newest plan first; ISO instants of one writer sort as text, missing ones last.
    ordered = sorted(groups.values(), key=lambda g: g.planned_at or "", reverse=True)
    rows: list[tuple[str, str]] = []
    for group in ordered:
        rows.append((HEADER, group.iteration_id))
        rows.extend((CARD, pid) for pid in group.ids)
    return groups, rows


def _height_key(view: ProposalLike, state: str | None) -> str:
    key = "note" if view.kind == "note" else (state or "")
    return "pending" if key == "running" else key


def _ranges(rows_desc: list[int]) -> list[tuple[int, int]]:
    """Descending row numbers as (first, last) runs, last run first (safe to delete in order)."""
    out: list[tuple[int, int]] = []
    for row in rows_desc:
        if out and out[-1][0] == row + 1:
            out[-1] = (row, out[-1][1])
        else:
            out.append((row, row))
    return out


def action_for(view: ProposalLike) -> ActionText:
    if view.kind == "note":
        return describe_note(view.step_summary or str(view.params.get("body", "")))
    return describe_action(view.tool_name, view.params)


def format_texts(views: Iterable[ProposalLike]) -> dict[str, ActionText]:
    """For the worker thread: the action lines of many views at once."""
    return {v.id: action_for(v) for v in views if v.status in VISIBLE_STATUSES}


def accessible_text(view: ProposalLike, text: ActionText | None = None) -> str:
    action = (text or action_for(view)).one_line()
    return translate(
        "Inbox", "Suggestion from {mission}: {action}. A to approve, R to reject."
    ).format(mission=view.mission_title, action=action)
