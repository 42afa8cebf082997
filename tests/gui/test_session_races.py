"""Session change-set coalescing under unlucky timing: no foreign change is ever dropped."""

from __future__ import annotations

import threading

from mana_desktop.gui.session import Session
from tests.fixtures.gui import seed_proposals

MISSIONS = ("ai", "aiMissions")


def test_a_decision_is_not_heard_but_the_next_runner_change_is(qtbot, gui_workbench):
    """A decision's own commit never reaches the pages as a change set (its cards come with
    `sig_decided`); the runner's next change of the same mission always does."""
    wb, replica = gui_workbench
    seed_proposals(replica, wb, per_iteration=2)
    s = Session(wb, replica=replica, settings=wb.settings)
    s.attach()
    try:
        heard: list[object] = []
        s.sig_data_changed.connect(heard.append)
        pid = wb.proposals(mission_id="m0")[0].id
        with qtbot.waitSignal(s.sig_decided, timeout=15000):
            s.decide("approve", [pid], "Task")
        qtbot.waitUntil(lambda: s.bridge.pending_jobs() == 0 and not s._coalesce.isActive(), timeout=15000)
        assert heard == []

        from tests.fixtures.workbench import iteration, server_set_iterations, tool_step

        step = tool_step("late", "create_task", {"title": "Late"})
        server_set_iterations(replica, "m0", [iteration("it-late", step)])
        qtbot.waitUntil(lambda: any(isinstance(c, dict) and "m0" in c.get(MISSIONS, ()) for c in heard),
                        timeout=15000)  # fmt: skip
    finally:
        s.close()


def test_a_runner_change_during_a_decision_of_the_same_mission_is_heard(qtbot, gui_workbench):
    """The runner rewrites a mission while the user's decision on it is on the worker: the two
    change sets are coalesced together, and the runner's must survive the decision's."""
    from tests.fixtures.workbench import iteration, server_set_iterations, tool_step

    wb, replica = gui_workbench
    seed_proposals(replica, wb, per_iteration=2)
    s = Session(wb, replica=replica, settings=wb.settings)
    s.attach()
    try:
        approve = wb.approve

        def approve_while_the_runner_writes(pid, params=None):
            decision = approve(pid, params=params)
            step = tool_step("late", "create_task", {"title": "Late"})
            runner = threading.Thread(
                target=server_set_iterations, args=(replica, "m0", [iteration("it-late", step)])
            )
            runner.start()
            runner.join(10)
            return decision

        wb.approve = approve_while_the_runner_writes
        heard: list[object] = []
        s.sig_data_changed.connect(heard.append)
        pid = wb.proposals(mission_id="m0")[0].id
        with qtbot.waitSignal(s.sig_decided, timeout=15000):
            s.decide("approve", [pid], "Task")
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
