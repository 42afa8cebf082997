"""The pinned crypto registry (spec encryption-and-account.md §2.2, HEAD 907a3add4)."""

from __future__ import annotations

import pytest

from mana_desktop.domain import crypto_registry as registry
from mana_desktop.domain.crypto import (
    MasterKey,
    decrypt_record,
    encrypt_record,
    is_envelope,
)

MK = MasterKey(bytes(range(32)))
DISABLED = {"meditateSettings", "sleepHygieneLogs", "sleepSettings", "moodSettings",
            "lastsCooldown", "websites", "websitePages", "websiteBlocks"}


def test_table_counts_match_head() -> None:
    assert len(registry.ENCRYPTION_REGISTRY) == 110
    assert registry.disabled_tables() == DISABLED


@pytest.mark.parametrize(
    ("table", "fields"),
    [
        ("tasks", ("title", "description", "subtasks", "metadata")),
        ("aiMissions", ("title", "conceptMarkdown", "objective")),
        ("notes", ("title", "content")),
        ("events", ("title", "description", "location")),
        ("newsPreferences", ("selectedTopics", "blockedSources", "topicWeights",
                             "sourceWeights", "customFeeds")),
        ("locationLogs", ("latitude", "longitude", "accuracy", "altitude", "speed", "heading")),
        ("agents", ("systemPrompt", "memory")),
        ("messages", ("messageText",)),
    ],
)
def test_known_entries(table: str, fields: tuple[str, ...]) -> None:
    assert registry.encrypted_fields(table) == fields


@pytest.mark.parametrize("table", ["manaLinks", "aiMissionIterations", "", "Tasks"])
def test_unknown_tables_are_plaintext(table: str) -> None:
    assert registry.encrypted_fields(table) is None


@pytest.mark.parametrize("table", sorted(DISABLED))
def test_disabled_tables_are_plaintext(table: str) -> None:
    assert registry.encrypted_fields(table) is None
    assert encrypt_record(table, {"name": "x", "notes": "y"}, None) == {"name": "x", "notes": "y"}


def test_no_entry_names_a_structural_field() -> None:
    for table, entry in registry.ENCRYPTION_REGISTRY.items():
        assert not set(entry.fields) & registry.STRUCTURAL_FIELDS, table
        assert len(set(entry.fields)) == len(entry.fields), table
        assert entry.enabled == bool(entry.fields), table


@pytest.mark.parametrize(
    "table", sorted(t for t, e in registry.ENCRYPTION_REGISTRY.items() if e.enabled)
)
def test_every_entry_round_trips(table: str) -> None:
    fields = registry.encrypted_fields(table)
    assert fields is not None
    record = {"id": "r1", "spaceId": "_personal:u1", "createdAt": "2026-01-01T00:00:00.000Z"}
    record.update({name: f"{table}.{name} ✓" for name in fields})
    sealed = encrypt_record(table, record, MK)
    assert all(is_envelope(sealed[name]) for name in fields)
    assert sealed["id"] == "r1" and sealed["spaceId"] == "_personal:u1"
    assert decrypt_record(sealed, MK) == record
    assert registry.is_encrypted_field(table, fields[0])
    assert not registry.is_encrypted_field(table, "id")


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        registry.ENCRYPTION_REGISTRY["notes"] = registry.RegistryEntry(False, ())  # type: ignore[index]
