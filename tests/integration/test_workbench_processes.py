"""Idempotent staging across restarts, two processes at once, and live subscription."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    iteration,
    mission_data,
    server_insert_mission,
    server_set_iterations,
    tool_step,
)

STAGE_SCRIPT = """
import sys
from mana_desktop.store.replica import Replica
from mana_desktop.workbench.service import Workbench
with Replica.open(sys.argv[1]) as replica:
    wb = Workbench(replica, None)
    for _ in range(3):
        wb.stage()
print("ok")
"""


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return condition()


def _seed(replica: Replica, missions: int, steps: int) -> None:
    for m in range(missions):
        plan = [tool_step(f"s{i}", "create_task", {"title": f"t{m}-{i}"}) for i in range(steps)]
        server_insert_mission(replica, mission_data(f"m{m}", [iteration(f"it{m}", *plan)]))


def test_restart_does_not_restage(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Replica.open(path) as replica:
        _seed(replica, 3, 2)
        Workbench(replica, Settings()).stage()
        outbox = replica.pending_count()
    with Replica.open(path) as replica:
        wb = Workbench(replica, Settings())
        wb.stage()
        wb.stage(None)
        assert len(wb.proposals()) == 6
        assert replica.pending_count() == outbox  # no second marker write either


def test_two_processes_staging_at_once_make_one_proposal_per_step(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Replica.open(path) as replica:
        _seed(replica, 40, 3)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STAGE_SCRIPT, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    with Replica.open(path) as replica:
        wb = Workbench(replica, Settings())
        views = wb.proposals()
        assert len(views) == 120
        assert len({(v.mission_id, v.iteration_id, v.step_id) for v in views}) == 120
        markers = [e for e in replica.outbox_pending("ai") if e.collection == "aiMissions"]
        assert len(markers) == 40  # one marker write per mission, not one per process


def test_attach_stages_on_replica_changes(tmp_path: Path) -> None:
    with Replica.open(tmp_path / "r.db") as replica:
        wb = Workbench(replica, Settings())
        wb.attach()
        try:
            server_insert_mission(replica, mission_data("m1"))
            server_set_iterations(
                replica, "m1", [iteration("it1", tool_step("s1", "create_task", {"title": "x"}))]
            )
            assert _wait_for(lambda: len(wb.proposals()) == 1)
            assert _wait_for(
                lambda: (
                    replica.get("ai", "aiMissions", "m1").data["iterations"][0]["plan"][0]["status"]
                    == "staged"
                )
            )  # type: ignore[union-attr]
            assert wb.last_error is None
        finally:
            wb.detach()


def test_profile_from_an_earlier_build_gets_the_new_columns(tmp_path: Path) -> None:
    from mana_desktop.workbench.schema import SCHEMA

    path = tmp_path / "r.db"
    with Replica.open(path) as replica:
        _seed(replica, 1, 12)
        with replica.write() as tx:  # the first layout, without `position`
            for statement in SCHEMA.replace("    position INTEGER NOT NULL DEFAULT 0,\n", "").split(
                ";"
            ):
                if statement.strip():
                    tx.conn.execute(statement)
        wb = Workbench(replica, Settings())
        wb.stage()
        assert [v.step_id for v in wb.proposals()] == [
            f"s{i}" for i in range(12)
        ]  # plan order, not text order
        wb.close()
