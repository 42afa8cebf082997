"""The runner inside the running reference server: HTTP push in, runner iteration out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from mana_desktop.domain.timeutil import format_ms, utc_now
from mana_desktop.server.runner import runner_for
from tests.fixtures.server import ServerFactory

ALICE = "alice@example.com"


def test_runner_installed_plans_pushed_mission_and_client_pulls_it(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(runner=True)
    runner = runner_for(server.service)
    assert runner is not None
    assert runner.wait_for_ticks(1, 20)  # the first tick runs at start, as upstream's
    ticks = runner.tick_count
    mission = {
        "id": "m-1",
        "title": "Trip to Vienna",
        "objective": "Plan a weekend in Vienna",
        "cadence": {"kind": "interval", "everyMinutes": 60},
        "state": "active",
        "nextRunAt": format_ms(utc_now() - timedelta(seconds=1)),
        "iterations": [],
    }
    body = {
        "clientId": "desk-1",
        "since": "1970-01-01T00:00:00.000Z",
        "changes": [{"table": "aiMissions", "id": "m-1", "op": "insert", "data": mission}],
    }
    with httpx.Client(base_url=server.url, headers=server.headers(ALICE, "desk-1")) as http:
        assert http.post("/sync/ai", json=body).status_code == 200
        # No wake(): the runner notices the pushed mission within its 1 s watch, long before
        # its 60 s interval.
        assert runner.wait_for_ticks(ticks + 1, 20)
        pulled = http.get(
            "/sync/ai/pull", params={"collection": "aiMissions", "since": "1970-01-01T00:00:00Z"}
        ).json()
    [change] = pulled["serverChanges"]  # its own insert is excluded by client id
    assert change["op"] == "update" and change["id"] == "m-1"
    assert change["actor"]["principalId"] == "system:mission-runner"
    [iteration] = change["fields"]["iterations"]["value"]
    assert iteration["source"] == "server" and iteration["overallStatus"] == "awaiting-review"
    assert any(s["intent"]["toolName"] == "create_place" for s in iteration["plan"])
    assert change["fields"]["nextRunAt"]["value"] > mission["nextRunAt"]


def test_watch_ignores_the_runners_own_writes(server_factory: ServerFactory) -> None:
    from mana_desktop.server.runner import RUNNER_CLIENT_ID, ServiceLog

    server = server_factory()
    log = ServiceLog(server.service)
    assert log.missions_changed() is False
    change = {
        "table": "aiMissions",
        "id": "m",
        "op": "update",
        "fields": {"title": {"value": "x", "at": "2026-04-15T08:00:00.000Z"}},
    }
    server.append_changes(ALICE, "ai", [change], client_id=RUNNER_CLIENT_ID)
    assert log.missions_changed() is False
    server.append_changes(ALICE, "todo", [{**change, "table": "tasks"}], client_id="desk")
    assert log.missions_changed() is False
    server.append_changes(ALICE, "ai", [change], client_id="desk")
    assert log.missions_changed() is True
    assert log.missions_changed() is False


def test_serve_flags_build_the_runner(tmp_path: Path) -> None:
    from mana_desktop.cli import build_parser
    from mana_desktop.server.planner_builtin import BuiltinPlanner
    from mana_desktop.server.planner_llm import LlmPlanner
    from mana_desktop.server.runner import start_runner
    from mana_desktop.server.service import SyncService

    parser = build_parser()
    service = SyncService.open(tmp_path / "s.db")
    try:
        off = parser.parse_args(["serve", "--no-runner"])
        assert start_runner(service, off) is None and runner_for(service) is None
        default = parser.parse_args(["serve"])
        assert default.runner is True and default.tick == 60
        args = parser.parse_args(
            ["serve", "--tick", "5", "--llm-url", "http://127.0.0.1:9/v1", "--llm-model", "m"]
        )
        runner = start_runner(service, args)
        assert runner is not None and runner_for(service) is runner and runner.tick_s == 5
        assert isinstance(runner.planner, LlmPlanner) and runner.planner.model == "m"
        assert runner.planner.url == "http://127.0.0.1:9/v1/chat/completions"
        assert isinstance(
            start_runner(service, parser.parse_args(["serve"])).planner,  # type: ignore[union-attr]
            BuiltinPlanner,
        )
    finally:
        service.close()
