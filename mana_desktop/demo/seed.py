"""The demo account's data: missions across modules, a little history, a calendar.

Written through the server's `append_changes` as if the demo user had pushed it from another
device earlier (client id `demo-seed`, the user actor), so the app receives it through an
ordinary sync. Seeding happens once per demo database; `--reset` starts over.

Missions use a short demo cadence (a few minutes) and the first ones are due at once, so
proposals arrive within seconds of opening the app and keep arriving.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mana_desktop.domain.crypto import MasterKey, encrypt_record
from mana_desktop.domain.timeutil import format_ms

SEED_CLIENT_ID = "demo-seed"
DEMO_EMAIL = "demo@mana.local"
DEMO_NAME = "Demo"
CALENDAR_ID = "demo-calendar"
READING_NOTE_ID = "demo-reading-list"
# The shared Space: the demo user owns it, a second seeded account writes into it.
FAMILY_NAME = "Family"
FAMILY_TYPE = "family"
CO_MEMBER_EMAIL = "robin@mana.local"
CO_MEMBER_NAME = "Robin"
FAMILY_CALENDAR_ID = "demo-family-calendar"
FAMILY_EVENT_ID = "demo-family-dinner"
FAMILY_BLOCK_ID = "demo-family-dinner-block"
FAMILY_PRIVATE_ID = "demo-family-surprise"

Append = Callable[..., list[str]]


def _insert(table: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"table": table, "id": data["id"], "op": "insert", "data": data}


def _base(record_id: str, at: str) -> dict[str, Any]:
    return {"id": record_id, "createdAt": at, "updatedAt": at}


def _decided_iteration(
    it_id: str,
    started: datetime,
    steps: list[tuple[str, str, dict[str, Any], str, str]],
    summary: str,
    feedback: str | None = None,
) -> dict[str, Any]:
    """A past server iteration whose proposals were already decided on another device."""
    stamp = format_ms(started)
    plan = [
        {
            "id": f"{it_id}-{i}",
            "summary": text,
            "intent": {"kind": "toolCall", "toolName": tool, "params": params},
            "status": status,
            "proposalId": f"{it_id}-proposal-{i}",
            "rationale": why,
        }
        for i, (text, tool, params, why, status) in enumerate(steps)
    ]
    statuses = {s["status"] for s in plan}
    iteration: dict[str, Any] = {
        "id": it_id,
        "startedAt": stamp,
        "finishedAt": stamp,
        "plan": plan,
        "summary": summary,
        "overallStatus": "approved" if "approved" in statuses else "rejected",
        "source": "server",
    }
    if feedback:
        iteration["userFeedback"] = feedback
    return iteration


def _mission(
    mid: str,
    now: datetime,
    title: str,
    objective: str,
    minutes: float,
    due_in_s: float,
    *,
    concept: str = "",
    inputs: list[dict[str, str]] | None = None,
    iterations: list[dict[str, Any]] | None = None,
    state: str = "active",
) -> dict[str, Any]:
    created = format_ms(now - timedelta(days=6))
    data = _base(mid, created)
    data.update(
        {
            "title": title,
            "conceptMarkdown": concept,
            "objective": objective,
            "inputs": inputs or [],
            "cadence": {"kind": "interval", "everyMinutes": minutes},
            "state": state,
            "nextRunAt": format_ms(now + timedelta(seconds=due_in_s))
            if state == "active"
            else None,
            "iterations": iterations or [],
        }
    )
    return data


def missions(now: datetime) -> list[dict[str, Any]]:
    day = timedelta(days=1)
    review_history = [
        _decided_iteration(
            "demo-review-1",
            now - 2 * day,
            [
                (
                    "Plan the quarterly budget",
                    "create_task",
                    {
                        "title": "Plan the quarterly budget",
                        "priority": "high",
                        "dueDate": (now - day).date().isoformat(),
                    },
                    "The quarter closes next week.",
                    "approved",
                ),
                (
                    "Clean up old browser bookmarks",
                    "create_task",
                    {"title": "Clean up old browser bookmarks", "priority": "low"},
                    "Small tidy-ups make the review feel finished.",
                    "rejected",
                ),
            ],
            "Two tasks from last week's loose ends.",
            feedback="Only real work, no busywork tasks please.",
        )
    ]
    return [
        _mission(
            "demo-weekly-review",
            now,
            "Weekly review",
            "Turn the week's loose ends into a short list of tasks for next week",
            3,
            0,
            concept="Friday afternoons. Keep it short: three things that matter.",
            iterations=review_history,
        ),
        _mission(
            "demo-trip-lisbon",
            now,
            "Trip to Lisbon",
            "Plan a long weekend in Lisbon: dates in the calendar, places worth seeing",
            4,
            3,
            concept="Travelling with a friend; we like food markets and viewpoints.",
        ),
        _mission(
            "demo-hydration",
            now,
            "Hydration goal",
            "Drink two litres of water a day and keep track of it",
            2.5,
            7,
        ),
        _mission(
            "demo-reading-list",
            now,
            "Reading list",
            "Keep the reading list note growing with books worth reading",
            5,
            11,
            inputs=[{"module": "notes", "table": "notes", "id": READING_NOTE_ID}],
        ),
        _mission(
            "demo-spanish",
            now,
            "Learn Spanish",
            "Practise Spanish for 15 minutes a day",
            60,
            0,
            state="paused",
        ),
    ]


def records(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Module records the demo user already has (by app)."""
    at = format_ms(now - timedelta(days=7))
    earlier = format_ms(now - timedelta(days=2))
    calendar = _base(CALENDAR_ID, at) | {"name": "Personal", "color": "#6366f1", "isDefault": True}
    note = _base(READING_NOTE_ID, at) | {
        "title": "Reading list",
        "content": "# Reading list\n- Piranesi — Susanna Clarke\n- The Overstory — Richard Powers\n",
        "color": None,
        "isPinned": True,
        "isArchived": False,
    }
    tasks = [
        _base("demo-task-1", at)
        | {
            "title": "Renew the bike insurance",
            "priority": "medium",
            "isCompleted": False,
            "dueDate": None,
            "order": 0,
        },
        _base("demo-task-2", at)
        | {
            "title": "Call the dentist",
            "priority": "high",
            "isCompleted": True,
            "completedAt": earlier,
            "order": 1,
        },
        _base("demo-task-3", earlier)
        | {
            "title": "Plan the quarterly budget",
            "priority": "high",
            "isCompleted": False,
            "order": 2,
            "dueDate": (now - timedelta(days=1)).date().isoformat(),
        },
    ]
    return {
        "calendar": [_insert("calendars", calendar)],
        "notes": [_insert("notes", note)],
        "todo": [_insert("tasks", t) for t in tasks],
    }


