"""One instance per profile: a QLocalServer named after the profile's directory.

A second launch connects, says "raise", and exits; the first raises its window.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from mana_desktop.gui.qtcompat import emit


def server_name(data_dir: Path) -> str:
    digest = hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"mana-desktop-{user}-{digest}"


def ask_running_instance(name: str, timeout_ms: int = 500) -> bool:
    """True when another instance owns `name` (it has been asked to raise its window)."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"raise\n")
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    sig_raise_requested = Signal()
    """Another launch for the same profile asked us to show our window."""

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.newConnection.connect(self._on_connection)
        if not self.server.listen(name):
            # A stale socket from a crashed run: nobody answered, so take it over.
            QLocalServer.removeServer(name)
            self.server.listen(name)

    def _on_connection(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(socket.readAll)
            socket.disconnected.connect(socket.deleteLater)
            emit(self.sig_raise_requested)

    def close(self) -> None:
        self.server.close()
