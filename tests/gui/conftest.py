"""GUI tests run offscreen with isolated settings (see tests/fixtures/gui.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated(gui_settings: Path) -> None:
    """Every GUI test gets its own QSettings folder.

    `QSettings("org", "app")` (what the window uses) is NativeFormat, whose folder Qt fixes
    once per process unless it is set too: without this, every test of an xdist worker shared
    one file, and a test opened on the page the previous one left (a hidden inbox that never
    refreshed).
    """
    from PySide6.QtCore import QSettings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(gui_settings))