def family_records(now: datetime) -> dict[str, list[dict[str, Any]]]:
    """What the co-member wrote into the shared Space (by app): two tasks, a calendar with a
    dinner, and one private task only its author may see (the desktop must hide it)."""
    at = format_ms(now - timedelta(days=3))
    dinner = (now + timedelta(days=4)).replace(hour=18, minute=30, second=0, microsecond=0)
    calendar = _base(FAMILY_CALENDAR_ID, at) | {
        "name": "Family", "color": "#f59e0b", "isDefault": False,
    }  # fmt: skip
    event = _base(FAMILY_EVENT_ID, at) | {
        "calendarId": FAMILY_CALENDAR_ID, "timeBlockId": FAMILY_BLOCK_ID,
        "title": "Grandma's birthday dinner", "description": "At our place; everyone brings a dish.",
        "location": "Home", "color": None, "reminders": None,
    }  # fmt: skip
    block = _base(FAMILY_BLOCK_ID, at) | {
        "startDate": format_ms(dinner), "endDate": format_ms(dinner + timedelta(hours=3)),
        "allDay": False, "recurrenceRule": None, "kind": "scheduled", "type": "event",
        "sourceModule": "calendar", "sourceId": FAMILY_EVENT_ID,
        "title": "Grandma's birthday dinner", "description": None, "color": None,
    }  # fmt: skip
    tasks = [
        _base("demo-family-task-1", at)
        | {"title": "Buy a birthday present for Grandma", "priority": "high",
           "isCompleted": False, "dueDate": dinner.date().isoformat(), "order": 0},
        _base("demo-family-task-2", at)
        | {"title": "Take the car in for its service", "priority": "medium",
           "isCompleted": False, "dueDate": None, "order": 1},
        _base(FAMILY_PRIVATE_ID, at)
        | {"title": "Plan the surprise party (secret!)", "priority": "medium",
           "isCompleted": False, "dueDate": None, "order": 2, "visibility": "private"},
    ]  # fmt: skip
    return {
        "calendar": [_insert("calendars", calendar), _insert("events", event)],
        "timeblocks": [_insert("timeBlocks", block)],
        "todo": [_insert("tasks", t) for t in tasks],
    }


