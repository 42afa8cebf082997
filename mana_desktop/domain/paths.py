"""Where profiles live on disk.

One data directory per profile: `--data-dir` wins, then `MANA_DESKTOP_DATA_DIR`, then the
platform default (platformdirs). The demo uses its own directory and never a real profile.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mana-desktop"
ENV_DATA_DIR = "MANA_DESKTOP_DATA_DIR"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The profile directory to use, created if missing."""
    if explicit:
        path = Path(explicit)
    elif os.environ.get(ENV_DATA_DIR):
        path = Path(os.environ[ENV_DATA_DIR])
    else:
        path = default_data_dir()
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def demo_data_dir() -> Path:
    """The demo's own profile, beside (never inside) the real ones."""
    return Path(platformdirs.user_data_dir(APP_NAME + "-demo", appauthor=False))


def server_data_dir() -> Path:
    """Default home of `mana-desktop serve` (its database and signing key)."""
    return Path(platformdirs.user_data_dir(APP_NAME + "-server", appauthor=False))
