"""Proposals in words: the action line and its key parameters, formatted for people.

Everything here is plain text (server text is data, never markup). Dates are shown in the
chosen language through QLocale; unparsable values are shown as they came.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime, QTimeZone

from mana_desktop.domain.timeutil import try_parse_instant

translate = QCoreApplication.translate


@dataclass(frozen=True)
class ActionText:
    """`verb` (New task), `subject` (Buy oat milk), `details` (due Mon 1 Dec · low)."""

    verb: str
    subject: str
    details: str

    def one_line(self) -> str:
        parts = [f"{self.verb}: {self.subject}" if self.subject else self.verb]
        if self.details:
            parts.append(self.details)
        return " · ".join(parts)


def _s(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def format_day(value: str) -> str:
    """'2026-12-01' -> 'Tue 1 Dec' (local language); anything else as it came."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    qdate = QDate(day.year, day.month, day.day)
    return QLocale().toString(qdate, "ddd d MMM")


def _local(value: str) -> QDateTime | None:
    instant = try_parse_instant(value)
    if instant is None:
        try:
            naive = datetime.fromisoformat(value)
        except ValueError:
            return None
        return QDateTime(
            QDate(naive.year, naive.month, naive.day),
            QTime(naive.hour, naive.minute),
        )
    utc = QDateTime.fromSecsSinceEpoch(int(instant.timestamp()), QTimeZone.utc())
    return utc.toLocalTime()


def format_time_range(start: str, end: str) -> str:
    """'Thu 4 Dec, 14:00–15:00' (end on another day is written out in full)."""
    first = _local(start)
    if first is None:
        return f"{start}–{end}" if end else start
    locale = QLocale()
    text = locale.toString(first, "ddd d MMM, HH:mm")
    last = _local(end) if end else None
    if last is None:
        return text
    same_day = last.date() == first.date()
    return text + "–" + locale.toString(last, "HH:mm" if same_day else "ddd d MMM, HH:mm")


def format_moment(value: str | None) -> str:
    """'today 10:02', 'yesterday 18:30' or 'Mon 1 Dec 10:02' for an instant."""
    if not value:
        return ""
    moment = _local(value)
    if moment is None:
        return value
    locale = QLocale()
    days = moment.date().daysTo(QDate.currentDate())
    clock = locale.toString(moment.time(), "HH:mm")
    if days == 0:
        return translate("Format", "today {time}").format(time=clock)
    if days == 1:
        return translate("Format", "yesterday {time}").format(time=clock)
    return locale.toString(moment, "ddd d MMM HH:mm")


def _priority(value: str) -> str:
    names = {
        "low": translate("Format", "low"),
        "medium": translate("Format", "medium"),
        "high": translate("Format", "high"),
        "urgent": translate("Format", "urgent"),
    }
    return names.get(value, value)


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _task(p: Mapping[str, Any]) -> ActionText:
    due = _s(p, "dueDate")
    details = _join(
        translate("Format", "due {day}").format(day=format_day(due)) if due else "",
        _priority(_s(p, "priority")),
    )
    return ActionText(translate("Format", "New task"), _s(p, "title"), details)


def _event(p: Mapping[str, Any]) -> ActionText:
    start = _s(p, "startTime") or _s(p, "startIso")
    end = _s(p, "endTime") or _s(p, "endIso")
    when = format_time_range(start, end) if start else ""
    return ActionText(translate("Format", "New event"), _s(p, "title"), _join(when, _s(p, "location")))


def _note(p: Mapping[str, Any]) -> ActionText:
    title = _s(p, "title") or _first_line(_s(p, "content"))
    rest = _first_line(_s(p, "content")) if _s(p, "title") else ""
    return ActionText(translate("Format", "New note"), title, rest)


def _place(p: Mapping[str, Any]) -> ActionText:
    return ActionText(
        translate("Format", "New place"), _s(p, "name"), _join(_s(p, "category"), _s(p, "address"))
    )


