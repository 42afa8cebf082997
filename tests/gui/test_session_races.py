"""Session change-set coalescing under unlucky timing: no foreign change is ever dropped."""

from __future__ import annotations

import threading

from mana_desktop.gui.session import Session
from tests.fixtures.gui import seed_proposals

MISSIONS = ("ai", "aiMissions")


def test_change_after_a_slow_decision_is_not_swallowed(qtbot, gui_workbench):
    """The decision's commit reaches the session before its result. If the coalescing timer
    fires in between (a busy machine), the decision's ids must not linger as "our own" and
    swallow the runner's next change to the same mission."""
    wb, replica = gui_workbench
    seed_proposals(replica, wb, per_iteration=2)
    s = Session(wb, replica=replica, settings=wb.settings)
    s.attach()
    try:
        timer_fired = threading.Event()
        s._coalesce.timeout.connect(timer_fired.set)
        approve = wb.approve

        def slow_approve(pid, params=None):
            decision = approve(pid, params=params)
            # Hold the result back until the coalescing timer has fired in the GUI thread.
            assert timer_fired.wait(10)
            return decision

        wb.approve = slow_approve
        heard: list[object] = []
        s.sig_data_changed.connect(heard.append)
        pid = wb.proposals(mission_id="m0")[0].id
        with qtbot.waitSignal(s.sig_decided, timeout=15000):
            s.decide("approve", [pid], "Task")
        qtbot.waitUntil(lambda: s.bridge.pending_jobs() == 0 and not s._coalesce.isActive(), timeout=15000)
        heard.clear()

        from tests.fixtures.workbench import iteration, server_set_iterations, tool_step

        step = tool_step("late", "create_task", {"title": "Late"})
        server_set_iterations(replica, "m0", [iteration("it-late", step)])
        qtbot.waitUntil(lambda: any(isinstance(c, dict) and "m0" in c.get(MISSIONS, ()) for c in heard),
                        timeout=15000)  # fmt: skip
    finally:
        s.close()


def test_a_change_during_a_failed_load_still_reloads(qtbot, gui_workbench):
    """A reload asked for while a load is in flight is kept even when that load fails."""
    from mana_desktop.gui.inbox_page import InboxPage

    wb, replica = gui_workbench
    seed_proposals(replica, wb, per_iteration=2)
    inbox = wb.inbox
    failures = [RuntimeError("disk I/O error")]

    def flaky_inbox(*args, **kwargs):
        if failures:
            raise failures.pop()
        return inbox(*args, **kwargs)

    wb.inbox = flaky_inbox
    s = Session(wb, replica=replica, settings=wb.settings)
    try:
        page = InboxPage(s, None)
        qtbot.addWidget(page)
        page.show()
        page.reload()
        page.reload()  # a change set arrives while the first load is still on the worker
        qtbot.waitUntil(lambda: len(page.model.card_ids()) == 2, timeout=15000)
        assert not failures
    finally:
        s.close()
