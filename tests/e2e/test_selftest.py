"""`mana-desktop --self-test` as an installed app runs it (a subprocess, offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mana_desktop import selftest


def test_self_test_passes_offscreen(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "xdg"))
    done = subprocess.run(
        [sys.executable, "-m", "mana_desktop", "--self-test"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("Qt", "SQLite", "Database", "Workbench", "Sync engine", "Mission runner"):
        assert f"ok    {name}:" in done.stdout
    assert done.stdout.rstrip().endswith("self-test passed")
    assert not (tmp_path / "xdg").exists()  # no real profile was created


def test_skip_and_failure_are_reported(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing(_tmp: Path) -> str:
        raise selftest.Skip("mana_desktop.gui is not part of this build")

    def broken(_tmp: Path) -> str:
        raise RuntimeError("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(selftest, "CHECKS", [("GUI", missing)])
    assert selftest.run_self_test() == 0
    assert "skip  GUI: mana_desktop.gui is not part of this build" in capsys.readouterr().out
    monkeypatch.setattr(selftest, "CHECKS", [("GUI", missing), ("Qt", broken)])
    assert selftest.run_self_test() == 1
    out = capsys.readouterr().out
    assert "FAIL  Qt: libEGL.so.1" in out and "self-test failed: 1 problem(s)" in out
