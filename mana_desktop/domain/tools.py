"""The tool catalog (ai-workbench §1.6, canonical table of `56171ff13`) and parameter checks.

`validate` coerces parameters the way upstream's executor does (numbers from strings, booleans,
enums as strings) and then adds the checks upstream lacked: real calendar dates, ISO instants,
ranges, colours, URLs. Every error is a sentence a person can act on, in English or German.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

POLICIES = ("auto", "propose", "deny")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: str  # "string" | "number" | "boolean"
    required: bool = False
    enum: tuple[str, ...] | None = None
    description: str = ""
    format: str | None = None  # "date" | "datetime" | "color" | "url" | "emoji" | "tag"
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ToolSpec:
    name: str
    module: str
    description: str
    params: tuple[ParamSpec, ...]
    default_policy: str
    writes: bool = True  # False for read tools: running them changes nothing
    executable: bool = True  # False: this client cannot run it (research_news)

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)


def _s(name: str, required: bool = False, desc: str = "", fmt: str | None = None) -> ParamSpec:
    return ParamSpec(name, "string", required, None, desc, fmt)


def _n(
    name: str,
    required: bool = False,
    desc: str = "",
    lo: float | None = None,
    hi: float | None = None,
) -> ParamSpec:
    return ParamSpec(name, "number", required, None, desc, None, lo, hi)


def _b(name: str, desc: str = "") -> ParamSpec:
    return ParamSpec(name, "boolean", False, None, desc)


def _e(name: str, values: tuple[str, ...], required: bool = False, desc: str = "") -> ParamSpec:
    return ParamSpec(name, "string", required, values, desc)


PRIORITIES = ("low", "medium", "high")
PLACE_CATEGORIES = (
    "home", "work", "food", "shopping", "sport", "culture", "nature",
    "transport", "health", "education", "nightlife", "other",
)  # fmt: skip
DRINK_TYPES = ("water", "coffee", "tea", "juice", "alcohol", "smoothie", "soda", "other")
MEAL_TYPES = ("breakfast", "lunch", "dinner", "snack")
MOODS = (
    "dankbar",
    "glücklich",
    "zufrieden",
    "neutral",
    "nachdenklich",
    "traurig",
    "gestresst",
    "wütend",
)
TASK_FILTERS = ("open", "completed", "overdue", "today", "all")

_CATALOG: tuple[ToolSpec, ...] = (
    ToolSpec("create_task", "todo", "Create a task", (
        _s("title", True, "Title of the task"),
        _s("dueDate", False, "Due date (YYYY-MM-DD)", "date"),
        _e("priority", PRIORITIES, False, "Priority"),
        _s("description", False, "Details"),
    ), "propose"),
    ToolSpec("complete_task", "todo", "Mark a task as done", (_s("taskId", True, "Task id"),), "propose"),
    ToolSpec("complete_tasks_by_title", "todo", "Mark open tasks whose title contains a text as done",
             (_s("titleMatch", True, "Case-insensitive part of the title"),), "propose"),
    ToolSpec("get_task_stats", "todo", "Task statistics", (), "auto", writes=False),
    ToolSpec("list_tasks", "todo", "List tasks", (
        _e("filter", TASK_FILTERS, False, "Which tasks"), _n("limit", False, "At most (default 20)", 1, 1000),
    ), "auto", writes=False),
    ToolSpec("create_event", "calendar", "Create a calendar event", (
        _s("title", True, "Title"),
        _s("startTime", True, "Start (ISO 8601)", "datetime"),
        _s("endTime", True, "End (ISO 8601)", "datetime"),
        _b("isAllDay", "All day"),
        _s("location", False, "Location"),
        _s("description", False, "Details"),
    ), "propose"),
    ToolSpec("get_todays_events", "calendar", "Today's events", (), "auto", writes=False),
    ToolSpec("create_note", "notes", "Create a note", (
        _s("title", False, "Title"), _s("content", True, "Text (Markdown)"),
    ), "propose"),
    ToolSpec("update_note", "notes", "Replace a note's title or text", (
        _s("noteId", True, "Note id"), _s("title", False, "New title"), _s("content", False, "New text (replaces it)"),
    ), "propose"),
    ToolSpec("append_to_note", "notes", "Append text to a note", (
        _s("noteId", True, "Note id"), _s("content", True, "Text to append"),
    ), "propose"),
    ToolSpec("add_tag_to_note", "notes", "Tag a note", (
        _s("noteId", True, "Note id"), _s("tag", True, "Tag (without #)", "tag"),
    ), "propose"),
    ToolSpec("list_notes", "notes", "List notes", (
        _n("limit", False, "At most (default 30, max 100)", 1, 100), _s("query", False, "Search text"),
        _b("includeArchived", "Include archived notes"),
    ), "auto", writes=False),
    ToolSpec("create_place", "places", "Save a place", (
        _s("name", True, "Name"),
        _n("latitude", True, "Latitude", -90, 90),
        _n("longitude", True, "Longitude", -180, 180),
        _e("category", PLACE_CATEGORIES, False, "Category"),
        _s("address", False, "Address"),
    ), "propose"),
    ToolSpec("visit_place", "places", "Record a visit to a place", (_s("placeId", True, "Place id"),), "propose"),
    ToolSpec("get_places", "places", "List places", (), "auto", writes=False),
    ToolSpec("get_current_location", "places", "Current location", (), "auto", writes=False),
    ToolSpec("undo_drink", "drink", "Remove the last logged drink", (), "propose"),
    ToolSpec("get_drink_progress", "drink", "Today's drinking progress", (), "auto", writes=False),
    ToolSpec("log_drink", "drink", "Log a drink", (
        _e("drinkType", DRINK_TYPES, True, "Kind of drink"),
        _n("quantityMl", True, "Amount in ml", 1, 5000),
        _s("name", False, "Name"),
    ), "auto"),
    ToolSpec("nutrition_summary", "food", "Today's nutrition", (), "auto", writes=False),
    ToolSpec("log_meal", "food", "Log a meal", (
        _e("mealType", MEAL_TYPES, True, "Meal"),
        _s("description", True, "What was eaten"),
        _n("calories", False, "Calories (kcal)", 0, 20000),
        _n("protein", False, "Protein (g)", 0, 2000),
    ), "auto"),
    ToolSpec("save_news_article", "news", "Save a news article", (
        _s("url", True, "Address of the article", "url"), _s("title", False, "Title"), _s("summary", False, "Summary"),
    ), "propose"),
    ToolSpec("research_news", "news-research", "Research news on a topic", (
        _s("query", True, "Topic"), _s("language", False, "Language"), _n("limit", False, "At most", 1, 100),
    ), "propose", executable=False),
    ToolSpec("create_journal_entry", "journal", "Write a journal entry", (
        _s("content", True, "Text"), _s("title", False, "Title"), _e("mood", MOODS, False, "Mood"),
    ), "propose"),
    ToolSpec("create_habit", "habits", "Create a habit", (
        _s("title", True, "Title"), _s("icon", True, "Icon (emoji)", "emoji"), _s("color", True, "Colour (#hex)", "color"),
    ), "propose"),
    ToolSpec("log_habit", "habits", "Log a habit", (_s("habitId", True, "Habit id"), _s("note", False, "Note")), "propose"),
    ToolSpec("get_habits", "habits", "List habits", (), "auto", writes=False),
    ToolSpec("create_contact", "contacts", "Create a contact", (
        _s("firstName", True, "First name"), _s("lastName", False, "Last name"), _s("email", False, "E-mail"),
        _s("phone", False, "Phone"), _s("company", False, "Company"), _s("notes", False, "Notes"),
    ), "propose"),
    ToolSpec("get_contacts", "contacts", "List contacts", (), "auto", writes=False),
)  # fmt: skip

TOOLS: dict[str, ToolSpec] = {t.name: t for t in _CATALOG}
MODULES: tuple[str, ...] = tuple(dict.fromkeys(t.module for t in _CATALOG))


def get_tool(name: str) -> ToolSpec | None:
    return TOOLS.get(name)


def policy_for(tool_name: str, overrides: dict[str, str] | None = None) -> str:
    """The user's choice, else the catalog default; unknown tools are proposed (never auto)."""
    chosen = (overrides or {}).get(tool_name)
    if chosen in POLICIES:
        return chosen  # type: ignore[return-value]
    spec = TOOLS.get(tool_name)
    return spec.default_policy if spec else "propose"


