"""The modules that can receive proposals: sidebar order, icons, and where their records live."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

translate = QCoreApplication.translate


@dataclass(frozen=True)
class ModuleInfo:
    key: str  # the tool catalog's module name
    icon: str
    app: str  # replica app id
    collection: str  # replica collection of its main records
    title_field: str  # the field that names a record

    def name(self) -> str:
        return _names()[self.key]


MODULES: tuple[ModuleInfo, ...] = (
    ModuleInfo("todo", "☑", "todo", "tasks", "title"),
    ModuleInfo("calendar", "▦", "calendar", "events", "title"),
    ModuleInfo("notes", "✎", "notes", "notes", "title"),
    ModuleInfo("places", "◈", "places", "places", "name"),
    ModuleInfo("drink", "☕", "drink", "drinkEntries", "name"),
    ModuleInfo("food", "◍", "food", "meals", "description"),
    ModuleInfo("journal", "✐", "journal", "journalEntries", "title"),
    ModuleInfo("habits", "↻", "habits", "habits", "title"),
    ModuleInfo("contacts", "☺", "contacts", "contacts", "firstName"),
    ModuleInfo("news", "☰", "news", "articles", "title"),
)
BY_KEY = {m.key: m for m in MODULES}


def _names() -> dict[str, str]:
    return {
        "todo": translate("Modules", "Todo"),
        "calendar": translate("Modules", "Calendar"),
        "notes": translate("Modules", "Notes"),
        "places": translate("Modules", "Places"),
        "drink": translate("Modules", "Drink"),
        "food": translate("Modules", "Food"),
        "journal": translate("Modules", "Journal"),
        "habits": translate("Modules", "Habits"),
        "contacts": translate("Modules", "Contacts"),
        "news": translate("Modules", "News"),
    }


def module_name(key: str) -> str:
    return _names().get(key, key)
