"""Languages: German catalog complete, plural forms, switching back to English."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from PySide6.QtCore import QCoreApplication

from mana_desktop.gui import i18n
from mana_desktop.gui.formatting import describe_action

TS = i18n.TRANSLATIONS / "mana_desktop_de.ts"


def test_every_source_string_has_german_text():
    unfinished = [
        m.findtext("source")
        for m in ET.parse(TS).getroot().iter("message")
        if m.find("translation").get("type") == "unfinished"
    ]
    assert unfinished == []


def test_german_and_plural_forms(qapp):
    try:
        assert i18n.install(qapp, "de") == "de"
        assert QCoreApplication.translate("Card", "✓ Approve") == "✓ Übernehmen"
        assert QCoreApplication.translate("Inbox", "%n suggestion(s)", "", 1) == "1 Vorschlag"
        assert QCoreApplication.translate("Inbox", "%n suggestion(s)", "", 3) == "3 Vorschläge"
        assert describe_action("create_task", {"title": "Milch", "priority": "high"}).details == "hoch"
    finally:
        i18n.install(qapp, "en")
    assert QCoreApplication.translate("Inbox", "%n suggestion(s)", "", 1) == "1 suggestion"
    assert QCoreApplication.translate("Inbox", "%n suggestion(s)", "", 2) == "2 suggestions"
