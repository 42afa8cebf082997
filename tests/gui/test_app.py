"""run_app end to end (in process): a bad settings file is shown, never overwritten."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from mana_desktop.gui.app import run_app
from mana_desktop.gui.main_window import MainWindow


def test_bad_settings_file_opens_window_with_the_error(qapp, tmp_path: Path):
    data_dir = tmp_path / "profile"
    data_dir.mkdir()
    settings = data_dir / "settings.json"
    settings.write_text('{"poll_interval_s": "often"}', encoding="utf-8")
    seen: dict[str, str] = {}

    def look() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(10, look)
            return
        seen["banner"] = windows[0].banner.label.text()
        windows[0].close()
        qapp.quit()

    QTimer.singleShot(0, look)
    assert run_app(data_dir, []) == 0
    assert "settings.json" in seen["banner"] and "poll_interval_s" in seen["banner"]
    assert settings.read_text(encoding="utf-8") == '{"poll_interval_s": "often"}'
