"""Packaging recipe checks that need no PyInstaller: the .deb layout (built from a stand-in
bundle), the desktop entry and the AppStream metainfo."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "linux" / "mana-desktop.desktop"
METAINFO = ROOT / "resources" / "linux" / "io.mana.Desktop.metainfo.xml"


def test_desktop_entry_fields() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    main = entry["Desktop Entry"]
    assert main["Type"] == "Application" and main["Name"] == "Mana Desktop"
    assert main["Exec"].split()[0] == "mana-desktop-gui"
    assert main["Icon"] == "mana-desktop"
    assert entry["Desktop Action Demo"]["Exec"] == "mana-desktop demo"


def test_metainfo_matches_desktop_entry() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "io.mana.Desktop"
    assert root.findtext("launchable") == DESKTOP.name
    assert {b.text for b in root.iter("binary")} == {"mana-desktop", "mana-desktop-gui"}


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_deb_layout_from_a_stand_in_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name in ("mana-desktop", "mana-desktop-gui"):
        exe = bundle / name
        exe.write_text("#!/bin/sh\necho stand-in\n")
        exe.chmod(0o755)
    env = dict(os.environ, PYTHON=sys.executable, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "packaging" / "build_deb.sh"),
            "--bundle",
            str(bundle),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    deb = Path(done.stdout.strip().splitlines()[-1])
    assert deb.exists() and deb.name.startswith("mana-desktop_0.1.0_")
    listing = subprocess.run(
        ["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True
    ).stdout
    for path in (
        "./opt/mana-desktop/mana-desktop",
        "./opt/mana-desktop/mana-desktop-gui",
        "./usr/bin/mana-desktop",
        "./usr/bin/mana-desktop-gui",
        "./usr/share/applications/mana-desktop.desktop",
        "./usr/share/metainfo/io.mana.Desktop.metainfo.xml",
        "./usr/share/icons/hicolor/48x48/apps/mana-desktop.png",
        "./usr/share/icons/hicolor/256x256/apps/mana-desktop.png",
        "./usr/share/icons/hicolor/scalable/apps/mana-desktop.svg",
    ):
        assert path in listing, path
    assert "root/root" in listing
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Package: mana-desktop" in fields and "Version: 0.1.0" in fields
    assert "libxcb-cursor0" in fields


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_deb_script_refuses_a_missing_bundle(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build_deb.sh"), "--bundle", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHON=sys.executable),
    )
    assert done.returncode == 2 and "run packaging/build_bundle.sh first" in done.stderr
