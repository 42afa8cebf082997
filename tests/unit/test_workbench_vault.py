"""The workbench with encrypted records (docs/encryption.md, "Workbench")."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mana_desktop.domain.crypto import (
    MasterKey,
    RecordCipher,
    decrypt_value,
    encrypt_record,
    is_envelope,
)
from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings
from mana_desktop.workbench.context import DecisionError
from mana_desktop.workbench.service import Workbench
from tests.fixtures.workbench import (
    add_record,
    iteration,
    mission_data,
    server_insert_mission,
    tool_step,
)


class _Vault:
    def __init__(self) -> None:
        self.key: MasterKey | None = MasterKey(os.urandom(32))


@pytest.fixture
def vault() -> _Vault:
    return _Vault()


def _seed(replica: Replica, vault: _Vault, steps: list[dict[str, Any]]) -> None:
    data = mission_data(
        "m1", [iteration("it1", *steps, summary="")], title="Secret plan", objective="secret goal"
    )
    server_insert_mission(replica, encrypt_record("aiMissions", data, vault.key))


def test_titles_are_revealed_for_people_and_tools_read_plaintext(
    wb_replica: Replica, vault: _Vault
) -> None:
    add_record(
        wb_replica,
        "todo",
        "tasks",
        encrypt_record("tasks", {"id": "t1", "title": "Buy MILK", "isCompleted": False}, vault.key),
    )
    _seed(
        wb_replica,
        vault,
        [tool_step("s1", "complete_tasks_by_title", {"titleMatch": "milk"}, summary="")],
    )
    wb = Workbench(wb_replica, Settings(), cipher=RecordCipher("u-1", lambda: vault.key))
    wb.stage()
    [card] = wb.proposals()
    assert card.mission_title == "Secret plan" and card.rationale == "secret goal"
    assert wb.missions()[0].title == "Secret plan"
    assert is_envelope(wb_replica.get("ai", "aiMissions", "m1").data["title"])  # type: ignore[union-attr]
    wb.approve(card.id)
    assert wb_replica.get("todo", "tasks", "t1").data["isCompleted"] is True  # type: ignore[union-attr]


def test_locked_vault_keeps_the_card_pending_with_a_message(
    wb_replica: Replica, vault: _Vault
) -> None:
    add_record(
        wb_replica,
        "todo",
        "tasks",
        encrypt_record("tasks", {"id": "t1", "title": "Buy milk"}, vault.key),
    )
    _seed(wb_replica, vault, [tool_step("s1", "complete_tasks_by_title", {"titleMatch": "milk"})])
    cipher = RecordCipher("u-1", lambda: vault.key)
    wb = Workbench(wb_replica, Settings(), cipher=cipher)
    wb.stage()
    [card] = wb.proposals()
    vault.key = None
    assert wb.proposal(card.id).mission_title.startswith("🔒")  # type: ignore[union-attr]
    with pytest.raises(DecisionError, match="Unlock the vault"):
        wb.approve(card.id)
    after = wb.proposal(card.id)
    assert (
        after is not None
        and after.status == "pending"
        and "Unlock the vault" in (after.error or "")
    )
    assert wb_replica.get("todo", "tasks", "t1").data.get("isCompleted") is not True  # type: ignore[union-attr]


def test_with_a_sealing_replica_tool_writes_and_new_missions_are_ciphertext(
    wb_replica: Replica, vault: _Vault
) -> None:
    cipher = RecordCipher("u-1", lambda: vault.key)
    wb_replica.set_cipher(cipher)
    _seed(wb_replica, vault, [tool_step("s1", "create_task", {"title": "Call mum"})])
    wb = Workbench(wb_replica, Settings(user_id="u-1"), cipher=cipher)
    wb.stage()
    [card] = wb.proposals()
    wb.approve(card.id)
    [task] = wb_replica.list("todo", "tasks")
    assert vault.key is not None and is_envelope(task.data["title"])
    assert decrypt_value(task.data["title"], vault.key) == "Call mum"
    assert task.data["spaceId"] == "_personal:u-1" and task.data["authorId"] == "u-1"
    mission_id = wb.create_mission("Plan", "Goal", "# Concept")
    stored = wb_replica.get("ai", "aiMissions", mission_id)
    assert stored is not None
    assert all(is_envelope(stored.data[f]) for f in ("title", "objective", "conceptMarkdown"))
    assert wb.mission(mission_id).title == "Plan"  # type: ignore[union-attr]


def test_mission_edits_while_locked_are_a_message_and_change_nothing(
    wb_replica: Replica, vault: _Vault
) -> None:
    cipher = RecordCipher("u-1", lambda: vault.key)
    wb_replica.set_cipher(cipher)
    wb = Workbench(wb_replica, Settings(user_id="u-1"), cipher=cipher)
    mission_id = wb.create_mission("Plan", "Goal")
    before = wb_replica.get("ai", "aiMissions", mission_id)
    vault.key = None
    with pytest.raises(DecisionError, match="Unlock the vault"):
        wb.edit_mission(mission_id, title="New")
    with pytest.raises(DecisionError, match="Unlock the vault"):
        wb.create_mission("Other", "x")
    assert wb_replica.get("ai", "aiMissions", mission_id) == before
    assert len(wb_replica.list("ai", "aiMissions")) == 1
    wb.pause(mission_id)  # a field that is not encrypted still saves while locked
    assert wb_replica.get("ai", "aiMissions", mission_id).data["state"] == "paused"  # type: ignore[union-attr]


def test_locked_titles_are_in_the_persons_language(wb_replica: Replica, vault: _Vault) -> None:
    _seed(wb_replica, vault, [tool_step("s1", "create_task", {"title": "x"})])
    wb = Workbench(wb_replica, Settings(language="de"), cipher=RecordCipher("u-1", lambda: vault.key))
    wb.stage()
    vault.key = None
    [card] = wb.proposals()
    assert card.mission_title == "🔒 gesperrt"
    assert wb.mission_titles() == {"m1": "🔒 gesperrt"}
