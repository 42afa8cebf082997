"""GUI tests run offscreen with isolated settings (see tests/fixtures/gui.py)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated(gui_settings: object) -> None:
    """Every GUI test gets its own QSettings folder."""
