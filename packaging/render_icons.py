#!/usr/bin/env python3
"""Render the app icon (resources/icons/mana-desktop.svg) to PNGs in the hicolor sizes.

    python packaging/render_icons.py OUT_DIR            # OUT_DIR/<N>x<N>/apps/mana-desktop.png
    python packaging/render_icons.py OUT_DIR --ico FILE  # also a Windows .ico (Qt writes it)

Uses Qt's SVG renderer (PySide6, already a dependency), so no extra tool is needed; runs
offscreen. Output is generated at build time and never committed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "mana-desktop.svg"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICON_NAME = "mana-desktop"


def render(out_dir: Path, ico: Path | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SVG}")
    written: list[Path] = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
        if ico is not None and size == 256:
            ico.parent.mkdir(parents=True, exist_ok=True)
            if not image.save(str(ico), "ICO"):
                print(f"warning: this Qt cannot write .ico; skipped {ico}", file=sys.stderr)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--ico", type=Path, default=None)
    args = parser.parse_args(argv)
    for path in render(args.out_dir, args.ico):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
