"""`Workbench`: the one object the GUI and the CLI talk to (CONTRACTS.md "Workbench").

Every method blocks and does SQL: call it off the GUI thread. `attach()` subscribes staging to
the replica's change notifications and runs it on a worker thread of its own, because the
callbacks arrive on the committing thread (possibly inside another layer's work) and staging
itself writes.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mana_desktop.domain.changeset import ChangeSet, merge_into
from mana_desktop.domain.mission import MISSIONS_APP, MISSIONS_COLLECTION
from mana_desktop.domain.proposal import INBOX_STATUSES, OPEN_STATUSES, ProposalView
from mana_desktop.domain.tools import TOOLS, check_policy
from mana_desktop.store.replica import Replica
from mana_desktop.workbench import rows
from mana_desktop.workbench.activity import ActivityGroup, activity
from mana_desktop.workbench.context import Context, Decision, DecisionError
from mana_desktop.workbench.decisions import Decider
from mana_desktop.workbench.missions import Missions, MissionView
from mana_desktop.workbench.revert import Reverter
from mana_desktop.workbench.staging import Stager

_KEY = (MISSIONS_APP, MISSIONS_COLLECTION)


class Workbench:
    def __init__(
        self,
        replica: Replica,
        settings: Any = None,
        clock: Callable[[], datetime] | None = None,
        cipher: Any = None,
    ) -> None:
        self._ctx = Context(replica, settings, clock, cipher)
        self._stager = Stager(self._ctx)
        self._decider = Decider(self._ctx)
        self._reverter = Reverter(self._ctx)
        self._missions = Missions(self._ctx)
        self._queue: queue.Queue[ChangeSet | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._idle = threading.Event()
        self._idle.set()
        self.last_error: str | None = None
        self._listeners: list[Callable[[ChangeSet], None]] = []

    def set_cipher(self, cipher: Any) -> None:
        """The signed-in user's `RecordCipher` (None: no vault, values stay as stored)."""
        self._ctx.cipher = cipher

    @property
    def settings(self) -> Any:
        return self._ctx.settings

    @settings.setter
    def settings(self, value: Any) -> None:
        self._ctx.settings = value

    # --- staging ----------------------------------------------------------------------------
    def stage(self, changed: ChangeSet | None = None) -> ChangeSet:
        return self._stager.stage(changed)

    def attach(self) -> None:
        """Stage now (full pass), then on every replica change of `ai/aiMissions`."""
        if self._worker is not None:
            return
        self._worker = threading.Thread(target=self._run, name="workbench-staging", daemon=True)
        self._worker.start()
        self._unsubscribe = self._ctx.replica.subscribe(self._on_change)
        self._submit(None)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=10)
            self._worker = None

    def close(self) -> None:
        """Stop staging and close this workbench's read connections (the replica stays open)."""
        self.detach()
        self._ctx.close()

    def on_staged(self, callback: Callable[[ChangeSet], None]) -> None:
        """Called on the staging thread after each pass that changed something."""
        self._listeners.append(callback)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every change handed to the attached stager is processed (tests, CLI)."""
        return self._idle.wait(timeout)

    def _on_change(self, changed: ChangeSet) -> None:
        if _KEY in changed:
            self._submit({_KEY: set(changed[_KEY])})

    def _submit(self, changed: ChangeSet | None) -> None:
        self._idle.clear()
        self._queue.put(changed if changed is not None else {_KEY: set()})

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch: ChangeSet = dict(item)
            while not self._queue.empty():  # coalesce a burst of commits into one pass
                more = self._queue.get()
                if more is None:
                    self._queue.put(None)
                    break
                merge_into(batch, more)
            try:
                changed = self.stage(batch)
                self.last_error = None
                for listener in list(self._listeners):
                    if changed:
                        listener(changed)
            except Exception as exc:  # a failed pass is retried on the next change
                self.last_error = f"staging failed: {exc}"
                with contextlib.suppress(Exception):  # the journal is best effort here
                    self._ctx.replica.log("workbench", self.last_error)
            if self._queue.empty():
                self._idle.set()

    # --- inbox ------------------------------------------------------------------------------
    def proposals(
        self, module: str | None = None, mission_id: str | None = None, status: str | None = None
    ) -> list[ProposalView]:
        self._ctx.ensure_schema()
        where, args = self._filters(module, mission_id, status)
        clause = (
            "WHERE " + " AND ".join(where) + " " if where else ""
        ) + "ORDER BY created_at DESC, planned_at DESC, iteration_id, position"
        return rows.views(self._ctx.read(), clause, args, self._text())

    def inbox(
        self, module: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ProposalView]:
        """The cards an inbox shows (`INBOX_STATUSES`) in the order it shows them: newest plan
        first (`planned_at` descending, then iteration and mission id), steps in plan order.

        `limit`/`offset` page through that same order, so a first page of a 10,000-card inbox
        can be painted before the rest is read (`inbox(limit=n) + inbox(offset=n) == inbox()`
        while nothing changes in between).
        """
        if (limit is not None and limit < 0) or offset < 0:
            raise ValueError("limit and offset must not be negative")
        self._ctx.ensure_schema()
        marks = ",".join("?" for _ in INBOX_STATUSES)
        # A page walks the `wb_proposals_inbox` index in order and stops early; `+status`
        # keeps SQLite from picking the status index and sorting every open card first.
        status = "+status" if limit is not None else "status"
        where, args = [f"{status} IN ({marks})"], list[Any](sorted(INBOX_STATUSES))
        if module:
            where.append("module = ?")
            args.append(module)
        clause = (
            f"WHERE {' AND '.join(where)} "
            "ORDER BY planned_at DESC, iteration_id, mission_id, position"
        )
        if limit is not None or offset:
            clause += " LIMIT ? OFFSET ?"
            args += [-1 if limit is None else limit, offset]
        return rows.views(self._ctx.read(), clause, args, self._text())

    def inbox_counts(self, module: str | None = None) -> dict[str, int]:
        """How many tool cards `inbox(module)` holds, by stored status (notes not counted)."""
        self._ctx.ensure_schema()
        marks = ",".join("?" for _ in INBOX_STATUSES)
        sql = f"SELECT status, count(*) FROM wb_proposals WHERE status IN ({marks}) AND kind = 'tool'"
        args: list[Any] = sorted(INBOX_STATUSES)
        if module:
            sql += " AND module = ?"
            args.append(module)
        found = self._ctx.read().execute(sql + " GROUP BY status", args)
        return {status: int(n) for status, n in found}

    def proposal(self, proposal_id: str) -> ProposalView | None:
        self._ctx.ensure_schema()
        found = rows.views(self._ctx.read(), "WHERE id = ?", (proposal_id,), self._text())
        return found[0] if found else None

    @staticmethod
    def _filters(
        module: str | None, mission_id: str | None, status: str | None
    ) -> tuple[list[str], list[Any]]:
        where, args = [], []
        for column, value in (("module", module), ("mission_id", mission_id), ("status", status)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        return where, args

    def _text(self) -> Callable[[object], str] | None:
        """How stored text becomes text for people: None = plain (no vault to open)."""
        return self._ctx.reveal_text if self._ctx.cipher is not None else None

    def pending_counts(self) -> dict[str, int]:
        self._ctx.ensure_schema()
        marks = ",".join("?" for _ in OPEN_STATUSES)
        found = self._ctx.read().execute(
            f"SELECT module, count(*) FROM wb_proposals WHERE status IN ({marks}) AND kind = 'tool' GROUP BY module",
            tuple(OPEN_STATUSES),
        )
        return {m: int(n) for m, n in found}

    # --- decisions --------------------------------------------------------------------------
    def approve(self, proposal_id: str, params: dict[str, Any] | None = None) -> Decision:
        return self._decider.approve(proposal_id, params)

    def reject(
        self, proposal_id: str, reason: str | None = None, feedback: str | None = None
    ) -> Decision:
        return self._decider.reject_many([proposal_id], reason, feedback)

    def approve_many(self, ids: Sequence[str]) -> Decision:
        return self._decider.approve_many(ids)

    def reject_many(
        self, ids: Sequence[str], reason: str | None = None, feedback: str | None = None
    ) -> Decision:
        return self._decider.reject_many(ids, reason, feedback)

    def approve_iteration(self, iteration_id: str) -> Decision:
        return self._decider.approve_iteration(iteration_id)

    def reject_iteration(
        self, iteration_id: str, reason: str | None = None, feedback: str | None = None
    ) -> Decision:
        return self._decider.reject_iteration(iteration_id, reason, feedback)

    def undo(self, group: str | None = None) -> Decision:
        return self._decider.undo(group)

    def revert_iteration(self, mission_id: str, iteration_id: str) -> Decision:
        return self._reverter.revert_iteration(mission_id, iteration_id)

    def add_feedback(self, mission_id: str, iteration_id: str, text: str) -> Decision:
        return self._decider.add_feedback(mission_id, iteration_id, text)

    # --- missions ---------------------------------------------------------------------------
    def missions(self, include_deleted: bool = False) -> list[MissionView]:
        return self._missions.list(include_deleted)

    def mission_titles(self, include_deleted: bool = True) -> dict[str, str]:
        """Mission id -> title (tombstones too: records stay attributed), no plans parsed."""
        return self._missions.titles(include_deleted)

    def mission(self, mission_id: str) -> MissionView | None:
        return self._missions.get(mission_id)

    def create_mission(self, title: str, objective: str, concept_markdown: str = "", cadence: dict[str, Any] | None = None,
                       inputs: list[dict[str, Any]] | None = None, agent_id: str | None = None) -> str:  # fmt: skip
        return self._missions.create(title, objective, concept_markdown, cadence, inputs, agent_id)

    def edit_mission(self, mission_id: str, **changes: Any) -> ChangeSet:
        return self._missions.edit(mission_id, **changes)

    def pause(self, mission_id: str) -> ChangeSet:
        return self._missions.pause(mission_id)

    def resume(self, mission_id: str) -> ChangeSet:
        return self._missions.resume(mission_id)

    def complete(self, mission_id: str) -> ChangeSet:
        return self._missions.complete(mission_id)

    def delete(self, mission_id: str) -> ChangeSet:
        return self._missions.delete(mission_id)

    def run_now(self, mission_id: str) -> ChangeSet:
        return self._missions.run_now(mission_id)

    # --- activity and policy ----------------------------------------------------------------
    def activity(self) -> list[ActivityGroup]:
        return activity(self._ctx)

    def policies(self) -> dict[str, str]:
        """Every catalog tool with its effective policy (the user's choice or the default)."""
        return {name: self._ctx.policy(name) for name in TOOLS}

    def set_policy(self, tool: str, policy: str) -> dict[str, str]:
        """Change the in-memory settings; the caller persists them (`Profile.save_settings`)."""
        try:
            check_policy(policy)
        except ValueError as exc:
            raise DecisionError(str(exc)) from exc
        current = dict(self._ctx.setting("tool_policies", {}))
        current[tool] = policy
        self._ctx.settings.tool_policies = current
        return current


__all__ = ["Decision", "DecisionError", "Workbench"]
