"""The inbox CLI of a signed-in account with encrypted missions: it unlocks the vault, shows
plaintext and writes ciphertext (reference server on 127.0.0.1:0, real profile)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.cli import main
from mana_desktop.domain.crypto import MasterKey, decrypt_value, encrypt_record, is_envelope
from mana_desktop.server.vault import seed_master_key
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step


def test_inbox_cli_reads_and_writes_through_the_vault(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, reference_server: Any
) -> None:
    key = MasterKey.generate()
    seed_master_key(reference_server.service.store, reference_server.users["alice@example.com"], key)
    profile = Profile(tmp_path / "p")
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    steps = [tool_step("s1", "create_task", {"title": "Buy milk"})]
    data = mission_data("m1", [iteration("it1", *steps)], title="Secret mission")
    with profile.open_replica() as replica:
        server_insert_mission(replica, encrypt_record("aiMissions", data, key))
    argv = ["--data-dir", str(profile.data_dir)]
    assert main(["inbox", "list", "--json", *argv]) == 0
    [card] = json.loads(capsys.readouterr().out)
    assert card["missionTitle"] == "Secret mission"
    assert main(["inbox", "approve", card["id"], *argv]) == 0
    with profile.open_replica() as replica:
        [task] = replica.list("todo", "tasks")
    assert is_envelope(task.data["title"]) and decrypt_value(task.data["title"], key) == "Buy milk"


def test_inbox_cli_offline_shows_locks_and_refuses_encrypted_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, reference_server: Any
) -> None:
    key = MasterKey.generate()
    profile = Profile(tmp_path / "p")
    Credentials(profile).login(reference_server.url, "alice@example.com", "alice-password")
    profile.save_settings(profile.load_settings().model_copy(update={"work_offline": True}))
    steps = [tool_step("s1", "create_task", {"title": "Buy milk"})]
    data = mission_data("m1", [iteration("it1", *steps)], title="Secret mission")
    with profile.open_replica() as replica:
        server_insert_mission(replica, encrypt_record("aiMissions", data, key))
    argv = ["--data-dir", str(profile.data_dir)]
    assert main(["inbox", "list", "--json", *argv]) == 0
    [card] = json.loads(capsys.readouterr().out)
    assert card["missionTitle"].startswith("🔒") and "enc:" not in card["missionTitle"]
    assert main(["inbox", "approve", card["id"], *argv]) == 1
    assert "Unlock the vault" in capsys.readouterr().err
    with profile.open_replica() as replica:
        assert replica.list("todo", "tasks") == []
