"""A module's inbox (or All proposals): ghost cards grouped by iteration, then its records."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from mana_desktop.gui.card_delegate import CardDelegate
from mana_desktop.gui.card_list_view import CardListView
from mana_desktop.gui.edit_dialog import EditDialog
from mana_desktop.gui.modules import BY_KEY, module_name
from mana_desktop.gui.proposal_model import (
    CHUNK,
    DECIDABLE_STATUSES,
    VISIBLE_STATUSES,
    ProposalLike,
    ProposalListModel,
)
from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.records_panel import RecordsPanel
from mana_desktop.gui.reject_picker import RejectPicker
from mana_desktop.gui.session import DecisionResult, Session

translate = QCoreApplication.translate
MISSIONS_KEY = ("ai", "aiMissions")
# Cards read for the first paint of an empty page; the rest follows in a second read.
FIRST_PAGE = CHUNK
# The second read starts once the first page is painted, or after this long if it is not
# (a hidden page): started earlier, its Python work would contend for the GIL with the paint.
REST_AFTER_MS = 200


def plain_label(text: str = "") -> QLabel:
    """A QLabel that never interprets markup (server text is data)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class InboxPage(QWidget):
    """Cards for one module (`module=None`: all of them)."""

    sig_open_mission = Signal(str)
    """The user clicked a mission title (mission id)."""
    sig_show_help = Signal()
    """The user pressed ? (the shortcut sheet)."""
    sig_loaded = Signal()
    """The cards of the page were (re)loaded."""

    def __init__(self, session: Session, module: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.module = module
        self.model = ProposalListModel(self)
        self.view = CardListView(self.model)
        self.delegate = CardDelegate(self.model, self.view)
        self.delegate.show_module = module is None
        self.view.setItemDelegate(self.delegate)
        self.picker = RejectPicker(self.view.viewport())
        self.picker.hide()
        self.records = RecordsPanel(session, BY_KEY[module]) if module in BY_KEY else None
        self._loading = False
        self._reload_again = False
        self._rest_due = False
        self._build()
        self._connect()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.setContentsMargins(16, 12, 16, 4)
        self.title = plain_label(module_name(self.module) if self.module else translate("Inbox", "All proposals"))
        self.title.setObjectName("pageTitle")
        self.summary = plain_label()
        self.summary.setObjectName("muted")
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.summary)
        layout.addLayout(head)
        self.empty = plain_label(
            translate("Inbox", "Nothing to review. When a mission plans something, it shows up here.")
        )
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.hide()
        if self.records is None:
            layout.addWidget(self.empty)
            layout.addWidget(self.view, 1)
            return
        top = QWidget()
        box = QVBoxLayout(top)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.empty)
        box.addWidget(self.view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.records)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)

    def _connect(self) -> None:
        self.model.sig_repaint.connect(self.view.viewport().update)
        self.delegate.sig_button_clicked.connect(self._on_button)
        self.delegate.sig_group_clicked.connect(self._on_group)
        self.delegate.sig_mission_clicked.connect(self.sig_open_mission)
        self.view.sig_key_action.connect(self._on_key)
        self.picker.sig_confirmed.connect(self._on_reject_confirmed)
        self.picker.sig_cancelled.connect(self.view.setFocus)
        self.session.sig_decided.connect(self._on_decided)
        self.session.sig_decision_failed.connect(self._on_failed)
        self.session.sig_data_changed.connect(self._on_data_changed)

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch this page's proposals on the worker.

        An empty page (the first load) reads one page of cards first, paints it, then reads
        the whole inbox and appends the rest, so 10,000 cards paint as fast as 300. A page that
        already shows cards reads everything at once and updates them in place.
        """
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        wb, module = self.session.workbench, self.module
        if self.model.views() or not hasattr(wb, "inbox"):
            self._read_all()
            self._reload_records()
            return

        def first() -> tuple[list[ProposalLike], int]:
            page = wb.inbox(module, limit=FIRST_PAGE)
            pending = wb.inbox_counts(module).get("pending", 0) if len(page) == FIRST_PAGE else 0
            return page, pending

        # The records below the cards are read after the first page is painted, like the rest
        # of the cards: the worker stays quiet while the GUI thread paints.
        self.session.run(first, self._first_page, self._first_failed)

    def _reload_records(self) -> None:
        if self.records is not None:
            self.records.reload()

    def _read_all(self) -> None:
        wb, module = self.session.workbench, self.module

        def job() -> tuple[list[ProposalLike], dict[str, Any]]:
            # Action lines are formatted lazily for the rows handed to the view (a few
            # hundred), not for all 10,000 here.
            if hasattr(wb, "inbox"):
                return wb.inbox(module), {}
            return wb.proposals(module=module), {}

        self.session.run(job, self._loaded, self._load_failed)

    def _first_page(self, result: tuple[list[ProposalLike], int]) -> None:
        views, pending = result
        if len(views) < FIRST_PAGE:  # that was all of it
            self._loaded((views, {}))
            self._reload_records()
            return
        self.model.set_first_page(views, pending)
        if self.view.current_card_id() is None and self.model.card_ids():
            self.view.select_first_card()
        self._update_summary()
        self._rest_due = True
        self.view.viewport().installEventFilter(self)
        QTimer.singleShot(REST_AFTER_MS, self, self._read_rest)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._rest_due and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._read_rest)  # after this paint is done
        return super().eventFilter(watched, event)

    def _read_rest(self) -> None:
        if self._rest_due:
            self._rest_due = False
            self.view.viewport().removeEventFilter(self)
            self._read_all()
            self._reload_records()

    def _loaded(self, result: tuple[list[ProposalLike], dict[str, Any]]) -> None:
        self._loading = False
        views, texts = result
        current = self.view.current_card_id()
        old = {v.id: v for v in self.model.views()}
        new = {v.id: v for v in views if v.status in VISIBLE_STATUSES}
        if self.model.is_partial():
            self.model.extend_views(list(new.values()))
        elif old and set(old) == set(new):
            self.model.update_views([v for v in new.values() if old[v.id] != v])
        else:
            self.model.set_views(views, texts or None)
        keep = current is not None and self.view.select_card(current)
        if not keep and self.model.card_ids():
            self.view.select_first_card()
        self._update_summary()
        emit(self.sig_loaded)
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _first_failed(self, exc: Exception) -> None:
        self._load_failed(exc)
        self._reload_records()

    def _load_failed(self, exc: Exception) -> None:
        self._loading = False
        emit(self.session.sig_error, str(exc))
        if self._reload_again:  # a change arrived meanwhile: its reload must still happen
            self._reload_again = False
            self.reload()

    @staticmethod
    def model_visible() -> frozenset[str]:
        return VISIBLE_STATUSES

    def _on_data_changed(self, changed: object) -> None:
        if not self.isVisible():
            self._stale = True
            return
        if not isinstance(changed, dict) or ("*", "*") in changed:
            self.reload()
            return
        missions = changed.get(MISSIONS_KEY)
        if missions:
            self.refresh_missions(set(missions))
        if self.records is not None and (self.records.info.app, self.records.info.collection) in changed:
            self.records.reload()

    def refresh_missions(self, mission_ids: set[str]) -> None:
        """Reload only the cards of missions whose plans changed (not all 10,000)."""
        wb, module = self.session.workbench, self.module

        def job() -> list[ProposalLike]:
            return [v for mid in sorted(mission_ids) for v in wb.proposals(module=module, mission_id=mid)]

        def done(views: list[ProposalLike]) -> None:
            present = {v.id for v in self.model.views() if v.mission_id in mission_ids}
            fresh = [v for v in views if v.status in VISIBLE_STATUSES]
            gone = present - {v.id for v in fresh}
            old = {v.id: v for v in self.model.views()}
            changed = [v for v in fresh if old.get(v.id) != v]
            if changed or gone:
                self.model.update_views(changed, gone)
            if self.view.current_card_id() is None and self.model.card_ids():
                self.view.select_first_card()
            self._update_summary()
            emit(self.sig_loaded)

        self.session.run(job, done)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if getattr(self, "_stale", False):
            self._stale = False
            self.reload()

    def _update_summary(self) -> None:
        n = self.model.pending_count()
        self.summary.setText(translate("Inbox", "%n suggestion(s)", "", n))
        self.empty.setVisible(n == 0 and not self.model.card_ids())
        self.view.setVisible(bool(self.model.card_ids()))

    # -- decisions --------------------------------------------------------------------------
    def _on_key(self, action: str) -> None:
        if action == "help":
            emit(self.sig_show_help)
            return
        if not self.view.current_is_visible() and self.view.currentIndex().isValid():
            # A decision on a card the user cannot see: show it first, act on the next key.
            self.view.scrollTo(self.view.currentIndex())
            return
        ids = self.view.selected_card_ids()
        if action in ("approve_all", "reject_all"):
            view = self.model.view(ids[0]) if ids else None
            if view is not None:
                self._on_group(action, view.iteration_id)
            return
        if not ids:
            return
        {"approve": self.approve, "reject": self.ask_reject, "edit": lambda i: self.edit(i[0])}[action](ids)

    def _on_button(self, name: str, proposal_id: str) -> None:
        self.view.select_card(proposal_id)
        if name == "approve":
            self.approve([proposal_id])
        elif name == "reject":
            self.ask_reject([proposal_id])
        elif name == "edit":
            self.edit(proposal_id)
        elif name == "retry":
            self._decide("retry", [proposal_id])

    def _on_group(self, what: str, iteration_id: str) -> None:
        if what == "approve_all":
            ids = self.model.decidable_ids(iteration_id)
            self._advance_past(ids)
            self.model.set_overlay(ids, "running")
            self.session.decide_iteration("approve", iteration_id, self._label(ids))
        else:
            row = self.model.row_of_header(iteration_id)
            ids = self.model.decidable_ids(iteration_id)
            if row is not None and ids:
                self._open_picker(ids, row, iteration_id)

    def approve(self, ids: list[str]) -> None:
        ids = [i for i in ids if self._decidable(i, "approve")]
        if ids:
            self._decide("approve", ids)

    def ask_reject(self, ids: list[str]) -> None:
        ids = [i for i in ids if self._decidable(i, "reject")]
        row = self.model.row_of_card(ids[-1]) if ids else None
        if row is not None:
            self._open_picker(ids, row, None)

    def edit(self, proposal_id: str) -> None:
        view = self.model.view(proposal_id)
        if view is None or not self._decidable(proposal_id, "approve"):
            return
        dialog = EditDialog(view.tool_name, dict(view.params), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._decide("approve", [proposal_id], params=dialog.params())
        dialog.deleteLater()

    def _decidable(self, proposal_id: str, action: str) -> bool:
        row = self.model.row_of_card(proposal_id)
        if row is None:
            return False
        view = self.model.view(proposal_id)
        state = self.model.state_of(proposal_id)
        if view is None or view.kind == "note" or state not in DECIDABLE_STATUSES:
            return False
        return not (action == "approve" and state == "unsupported")

    def _open_picker(self, ids: list[str], row: int, iteration_id: str | None) -> None:
        self.model.ensure_shown(row)
        rect = self.view.visualRect(self.model.index(row))
        width = max(200, self.view.viewport().width() - 40)
        self.picker.setFixedWidth(width)
        self.picker.adjustSize()
        y = min(rect.bottom() - 4, self.view.viewport().height() - self.picker.height())
        self.picker.move(20, max(0, y))
        self.picker.open_for(ids, iteration_id)

    def _on_reject_confirmed(self, reason: str | None, feedback: str) -> None:
        ids = self.picker.ids
        self.view.setFocus()
        options = {"reason": reason, "feedback": feedback or None}
        if self.picker.iteration_id is not None:
            self._advance_past(ids)
            self.model.set_overlay(ids, "running")
            self.session.decide_iteration("reject", self.picker.iteration_id, self._label(ids), **options)
        else:
            self._decide("reject", ids, **options)

    def _decide(self, action: str, ids: list[str], **options: Any) -> None:
        self._advance_past(ids)
        self.model.set_overlay(ids, "running")
        self.session.decide(action, ids, self._label(ids), **options)

    def _label(self, ids: list[str]) -> str:
        if len(ids) == 1 and self.model.view(ids[0]) is not None:
            text = self.model.text(ids[0])
            return text.subject or text.verb
        return translate("Inbox", "%n suggestion(s)", "", len(ids))

    def _advance_past(self, ids: list[str]) -> None:
        """Auto-advance: select the next card that is not being decided (else the previous)."""
        decided = set(ids)
        order = self.model.card_ids()
        rows = [order.index(i) for i in ids if i in order]
        if not rows:
            return
        after = [pid for pid in order[max(rows) + 1 :] if pid not in decided]
        before = [pid for pid in order[: min(rows)] if pid not in decided]
        target = after[0] if after else (before[-1] if before else None)
        if target is not None:
            self.view.select_card(target)

    def _on_decided(self, result: DecisionResult) -> None:
        mine = [v for v in result.views if self.model.view(v.id) is not None or v.status in self.model_visible()]
        if self.module is not None:
            mine = [v for v in mine if v.module == self.module]
        if mine:
            self.model.update_views(mine)
        if self.view.current_card_id() is None and self.model.card_ids():
            self.view.select_first_card()
        self._update_summary()
        if self.records is not None and result.action != "reject":
            self.records.reload()

    def _on_failed(self, _message: str, ids: object) -> None:
        if isinstance(ids, list):
            self.model.set_overlay(ids, None)
            if ids:
                self.view.select_card(ids[0])
