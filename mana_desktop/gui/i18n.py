"""Languages: English source strings, German from resources/translations/mana_desktop_de.qm.

Every visible string goes through QCoreApplication.translate(context, text); the .ts source is
produced by `pyside6-lupdate` and compiled by `pyside6-lrelease` (see docs/gui.md).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from mana_desktop.gui.theme import RESOURCES

SUPPORTED = ("en", "de")
TRANSLATIONS = RESOURCES / "translations"
_installed: list[QTranslator] = []
_current = "en"


def system_language() -> str:
    name = QLocale.system().name()[:2]
    return name if name in SUPPORTED else "en"


def current_language() -> str:
    return _current


def install(app: QCoreApplication, language: str | None) -> str:
    """Install the translator for `language` (None: the system's); returns the one in use."""
    global _current
    lang = language if language in SUPPORTED else system_language()
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    # English has a catalog too: it holds only the plural forms ("%n suggestion(s)").
    translator = QTranslator(app)
    if translator.load(str(TRANSLATIONS / f"mana_desktop_{lang}.qm")):
        app.installTranslator(translator)
        _installed.append(translator)
    elif lang != "en":
        lang = "en"
        return install(app, "en")
    QLocale.setDefault(QLocale(QLocale.Language.German if lang == "de" else QLocale.Language.English))
    _current = lang
    return lang
