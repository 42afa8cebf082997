"""Staging: server-planned iterations become proposals, auto runs, denied skips (spec §3.7).

Upstream re-read the whole `aiMissions` table on every change and guarded with an in-memory
set. Here staging looks only at the mission ids of a change set, and the database is the guard:
one `wb_proposals` row per `(missionId, iterationId, stepId)`, inserted with `INSERT OR IGNORE`
inside the replica's write transaction, so restarts, two windows and the CLI all agree.

A step is staged when its plan status is `planned` or `staged` and this device has no row for
it yet; a `proposalId` written by another device does not hide it (proposals show on every
device until the step is decided on any of them). Decided steps from elsewhere supersede our
pending card. After each pass the plan is merged per step with what this device knows and
written back only when that changes it (markers restored after a server rewrite).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from mana_desktop.domain.actor import ai_actor
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.crypto import SpacesPendingError, VaultLockedError
from mana_desktop.domain.mission import (
    MISSIONS_APP,
    MISSIONS_COLLECTION,
    OPEN_STEP_STATUSES,
    merge_step,
    refresh_overall_status,
    step_rank,
    union_feedback,
)
from mana_desktop.domain.proposal import STEP_STATUS_FOR, proposal_id_for
from mana_desktop.domain.records import StepRef, ToolFailure
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.domain.tools import get_tool, message, validate
from mana_desktop.workbench import rows
from mana_desktop.workbench.context import Context
from mana_desktop.workbench.executor import apply_ops, plan_ops
from mana_desktop.workbench.plans import PlanEdits

DECIDED_ELSEWHERE = frozenset({"approved", "rejected", "skipped", "failed"})
VAULT_LOCKED = {
    "en": "Unlock the vault to apply this change.",
    "de": "Entsperre den Tresor, um diese Änderung anzuwenden.",
}
SPACES_PENDING = {
    "en": "Your Spaces are still loading; try again in a moment.",
    "de": "Deine Spaces werden noch geladen; versuche es gleich noch einmal.",
}


def write_blocked_text(exc: VaultLockedError, lang: str) -> str:
    """Words for a write the vault (or the not yet loaded Spaces) held back."""
    words = SPACES_PENDING if isinstance(exc, SpacesPendingError) else VAULT_LOCKED
    return words.get(lang, words["en"])


_DENIED = {
    "en": "Not run: your policy denies “{tool}” to the AI.",
    "de": "Nicht ausgeführt: Deine Richtlinie verbietet der KI „{tool}“.",
}


def mission_ids(changed: ChangeSet | None, all_ids: Callable[[], Iterable[str]]) -> list[str]:
    """The missions a change set asks us to look at (coarse or None: all of them)."""
    if changed is None:
        return list(all_ids())
    ids = changed.get((MISSIONS_APP, MISSIONS_COLLECTION))
    if ids is None:
        return []
    return sorted(ids) if ids else list(all_ids())


class Stager:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._now = ""

    def stage(self, changed: ChangeSet | None = None) -> ChangeSet:
        key = (MISSIONS_APP, MISSIONS_COLLECTION)
        if changed is not None and key not in changed:
            return {}  # an unrelated change: constant cost, whatever the number of missions
        self._ctx.ensure_schema()
        ids = mission_ids(
            changed, lambda: [r.id for r in self._ctx.replica.list(*key, include_deleted=True)]
        )
        if not ids:
            return {}
        self._now = format_ms(self._ctx.now())  # one stamp per pass, not per step
        with self._ctx.replica.write() as tx:
            # Inside the write lock nobody else can stage: what we read now stays true until
            # commit, so the reads are done up front and the new rows inserted in one batch.
            known = _Known.load(tx.conn, ids)
            new_rows: list[rows.Row] = []
            edits = PlanEdits(self._ctx, tx)
            for mission_id in ids:
                self._stage_mission(tx, edits, mission_id, known, new_rows)
            rows.insert_many(tx.conn, new_rows)
            edits.flush()
            return dict(tx.changed)

    def _stage_mission(
        self, tx: Any, edits: PlanEdits, mission_id: str, known: _Known, new_rows: list[rows.Row]
    ) -> None:
        existing = known.proposals.get(mission_id, {})
        loaded = edits.load(mission_id)
        if loaded is None:
            self._mission_gone(tx, existing.values())
            return
        data, iterations = loaded
        feedback = known.feedback.get(mission_id, {})
        seen = known.steps.get(mission_id, {})
        if self._restore_iterations(
            tx, mission_id, iterations, known.iterations.get(mission_id, set())
        ):
            edits.changed(mission_id)
        changed = False
        for iteration in iterations:
            if iteration.get("source") != "server" or not isinstance(iteration.get("plan"), list):
                continue
            for index, step in enumerate(iteration["plan"]):
                if isinstance(step, dict) and isinstance(step.get("id"), str):
                    changed |= self._stage_step(
                        tx, data, iteration, index, existing, seen, new_rows
                    )
            changed |= _fold_feedback(iteration, feedback.get(str(iteration.get("id"))))
            before = iteration.get("overallStatus")
            refresh_overall_status(iteration)
            changed |= iteration.get("overallStatus") != before
        if changed:
            edits.changed(mission_id)
        edits.mark(mission_id, self._ctx.user())

    def _stage_step(
        self,
        tx: Any,
        mission: dict[str, Any],
        iteration: dict[str, Any],
        index: int,
        existing: dict[tuple[Any, str], rows.Row],
        seen: Seen,
        new_rows: list[rows.Row],
    ) -> bool:
        """One plan step: recall, stage or reconcile, then write back what we know (in place).

        True when the plan entry changed."""
        original = iteration["plan"][index]
        key = (iteration.get("id"), original["id"])
        step = self._recall(original, seen.get(key))
        row = existing.get(key)
        if row is None:
            row = self._new_proposal(tx, mission, iteration, step, index, new_rows)
        else:
            self._reconcile(tx, row, step)
        merged = self._merged(step, row) if row is not None else step
        _remember(tx, str(mission.get("id")), key, merged, seen.get(key))
        if merged == original:
            return False
        iteration["plan"][index] = merged
        return True

    @staticmethod
    def _restore_iterations(
        tx: Any, mission_id: str, iterations: list[dict[str, Any]], remembered: set[str]
    ) -> bool:
        """Put back server iterations a stale copy dropped; remember new ones. True if changed.

        `iterations` is one last-write-wins field: a device that was offline can push a copy
        made before the runner added an iteration, and the newer timestamp wins. Every device
        keeps the server iterations it saw, so the union comes back and all copies converge.
        """
        present = {str(it.get("id")) for it in iterations}
        for it in iterations:
            iid = str(it.get("id"))
            if it.get("source") == "server" and iid not in remembered:
                tx.conn.execute(
                    "INSERT OR IGNORE INTO wb_iterations VALUES (?, ?, ?)",
                    (mission_id, iid, json.dumps(it, ensure_ascii=False)),
                )
        missing = remembered - present
        if not missing:
            return False
        for (text,) in tx.conn.execute(
            f"SELECT data FROM wb_iterations WHERE mission_id = ? AND iteration_id IN ({','.join('?' * len(missing))})",
            (mission_id, *sorted(missing)),
        ):
            iterations.append(json.loads(text))
        iterations.sort(key=lambda it: str(it.get("startedAt") or ""))
        return True

    @staticmethod
    def _recall(
        step: dict[str, Any], seen: tuple[str, str | None, str | None] | None
    ) -> dict[str, Any]:
        """A decision this device saw before outranks an older copy that lost it."""
        if seen is None or step_rank(seen[0]) <= step_rank(step.get("status")):
            return step
        known: dict[str, Any] = {"status": seen[0]}
        if seen[1]:
            known["proposalId"] = seen[1]
        if seen[2]:
            known["error"] = seen[2]
        return merge_step(step, known)

    @staticmethod
    def _merged(step: dict[str, Any], row: rows.Row) -> dict[str, Any]:
        status = STEP_STATUS_FOR.get(row["status"])
        if status is None:  # notes, superseded: we know nothing the plan should learn
            return step
        known: dict[str, Any] = {"status": status, "proposalId": row["id"]}
        if row["error"] and status in ("failed", "skipped"):
            known["error"] = row["error"]
        return merge_step(step, known)

    def _reconcile(self, tx: Any, row: rows.Row, step: dict[str, Any]) -> None:
        """A synced plan says the step was decided elsewhere: our card must not run."""
        plan_status = step.get("status")
        if (
            row["status"] in ("pending", "unsupported", "failed")
            and plan_status in DECIDED_ELSEWHERE
        ):
            if row["status"] == "failed" and plan_status == "failed":
                return
            fields = {"status": "superseded", "decided_elsewhere": plan_status}
            rows.update(tx.conn, row["id"], **fields)
            row.update(fields)
        elif (
            row["status"] == "rejected"
            and plan_status == "approved"
            and row["decided_elsewhere"] != "approved"
        ):
            # Both decided offline; the approval stands (its record exists). Tell, offer revert.
            rows.update(tx.conn, row["id"], decided_elsewhere="approved")
            row["decided_elsewhere"] = "approved"

    def _new_proposal(
        self,
        tx: Any,
        mission: dict[str, Any],
        iteration: dict[str, Any],
        step: dict[str, Any],
        position: int,
        new_rows: list[rows.Row],
    ) -> rows.Row | None:
        intent = step.get("intent") if isinstance(step.get("intent"), dict) else {}
        assert isinstance(intent, dict)
        is_note = intent.get("kind") == "note"
        if step.get("status", "planned") not in OPEN_STEP_STATUSES and not is_note:
            return None  # decided before we saw it
        row = self._row(mission, iteration, step, intent, is_note)
        row["position"] = position
        if not is_note:
            self._decide_on_arrival(tx, row)
        new_rows.append(row)
        return row

    def _row(
        self,
        mission: dict[str, Any],
        iteration: dict[str, Any],
        step: dict[str, Any],
        intent: dict[str, Any],
        is_note: bool,
    ) -> rows.Row:
        mission_id, iteration_id, step_id = (
            str(mission.get("id")),
            str(iteration.get("id")),
            step["id"],
        )
        tool_name = "" if is_note else str(intent.get("toolName") or "")
        spec = get_tool(tool_name)
        rationale = next(
            (t for t in (step.get("rationale"), step.get("summary"), iteration.get("summary"), mission.get("objective"))
             if isinstance(t, str) and t.strip()),
            "",
        )  # fmt: skip
        agent_id, agent_name = self._agent(mission)
        actor = ai_actor(agent_id, agent_name, mission_id, iteration_id, rationale)
        params = intent.get("params") if isinstance(intent.get("params"), dict) else {}
        return {
            **dict.fromkeys(rows.COLUMNS),
            "id": proposal_id_for(mission_id, iteration_id, step_id),
            "mission_id": mission_id, "iteration_id": iteration_id, "step_id": step_id,
            "status": "info" if is_note else "pending",
            "kind": "note" if is_note else "tool",
            "module": spec.module if spec else ("notes" if is_note else "unknown"),
            "tool_name": tool_name,
            "params": params if not is_note else {"body": intent.get("body", "")},  # JSON on insert
            "rationale": rationale, "actor": json.dumps(actor, ensure_ascii=False),
            "mission_title": str(mission.get("title") or ""),
            "step_summary": str(step.get("summary") or ""),
            "agent_name": actor["displayName"],
            "created_at": self._now,
            "planned_at": str(iteration.get("startedAt") or ""),
        }  # fmt: skip

    def _agent(self, mission: dict[str, Any]) -> tuple[str | None, str | None]:
        agent_id = mission.get("agentId")
        if not isinstance(agent_id, str) or not agent_id:
            return None, None
        agent = self._ctx.replica.get("ai", "agents", agent_id)
        name = agent.data.get("name") if agent is not None else None
        return agent_id, name if isinstance(name, str) else None

    def _decide_on_arrival(self, tx: Any, row: rows.Row) -> None:
        """Policy and validation at staging time (upstream did neither)."""
        tool, lang = row["tool_name"], self._ctx.lang
        spec = get_tool(tool)
        policy = self._ctx.policy(tool)
        if policy == "deny":
            row.update(status="skipped", error=_DENIED.get(lang, _DENIED["en"]).format(tool=tool))
            row.update(decided_at=row["created_at"], decided_by="policy")
            return
        if spec is None or not spec.executable:
            key = "unknown_tool" if spec is None else "not_runnable"
            row.update(status="unsupported", error=message(key, lang, tool=tool))
            return
        params, errors = validate(spec, row["params"], lang=lang)
        if errors:
            row.update(status="failed", error=" ".join(errors))
            return
        row["params"] = params
        if policy == "auto":
            self._run_auto(tx, row, params)

    def _run_auto(self, tx: Any, row: rows.Row, params: dict[str, Any]) -> None:
        cipher = self._ctx.cipher
        if cipher is not None and cipher.locked:
            row["error"] = VAULT_LOCKED.get(self._ctx.lang, VAULT_LOCKED["en"])
            return  # stays pending until the vault is unlocked and someone approves
        ref = StepRef(row["mission_id"], row["iteration_id"], row["step_id"])
        try:
            ops = plan_ops(
                self._ctx.replica,
                tx,
                row["tool_name"],
                params,
                ref,
                self._ctx.now(),
                self._ctx.reveal_strict,
            )
        except ToolFailure as exc:
            row["error"] = str(exc)  # stays pending: a person can look, edit or reject
            return
        try:
            effects = self._apply_auto(tx, ops, row)
        except VaultLockedError as exc:  # the key went, or the Spaces are not loaded yet
            row["error"] = write_blocked_text(exc, self._ctx.lang)
            return  # stays pending, nothing of this step kept
        row.update(status="approved", decided_at=row["created_at"], decided_by="policy")
        row["effects"] = json.dumps(effects)

    def _apply_auto(self, tx: Any, ops: Any, row: rows.Row) -> list[dict[str, Any]]:
        # A savepoint, so a write refused halfway through the step leaves none of it behind.
        tx.conn.execute("SAVEPOINT auto_step")
        try:
            effects = apply_ops(tx, self._ctx.replica, ops, rows.actor_of(row))
        except BaseException:
            tx.conn.execute("ROLLBACK TO auto_step")
            tx.conn.execute("RELEASE auto_step")
            raise
        tx.conn.execute("RELEASE auto_step")
        return effects

    @staticmethod
    def _mission_gone(tx: Any, existing: Iterable[rows.Row]) -> None:
        for row in existing:
            if row["status"] in ("pending", "unsupported", "failed"):
                rows.update(tx.conn, row["id"], status="superseded", decided_elsewhere="deleted")


Seen = dict[tuple[Any, str], tuple[str, str | None, str | None]]


class _Known:
    """What this device knows about the missions of one pass, read in a few queries."""

    CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit

    def __init__(self) -> None:
        self.proposals: dict[str, dict[tuple[Any, str], rows.Row]] = {}
        self.feedback: dict[str, dict[str, list[str]]] = {}
        self.steps: dict[str, Seen] = {}
        self.iterations: dict[str, set[str]] = {}

    @classmethod
    def load(cls, conn: Any, mission_ids: list[str]) -> _Known:
        known = cls()
        for start in range(0, len(mission_ids), cls.CHUNK):
            chunk = mission_ids[start : start + cls.CHUNK]
            marks = ",".join("?" for _ in chunk)
            for r in rows.fetch(conn, f"WHERE mission_id IN ({marks})", chunk):
                known.proposals.setdefault(r["mission_id"], {})[
                    (r["iteration_id"], r["step_id"])
                ] = r
            for mid, it, text in conn.execute(
                f"SELECT mission_id, iteration_id, text FROM wb_feedback WHERE mission_id IN ({marks}) ORDER BY at",
                chunk,
            ):
                known.feedback.setdefault(mid, {}).setdefault(it, []).append(text)
            for mid, it, step, status, pid, error in conn.execute(
                "SELECT mission_id, iteration_id, step_id, status, proposal_id, error FROM wb_known_steps "
                f"WHERE mission_id IN ({marks})",
                chunk,
            ):
                known.steps.setdefault(mid, {})[(it, step)] = (status, pid, error)
            for mid, it in conn.execute(
                f"SELECT mission_id, iteration_id FROM wb_iterations WHERE mission_id IN ({marks})",
                chunk,
            ):
                known.iterations.setdefault(mid, set()).add(it)
        return known


def _fold_feedback(iteration: dict[str, Any], lines: list[str] | None) -> bool:
    """Put back feedback lines this device wrote that a newer copy lost; True if it did."""
    if not lines:
        return False
    text = union_feedback(iteration.get("userFeedback"), *lines)
    if text == (iteration.get("userFeedback") or ""):
        return False
    iteration["userFeedback"] = text
    return True


def _remember(
    tx: Any,
    mission_id: str,
    key: tuple[Any, str],
    step: dict[str, Any],
    seen: tuple[str, str | None, str | None] | None,
) -> None:
    """Keep every decided step status this device has seen, so no later copy can undo it."""
    status = step.get("status")
    if (
        status in OPEN_STEP_STATUSES
        or not isinstance(status, str)
        or status not in DECIDED_ELSEWHERE
    ):
        return
    if seen is not None and step_rank(seen[0]) >= step_rank(status):
        return
    pid, error = step.get("proposalId"), step.get("error")
    tx.conn.execute(
        "INSERT OR REPLACE INTO wb_known_steps VALUES (?, ?, ?, ?, ?, ?)",
        (mission_id, str(key[0]), key[1], status,
         pid if isinstance(pid, str) else None, error if isinstance(error, str) else None),
    )  # fmt: skip
