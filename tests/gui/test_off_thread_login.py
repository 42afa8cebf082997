"""The first-run sign-in runs its HTTP off the GUI thread while Qt keeps processing events."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from mana_desktop.gui.app import wait_off_gui_thread


def test_job_runs_on_another_thread_while_events_flow(qtbot: QtBot) -> None:
    gui_thread = threading.get_ident()
    release = threading.Event()
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(5)
    # The GUI thread must keep running timers while the job waits: the job only finishes
    # after it has seen three ticks, so a blocking wait would never return (and time out).
    timer.timeout.connect(lambda: ticks.append(1) if len(ticks) < 3 else release.set())
    timer.start()

    def job() -> int:
        assert release.wait(10), "the GUI thread did not process events during the job"
        return threading.get_ident()

    worker = wait_off_gui_thread(job)
    timer.stop()
    assert worker != gui_thread
    assert len(ticks) == 3


def test_job_errors_reach_the_caller(qtbot: QtBot) -> None:
    def job() -> None:
        raise RuntimeError("wrong password")

    with pytest.raises(RuntimeError, match="wrong password"):
        wait_off_gui_thread(job)