def _drink(p: Mapping[str, Any]) -> ActionText:
    amount = _s(p, "quantityMl")
    details = translate("Format", "{ml} ml").format(ml=amount) if amount else ""
    return ActionText(translate("Format", "Log a drink"), _s(p, "name") or _s(p, "drinkType"), details)


def _meal(p: Mapping[str, Any]) -> ActionText:
    kcal = _s(p, "calories")
    details = _join(_s(p, "mealType"), translate("Format", "{kcal} kcal").format(kcal=kcal) if kcal else "")
    return ActionText(translate("Format", "Log a meal"), _first_line(_s(p, "description")), details)


def _simple(verb: Callable[[], str], *keys: str) -> Callable[[Mapping[str, Any]], ActionText]:
    def build(p: Mapping[str, Any]) -> ActionText:
        values = [_s(p, k) for k in keys if _s(p, k)]
        subject = _first_line(values[0]) if values else ""
        return ActionText(verb(), subject, _join(*(_first_line(v) for v in values[1:])))

    return build


def _tr(text: str) -> Callable[[], str]:
    # Looked up at call time so a language switch applies without a restart.
    return lambda: QCoreApplication.translate("Format", text)


FORMATTERS: dict[str, Callable[[Mapping[str, Any]], ActionText]] = {
    "create_task": _task,
    "create_event": _event,
    "create_note": _note,
    "create_place": _place,
    "log_drink": _drink,
    "log_meal": _meal,
    "complete_task": _simple(_tr("Complete task"), "taskTitle", "taskId"),
    "complete_tasks_by_title": _simple(_tr("Complete tasks matching"), "titleMatch"),
    "update_note": _simple(_tr("Rewrite note"), "title", "content"),
    "append_to_note": _simple(_tr("Add to note"), "content"),
    "add_tag_to_note": _simple(_tr("Tag note"), "tag"),
    "visit_place": _simple(_tr("Record a visit"), "placeName", "placeId"),
    "undo_drink": _simple(_tr("Undo the last drink")),
    "save_news_article": _simple(_tr("Save article"), "title", "url"),
    "research_news": _simple(_tr("Research news"), "query", "language"),
    "create_journal_entry": _simple(_tr("New journal entry"), "title", "content", "mood"),
    "create_habit": _simple(_tr("New habit"), "title", "icon"),
    "log_habit": _simple(_tr("Log habit"), "habitId", "note"),
    "create_contact": _simple(_tr("New contact"), "firstName", "lastName", "email", "phone"),
}

# Marker for lupdate: the texts above that go through _tr().
if False:  # pragma: no cover
    for _text in (
        translate("Format", "Complete task"),
        translate("Format", "Complete tasks matching"),
        translate("Format", "Rewrite note"),
        translate("Format", "Add to note"),
        translate("Format", "Tag note"),
        translate("Format", "Record a visit"),
        translate("Format", "Undo the last drink"),
        translate("Format", "Save article"),
        translate("Format", "Research news"),
        translate("Format", "New journal entry"),
        translate("Format", "New habit"),
        translate("Format", "Log habit"),
        translate("Format", "New contact"),
    ):
        pass


def _generic(tool_name: str, p: Mapping[str, Any]) -> ActionText:
    details = _join(*(f"{k}: {_first_line(_s(p, k))}" for k in p if _s(p, k)))
    return ActionText(tool_name.replace("_", " ").capitalize(), "", details)


def describe_action(tool_name: str, params: Mapping[str, Any] | None) -> ActionText:
    """The action of a tool call in words, for a card or a notification."""
    params = params or {}
    formatter = FORMATTERS.get(tool_name)
    if formatter is None:
        return _generic(tool_name, params)
    return formatter(params)


def describe_note(body: str) -> ActionText:
    return ActionText(translate("Format", "Note"), _first_line(body), "")