def check_policy(value: str) -> str:
    if value not in POLICIES:
        raise ValueError(f"unknown policy {value!r}; use one of: {', '.join(POLICIES)}")
    return value


# --- messages -------------------------------------------------------------------------------

_MSG: dict[str, dict[str, str]] = {
    "en": {
        "unknown_tool": "This app does not know the tool “{tool}”, so it cannot run it here.",
        "not_runnable": "“{tool}” runs only on the server; it cannot run on this computer.",
        "missing": "“{param}” is required but missing.",
        "unknown_param": "“{param}” is not a setting of “{tool}”; it accepts: {names}.",
        "number": "“{param}” must be a number (got “{value}”).",
        "min": "“{param}” must be at least {limit} (got {value}).",
        "max": "“{param}” must be at most {limit} (got {value}).",
        "boolean": "“{param}” must be yes or no (true/false), not “{value}”.",
        "enum": "“{param}” must be one of: {values} (got “{value}”).",
        "string": "“{param}” must be text.",
        "date": "“{param}” must be a date like 2026-05-01 (got “{value}”).",
        "datetime": "“{param}” must be a date and time like 2026-05-01T14:30 (got “{value}”).",
        "order": "The end “{end}” is before the start “{start}”.",
        "color": "“{param}” must be a colour like #22c55e (got “{value}”).",
        "url": "“{param}” must be a web address starting with http:// or https:// (got “{value}”).",
        "emoji": "“{param}” must be a single emoji or a short symbol.",
        "empty": "“{param}” must not be empty.",
    },
    "de": {
        "unknown_tool": "Diese App kennt das Werkzeug „{tool}“ nicht und kann es hier nicht ausführen.",
        "not_runnable": "„{tool}“ läuft nur auf dem Server, nicht auf diesem Computer.",
        "missing": "„{param}“ fehlt, ist aber nötig.",
        "unknown_param": "„{param}“ ist keine Einstellung von „{tool}“; möglich sind: {names}.",
        "number": "„{param}“ muss eine Zahl sein (erhalten: „{value}“).",
        "min": "„{param}“ muss mindestens {limit} sein (erhalten: {value}).",
        "max": "„{param}“ darf höchstens {limit} sein (erhalten: {value}).",
        "boolean": "„{param}“ muss ja oder nein (true/false) sein, nicht „{value}“.",
        "enum": "„{param}“ muss eines davon sein: {values} (erhalten: „{value}“).",
        "string": "„{param}“ muss Text sein.",
        "date": "„{param}“ muss ein Datum wie 2026-05-01 sein (erhalten: „{value}“).",
        "datetime": "„{param}“ muss Datum und Uhrzeit wie 2026-05-01T14:30 sein (erhalten: „{value}“).",
        "order": "Das Ende „{end}“ liegt vor dem Beginn „{start}“.",
        "color": "„{param}“ muss eine Farbe wie #22c55e sein (erhalten: „{value}“).",
        "url": "„{param}“ muss eine Webadresse mit http:// oder https:// sein (erhalten: „{value}“).",
        "emoji": "„{param}“ muss ein einzelnes Emoji oder kurzes Symbol sein.",
        "empty": "„{param}“ darf nicht leer sein.",
    },
}


