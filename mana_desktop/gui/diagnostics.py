"""The diagnostics pane: outbox, cursors, quarantined changes, the sync journal, clock skew.

Everything is read on the worker and shown as plain text. "Copy diagnostics" puts the same
text on the clipboard with anything that looks like a token redacted.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.session import Session
from mana_desktop.gui.status_text import status_text

translate = QCoreApplication.translate

_TOKEN_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r'(?i)("?(?:access|refresh|id)?_?token"?\s*[:=]\s*"?)[^",\s}]+'),
    re.compile(r'(?i)("?(?:password|secret|authorization)"?\s*[:=]\s*"?)[^",\s}]+'),
)


def redact(text: str) -> str:
    """Remove anything that looks like a credential."""
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
    return text


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [_plain(v) for v in obj]
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return str(obj)


def collect(replica: Any, status: Any) -> dict[str, str]:
    """For the worker: each section as text."""
    sections: dict[str, str] = {}

    def add(name: str, getter: Any) -> None:
        try:
            value = getter()
        except Exception as exc:  # a missing piece must not hide the rest
            value = f"unavailable: {exc}"
        sections[name] = value if isinstance(value, str) else json.dumps(_plain(value), indent=2, ensure_ascii=False)

    add("status", lambda: _plain(status) if status is not None else "no engine (demo or signed out)")
    if replica is not None:
        add("outbox", lambda: replica.outbox_pending())
        add("cursors", lambda: {"/".join(k) if isinstance(k, tuple) else k: v for k, v in replica.cursors().items()})
        add("quarantined", lambda: replica.quarantined())
        add("journal", lambda: replica.journal(limit=200))
    return sections


def report_text(sections: dict[str, str]) -> str:
    return redact("\n\n".join(f"== {name} ==\n{body}" for name, body in sections.items()))


class DiagnosticsDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle(translate("Diagnostics", "Sync diagnostics"))
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        self.summary = QLabel(status_text(session.last_status) if session.last_status else "")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.summary)
        self.offline = QCheckBox(translate("Diagnostics", "Work offline"))
        self.offline.setChecked(bool(getattr(session.settings, "work_offline", False)))
        layout.addWidget(self.offline)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(translate("Diagnostics", "Copy diagnostics"), QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.sections: dict[str, str] = {}

    def load(self) -> None:
        replica, status = self.session.replica, self.session.last_status
        self.session.run(lambda: collect(replica, status), self._loaded)

    def _loaded(self, sections: dict[str, str]) -> None:
        self.sections = sections
        self.tabs.clear()
        titles = {
            "status": translate("Diagnostics", "Status"),
            "outbox": translate("Diagnostics", "Outbox"),
            "cursors": translate("Diagnostics", "Cursors"),
            "quarantined": translate("Diagnostics", "Quarantined"),
            "journal": translate("Diagnostics", "Journal"),
        }
        for name, body in sections.items():
            text = QPlainTextEdit(redact(body))
            text.setReadOnly(True)
            self.tabs.addTab(text, titles.get(name, name))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(report_text(self.sections))
