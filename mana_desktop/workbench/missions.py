"""Missions: create, edit, pause, resume, complete, delete (soft), run now.

A mission is an ordinary synced `ai/aiMissions` record written under the user actor. `run now`
sets `nextRunAt` to now, which is how the server runner finds due missions; resume recomputes
it from the cadence (manual and cron: none).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from mana_desktop.domain import cadence as cadence_math
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.crypto import VaultLockedError
from mana_desktop.domain.mission import (
    MISSIONS_APP,
    MISSIONS_COLLECTION,
    Mission,
    MissionIteration,
)
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.workbench.context import Context, DecisionError
from mana_desktop.workbench.messages import say
from mana_desktop.workbench.staging import write_blocked_text

EDITABLE = {
    "title": "title",
    "objective": "objective",
    "concept_markdown": "conceptMarkdown",
    "cadence": "cadence",
    "inputs": "inputs",
    "agent_id": "agentId",
}


@dataclass(frozen=True)
class MissionView(Mission):
    """A mission as lists show it: every Mission field, plus words and counts."""

    cadence_text: str = ""
    pending: int = 0

    @staticmethod
    def of(mission: Mission, cadence_text: str, pending: int) -> MissionView:
        values = {f.name: getattr(mission, f.name) for f in fields(Mission)}
        return MissionView(**values, cadence_text=cadence_text, pending=pending)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "objective": self.objective,
            "state": self.state,
            "cadence": self.cadence,
            "cadenceText": self.cadence_text,
            "nextRunAt": self.next_run_at,
            "iterations": len(self.iterations),
            "pending": self.pending,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "deletedAt": self.deleted_at,
        }


_List = list  # the class below defines a method named `list`


def _version(record: Any, iterations: object) -> str | None:
    """Which write of `iterations` this record holds: its LWW stamp (local writes are always
    stamped after the value they replace, remote ones win only when newer), the writer and the
    count. None when there is no stamp to trust (then the plans are parsed every time)."""
    meta = (getattr(record, "field_meta", None) or {}).get("iterations")
    if not isinstance(meta, dict) or not meta.get("at") or not isinstance(iterations, list):
        return None
    writer = json.dumps(meta.get("actor"), sort_keys=True, default=str)
    return f"{meta['at']}|{meta.get('origin')}|{writer}|{len(iterations)}|{record.deleted_at}"


class Missions:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        # Parsed iterations by mission id, with the version they were parsed from: a list of
        # 100 missions x 100 steps spends most of its time parsing plans that rarely change.
        self._iterations: dict[str, tuple[str, tuple[MissionIteration, ...]]] = {}

    def list(self, include_deleted: bool = False) -> _List[MissionView]:
        self._ctx.ensure_schema()
        pending = dict(
            self._ctx.read()
            .execute(
                "SELECT mission_id, count(*) FROM wb_proposals WHERE status IN ('pending','unsupported','failed') GROUP BY mission_id"
            )
            .fetchall()
        )
        records = self._ctx.replica.list(
            MISSIONS_APP, MISSIONS_COLLECTION, include_deleted=include_deleted
        )
        views = [self._view(self._parse(r), pending.get(r.id, 0)) for r in records]
        if not include_deleted:  # forget missions that are gone (a full list knows them all)
            for gone in set(self._iterations) - {r.id for r in records}:
                self._iterations.pop(gone, None)
        return sorted(views, key=lambda v: v.created_at, reverse=True)

    def titles(self, include_deleted: bool = True) -> dict[str, str]:
        """Mission id -> title for people (opened when encrypted), without parsing plans."""
        records = self._ctx.replica.list(
            MISSIONS_APP, MISSIONS_COLLECTION, include_deleted=include_deleted
        )
        titles = {r.id: r.data.get("title") for r in records}
        return {k: self._ctx.reveal_text(v) if isinstance(v, str) else "" for k, v in titles.items()}

    def get(self, mission_id: str) -> MissionView | None:
        record = self._ctx.replica.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
        if record is None:
            return None
        self._ctx.ensure_schema()
        (pending,) = (
            self._ctx.read()
            .execute(
                "SELECT count(*) FROM wb_proposals WHERE mission_id = ? AND status IN ('pending','unsupported','failed')",
                (mission_id,),
            )
            .fetchone()
        )
        return self._view(self._parse(record), int(pending))

    def _parse(self, record: Any) -> Mission:
        """The record as a Mission, reusing its parsed iterations while they are unchanged."""
        data = self._ctx.reveal(record.data)
        its = data.get("iterations")
        version = _version(record, its)
        cached = self._iterations.get(record.id)
        if version is not None and cached is not None and cached[0] == version:
            bare = Mission.from_json({**data, "iterations": [], "id": record.id}, record.deleted_at)
            return replace(bare, iterations=cached[1])
        mission = Mission.from_json({**data, "id": record.id}, record.deleted_at)
        if version is not None:
            self._iterations[record.id] = (version, mission.iterations)
        return mission

    def _view(self, mission: Mission, pending: int) -> MissionView:
        return MissionView.of(
            mission, cadence_math.describe(mission.cadence, self._ctx.lang), pending
        )

    def create(
        self,
        title: str,
        objective: str,
        concept_markdown: str = "",
        cadence: dict[str, Any] | None = None,
        inputs: _List[dict[str, Any]] | None = None,
        agent_id: str | None = None,
    ) -> str:
        if not title.strip():
            raise DecisionError(say(self._ctx.lang, "A mission needs a title."))
        clean = self._cadence(cadence or {"kind": "manual"})
        now = self._ctx.now()
        mission_id = str(uuid.uuid4())
        data: dict[str, Any] = {
            "id": mission_id, "createdAt": format_ms(now), "updatedAt": format_ms(now),
            "title": title.strip(), "conceptMarkdown": concept_markdown, "objective": objective,
            "inputs": inputs or [], "cadence": clean, "state": "active",
            "nextRunAt": self._next_run(clean, now), "iterations": [],
        }  # fmt: skip
        if agent_id:
            data["agentId"] = agent_id
        user_id = self._ctx.setting("user_id", None)
        if user_id:
            data["userId"] = user_id
        with self._unlocked(), self._ctx.replica.write() as tx:
            tx.insert(
                MISSIONS_APP, MISSIONS_COLLECTION, data, actor=self._ctx.user(), origin="user"
            )
        return mission_id

    def edit(self, mission_id: str, **changes: Any) -> ChangeSet:
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise DecisionError(
                say(
                    self._ctx.lang,
                    "Cannot edit {names}; editable: {editable}.",
                    names=", ".join(sorted(unknown)),
                    editable=", ".join(EDITABLE),
                )
            )
        fields = {EDITABLE[k]: v for k, v in changes.items() if v is not None}
        if "title" in fields and not str(fields["title"]).strip():
            raise DecisionError(say(self._ctx.lang, "A mission needs a title."))
        if "cadence" in fields:
            fields["cadence"] = self._cadence(fields["cadence"])
            fields["nextRunAt"] = self._next_run(fields["cadence"], self._ctx.now())
        return self._update(mission_id, fields)

    def pause(self, mission_id: str) -> ChangeSet:
        return self._update(mission_id, {"state": "paused"})

    def resume(self, mission_id: str) -> ChangeSet:
        mission = self._require(mission_id)
        return self._update(
            mission_id,
            {"state": "active", "nextRunAt": self._next_run(mission.cadence, self._ctx.now())},
        )

    def complete(self, mission_id: str) -> ChangeSet:
        return self._update(mission_id, {"state": "done", "nextRunAt": None})

    def run_now(self, mission_id: str) -> ChangeSet:
        mission = self._require(mission_id)
        if mission.state != "active":
            raise DecisionError(
                say(self._ctx.lang, "The mission is {state}; resume it first.", state=mission.state)
            )
        return self._update(mission_id, {"nextRunAt": format_ms(self._ctx.now())})

    def delete(self, mission_id: str) -> ChangeSet:
        self._require(mission_id)
        with self._ctx.replica.write() as tx:
            tx.soft_delete(
                MISSIONS_APP, MISSIONS_COLLECTION, mission_id, actor=self._ctx.user(), origin="user"
            )
            return dict(tx.changed)

    @contextlib.contextmanager
    def _unlocked(self) -> Iterator[None]:
        """A write that needs the (locked) vault is a message for people; nothing is kept."""
        try:
            yield
        except VaultLockedError as exc:
            raise DecisionError(write_blocked_text(exc, self._ctx.lang)) from exc

    def _require(self, mission_id: str) -> Mission:
        record = self._ctx.replica.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
        if record is None or record.deleted_at:
            raise DecisionError(say(self._ctx.lang, "No mission with id {id!r}.", id=mission_id))
        return Mission.from_json({**self._ctx.reveal(record.data), "id": record.id})

    def _update(self, mission_id: str, fields: dict[str, Any]) -> ChangeSet:
        self._require(mission_id)
        fields["updatedAt"] = format_ms(self._ctx.now())
        with self._unlocked(), self._ctx.replica.write() as tx:
            tx.update(
                MISSIONS_APP,
                MISSIONS_COLLECTION,
                mission_id,
                fields,
                actor=self._ctx.user(),
                origin="user",
            )
            return dict(tx.changed)

    @staticmethod
    def _cadence(cadence: Any) -> dict[str, Any]:
        try:
            return cadence_math.validate(cadence)
        except cadence_math.CadenceError as exc:
            raise DecisionError(str(exc)) from exc

    @staticmethod
    def _next_run(cadence: dict[str, Any], now: datetime) -> str | None:
        when = cadence_math.next_run_at(cadence, now)
        return format_ms(when) if when else None
