"""The one door between the GUI thread and everything that blocks.

ARCHITECTURE decision 8: the GUI thread runs Qt only. Workbench calls (SQL writes, reads of
thousands of proposals) run in order on one worker thread; their results come back as queued
signals to this object, which lives in the GUI thread. Replica change sets and engine status
arrive from other threads through `notify_*` methods that only emit signals, so the slots run in
the GUI thread (a lambda receiver would run in the sender's thread).
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from mana_desktop.gui.qtcompat import emit

log = logging.getLogger(__name__)

Job = Callable[[], Any]
Done = Callable[[Any], None]
Failed = Callable[[Exception], None]


class Bridge(QObject):
    """Runs blocking jobs on one worker thread and relays cross-thread events as signals."""

    sig_records_changed = Signal(object)
    """A ChangeSet committed by the replica (any thread, any process)."""
    sig_status_changed = Signal(object)
    """A new SyncStatus from the engine."""
    sig_vault_changed = Signal(object)
    """A new VaultState (str) from the vault client."""
    sig_spaces_changed = Signal(object)
    """A new SpaceContext (active Space or the list changed) from the SpaceDirectory."""
    sig_account_started = Signal(object)
    """An AccountVault whose start() finished (Spaces loaded, unlock tried): sync may go."""
    sig_job_finished = Signal(int, bool, object)
    """Internal: job id, ok flag, result or exception; delivered in the GUI thread."""
    sig_busy_changed = Signal(bool)
    """True while jobs are queued or running."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._queue: queue.Queue[tuple[int, Job] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="mana-gui-worker", daemon=True)
        self._idle = threading.Event()
        self._idle.set()
        self.sig_job_finished.connect(self._on_job_finished)
        self._thread.start()

    # -- jobs -----------------------------------------------------------------------------
    def submit(self, job: Job, on_done: Done | None = None, on_error: Failed | None = None) -> int:
        """Queue `job` for the worker; `on_done(result)` / `on_error(exc)` run in the GUI thread."""
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error)
        self._idle.clear()
        if len(self._callbacks) == 1:
            emit(self.sig_busy_changed, True)
        self._queue.put((job_id, job))
        return job_id

    def pending_jobs(self) -> int:
        return len(self._callbacks)

    def on_worker(self) -> bool:
        """True when called from the worker thread (inside a job)."""
        return threading.current_thread() is self._thread

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job_id, job = item
            try:
                result = job()
            except Exception as exc:
                log.warning("background job failed: %s", exc, exc_info=True)
                emit(self.sig_job_finished, job_id, False, exc)
            else:
                emit(self.sig_job_finished, job_id, True, result)

    @Slot(int, bool, object)
    def _on_job_finished(self, job_id: int, ok: bool, payload: object) -> None:
        on_done, on_error = self._callbacks.pop(job_id, (None, None))
        if not self._callbacks:
            self._idle.set()
            emit(self.sig_busy_changed, False)
        if ok and on_done is not None:
            on_done(payload)
        elif not ok and on_error is not None:
            on_error(payload)  # type: ignore[arg-type]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """For tests and shutdown: block until the queue drained (results may still be queued)."""
        return self._idle.wait(timeout)

    def shutdown(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    # -- events from other threads --------------------------------------------------------
    def notify_records_changed(self, changed: object) -> None:
        """Replica subscriber callback (runs on the committing thread)."""
        emit(self.sig_records_changed, changed)

    def notify_vault(self, state: object) -> None:
        """Vault state callback (runs on the thread that locked or unlocked it)."""
        emit(self.sig_vault_changed, state)

    def notify_spaces(self, context: object) -> None:
        """SpaceDirectory listener (runs on the thread that refreshed or switched Spaces)."""
        emit(self.sig_spaces_changed, context)

    def notify_account_started(self, account: object) -> None:
        """An account's start thread finished (runs on that thread)."""
        emit(self.sig_account_started, account)

    def notify_status(self, status: object) -> None:
        """Engine status callback (runs on the engine thread)."""
        emit(self.sig_status_changed, status)
