"""Pure builders of the module records an approved tool writes (ai-workbench §4).

A builder turns (tool, parameters, step identity, now, a read-only lookup) into record
operations; the workbench executor applies them in one replica transaction. Created records get
ids derived from `(missionId, iterationId, stepId)`, so the same step approved on two devices
creates one record (the second insert finds it already there), not two.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mana_desktop.domain.timeutil import format_ms, try_parse_instant
from mana_desktop.domain.tools import parse_local_datetime

_NAMESPACE = uuid.UUID("0b5e3f8e-5a8c-4c57-9e2b-6d616e612d72")


class ToolFailure(Exception):
    """The tool cannot run with this data (a person can read the message)."""


@dataclass(frozen=True)
class StepRef:
    mission_id: str
    iteration_id: str
    step_id: str


@dataclass(frozen=True)
class RecordOp:
    op: str  # "insert" | "update" | "soft_delete"
    app: str
    collection: str
    id: str
    data: dict[str, Any] = field(default_factory=dict)  # insert: the record; update: fields


class Lookup(Protocol):
    """Read access the builders need (the replica, or a dict in tests)."""

    def get(self, app: str, collection: str, record_id: str) -> Mapping[str, Any] | None: ...

    def rows(self, app: str, collection: str) -> list[Mapping[str, Any]]: ...

    def count_open(self, app: str, collection: str) -> int:
        """How many records of the collection are not deleted."""
        ...


def derived_id(step: StepRef, part: str = "") -> str:
    """A stable record id for what a step creates (`part` tells apart several records)."""
    key = f"{step.mission_id}\x1f{step.iteration_id}\x1f{step.step_id}\x1f{part}"
    return str(uuid.uuid5(_NAMESPACE, key))


Builder = Callable[[dict[str, Any], StepRef, datetime, Lookup], list[RecordOp]]


def _stamp(now: datetime) -> dict[str, str]:
    at = format_ms(now)
    return {"createdAt": at, "updatedAt": at}


def _open_rows(lookup: Lookup, app: str, collection: str) -> list[Mapping[str, Any]]:
    return [r for r in lookup.rows(app, collection) if not r.get("deletedAt")]


def _require(lookup: Lookup, app: str, collection: str, rid: str, what: str) -> Mapping[str, Any]:
    row = lookup.get(app, collection, rid)
    if row is None or row.get("deletedAt"):
        raise ToolFailure(f"The {what} “{rid}” does not exist (any more).")
    return row


def create_task(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data: dict[str, Any] = {
        "id": rid,
        "title": params["title"],
        "priority": params.get("priority") or "medium",
        "isCompleted": False,
        "dueDate": params.get("dueDate"),
        "scheduledBlockId": None,
        "estimatedDuration": None,
        "order": lookup.count_open("todo", "tasks"),
        **_stamp(now),
    }
    if params.get("description"):
        data["description"] = params["description"]
    return [RecordOp("insert", "todo", "tasks", rid, data)]


def _complete(rid: str, now: datetime) -> RecordOp:
    at = format_ms(now)
    return RecordOp(
        "update", "todo", "tasks", rid, {"isCompleted": True, "completedAt": at, "updatedAt": at}
    )


def complete_task(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    task = _require(lookup, "todo", "tasks", params["taskId"], "task")
    if task.get("isCompleted") is True:
        return []  # already done: nothing to write, still a success
    return [_complete(params["taskId"], now)]


def complete_tasks_by_title(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    needle = str(params["titleMatch"]).casefold()
    hits = [
        r for r in _open_rows(lookup, "todo", "tasks")
        if r.get("isCompleted") is not True and needle in str(r.get("title", "")).casefold()
    ]  # fmt: skip
    if not hits:
        raise ToolFailure(f"No open task has “{params['titleMatch']}” in its title.")
    return [_complete(str(r["id"]), now) for r in hits]


def _default_calendar(lookup: Lookup) -> str:
    calendars = _open_rows(lookup, "calendar", "calendars")
    if not calendars:
        raise ToolFailure("There is no calendar yet (Kein Kalender vorhanden): create one first.")
    default = next((c for c in calendars if c.get("isDefault") is True), calendars[0])
    return str(default["id"])


def _instant(text: str) -> str:
    """An ISO instant for storage; a time without zone is local time, as the webapp reads it."""
    aware = try_parse_instant(text)
    if aware is not None:
        return format_ms(aware)
    local = parse_local_datetime(text)
    if local is None:
        raise ToolFailure(f"“{text}” is not a date and time.")
    return format_ms(local.astimezone() if local.tzinfo is None else local)


def create_event(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    calendar_id = _default_calendar(lookup)
    event_id, block_id = derived_id(step), derived_id(step, "timeblock")
    stamp = _stamp(now)
    event = {
        "id": event_id, "calendarId": calendar_id, "timeBlockId": block_id,
        "title": params["title"], "description": params.get("description"),
        "location": params.get("location"), "color": None, "reminders": None, **stamp,
    }  # fmt: skip
    block = {
        "id": block_id, "startDate": _instant(params["startTime"]), "endDate": _instant(params["endTime"]),
        "allDay": bool(params.get("isAllDay", False)), "recurrenceRule": None, "kind": "scheduled",
        "type": "event", "sourceModule": "calendar", "sourceId": event_id, "title": params["title"],
        "description": params.get("description"), "color": None, **stamp,
    }  # fmt: skip
    return [
        RecordOp("insert", "timeblocks", "timeBlocks", block_id, block),
        RecordOp("insert", "calendar", "events", event_id, event),
    ]


def create_note(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data = {
        "id": rid, "title": params.get("title") or "", "content": params["content"], "color": None,
        "isPinned": False, "isArchived": False, **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "notes", "notes", rid, data)]


def update_note(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    _require(lookup, "notes", "notes", params["noteId"], "note")
    fields = {k: params[k] for k in ("title", "content") if params.get(k) is not None}
    fields["updatedAt"] = format_ms(now)
    return [RecordOp("update", "notes", "notes", params["noteId"], fields)]


def append_to_note(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    note = _require(lookup, "notes", "notes", params["noteId"], "note")
    old = str(note.get("content") or "")
    content = f"{old}\n\n{params['content']}" if old else str(params["content"])
    return [
        RecordOp(
            "update",
            "notes",
            "notes",
            params["noteId"],
            {"content": content, "updatedAt": format_ms(now)},
        )
    ]


def add_tag_to_note(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    note = _require(lookup, "notes", "notes", params["noteId"], "note")
    tags = [t for t in note.get("tags") or [] if isinstance(t, str)]
    if params["tag"] in tags:
        return []
    return [
        RecordOp(
            "update",
            "notes",
            "notes",
            params["noteId"],
            {"tags": [*tags, params["tag"]], "updatedAt": format_ms(now)},
        )
    ]


def create_place(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data: dict[str, Any] = {
        "id": rid, "name": params["name"], "latitude": params["latitude"], "longitude": params["longitude"],
        "category": params.get("category") or "other", "isFavorite": False, "isArchived": False,
        "visitCount": 0, **_stamp(now),
    }  # fmt: skip
    if params.get("address"):
        data["address"] = params["address"]
    return [RecordOp("insert", "places", "places", rid, data)]


def visit_place(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    place = _require(lookup, "places", "places", params["placeId"], "place")
    at = format_ms(now)
    count = place.get("visitCount")
    block_id = derived_id(step, "visit")
    block = {
        "id": block_id, "startDate": at, "endDate": at, "allDay": False, "recurrenceRule": None,
        "kind": "logged", "type": "visit", "sourceModule": "places", "sourceId": params["placeId"],
        "title": place.get("name") or "", "color": "#a855f7", "createdAt": at, "updatedAt": at,
    }  # fmt: skip
    return [
        RecordOp("update", "places", "places", params["placeId"], {
            "visitCount": (count if isinstance(count, int) else 0) + 1, "lastVisitedAt": at, "updatedAt": at,
        }),
        RecordOp("insert", "timeblocks", "timeBlocks", block_id, block),
    ]  # fmt: skip


def undo_drink(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    entries = _open_rows(lookup, "drink", "drinkEntries")
    if not entries:
        raise ToolFailure("There is no logged drink to remove.")
    newest = max(entries, key=lambda r: str(r.get("createdAt") or ""))
    return [RecordOp("soft_delete", "drink", "drinkEntries", str(newest["id"]))]


def _local_day(now: datetime) -> tuple[str, str]:
    local = now.astimezone()
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def log_drink(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    day, time = _local_day(now)
    data = {
        "id": rid, "name": params.get("name") or params["drinkType"], "drinkType": params["drinkType"],
        "quantityMl": params["quantityMl"], "date": day, "time": time, "note": None, "presetId": None,
        **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "drink", "drinkEntries", rid, data)]


def log_meal(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    day, _ = _local_day(now)
    has_nutrition = params.get("calories") is not None or params.get("protein") is not None
    nutrition = (
        {"calories": params.get("calories") or 0, "protein": params.get("protein") or 0,
         "carbohydrates": 0, "fat": 0, "fiber": 0, "sugar": 0}
        if has_nutrition else None
    )  # fmt: skip
    data = {
        "id": rid, "date": day, "mealType": params["mealType"], "inputType": "text",
        "description": str(params["description"]).strip(), "portionSize": None,
        "confidence": 0.8 if has_nutrition else 0, "nutrition": nutrition, "photoUrl": None,
        "photoMediaId": None, "foods": None, **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "food", "meals", rid, data)]


def save_news_article(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data = {
        "id": rid, "url": params["url"], "title": params.get("title") or params["url"],
        "summary": params.get("summary") or "", "isRead": False, "isArchived": False, **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "news", "articles", rid, data)]


def create_journal_entry(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    day, _ = _local_day(now)
    data = {
        "id": rid, "title": params.get("title") or "", "content": params["content"],
        "mood": params.get("mood"), "date": day, **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "journal", "journalEntries", rid, data)]


def create_habit(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data = {
        "id": rid, "title": params["title"], "icon": params["icon"], "color": params["color"],
        "isArchived": False, "order": lookup.count_open("habits", "habits"), **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "habits", "habits", rid, data)]


def log_habit(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    _require(lookup, "habits", "habits", params["habitId"], "habit")
    rid = derived_id(step)
    day, _ = _local_day(now)
    data = {
        "id": rid, "habitId": params["habitId"], "date": day, "timestamp": format_ms(now),
        "note": params.get("note"), **_stamp(now),
    }  # fmt: skip
    return [RecordOp("insert", "habits", "habitLogs", rid, data)]


def create_contact(
    params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    rid = derived_id(step)
    data: dict[str, Any] = {
        "id": rid,
        "firstName": params["firstName"],
        "isFavorite": False,
        "isArchived": False,
    }
    for key in ("lastName", "email", "phone", "company", "notes"):
        if params.get(key):
            data[key] = params[key]
    data.update(_stamp(now))
    return [RecordOp("insert", "contacts", "contacts", rid, data)]


BUILDERS: dict[str, Builder] = {
    "create_task": create_task,
    "complete_task": complete_task,
    "complete_tasks_by_title": complete_tasks_by_title,
    "create_event": create_event,
    "create_note": create_note,
    "update_note": update_note,
    "append_to_note": append_to_note,
    "add_tag_to_note": add_tag_to_note,
    "create_place": create_place,
    "visit_place": visit_place,
    "undo_drink": undo_drink,
    "log_drink": log_drink,
    "log_meal": log_meal,
    "save_news_article": save_news_article,
    "create_journal_entry": create_journal_entry,
    "create_habit": create_habit,
    "log_habit": log_habit,
    "create_contact": create_contact,
}


def build(
    tool: str, params: dict[str, Any], step: StepRef, now: datetime, lookup: Lookup
) -> list[RecordOp]:
    """The writes of one tool call; read tools write nothing. Raises ToolFailure."""
    builder = BUILDERS.get(tool)
    return builder(params, step, now, lookup) if builder else []
