"""`mana-desktop --self-test`: can this installation run at all?

Checks, in order, each printed with ok/FAIL: Qt imports and makes an offscreen application,
the replica database opens in a temporary profile, and the sync engine can be built. Exits 0
when all pass. Later layers add their checks to CHECKS.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path


def _check_qt(_tmp: Path) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["mana-desktop-self-test"])
    return f"PySide6 {pyside_version} on platform {app.platformName()}"


def _check_sqlite(tmp: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(tmp / "probe.db")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    conn.close()
    return f"SQLite {sqlite3.sqlite_version}, journal {mode}"


CHECKS: list[tuple[str, Callable[[Path], str]]] = [
    ("Qt", _check_qt),
    ("SQLite", _check_sqlite),
]


def run_self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="mana-self-test-") as tmp:
        for name, check in CHECKS:
            try:
                print(f"ok    {name}: {check(Path(tmp))}", flush=True)
            except Exception as exc:  # report every failure, keep checking
                failures += 1
                print(f"FAIL  {name}: {exc}", flush=True)
                traceback.print_exc()
    print("self-test passed" if failures == 0 else f"self-test failed: {failures} problem(s)")
    return 0 if failures == 0 else 1
