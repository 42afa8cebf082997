"""run_app end to end, in a child process (it owns the event loop and quits it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import mana_desktop.gui
from mana_desktop.gui.app import run_app
from mana_desktop.gui.main_window import MainWindow

def look():
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if not windows:
        QTimer.singleShot(10, look)
        return
    print("BANNER:" + windows[0].banner.label.text(), flush=True)
    windows[0].close()

QTimer.singleShot(0, look)
sys.exit(run_app(Path(sys.argv[1]), []))
"""


def test_bad_settings_file_opens_window_with_the_error(tmp_path: Path):
    data_dir = tmp_path / "profile"
    data_dir.mkdir()
    settings = data_dir / "settings.json"
    settings.write_text('{"poll_interval_s": "often"}', encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(data_dir)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    banner = next(line for line in proc.stdout.splitlines() if line.startswith("BANNER:"))
    assert "settings.json" in banner and "poll_interval_s" in banner
    assert settings.read_text(encoding="utf-8") == '{"poll_interval_s": "often"}'
