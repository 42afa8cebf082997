"""Edits to missions' `iterations` inside one transaction, written once per mission.

Several decisions in one batch may touch the same mission; reading the record again per step
would miss the uncommitted edits of the previous one. This collects them and writes each
mission once, and only when its `iterations` really changed (so staging reacting to its own
write finds nothing to do and the loop ends).
"""

from __future__ import annotations

from typing import Any

from mana_desktop.domain.actor import Actor, origin_for
from mana_desktop.domain.mission import (
    MISSIONS_APP,
    MISSIONS_COLLECTION,
    find_iteration,
    find_step,
    refresh_overall_status,
)
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.workbench.context import Context


class PlanEdits:
    def __init__(self, ctx: Context, tx: Any) -> None:
        self._ctx = ctx
        self._tx = tx
        self._missions: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        self._dirty: set[str] = set()
        self._actors: dict[str, Actor] = {}
        self._extra: dict[str, dict[str, Any]] = {}

    def load(self, mission_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """(mission data, editable iterations), or None when the mission is gone."""
        if mission_id not in self._missions:
            record = self._tx.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
            if record is None or record.deleted_at:
                return None
            data = {**record.data, "id": record.id}
            # Records are decoded fresh on every read, so these dicts are ours to edit; editors
            # say what they changed (`changed`, `set_step`), so unchanged plans are not written.
            raw = data.get("iterations")
            its = [it for it in raw if isinstance(it, dict)] if isinstance(raw, list) else []
            self._missions[mission_id] = (data, its)
        return self._missions[mission_id]

    def step(self, mission_id: str, iteration_id: str, step_id: str) -> dict[str, Any] | None:
        loaded = self.load(mission_id)
        return find_step(loaded[1], iteration_id, step_id) if loaded else None

    def iteration(self, mission_id: str, iteration_id: str) -> dict[str, Any] | None:
        loaded = self.load(mission_id)
        return find_iteration(loaded[1], iteration_id) if loaded else None

    def set_step(
        self, mission_id: str, iteration_id: str, step_id: str, actor: Actor, **fields: Any
    ) -> None:
        step = self.step(mission_id, iteration_id, step_id)
        if step is None:
            return
        self._dirty.add(mission_id)
        for key, value in fields.items():
            if value is None:
                step.pop(key, None)
            else:
                step[key] = value
        iteration = self.iteration(mission_id, iteration_id)
        if iteration is not None:
            refresh_overall_status(iteration)
        self._actors[mission_id] = actor

    def touch(self, mission_id: str, actor: Actor, **fields: Any) -> None:
        """Also write these top-level fields of the mission (e.g. nothing but iterations)."""
        self._extra.setdefault(mission_id, {}).update(fields)
        self._actors[mission_id] = actor

    def mark(self, mission_id: str, actor: Actor) -> None:
        """The actor to write this mission's plan under, unless a step edit named one."""
        self._actors.setdefault(mission_id, actor)

    def changed(self, mission_id: str, actor: Actor | None = None) -> None:
        """The caller edited this mission's iterations in place: write them at flush."""
        self._dirty.add(mission_id)
        if actor is not None:
            self.mark(mission_id, actor)

    def flush(self) -> None:
        tx = self._tx
        now = format_ms(self._ctx.now())
        for mission_id, (_, its) in self._missions.items():
            fields = dict(self._extra.get(mission_id, {}))
            if mission_id in self._dirty:
                fields["iterations"] = its
            if not fields:
                continue
            fields["updatedAt"] = now
            actor = self._actors.get(mission_id) or self._ctx.user()
            tx.update(
                MISSIONS_APP,
                MISSIONS_COLLECTION,
                mission_id,
                fields,
                actor=actor,
                origin=origin_for(actor),
            )
