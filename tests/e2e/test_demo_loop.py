"""The whole loop on one machine: demo server + runner -> sync -> staging -> decide -> server.

Real parts only: the embedded server on 127.0.0.1:0 with its SQLite file, the demo profile's
replica, the sync engine over HTTP, the workbench. The runner is ticked by the test (with a
clock a little ahead, so every seeded mission is due) instead of by its thread.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.demo.seed import DEMO_EMAIL
from mana_desktop.demo.session import DemoSession
from mana_desktop.domain.timeutil import utc_now
from mana_desktop.server.runner import MISSIONS_APP, MISSIONS_TABLE
from mana_desktop.server.runner_replay import replay
from mana_desktop.store.profile import Profile
from mana_desktop.store.replica import Replica
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine
from mana_desktop.workbench.service import Workbench


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoSession]:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    with DemoSession.start(tmp_path / "demo", run_runner=False) as demo:
        yield demo


@pytest.fixture
def client(session: DemoSession) -> Iterator[tuple[Replica, SyncEngine, Workbench]]:
    profile = Profile(session.profile_dir)
    replica = profile.open_replica()
    engine = SyncEngine(profile, replica, Credentials(profile), live=False)
    workbench = Workbench(replica, profile.load_settings())
    yield replica, engine, workbench
    replica.close()


def server_missions(session: DemoSession) -> dict[str, dict[str, Any]]:
    assert session.runner is not None
    records = replay(session.runner.log.rows(session.user_id, MISSIONS_APP, MISSIONS_TABLE))
    return {rid: r.data for rid, r in records.items()}


def server_rows(session: DemoSession, app: str, record_id: str) -> list[tuple[Any, ...]]:
    assert session._service is not None
    return (
        session._service.store.reader()
        .execute(
            "SELECT op, data, actor, origin, client_id FROM sync_changes"
            " WHERE user_id = ? AND app_id = ? AND record_id = ? ORDER BY created_at",
            (session.user_id, app, record_id),
        )
        .fetchall()
    )


def test_demo_is_seeded_and_signed_in(session: DemoSession) -> None:
    assert session.seeded > 0
    settings = Profile(session.profile_dir).load_settings()
    assert settings.demo is True
    assert settings.server_url == session.url and settings.account_email == DEMO_EMAIL
    missions = server_missions(session)
    assert {"demo-weekly-review", "demo-trip-lisbon", "demo-hydration", "demo-reading-list"} <= set(
        missions
    )
    assert missions["demo-spanish"]["state"] == "paused"
    assert missions["demo-weekly-review"]["iterations"][0]["userFeedback"]


def test_restart_keeps_data_and_does_not_seed_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    with DemoSession.start(tmp_path / "demo", run_runner=False) as first:
        user = first.user_id
    with DemoSession.start(tmp_path / "demo", run_runner=False) as again:
        assert again.seeded == 0 and again.user_id == user
        assert len(server_missions(again)) == 5
    with DemoSession.start(tmp_path / "demo", run_runner=False, reset=True) as fresh:
        assert fresh.seeded > 0 and fresh.user_id != user


def test_full_loop_runner_sync_stage_approve_server(
    session: DemoSession, client: tuple[Replica, SyncEngine, Workbench]
) -> None:
    replica, engine, workbench = client
    assert session.runner is not None
    stats = session.runner.tick(utc_now() + timedelta(seconds=30))
    assert stats.plans_written_back == 4 and stats.errors == []

    engine.run_once()
    workbench.stage()
    pending = workbench.proposals(status="pending")
    # log_drink is an "auto" tool; the demo profile asks for proposals instead.
    assert {"todo", "calendar", "places", "notes", "drink", "habits"} <= {p.module for p in pending}
    assert all(p.rationale for p in pending)

    task = next(p for p in pending if p.tool_name == "create_task")
    decision = workbench.approve(task.id)
    replica.release_group(decision.group)  # end the undo window now
    engine.run_once()

    created = [
        (app, rid) for (app, coll), ids in decision.changed.items() if app == "todo" for rid in ids
    ]
    assert created, decision.changed
    app, record_id = created[0]
    rows = server_rows(session, app, record_id)
    assert rows, "the approved task never reached the server"
    op, data_text, actor_text, origin, _client = rows[0]
    actor = json.loads(actor_text)
    assert op == "insert" and actor["kind"] == "ai"
    assert actor["missionId"] == task.mission_id and actor["iterationId"] == task.iteration_id
    assert json.loads(data_text)["title"] == task.params["title"]
    assert origin == "agent"

    # The staging markers synced back, and the runner's next write keeps them.
    later = utc_now() + timedelta(hours=1)
    session.runner.tick(later)
    mission = server_missions(session)[task.mission_id]
    old = next(i for i in mission["iterations"] if i["id"] == task.iteration_id)
    step = next(s for s in old["plan"] if s["id"] == task.step_id)
    assert step["status"] == "approved" and step["proposalId"]
    assert mission["iterations"][-1]["id"] != task.iteration_id


def test_rejection_feedback_reaches_the_next_plan(
    session: DemoSession, client: tuple[Replica, SyncEngine, Workbench]
) -> None:
    replica, engine, workbench = client
    assert session.runner is not None
    session.runner.tick(utc_now() + timedelta(seconds=30))
    engine.run_once()
    workbench.stage()
    trip = [p for p in workbench.proposals(status="pending") if p.mission_id == "demo-trip-lisbon"]
    assert len(trip) == 3
    decision = workbench.reject(
        trip[0].id, reason="wrong-time", feedback="Too many at once, fewer please"
    )
    replica.release_group(decision.group)
    engine.run_once()

    session.runner.tick(utc_now() + timedelta(hours=1))
    newest = server_missions(session)["demo-trip-lisbon"]["iterations"][-1]
    assert len(newest["plan"]) == 1
    assert "fewer please" in newest["plan"][0]["rationale"]


def wait_until(condition: Any, timeout: float = 20.0) -> bool:
    """Poll a condition with short waits until it holds or the timeout passes."""
    import threading
    import time

    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(0.05)
    return bool(condition())


def test_live_loop_and_work_offline(
    session: DemoSession, client: tuple[Replica, SyncEngine, Workbench]
) -> None:
    replica, engine, workbench = client
    assert session.runner is not None
    workbench.attach()
    engine.start()
    try:
        assert wait_until(lambda: engine.status().state == "idle")
        # The runner's write wakes the live channel; the engine pulls, staging makes cards.
        session.runner.tick(utc_now() + timedelta(seconds=30))
        assert wait_until(lambda: len(workbench.proposals(status="pending")) >= 5)

        engine.set_offline(True)
        assert wait_until(lambda: engine.status().state == "offline")
        task = next(
            p for p in workbench.proposals(status="pending") if p.tool_name == "create_task"
        )
        decision = workbench.approve(task.id)
        replica.release_group(decision.group)
        record_id = next(iter(decision.changed[("todo", "tasks")]))
        engine.sync_now()
        assert replica.pending_count() > 0  # queued while offline
        assert server_rows(session, "todo", record_id) == []

        engine.set_offline(False)
        assert wait_until(lambda: replica.pending_count() == 0)
        assert wait_until(lambda: server_rows(session, "todo", record_id) != [])
    finally:
        engine.stop()
        workbench.detach()
