"""Settings → Account → Spaces: the account's Spaces, the active one, switching it.

The list comes from the account's `SpaceDirectory` (memory, cheap); `refresh()` and
`set_active()` are HTTP and run on the bridge worker. Space names are server text: plain.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mana_desktop.gui.security_section import error_label
from mana_desktop.gui.session import Session

translate = QCoreApplication.translate
ID_ROLE = Qt.ItemDataRole.UserRole


def type_words(kind: str) -> str:
    return {
        "personal": translate("Spaces", "Personal"),
        "team": translate("Spaces", "Team"),
        "family": translate("Spaces", "Family"),
        "club": translate("Spaces", "Club"),
        "brand": translate("Spaces", "Brand"),
        "practice": translate("Spaces", "Practice"),
    }.get(kind, kind)


def role_words(role: str | None) -> str:
    return {
        "owner": translate("Spaces", "Owner"),
        "admin": translate("Spaces", "Admin"),
        "member": translate("Spaces", "Member"),
    }.get(role or "", role or "—")


def directory_of(session: Any) -> Any:
    """The signed-in account's SpaceDirectory, or None."""
    account = getattr(session, "vault", None)
    return getattr(account, "spaces", None) if account is not None else None


def active_space_name(session: Any) -> str:
    """The active Space's name for the window ("" when signed out or not known yet)."""
    directory = directory_of(session)
    if directory is None:
        return ""
    context = directory.context
    space = context.spaces.get(context.effective_space_id())
    if space is None:
        return translate("Spaces", "Personal")  # the sentinel: Spaces not loaded yet
    return str(space.name or type_words(space.type))


class SpacesSection(QWidget):
    """The list of Spaces with the active one marked, and "Make active"."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.busy = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        title = QLabel(translate("Spaces", "Spaces"))
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        hint = QLabel(translate("Spaces", "New records go to the active Space. Records of shared Spaces are read-only on this computer."))  # fmt: skip
        hint.setWordWrap(True)
        hint.setObjectName("muted")
        layout.addWidget(hint)
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setHeaderLabels([translate("Spaces", "Name"), translate("Spaces", "Type"),
                                   translate("Spaces", "Your role")])  # fmt: skip
        self.tree.setAccessibleName(translate("Spaces", "Spaces"))
        self.tree.itemSelectionChanged.connect(self.update_buttons)
        self.tree.itemActivated.connect(lambda _item, _col: self.make_active())
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.activate = QPushButton(translate("Spaces", "Make active"))
        self.activate.clicked.connect(self.make_active)
        self.refresh_button = QPushButton(translate("Spaces", "Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        buttons.addWidget(self.activate)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.error = error_label()
        layout.addWidget(self.error)
        session.sig_spaces_changed.connect(lambda _context: self.reload())
        self.reload()

    def reload(self) -> None:
        """Fill the list from the directory's memory (no HTTP)."""
        directory = directory_of(self.session)
        selected = self.selected_id()
        self.tree.clear()
        if directory is not None:
            active = directory.context.effective_space_id()
            for space in directory.spaces():
                name = str(space.name or space.id)
                if space.id == active:
                    name = translate("Spaces", "{name} (active)").format(name=name)
                item = QTreeWidgetItem([name, type_words(space.type), role_words(space.role)])
                item.setData(0, ID_ROLE, space.id)
                if space.id == active:
                    font = item.font(0)
                    font.setBold(True)
                    item.setFont(0, font)
                self.tree.addTopLevelItem(item)
                if space.id == selected:
                    item.setSelected(True)
        for column in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(column)
        self.update_buttons()

    def selected_id(self) -> str | None:
        items = self.tree.selectedItems()
        return str(items[0].data(0, ID_ROLE)) if items else None

    def update_buttons(self) -> None:
        directory = directory_of(self.session)
        selected = self.selected_id()
        active = directory.context.effective_space_id() if directory is not None else None
        self.activate.setEnabled(not self.busy and selected is not None and selected != active)
        self.refresh_button.setEnabled(not self.busy and directory is not None)

    def select(self, space_id: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item is not None:
                item.setSelected(item.data(0, ID_ROLE) == space_id)

    def make_active(self) -> None:
        directory, space_id = directory_of(self.session), self.selected_id()
        if directory is not None and space_id is not None and self.activate.isEnabled():
            self._call(lambda: directory.set_active(space_id))

    def refresh(self) -> None:
        directory = directory_of(self.session)
        if directory is not None:
            self._call(directory.refresh)

    def _call(self, job: Any) -> None:
        self.busy = True
        self.error.hide()
        self.update_buttons()

        def done(_context: Any) -> None:
            self.busy = False
            self.reload()

        def failed(exc: Exception) -> None:
            self.busy = False
            self.error.setText(str(exc) or type(exc).__name__)
            self.error.show()
            self.reload()

        self.session.run(job, done, failed)