def in_space(
    changes: list[dict[str, Any]], space_id: str | None, author_id: str
) -> list[dict[str, Any]]:
    """Inserts stamped as the webapp's creating hook does: `spaceId`, `authorId` and
    `visibility` (default "space"; an explicit value wins). No Space: unchanged."""
    if space_id is None:
        return changes
    stamped = []
    for change in changes:
        data = {"visibility": "space", **change["data"], "spaceId": space_id, "authorId": author_id}
        stamped.append({**change, "spaceId": space_id, "data": data})
    return stamped


def seed_family(write: Append, member_id: str, space_id: str, now: datetime) -> int:
    """The co-member's records in the shared Space, in plaintext as shared-Space writes are
    (co-members cannot hold the demo user's master key)."""
    actor = {"kind": "user", "principalId": member_id, "displayName": CO_MEMBER_NAME}
    count = 0
    for app, changes in family_records(now).items():
        count += len(
            write(
                member_id,
                app,
                in_space(changes, space_id, member_id),
                client_id=SEED_CLIENT_ID,
                actor=actor,
                origin="user",
            )
        )
    return count


def ai_actor_for_history() -> dict[str, Any]:
    return {
        "kind": "ai",
        "principalId": "legacy:ai-default",
        "displayName": "Mana",
        "missionId": "demo-weekly-review",
        "iterationId": "demo-review-1",
        "rationale": "The quarter closes next week.",
    }


def sealed(changes: list[dict[str, Any]], key: MasterKey | None) -> list[dict[str, Any]]:
    """Inserts with the registry's fields encrypted, as the webapp pushes them (no key: as is)."""
    if key is None:
        return changes
    return [
        {**c, "data": encrypt_record(c["table"], c["data"], key)} if c["op"] == "insert" else c
        for c in changes
    ]


def seed(
    write: Append,
    user_id: str,
    now: datetime,
    key: MasterKey | None = None,
    *,
    space_id: str | None = None,
) -> int:
    """Write the demo data for `user_id`; returns the number of changes written. With the
    user's master `key`, the registry's fields (task and note titles, mission titles,
    objectives and concepts...) are stored encrypted, like a real account's. With
    `space_id` (the personal Space), records carry `spaceId`/`authorId`/`visibility`."""

    def append(user: str, app: str, changes: list[dict[str, Any]], **kw: Any) -> list[str]:
        return write(user, app, sealed(in_space(changes, space_id, user_id), key), **kw)

    actor = {"kind": "user", "principalId": user_id, "displayName": DEMO_NAME}
    count = 0
    for app, changes in records(now).items():
        plain = [c for c in changes if c["id"] != "demo-task-3"]
        count += len(
            append(user_id, app, plain, client_id=SEED_CLIENT_ID, actor=actor, origin="user")
        )
        from_ai = [c for c in changes if c["id"] == "demo-task-3"]
        if from_ai:  # approved from the mission's first iteration: the AI actor wrote it
            count += len(
                append(
                    user_id,
                    app,
                    from_ai,
                    client_id=SEED_CLIENT_ID,
                    actor=ai_actor_for_history(),
                    origin="agent",
                )
            )
    mission_changes = [_insert("aiMissions", m) for m in missions(now)]
    count += len(
        append(user_id, "ai", mission_changes, client_id=SEED_CLIENT_ID, actor=actor, origin="user")
    )
    return count
