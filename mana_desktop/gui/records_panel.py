"""A module's own records, read-only, with AI-created ones attributed to their mission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from mana_desktop.gui.modules import ModuleInfo
from mana_desktop.gui.session import Session

translate = QCoreApplication.translate


@dataclass(frozen=True)
class RecordRow:
    id: str
    title: str
    done: bool
    mission_title: str | None  # set when an AI actor created or last changed the title
    shared: bool = False  # in a shared Space: shown read-only


def record_rows(replica: Any, missions: dict[str, str], info: ModuleInfo, cipher: Any = None) -> list[RecordRow]:
    """For the worker: the records of a module as rows (newest last, as the replica lists).

    With the account's `cipher`, encrypted fields are decrypted for display; what cannot be
    (vault locked, another key) shows as a lock, never as ciphertext. Other people's private
    records are not listed; records of shared Spaces are marked read-only."""
    from mana_desktop.domain.crypto import LockedValue
    from mana_desktop.domain.spaces import visible_to
    from mana_desktop.gui.vault_link import locked_text

    rows = []
    for record in replica.list(info.app, info.collection):
        data = record.data or {}
        if cipher is not None:
            if not visible_to(data, cipher.user_id):
                continue
            data = cipher.reveal(data)
        value = data.get(info.title_field) or data.get("title") or data.get("name") or record.id
        if isinstance(value, LockedValue):
            title = locked_text(value)
        else:
            title = str(value)
            if title.startswith("enc:1:"):  # no cipher at all: still never ciphertext
                title = translate("Records", "🔒 locked")
        shared = bool(cipher is not None and cipher.read_only(record.data or {}))
        rows.append(RecordRow(record.id, title, bool(data.get("isCompleted")), _attribution(record, missions), shared))
    return rows


def _attribution(record: Any, missions: dict[str, str]) -> str | None:
    for meta in (record.field_meta or {}).values():
        actor = meta.get("actor") if isinstance(meta, dict) else None
        if isinstance(actor, dict) and actor.get("kind") == "ai":
            mission_id = str(actor.get("missionId") or "")
            return missions.get(mission_id) or str(actor.get("displayName") or "AI")
    return None


class RecordsModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[RecordRow] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "☑" if row.done else "☐"
            text = f"{mark}  {row.title}"
            if row.shared:
                text += "      👥"
            if row.mission_title:
                text += "      ✦ " + row.mission_title
            return text
        if role == Qt.ItemDataRole.ToolTipRole and row.shared:
            return translate("Records", "In a shared space: read-only here")
        if role == Qt.ItemDataRole.ToolTipRole and row.mission_title:
            return translate("Records", "Created by the mission “{mission}”").format(mission=row.mission_title)
        return None

    def set_rows(self, rows: list[RecordRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()


class RecordsPanel(QWidget):
    def __init__(self, session: Session, info: ModuleInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.info = info
        self.model = RecordsModel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 4, 16, 8)
        self.heading = QLabel(translate("Records", "Records"))
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setObjectName("sectionTitle")
        layout.addWidget(self.heading)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setObjectName("recordList")
        self.list.setUniformItemSizes(True)
        layout.addWidget(self.list, 1)

    def reload(self) -> None:
        replica, wb, info = self.session.replica, self.session.workbench, self.info
        cipher = getattr(self.session, "cipher", None)
        if replica is None:
            return

        def job() -> list[RecordRow]:
            if hasattr(wb, "mission_titles"):  # titles only: no plans parsed
                missions = wb.mission_titles()
            else:
                missions = {m.id: m.title for m in wb.missions()} if hasattr(wb, "missions") else {}
            return record_rows(replica, missions, info, cipher)

        self.session.run(job, self._loaded)

    def _loaded(self, rows: list[RecordRow]) -> None:
        self.model.set_rows(rows)
        self.heading.setText(translate("Records", "Records (%n)", "", len(rows)))
