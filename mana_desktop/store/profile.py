"""A profile: one data directory holding the replica and the settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Final

from mana_desktop.domain.paths import resolve_data_dir
from mana_desktop.store.replica import Replica
from mana_desktop.store.settings import Settings, load_settings, save_settings

REPLICA_FILE: Final = "replica.db"
SETTINGS_FILE: Final = "settings.json"


class Profile:
    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_args(cls, args: argparse.Namespace | None = None) -> Profile:
        """`--data-dir`, else MANA_DESKTOP_DATA_DIR, else the platform default."""
        explicit = getattr(args, "data_dir", None) if args is not None else None
        return cls(resolve_data_dir(explicit))

    @property
    def replica_path(self) -> Path:
        return self.data_dir / REPLICA_FILE

    @property
    def settings_path(self) -> Path:
        return self.data_dir / SETTINGS_FILE

    def load_settings(self) -> Settings:
        return load_settings(self.settings_path)

    def save_settings(self, settings: Settings) -> None:
        save_settings(self.settings_path, settings)

    def open_replica(self) -> Replica:
        return Replica.open(self.replica_path)

    def __repr__(self) -> str:
        return f"Profile({str(self.data_dir)!r})"
