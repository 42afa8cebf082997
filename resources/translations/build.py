"""Refresh the catalogs: `.venv/bin/python resources/translations/build.py`.

1. `pyside6-lupdate` collects every translate(...) string of mana_desktop/gui into the .ts files;
2. the German texts (and English plural forms) from german.py are written into them;
3. `pyside6-lrelease` compiles the .qm files the app loads.
Exits 1 and lists what is missing when a source string has no German text.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

from german import ENGLISH_PLURALS, GERMAN  # noqa: E402


def tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def fill(ts: Path, table: dict, lang: str) -> list[str]:
    tree = ET.parse(ts)
    root = tree.getroot()
    root.set("language", lang)
    missing = []
    for context in root.iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            source = message.findtext("source")
            found = table.get((name, source))
            translation = message.find("translation")
            assert translation is not None
            for child in list(translation):
                translation.remove(child)
            translation.text = None
            if found is None:
                missing.append(f"{name}: {source}")
                translation.set("type", "unfinished")
                continue
            translation.attrib.pop("type", None)
            if message.get("numerus") == "yes":
                forms = found if isinstance(found, tuple) else (found, found)
                for form in forms:
                    ET.SubElement(translation, "numerusform").text = form
            else:
                translation.text = found if isinstance(found, str) else found[0]
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> int:
    sources = sorted(str(p) for p in (ROOT / "mana_desktop" / "gui").glob("*.py"))
    german, english = HERE / "mana_desktop_de.ts", HERE / "mana_desktop_en.ts"
    subprocess.run([tool("pyside6-lupdate"), *sources, "-ts", str(german)], check=True)
    subprocess.run([tool("pyside6-lupdate"), "-pluralonly", *sources, "-ts", str(english)], check=True)
    missing = fill(german, GERMAN, "de_DE")
    fill(english, ENGLISH_PLURALS, "en_US")
    for ts in (german, english):
        subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)
    if missing:
        print("no German text for:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
