"""Typed profile settings, stored as JSON and written atomically.

A bad file gives a `SettingsError` naming the file and the field; it is never overwritten
silently (the caller decides, and `save_settings` only ever replaces the whole file at once).
Unknown keys (from a newer version) are kept and written back unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mana_desktop.store.atomic import write_atomic

DEFAULT_SUBSCRIPTIONS: Final[tuple[str, ...]] = (
    "ai/aiMissions",
    "ai/agents",
    "todo/tasks",
    "todo/projects",
    "calendar/calendars",
    "calendar/events",
    "timeblocks/timeBlocks",
    "notes/notes",
    "places/places",
    "drink/drinkEntries",
    "food/meals",
    "journal/journalEntries",
    "habits/habits",
    "habits/habitLogs",
    "contacts/contacts",
    "news/articles",
)

Policy = Literal["auto", "propose", "deny"]


class SettingsError(ValueError):
    """The settings file cannot be read; the message names the file and the field."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow", validate_assignment=True)

    server_url: str | None = None
    auth_url: str | None = None
    account_email: str | None = None
    user_id: str | None = None
    display_name: str | None = None
    subscriptions: list[str] = Field(default_factory=lambda: list(DEFAULT_SUBSCRIPTIONS))
    poll_interval_s: float = Field(default=30.0, gt=0)
    undo_window_s: float = Field(default=8.0, ge=0)
    tool_policies: dict[str, Policy] = Field(default_factory=dict)
    language: str | None = None
    work_offline: bool = False
    demo: bool = False
    # Opt-in: keep the encryption vault's key in the OS keyring between starts (never a file).
    vault_keyring_cache: bool = False

    def subscription_pairs(self) -> list[tuple[str, str]]:
        """`subscriptions` as (app, collection) pairs (malformed entries are skipped)."""
        pairs = []
        for entry in self.subscriptions:
            app, _, collection = entry.partition("/")
            if app and collection:
                pairs.append((app, collection))
        return pairs


def load_settings(path: Path) -> Settings:
    """The settings in `path`, or the defaults when the file does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 text (byte {exc.start}); fix or remove the file") from exc
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise SettingsError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"{path}: expected a JSON object at the top level")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SettingsError(f"{path}: field {where!r}: {first['msg']}") from exc


def save_settings(path: Path, settings: Settings) -> None:
    """Write temp file + fsync + rename: a crash leaves the old or the new file, never half."""
    write_atomic(path, json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
