"""The GUI's handle on one profile: workbench calls on the worker, results as signals.

Pages never call the workbench directly; they ask the session, which runs the call on the
bridge's worker thread and answers in the GUI thread. Change sets from the replica are
coalesced (a burst of commits becomes one refresh) before pages hear of them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from mana_desktop.gui.bridge import Bridge
from mana_desktop.gui.proposal_model import ProposalLike
from mana_desktop.gui.qtcompat import emit

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


@dataclass(frozen=True)
class DecisionResult:
    """What a decision did, for the undo bar and the cards."""

    action: str  # approve | reject | retry | undo
    decision: Any  # workbench Decision (group, proposal_ids, changed, undo_until) or None
    views: list[ProposalLike]
    label: str  # what it was about, for "Approved “Buy milk”."


class Session(QObject):
    """One profile's workbench, replica and engine, used without blocking the GUI thread."""

    sig_decided = Signal(object)
    """A DecisionResult after a decision or an undo finished."""
    sig_decision_failed = Signal(str, object)
    """(message for people, the proposal ids it was about)."""
    sig_counts_changed = Signal(object)
    """dict[module, pending count] (plus "" for all)."""
    sig_data_changed = Signal(object)
    """A coalesced ChangeSet (or None for "reload everything")."""
    sig_status_changed = Signal(object)
    """SyncStatus from the engine."""
    sig_error = Signal(str)
    """A background failure to show in a banner."""
    sig_vault_changed = Signal(str)
    """The encryption vault's state (`unlocked|locked|awaiting-recovery-code|error`)."""
    sig_spaces_changed = Signal(object)
    """The account's SpaceContext changed (Spaces loaded, the active Space switched)."""
    sig_account_changed = Signal()
    """The account layer was rebuilt (sign-in, sign-out, another account server)."""

    def __init__(
        self,
        workbench: Any,
        *,
        replica: Any = None,
        engine: Any = None,
        profile: Any = None,
        settings: Any = None,
        vault: Any = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workbench = workbench
        self.replica = replica
        self.engine = engine
        self.profile = profile
        self.settings = settings
        self.vault = vault  # gui.vault_link.AccountVault, or None (signed out, no cipher)
        self.bridge = Bridge(self)
        self._pending_change: dict[Any, set[str]] | None = {}
        self._coalesce = QTimer(self, singleShot=True, interval=40)
        self._coalesce.timeout.connect(self._flush_changes)
        self.bridge.sig_records_changed.connect(self._on_records_changed)
        self.bridge.sig_status_changed.connect(self.sig_status_changed)
        self.bridge.sig_vault_changed.connect(self._on_vault_changed)
        self.bridge.sig_spaces_changed.connect(self.sig_spaces_changed)
        self.bridge.sig_account_started.connect(self._on_account_started)
        self._threads_lock = threading.Lock()
        self._account_threads: list[threading.Thread] = []
        self._unsubscribe: list[Callable[[], None]] = []
        # Listeners on the account (vault, Spaces) and the engine: replaced on an account switch.
        self._account_unsubscribe: list[Callable[[], None]] = []
        # True on the worker while a decision job runs. The change sets its commits produce
        # are dropped where they arise (their cards come updated with `sig_decided`, so a page
        # need not reload 10,000 proposals). Told apart by thread, not by ids: subtracting a
        # decision's ids later raced with the coalescing timer and could swallow someone
        # else's change of the same mission (a stale inbox).
        self._in_decision = False
        self.last_status: Any = None
        self.sig_status_changed.connect(self._remember_status)

    # -- wiring -----------------------------------------------------------------------------
    def attach(self) -> None:
        """Subscribe to replica commits and engine status (callbacks run on other threads)."""
        if self.replica is not None and hasattr(self.replica, "subscribe"):
            self._unsubscribe.append(self.replica.subscribe(self._on_commit))
        if hasattr(self.workbench, "on_staged"):
            # Staging inserts proposals on its own thread; its change set says which missions.
            self.workbench.on_staged(self.bridge.notify_records_changed)
        self._attach_account()

    def _attach_account(self) -> None:
        """Listen to the current engine's status and the account's vault and Spaces."""
        subs = self._account_unsubscribe
        if self.engine is not None and hasattr(self.engine, "subscribe_status"):
            unsub = self.engine.subscribe_status(self.bridge.notify_status)
            if callable(unsub):
                subs.append(unsub)
            self.bridge.notify_status(self.engine.status())
        if self.vault is not None:
            subs.append(self.vault.vault.subscribe(self.bridge.notify_vault))
            spaces = getattr(self.vault, "spaces", None)
            if spaces is not None:
                subs.append(spaces.subscribe(self.bridge.notify_spaces))
            wake = getattr(getattr(self.vault, "account", None), "wake_on_spaces", None)
            if wake is not None and self.engine is not None:
                # Changes held until the Spaces are known go once they load (or change).
                subs.append(wake(self.engine))

    def _detach_account(self) -> None:
        for unsubscribe in self._account_unsubscribe:
            try:
                unsubscribe()
            except Exception:  # a listener of a closed account: nothing to keep
                log.debug("unsubscribe failed", exc_info=True)
        self._account_unsubscribe.clear()

    def swap_account(self, vault: Any, engine: Any, settings: Any) -> None:
        """GUI thread, after the worker rebuilt the account layer: listen to the new vault,
        Spaces and engine, then tell every page (`sig_account_changed`, a full reload)."""
        self._detach_account()
        self.vault, self.engine, self.settings = vault, engine, settings
        self._attach_account()
        if engine is None:
            from mana_desktop.sync.status import SyncStatus

            self.bridge.notify_status(SyncStatus(state="signed-out"))
        state = self.vault.state if self.vault is not None else "locked"
        self.bridge.notify_vault(state)
        context = getattr(getattr(self.vault, "spaces", None), "context", None)
        self.bridge.notify_spaces(context)
        emit(self.sig_account_changed)
        emit(self.sig_data_changed, {("*", "*"): set()})
        self.refresh_counts()

    @property
    def cipher(self) -> Any:
        return self.vault.cipher if self.vault is not None else None

    def unlock_vault(self) -> None:
        """Fetch and unlock the key (HTTP with up to 3 attempts) on a thread of its own, so
        the pages' first reads on the worker do not wait for it; the outcome arrives as
        `sig_vault_changed`. Skipped while working offline unless the opt-in keyring cache
        can answer without the network. Sync is asked for once the account has started."""
        vault, settings = self.vault, self.settings
        if vault is None or vault.vault.key is not None:
            return
        if getattr(settings, "work_offline", False) and not getattr(settings, "vault_keyring_cache", False):
            return

        def unlock() -> None:
            try:
                vault.unlock()
            except Exception:  # the client reports failures as its ERROR state; never crash
                log.warning("vault unlock failed", exc_info=True)
            started = getattr(vault, "started", None)
            if started is None or started.is_set():  # else the start thread asks when it ends
                self.bridge.notify_account_started(vault)

        self._account_thread(unlock, "mana-vault-unlock")

    def start_account(self) -> None:
        """On start and after a sign-in: `start()` the account (Spaces and the vault's key;
        HTTP) on a thread of its own, like `unlock_vault`, so the pages' first reads on the
        worker do not wait behind it. Outcomes arrive as `sig_vault_changed` and
        `sig_spaces_changed`; when it has finished, the engine is asked to sync (not on the
        unlock alone: without the Spaces list a shared Space's change would be sealed).
        Offline without the keyring cache: nothing is fetched."""
        account, settings = self.vault, self.settings
        if account is None:
            return
        if getattr(settings, "work_offline", False) and not getattr(settings, "vault_keyring_cache", False):
            return

        def start() -> None:
            try:
                account.start()
            except Exception:  # failures end up in the vault's state and the log; never crash
                log.warning("account start failed", exc_info=True)
            self.bridge.notify_account_started(account)

        self._account_thread(start, "mana-account-start")

    def _account_thread(self, target: Callable[[], None], name: str) -> None:
        """Run an account call on its own thread, remembered so sign-out can wait for it."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._threads_lock:
            self._account_threads = [t for t in self._account_threads if t.is_alive()]
            self._account_threads.append(thread)
        thread.start()

    def join_account_threads(self, timeout: float) -> bool:
        """Blocking (never on the GUI thread): wait for the account's start/unlock threads, so
        none of them refreshes a token after sign-out wiped the secrets. False on timeout."""
        deadline = time.monotonic() + timeout
        with self._threads_lock:
            threads = list(self._account_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    @Slot(object)
    def _on_account_started(self, account: object) -> None:
        self.sync_when_started(account)

    def sync_when_started(self, account: object) -> None:
        """Ask the engine to sync now, if `account` is still the current one and its start()
        has finished (changes that waited for the key or the Spaces can go)."""
        if account is None or account is not self.vault or self.engine is None or getattr(account, "closed", False):
            return
        started = getattr(account, "started", None)
        if started is not None and not started.is_set():
            return
        self.engine.sync_now()  # non-blocking: a call handed to the engine's loop

    def _on_vault_changed(self, state: object) -> None:
        text = str(getattr(state, "value", state))
        emit(self.sig_vault_changed, text)
        if text == "unlocked":
            # Envelopes that showed as locks can be read now; proposals held back can be staged.
            # No sync_now here: that waits for the account's start() (`_on_account_started`).
            wb = self.workbench
            if hasattr(wb, "stage"):
                self.run(wb.stage)
            emit(self.sig_data_changed, {("*", "*"): set()})
        elif text == "locked":
            emit(self.sig_data_changed, {("*", "*"): set()})

    def close(self) -> None:
        self._detach_account()
        for unsubscribe in self._unsubscribe:
            try:
                unsubscribe()
            except Exception:  # closing must not fail
                log.debug("unsubscribe failed", exc_info=True)
        self._unsubscribe.clear()
        self.bridge.shutdown()

    @Slot(object)
    def _remember_status(self, status: object) -> None:
        self.last_status = status

    def _on_commit(self, changed: object) -> None:
        """Replica subscriber (runs on the committing thread)."""
        if self._in_decision and self.bridge.on_worker():
            return  # our own decision's commit (the worker runs one job at a time)
        self.bridge.notify_records_changed(changed)

    @Slot(object)
    def _on_records_changed(self, changed: object) -> None:
        if self._pending_change is None or not isinstance(changed, dict):
            self._pending_change = None
        else:
            for key, ids in changed.items():
                self._pending_change.setdefault(key, set()).update(ids)
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _flush_changes(self) -> None:
        changed, self._pending_change = self._pending_change, {}
        if changed is not None:
            changed = {k: ids for k, ids in changed.items() if ids}
            if not changed:
                self.refresh_counts()
                return
        emit(self.sig_data_changed, changed if changed is not None else {("*", "*"): set()})
        self.refresh_counts()

    # -- generic ----------------------------------------------------------------------------
    def run(
        self,
        job: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> int:
        """Run `job` on the worker; report failures in the banner unless `on_error` is given."""
        return self.bridge.submit(job, on_done, on_error or self._report_error)

    def _report_error(self, exc: Exception) -> None:
        emit(self.sig_error, str(exc) or type(exc).__name__)

    def refresh_counts(self) -> None:
        self.run(self.workbench.pending_counts, self.sig_counts_changed.emit)

    # -- decisions --------------------------------------------------------------------------
    def decide(self, action: str, ids: Iterable[str], label: str, **options: Any) -> None:
        """approve | reject | retry over `ids` (one or many), then fetch the updated views."""
        ids = list(ids)
        wb = self.workbench

        def job() -> DecisionResult:
            decision = _call_decision(wb, action, ids, options)
            touched = list(getattr(decision, "proposal_ids", None) or ids)
            views = [v for v in (wb.proposal(pid) for pid in touched) if v is not None]
            return DecisionResult(action, decision, views, label)

        self._run_decision(job, ids)

    def decide_iteration(self, action: str, iteration_id: str, label: str, **options: Any) -> None:
        wb = self.workbench

        def job() -> DecisionResult:
            if action == "approve":
                decision = wb.approve_iteration(iteration_id)
            else:
                decision = wb.reject_iteration(iteration_id, **options)
            ids = list(getattr(decision, "proposal_ids", None) or [])
            views = [v for v in (wb.proposal(pid) for pid in ids) if v is not None]
            return DecisionResult(action, decision, views, label)

        self._run_decision(job, [])

    def undo(self, group: str | None = None, label: str = "") -> None:
        wb = self.workbench

        def job() -> DecisionResult:
            changed_or_decision = wb.undo(group)
            ids = list(getattr(changed_or_decision, "proposal_ids", None) or [])
            views = [v for v in (wb.proposal(pid) for pid in ids) if v is not None]
            return DecisionResult("undo", changed_or_decision, views, label)

        self._run_decision(job, [])

    def _run_decision(self, job: Callable[[], DecisionResult], ids: list[str]) -> None:
        def decision() -> DecisionResult:
            self._in_decision = True  # read by `_on_commit` on this same worker thread
            try:
                return job()
            finally:
                self._in_decision = False

        self.run(decision, self._decided, lambda exc: emit(self.sig_decision_failed, str(exc), ids))

    def _decided(self, result: DecisionResult) -> None:
        emit(self.sig_decided, result)
        self.refresh_counts()


def _call_decision(wb: Any, action: str, ids: list[str], options: dict[str, Any]) -> Any:
    if action == "approve":
        if len(ids) == 1:
            return wb.approve(ids[0], params=options.get("params"))
        return wb.approve_many(ids)
    if action == "retry":
        return wb.approve(ids[0], params=options.get("params"))
    if action == "reject":
        reason, feedback = options.get("reason"), options.get("feedback")
        if len(ids) == 1:
            return wb.reject(ids[0], reason=reason, feedback=feedback)
        return wb.reject_many(ids, reason, feedback)
    raise ValueError(f"unknown decision {action!r}")
