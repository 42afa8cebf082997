"""`run_demo` opens the real app window on the signed-in demo profile, and cards arrive.

It runs in a child process: `run_demo` owns the application's event loop and quits it, and a
QApplication that has been quit ends every later event loop in the same process at once (the
pytest-qt tests that shared a worker with this one then timed out waiting for signals).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.gui import ARTIFACTS

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json
import sqlite3
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mana_desktop.demo.app import run_demo

demo_dir, shot = Path(sys.argv[1]), sys.argv[2]
app = QApplication(["mana-desktop"])  # before the timer; run_demo reuses this instance
seen = {"window": False, "pending": 0, "polls": 0}


def pending() -> int:
    db = demo_dir / "profile" / "replica.db"
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM wb_proposals WHERE status = 'pending'").fetchone()[0])
    except sqlite3.OperationalError:  # the workbench tables are not created yet
        return 0
    finally:
        conn.close()


def poll() -> None:
    seen["polls"] += 1
    windows = [w for w in QApplication.topLevelWidgets()
               if w.isVisible() and type(w).__name__ == "MainWindow"]
    seen["window"] = seen["window"] or bool(windows)
    seen["pending"] = pending()
    if (windows and seen["pending"] >= 3) or seen["polls"] > 300:  # about 30 s at most
        if windows:
            windows[0].grab().save(shot)
        timer.stop()
        QApplication.instance().quit()


timer = QTimer()
timer.timeout.connect(poll)
timer.start(100)
code = run_demo(argv=[], data_dir=demo_dir)
print("RESULT:" + json.dumps({"code": code, **seen}), flush=True)
"""


def test_demo_opens_the_window_and_proposals_arrive(tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MANA_DESKTOP_KEYRING": "file",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # the window's QSettings stay private
    }
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "demo"), str(ARTIFACTS / "demo-window.png")],
        capture_output=True, text=True, timeout=90, cwd=ROOT, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT:")), None)
    assert line is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(line.removeprefix("RESULT:"))
    assert result["code"] == 0
    assert result["window"], "the main window never showed"
    assert result["pending"] >= 3, "no proposals reached the demo inbox"
