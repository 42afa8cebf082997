"""`mana-desktop demo`: no display gives a clear message, --reset is safe, the command exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from mana_desktop.cli import build_parser
from mana_desktop.demo.app import EXIT_NO_DISPLAY, display_problem, run_demo
from mana_desktop.demo.session import MARKER, DemoError, prepare_dir


def test_display_detection() -> None:
    assert display_problem({}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


def test_no_display_is_a_message_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert run_demo(data_dir=tmp_path / "demo") == EXIT_NO_DISPLAY
    err = capsys.readouterr().err
    assert "needs a graphical display" in err and "--no-gui" in err
    assert not (tmp_path / "demo").exists()  # nothing was started or written


def test_reset_refuses_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    precious = tmp_path / "profile"
    precious.mkdir()
    (precious / "replica.db").write_text("keep me")
    with pytest.raises(DemoError, match="does not look like a demo directory"):
        prepare_dir(precious, reset=True)
    assert (precious / "replica.db").read_text() == "keep me"


def test_reset_wipes_a_demo_directory(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    prepare_dir(demo, reset=False)
    (demo / "old.db").write_text("x")
    prepare_dir(demo, reset=True)
    assert not (demo / "old.db").exists() and (demo / MARKER).exists()


def test_demo_command_is_registered() -> None:
    args = build_parser().parse_args(["demo", "--reset", "--no-gui"])
    assert args.command == "demo" and args.reset and args.no_gui
    assert callable(args.handler)
