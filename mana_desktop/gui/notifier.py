"""Tray icon with the pending count, and one notification per new iteration (not per card)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRect, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.theme import RESOURCES

translate = QCoreApplication.translate


def new_iterations(views: Iterable[Any], seen: set[str]) -> dict[str, tuple[str, str, int]]:
    """Pending proposals grouped by iteration ids not in `seen`: {iteration: (mission id, title, n)}."""
    found: dict[str, tuple[str, str, int]] = {}
    for v in views:
        if v.status != "pending" or v.iteration_id in seen:
            continue
        mission, title, n = found.get(v.iteration_id, (v.mission_id, v.mission_title, 0))
        found[v.iteration_id] = (mission, title, n + 1)
    return found


def count_icon(count: int, palette: QPalette) -> QIcon:
    """The app icon with the pending count painted over it (colours from the palette)."""
    base = RESOURCES / "icons" / "mana-desktop.svg"
    pixmap = QIcon(str(base)).pixmap(64, 64) if base.exists() else QPixmap(64, 64)
    if not base.exists():
        pixmap.fill(palette.color(QPalette.ColorRole.Highlight))
    if count:
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
        painter.setPen(Qt.PenStyle.NoPen)
        badge = QRect(28, 28, 36, 36)
        painter.drawEllipse(badge)
        font = QFont()
        font.setPixelSize(20 if count < 100 else 14)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, str(count) if count < 1000 else "999+")
        painter.end()
    return QIcon(pixmap)


class Notifier(QObject):
    """Owns the tray icon; decides when a notification is due."""

    sig_notified = Signal(str, str)
    """(iteration id, message) after a notification was shown."""
    sig_activated = Signal(str)
    """The user clicked the tray icon or a notification (iteration id or "")."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.seen: set[str] | None = None  # None until the first load seeds it
        self.last_iteration = ""
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(count_icon(0, QApplication.palette()), self)
            self.tray.activated.connect(lambda _r: emit(self.sig_activated, ""))
            self.tray.messageClicked.connect(lambda: emit(self.sig_activated, self.last_iteration))
            self.tray.show()
        self.count = 0

    def set_count(self, count: int) -> None:
        self.count = count
        if self.tray is not None:
            self.tray.setIcon(count_icon(count, QApplication.palette()))
            self.tray.setToolTip(translate("Tray", "Mana: %n suggestion(s)", "", count))

    def consider(self, views: Iterable[Any], window_focused: bool) -> list[str]:
        """Note new iterations; notify about them when the window is not focused."""
        if self.seen is None:
            self.seen = {v.iteration_id for v in views}
            return []
        found = new_iterations(views, self.seen)
        self.seen.update(found)
        messages = []
        if window_focused:
            return []
        for iteration_id, (_mission, title, n) in found.items():
            text = translate("Tray", "{mission} suggests %n change(s)", "", n).format(mission=title)
            self.last_iteration = iteration_id
            if self.tray is not None:
                self.tray.showMessage("Mana", text, QSystemTrayIcon.MessageIcon.Information, 8000)
            emit(self.sig_notified, iteration_id, text)
            messages.append(text)
        return messages
