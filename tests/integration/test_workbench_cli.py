"""The `inbox`, `missions` and `policy` commands against a real profile (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mana_desktop.cli import main
from mana_desktop.store.profile import Profile
from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(data_dir)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    profile = Profile(tmp_path / "p")
    with profile.open_replica() as replica:
        steps = [
            tool_step("s1", "create_task", {"title": "Buy milk"}),
            tool_step("s2", "create_note", {"content": "hi"}),
        ]
        server_insert_mission(replica, mission_data("m1", [iteration("it1", *steps)]))
    return tmp_path / "p"


def test_inbox_list_approve_with_set_undo_and_reject(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = _run(capsys, data_dir, "inbox", "list", "--json")
    assert code == 0
    cards = {c["stepId"]: c for c in json.loads(out)}
    assert set(cards) == {"s1", "s2"}
    first = cards["s1"]
    for key in (
        "id",
        "status",
        "module",
        "toolName",
        "params",
        "rationale",
        "missionId",
        "missionTitle",
        "iterationId",
        "stepId",
        "agentName",
        "createdAt",
        "error",
    ):
        assert key in first
    assert first["status"] == "pending" and first["missionTitle"] == "Mission m1"

    code, _, err = _run(
        capsys, data_dir, "inbox", "approve", first["id"][:8], "--set", "priority=urgent"
    )
    assert code == 1 and "“priority” must be one of" in err
    code, out, _ = _run(
        capsys, data_dir, "inbox", "approve", first["id"][:8], "--set", "priority=high"
    )
    assert code == 0 and "approved 1 proposal" in out
    with Profile(data_dir).open_replica() as replica:
        [task] = replica.list("todo", "tasks")
        assert task.data["priority"] == "high"
    code, out, _ = _run(capsys, data_dir, "inbox", "undo")
    assert code == 0
    with Profile(data_dir).open_replica() as replica:
        assert replica.list("todo", "tasks") == []

    code, out, _ = _run(
        capsys,
        data_dir,
        "inbox",
        "reject",
        cards["s2"]["id"],
        "--reason",
        "not-needed",
        "--feedback",
        "no notes please",
    )
    assert code == 0
    code, out, _ = _run(capsys, data_dir, "missions", "show", "m1", "--json")
    shown = json.loads(out)
    assert shown["iterations"][0]["userFeedback"] == "Not needed: no notes please"
    assert [s["status"] for s in shown["iterations"][0]["plan"]] == ["staged", "rejected"]
    code, out, _ = _run(capsys, data_dir, "inbox", "list", "--status", "pending")
    assert code == 0 and "create_task" in out and "create_note" not in out
    code, out, _ = _run(capsys, data_dir, "inbox", "list", "--status", "rejected")
    assert "rejected: Not needed — no notes please" in out


def test_iteration_commands(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = _run(capsys, data_dir, "inbox", "approve-iteration", "it1")
    assert code == 0 and "approved 2 proposals" in out
    code, _, err = _run(capsys, data_dir, "inbox", "reject-iteration", "it1")
    assert code == 1 and "Nothing left" in err
    code, out, _ = _run(capsys, data_dir, "inbox", "revert", "it1")
    assert code == 0 and "reverted" in out
    with Profile(data_dir).open_replica() as replica:
        assert replica.list("todo", "tasks") == [] and replica.list("notes", "notes") == []


def test_missions_lifecycle(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = _run(
        capsys,
        data_dir,
        "missions",
        "create",
        "--title",
        "Run",
        "--objective",
        "move",
        "--cadence",
        "interval:60",
    )
    assert code == 0
    mid = out.strip()
    for action in ("pause", "resume", "run-now", "complete", "delete"):
        code, _, err = _run(capsys, data_dir, "missions", action, mid)
        assert code == 0, (action, err)
    code, out, _ = _run(capsys, data_dir, "missions", "list", "--json")
    assert mid not in out
    code, out, _ = _run(capsys, data_dir, "missions", "list", "--all", "--json")
    [mine] = [m for m in json.loads(out) if m["id"] == mid]
    assert mine["state"] == "done" and mine["deletedAt"]
    code, _, err = _run(
        capsys,
        data_dir,
        "missions",
        "create",
        "--title",
        "x",
        "--objective",
        "y",
        "--cadence",
        "hourly",
    )
    assert code == 2 and "bad cadence" in err
    code, _, err = _run(
        capsys, data_dir, "missions", "edit", "m1", "--title", "Renamed", "--cadence", "daily:7:15"
    )
    assert code == 0
    code, out, _ = _run(capsys, data_dir, "missions", "show", "m1")
    assert "Renamed" in out and "daily at 07:15" in out


def test_policy_show_and_set(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    code, out, _ = _run(capsys, data_dir, "policy", "create_task", "auto")
    assert code == 0 and "auto (changed)" in out
    assert Profile(data_dir).load_settings().tool_policies == {"create_task": "auto"}
    # the next staging pass runs create_task without asking
    code, out, _ = _run(capsys, data_dir, "inbox", "list", "--json")
    statuses = {c["stepId"]: c["status"] for c in json.loads(out)}
    assert statuses == {"s1": "approved", "s2": "pending"}
    code, _, err = _run(capsys, data_dir, "policy", "no_such_tool", "deny")
    assert code == 2 and "unknown tool" in err
    code, out, _ = _run(capsys, data_dir, "policy", "create_task", "default")
    assert code == 0 and "propose" in out and Profile(data_dir).load_settings().tool_policies == {}
