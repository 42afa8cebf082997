"""Colours derived from the palette (light and dark follow the system; nothing hard-coded)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`b` laid over `a` at `amount` (0..1)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def with_alpha(color: QColor, alpha: float) -> QColor:
    copy = QColor(color)
    copy.setAlphaF(alpha)
    return copy


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def error_color(palette: QPalette) -> QColor:
    """A red with the highlight's strength: Qt's palette has no error role."""
    base = palette.color(QPalette.ColorRole.Highlight)
    lightness = 0.65 if is_dark(palette) else 0.45
    return QColor.fromHslF(0.0, max(0.6, base.hslSaturationF()), lightness)


def muted(palette: QPalette) -> QColor:
    return mix(
        palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.45
    )


def card_tint(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Highlight), 0.06)


def card_border(palette: QPalette) -> QColor:
    return with_alpha(palette.color(QPalette.ColorRole.Highlight), 0.55)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (used when asked for dark and in screenshot tests)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor.fromHslF(0.66, 0.08, 0.14),
        QPalette.ColorRole.WindowText: QColor.fromHslF(0.0, 0.0, 0.90),
        QPalette.ColorRole.Base: QColor.fromHslF(0.66, 0.08, 0.10),
        QPalette.ColorRole.AlternateBase: QColor.fromHslF(0.66, 0.08, 0.16),
        QPalette.ColorRole.Text: QColor.fromHslF(0.0, 0.0, 0.90),
        QPalette.ColorRole.Button: QColor.fromHslF(0.66, 0.08, 0.18),
        QPalette.ColorRole.ButtonText: QColor.fromHslF(0.0, 0.0, 0.90),
        QPalette.ColorRole.Highlight: QColor.fromHslF(0.69, 0.75, 0.68),
        QPalette.ColorRole.HighlightedText: QColor.fromHslF(0.0, 0.0, 0.08),
        QPalette.ColorRole.ToolTipBase: QColor.fromHslF(0.66, 0.08, 0.20),
        QPalette.ColorRole.ToolTipText: QColor.fromHslF(0.0, 0.0, 0.90),
        QPalette.ColorRole.PlaceholderText: QColor.fromHslF(0.0, 0.0, 0.55),
        QPalette.ColorRole.Link: QColor.fromHslF(0.69, 0.75, 0.72),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    # setColor(role, c) sets every group, so disabled buttons looked enabled: dim them.
    dimmed = QColor.fromHslF(0.0, 0.0, 0.45)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, dimmed)
    return p


def apply_style(app: QApplication, dark: bool | None = None) -> None:
    """Fusion + our stylesheet (which uses palette() references only)."""
    app.setStyle("Fusion")
    if dark:
        app.setPalette(dark_palette())
    qss = RESOURCES / "styles" / "app.qss"
    if qss.exists():
        app.setStyleSheet(qss.read_text(encoding="utf-8"))
