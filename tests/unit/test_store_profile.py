"""Profile and typed settings: defaults, atomic save, clear errors on bad files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mana_desktop.store.profile import Profile
from mana_desktop.store.settings import DEFAULT_SUBSCRIPTIONS, Settings, SettingsError


def test_defaults_when_no_file(profile: Profile) -> None:
    settings = profile.load_settings()
    assert settings.poll_interval_s == 30 and settings.undo_window_s == 8
    assert settings.subscriptions == list(DEFAULT_SUBSCRIPTIONS)
    assert ("ai", "aiMissions") in settings.subscription_pairs()
    assert not profile.settings_path.exists()


def test_save_and_load_round_trip_keeps_unknown_keys(profile: Profile) -> None:
    profile.settings_path.write_text(json.dumps({"server_url": "http://x", "from_the_future": [1]}))
    settings = profile.load_settings()
    settings.tool_policies = {"create_task": "auto"}
    profile.save_settings(settings)
    again = json.loads(profile.settings_path.read_text())
    assert again["from_the_future"] == [1] and again["tool_policies"] == {"create_task": "auto"}
    assert profile.load_settings().server_url == "http://x"
    assert [p.name for p in profile.data_dir.iterdir() if p.name.endswith(".tmp")] == []  # no temp left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"poll_interval_s": "often"}', "poll_interval_s"),
        ('{"tool_policies": {"create_task": "always"}}', "tool_policies.create_task"),
    ],
)
def test_bad_file_names_file_and_field_and_is_kept(profile: Profile, text: str, message: str) -> None:
    profile.settings_path.write_text(text)
    with pytest.raises(SettingsError, match=message) as info:
        profile.load_settings()
    assert str(profile.settings_path) in str(info.value)
    assert profile.settings_path.read_text() == text


def test_from_args_prefers_data_dir_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_DATA_DIR", str(tmp_path / "env"))
    assert Profile.from_args(argparse.Namespace(data_dir=str(tmp_path / "flag"))).data_dir == tmp_path / "flag"
    assert Profile.from_args(argparse.Namespace(data_dir=None)).data_dir == tmp_path / "env"


def test_open_replica_lives_in_the_profile(profile: Profile) -> None:
    with profile.open_replica() as replica:
        assert replica.path == profile.data_dir / "replica.db"
        assert Settings().model_dump()["language"] is None
