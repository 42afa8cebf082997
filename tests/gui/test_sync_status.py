"""The window on a real engine talking to the reference server on 127.0.0.1:0."""

from __future__ import annotations

import pytest

from mana_desktop.gui.main_window import MainWindow
from mana_desktop.gui.session import Session
from mana_desktop.workbench.service import Workbench
from tests.fixtures.gui import seed_proposals


@pytest.fixture
def live(qtbot, reference_server, sync_client_factory):
    side = sync_client_factory(reference_server.url)
    # A short undo window: the approval's push waits for it to end.
    side.profile.save_settings(side.profile.load_settings().model_copy(update={"undo_window_s": 0.5}))
    wb = Workbench(side.replica, side.profile.load_settings())
    session = Session(wb, replica=side.replica, engine=side.engine, profile=side.profile,
                      settings=side.profile.load_settings())  # fmt: skip
    session.attach()
    side.engine.start()
    win = MainWindow(session, settings_key="live")
    qtbot.addWidget(win)
    win.show()
    yield win, wb, side, session
    session.close()
    wb.detach()


def test_status_follows_the_engine_and_work_offline(qtbot, live):
    win, wb, side, session = live
    qtbot.waitUntil(lambda: "In sync" in win.status_button.text(), timeout=20000)
    win.set_offline(True)
    qtbot.waitUntil(lambda: "offline" in win.status_button.text().lower(), timeout=20000)
    # The button says so at once; the settings file is written afterwards, on the worker.
    qtbot.waitUntil(lambda: side.profile.load_settings().work_offline is True, timeout=20000)
    # A decision while offline waits in the outbox and says so.
    seed_proposals(side.replica, wb, per_iteration=1)
    proposal = wb.proposals()[0]
    session.decide("approve", [proposal.id], "Task")
    qtbot.waitUntil(lambda: wb.proposal(proposal.id).status == "approved", timeout=20000)
    qtbot.waitUntil(lambda: "waiting to send" in win.status_button.text(), timeout=20000)
    win.set_offline(False)
    qtbot.waitUntil(lambda: "In sync" in win.status_button.text()
                    and "waiting" not in win.status_button.text(), timeout=30000)  # fmt: skip
    qtbot.waitUntil(lambda: side.profile.load_settings().work_offline is False, timeout=20000)