def message(key: str, lang: str | None = None, **values: object) -> str:
    table = _MSG.get((lang or "en")[:2], _MSG["en"])
    return table[key].format(**{k: _short(v) for k, v in values.items()})


def _short(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


# --- validation ----------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse_local_datetime(text: str) -> datetime | None:
    """An ISO 8601 date-time (zone optional), or a bare date; None when it is neither."""
    value = text.strip()
    if _DATE_RE.match(value):
        value += "T00:00:00"
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def validate(
    tool: str | ToolSpec, params: object, *, strict: bool = False, lang: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Check and coerce `params` for `tool`; returns (coerced copy, errors for people).

    Unknown parameter names are kept (upstream keeps them) unless `strict`, which the edit path
    uses so a typo in `--set` is reported instead of silently ignored.
    """
    spec = tool if isinstance(tool, ToolSpec) else TOOLS.get(tool)
    if spec is None:
        return (dict(params) if isinstance(params, dict) else {}), [
            message("unknown_tool", lang, tool=tool)
        ]
    raw: dict[str, Any] = dict(params) if isinstance(params, dict) else {}
    out: dict[str, Any] = dict(raw)
    errors: list[str] = []
    for p in spec.params:
        value = raw.get(p.name)
        if value is None or (isinstance(value, str) and not value.strip() and p.type != "string"):
            out.pop(p.name, None)
            if p.required:
                errors.append(message("missing", lang, param=p.name))
            continue
        coerced, error = _coerce(p, value, lang)
        if error:
            errors.append(error)
        else:
            out[p.name] = coerced
    if strict:
        names = {p.name for p in spec.params}
        for key in raw:
            if key not in names:
                errors.append(
                    message(
                        "unknown_param",
                        lang,
                        param=key,
                        tool=spec.name,
                        names=", ".join(sorted(names)) or "–",
                    )
                )
    errors.extend(_cross_checks(spec, out, lang) if not errors else [])
    return out, errors


def _coerce(p: ParamSpec, value: object, lang: str | None) -> tuple[object, str | None]:
    if p.enum is not None:
        text = str(value).strip()
        if text not in p.enum:
            return None, message("enum", lang, param=p.name, values=", ".join(p.enum), value=text)
        return text, None
    if p.type == "number":
        return _coerce_number(p, value, lang)
    if p.type == "boolean":
        return _coerce_bool(p, value, lang)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, message("string", lang, param=p.name)
    text = str(value)
    if p.required and not text.strip():
        return None, message("empty", lang, param=p.name)
    return _check_format(p, text, lang)


def _coerce_number(p: ParamSpec, value: object, lang: str | None) -> tuple[object, str | None]:
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None, message("number", lang, param=p.name, value=value)
    if not math.isfinite(number):
        return None, message("number", lang, param=p.name, value=value)
    shown = _fmt_num(number)
    if p.minimum is not None and number < p.minimum:
        return None, message("min", lang, param=p.name, limit=_fmt_num(p.minimum), value=shown)
    if p.maximum is not None and number > p.maximum:
        return None, message("max", lang, param=p.name, limit=_fmt_num(p.maximum), value=shown)
    return (int(number) if number.is_integer() else number), None


def _fmt_num(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


_TRUE = {"true", "yes", "1", "ja", "on"}
_FALSE = {"false", "no", "0", "nein", "off"}


def _coerce_bool(p: ParamSpec, value: object, lang: str | None) -> tuple[object, str | None]:
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True, None
    if text in _FALSE:
        return False, None
    return None, message("boolean", lang, param=p.name, value=value)


def _check_format(p: ParamSpec, text: str, lang: str | None) -> tuple[object, str | None]:
    value = text.strip()
    if p.format == "date":
        try:
            if not _DATE_RE.match(value):
                raise ValueError
            date.fromisoformat(value)
        except ValueError:
            return None, message("date", lang, param=p.name, value=text)
        return value, None
    if p.format == "datetime":
        if parse_local_datetime(value) is None:
            return None, message("datetime", lang, param=p.name, value=text)
        return value, None
    if p.format == "color":
        return (
            (value, None)
            if _COLOR_RE.match(value)
            else (None, message("color", lang, param=p.name, value=text))
        )
    if p.format == "url":
        url_ok = re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE) is not None
        return (value, None) if url_ok else (None, message("url", lang, param=p.name, value=text))
    if p.format == "emoji":
        ok = 0 < len(value) <= 8 and not any(c.isalnum() and c.isascii() for c in value)
        return (value, None) if ok else (None, message("emoji", lang, param=p.name))
    if p.format == "tag":
        tag = value.lstrip("#").strip().replace(" ", "_")
        return (tag, None) if tag else (None, message("empty", lang, param=p.name))
    return text, None


def _cross_checks(spec: ToolSpec, params: dict[str, Any], lang: str | None) -> list[str]:
    if spec.name != "create_event":
        return []
    start = parse_local_datetime(str(params.get("startTime", "")))
    end = parse_local_datetime(str(params.get("endTime", "")))
    if start is None or end is None:
        return []
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    if end < start:
        return [message("order", lang, start=params["startTime"], end=params["endTime"])]
    return []


def describe_params(params: dict[str, Any]) -> str:
    """Upstream's intent line: non-empty params as `k: v · k: v`."""
    return " · ".join(f"{k}: {v}" for k, v in params.items() if v not in (None, ""))
