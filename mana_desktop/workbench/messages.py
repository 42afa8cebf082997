"""Messages of the workbench for people, in English with German variants.

`say(lang, template, **values)`: the English template is the key, so the code reads naturally
and a missing translation falls back to English.
"""

from __future__ import annotations

_DE: dict[str, str] = {
    "No proposal with id {id!r}.": "Kein Vorschlag mit der Kennung {id!r}.",
    "This proposal is already approved.": "Dieser Vorschlag ist schon übernommen.",
    "This proposal is already rejected.": "Dieser Vorschlag ist schon abgelehnt.",
    "This proposal is already decided on another device.": "Über diesen Vorschlag wurde schon auf einem anderen Gerät entschieden.",
    "This proposal is skipped by your policy.": "Dieser Vorschlag wurde durch deine Richtlinie übersprungen.",
    "This proposal is a note, nothing to decide.": "Das ist eine Notiz, hier gibt es nichts zu entscheiden.",
    "This proposal is running right now.": "Dieser Vorschlag wird gerade ausgeführt.",
    "This step is no longer in its mission (the mission was deleted or replanned).": "Dieser Schritt gehört nicht mehr zur Mission (gelöscht oder neu geplant).",
    "This step was already {status} on another device.": "Dieser Schritt wurde schon auf einem anderen Gerät entschieden ({status}).",
    "Feedback is empty.": "Das Feedback ist leer.",
    "No such mission iteration.": "Diese Iteration gibt es nicht.",
    "No proposals for iteration {id!r}.": "Keine Vorschläge für die Iteration {id!r}.",
    "Nothing in this iteration can be approved here.": "In dieser Iteration kann hier nichts übernommen werden.",
    "Nothing left to reject in this iteration.": "In dieser Iteration gibt es nichts mehr abzulehnen.",
    "There is nothing to undo.": "Es gibt nichts rückgängig zu machen.",
    "The undo window has passed. Use Revert instead.": "Die Zeit zum Rückgängigmachen ist vorbei. Nutze stattdessen „Zurücknehmen“.",
    "Too late to undo: it was already sent. Use Revert instead.": "Zu spät: Es wurde schon gesendet. Nutze stattdessen „Zurücknehmen“.",
    "Nothing of this iteration was carried out, so there is nothing to revert.": "Von dieser Iteration wurde nichts ausgeführt; es gibt nichts zurückzunehmen.",
    "Everything this iteration did is already undone.": "Alles aus dieser Iteration ist schon zurückgenommen.",
    "A mission needs a title.": "Eine Mission braucht einen Titel.",
    "No mission with id {id!r}.": "Keine Mission mit der Kennung {id!r}.",
    "The mission is {state}; resume it first.": "Die Mission ist {state}; setze sie zuerst fort.",
    "🔒 locked": "🔒 gesperrt",
    "🔒 can't be decrypted": "🔒 nicht entschlüsselbar",
    "Cannot edit {names}; editable: {editable}.": "{names} kann nicht geändert werden; änderbar: {editable}.",
}


def say(lang: str | None, template: str, **values: object) -> str:
    text = _DE.get(template, template) if (lang or "en").startswith("de") else template
    return text.format(**values)
