"""Revert an approved iteration afterwards, with compensating changes under the user actor.

What to compensate comes from the effects this device recorded when it approved; for steps
approved on another device we know the ids anyway (they are derived from the step), and
`complete_task` names its task. Created records are soft-deleted, completed tasks re-opened,
other updated fields put back to their previous values.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from mana_desktop.domain.actor import Actor
from mana_desktop.domain.records import StepRef, derived_id
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.workbench import rows
from mana_desktop.workbench.context import Context, Decision, DecisionError
from mana_desktop.workbench.messages import say
from mana_desktop.workbench.plans import PlanEdits

# Where each create tool puts what it creates (for steps approved on another device).
_CREATES: dict[str, list[tuple[str, str, str]]] = {
    "create_task": [("todo", "tasks", "")],
    "create_event": [("calendar", "events", ""), ("timeblocks", "timeBlocks", "timeblock")],
    "create_note": [("notes", "notes", "")],
    "create_place": [("places", "places", "")],
    "log_drink": [("drink", "drinkEntries", "")],
    "log_meal": [("food", "meals", "")],
    "save_news_article": [("news", "articles", "")],
    "create_journal_entry": [("journal", "journalEntries", "")],
    "create_habit": [("habits", "habits", "")],
    "log_habit": [("habits", "habitLogs", "")],
    "create_contact": [("contacts", "contacts", "")],
    "visit_place": [("timeblocks", "timeBlocks", "visit")],
}


class Reverter:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def revert_iteration(self, mission_id: str, iteration_id: str) -> Decision:
        self._ctx.ensure_schema()
        group = str(uuid.uuid4())
        user = self._ctx.user()
        with self._ctx.replica.write(group=group, hold_s=self._ctx.undo_window_s) as tx:
            plan = PlanEdits(self._ctx, tx)
            iteration = plan.iteration(mission_id, iteration_id)
            local = {
                r["step_id"]: r
                for r in rows.fetch(
                    tx.conn, "WHERE mission_id = ? AND iteration_id = ?", (mission_id, iteration_id)
                )
            }
            effects = self._effects(iteration, local, mission_id, iteration_id)
            if not effects:
                raise DecisionError(
                    say(
                        self._ctx.lang,
                        "Nothing of this iteration was carried out, so there is nothing to revert.",
                    )
                )
            touched = sum(self._compensate(tx, e, user) for e in effects)
            if touched == 0:
                raise DecisionError(
                    say(self._ctx.lang, "Everything this iteration did is already undone.")
                )
            saved = []
            for row in local.values():
                if row["status"] == "approved" and not row["reverted_at"]:
                    saved.append({"id": row["id"], "prev": rows.snapshot(row)})
                    rows.update(tx.conn, row["id"], reverted_at=format_ms(self._ctx.now()))
            if iteration is not None:
                iteration["revertedAt"] = format_ms(self._ctx.now())
                plan.changed(mission_id, user)
            plan.flush()
            undo_until = self._ctx.wall() + self._ctx.undo_window_s
            tx.conn.execute(
                "INSERT INTO wb_decisions (group_id, kind, at, undo_until, proposals) VALUES (?, 'revert', ?, ?, ?)",
                (group, format_ms(self._ctx.now()), undo_until, json.dumps({"proposals": saved})),
            )
            changed = dict(tx.changed)
        return Decision(group, tuple(s["id"] for s in saved), changed, undo_until)

    def _effects(
        self,
        iteration: dict[str, Any] | None,
        local: dict[str, rows.Row],
        mission_id: str,
        iteration_id: str,
    ) -> list[dict[str, Any]]:
        effects: list[dict[str, Any]] = []
        for row in local.values():
            if row["status"] == "approved":
                effects.extend(rows.effects_of(row))
        plan = iteration.get("plan") if iteration else None
        for step in plan if isinstance(plan, list) else []:
            if not isinstance(step, dict) or step.get("status") != "approved":
                continue
            mine = local.get(str(step.get("id")))
            if mine is not None and mine["status"] == "approved":
                continue  # this device's own effects are more precise
            effects.extend(
                _remote_effects(step, StepRef(mission_id, iteration_id, str(step.get("id"))))
            )
        return effects

    def _compensate(self, tx: Any, effect: dict[str, Any], user: Actor) -> int:
        app, collection, rid = effect["app"], effect["collection"], effect["id"]
        record = tx.get(app, collection, rid)
        if record is None or record.deleted_at:
            return 0
        if effect["op"] == "insert":
            tx.soft_delete(app, collection, rid, actor=user, origin="user")
            return 1
        if effect["op"] == "update":
            before = effect.get("before") or {}
            fields = {
                k: v for k, v in before.items() if k != "updatedAt" and record.data.get(k) != v
            }
            if not fields:
                return 0
            fields["updatedAt"] = format_ms(self._ctx.now())
            tx.update(app, collection, rid, fields, actor=user, origin="user")
            return 1
        return 0


def _remote_effects(step: dict[str, Any], ref: StepRef) -> list[dict[str, Any]]:
    intent = step.get("intent") if isinstance(step.get("intent"), dict) else {}
    assert isinstance(intent, dict)
    tool = intent.get("toolName")
    params = intent.get("params") if isinstance(intent.get("params"), dict) else {}
    assert isinstance(params, dict)
    out: list[dict[str, Any]] = [
        {"op": "insert", "app": app, "collection": coll, "id": derived_id(ref, part)}
        for app, coll, part in _CREATES.get(str(tool), [])
    ]
    if tool == "complete_task" and isinstance(params.get("taskId"), str):
        out.append({"op": "update", "app": "todo", "collection": "tasks", "id": params["taskId"],
                    "before": {"isCompleted": False, "completedAt": None}})  # fmt: skip
    return out
