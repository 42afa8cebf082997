"""`run_demo` opens the real app window on the signed-in demo profile, and cards arrive."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mana_desktop.demo.app import run_demo


def _pending(replica_db: Path) -> int:
    if not replica_db.exists():
        return 0
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    try:
        return int(
            conn.execute("SELECT count(*) FROM wb_proposals WHERE status = 'pending'").fetchone()[0]
        )
    except sqlite3.OperationalError:  # the workbench tables are not created yet
        return 0
    finally:
        conn.close()


def test_demo_opens_the_window_and_proposals_arrive(
    qapp: Any,
    gui_settings: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    demo_dir = tmp_path / "demo"
    seen: dict[str, Any] = {"window": False, "pending": 0, "polls": 0}
    timer = QTimer()

    def poll() -> None:
        seen["polls"] += 1
        windows = [
            w
            for w in QApplication.topLevelWidgets()
            if w.isVisible() and type(w).__name__ == "MainWindow"
        ]
        seen["window"] = seen["window"] or bool(windows)
        seen["pending"] = _pending(demo_dir / "profile" / "replica.db")
        if (windows and seen["pending"] >= 3) or seen["polls"] > 300:  # about 30 s at most
            if windows:
                windows[0].grab().save(str(artifacts_dir / "demo-window.png"))
            timer.stop()
            qapp.quit()

    timer.timeout.connect(poll)
    timer.start(100)
    assert run_demo(argv=[], data_dir=demo_dir) == 0
    assert seen["window"], "the main window never showed"
    assert seen["pending"] >= 3, "no proposals reached the demo inbox"
