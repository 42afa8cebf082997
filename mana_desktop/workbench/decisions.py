"""Decisions: approve (optionally edited), reject with feedback, batches, undo, revert.

Each decision is one replica transaction tagged with an undo group and held for the undo
window: the tool's records, the proposal status and the plan step status commit together or
not at all, and nothing of it is pushed before the window ends. A tool that fails writes
nothing; its proposal stays open with the error shown (upstream marked it approved anyway).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from mana_desktop.domain.changeset import merge_into
from mana_desktop.domain.crypto import VaultLockedError
from mana_desktop.domain.mission import append_feedback
from mana_desktop.domain.proposal import OPEN_STATUSES, check_reason, feedback_line
from mana_desktop.domain.records import StepRef, ToolFailure
from mana_desktop.domain.timeutil import format_ms
from mana_desktop.domain.tools import get_tool, message, validate
from mana_desktop.store.models import UndoExpired

try:  # the store's in-transaction undo (Replica.undo_group runs it in its own transaction)
    from mana_desktop.store.outbox import undo_group as _undo_in_tx
except ImportError:  # pragma: no cover - the store moved it: fall back to two transactions
    _undo_in_tx = None  # type: ignore[assignment]
from mana_desktop.workbench import rows
from mana_desktop.workbench.context import Context, Decision, DecisionError
from mana_desktop.workbench.executor import apply_ops, plan_ops
from mana_desktop.workbench.messages import say
from mana_desktop.workbench.plans import PlanEdits
from mana_desktop.workbench.staging import write_blocked_text

_STATUS_WORDS = {
    "approved": "already approved",
    "rejected": "already rejected",
    "superseded": "already decided on another device",
    "skipped": "skipped by your policy",
    "info": "a note, nothing to decide",
    "running": "running right now",
}


class Decider:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # --- approve ----------------------------------------------------------------------------
    def approve(self, proposal_id: str, params: dict[str, Any] | None = None) -> Decision:
        try:
            return self._approve(proposal_id, params)
        except VaultLockedError as exc:
            text = write_blocked_text(exc, self._ctx.lang)
            self._remember_errors({proposal_id: text})
            raise DecisionError(text) from exc

    def _approve(self, proposal_id: str, params: dict[str, Any] | None) -> Decision:
        try:
            return self.approve_many(
                [proposal_id], {proposal_id: params} if params else None, all_or_error=True
            )
        except _ToolError as exc:
            self._remember_errors({exc.proposal_id: str(exc)})
            raise

    def approve_many(
        self,
        ids: Sequence[str],
        edits: dict[str, dict[str, Any] | None] | None = None,
        *,
        all_or_error: bool = False,
    ) -> Decision:
        """Approve each proposal; those whose tool fails stay open with their error.

        `all_or_error` (single approvals): a failure raises DecisionError instead.
        """
        self._ctx.ensure_schema()
        group = str(uuid.uuid4())
        failures: dict[str, str] = {}
        done: list[str] = []
        try:
            return self._approve_tx(ids, edits, all_or_error, group, failures, done)
        except VaultLockedError as exc:
            if all_or_error:
                raise
            raise DecisionError(write_blocked_text(exc, self._ctx.lang)) from exc
        except _Nothing:
            self._remember_errors(failures)
            raise

    def _approve_tx(
        self,
        ids: Sequence[str],
        edits: dict[str, dict[str, Any] | None] | None,
        all_or_error: bool,
        group: str,
        failures: dict[str, str],
        done: list[str],
    ) -> Decision:
        with self._ctx.replica.write(group=group, hold_s=self._ctx.undo_window_s) as tx:
            plan = PlanEdits(self._ctx, tx)
            saved: list[dict[str, Any]] = []
            for pid in dict.fromkeys(ids):
                try:
                    row = self._open_row(tx, pid)
                    self._approve_one(tx, plan, row, (edits or {}).get(pid), group, saved)
                    done.append(pid)
                except DecisionError as exc:
                    if all_or_error:
                        raise
                    failures[pid] = str(exc)
            if not done:
                raise _Nothing(failures)
            plan.flush()
            undo_until = self._record(tx, group, "approve", saved)
            changed = dict(tx.changed)
        self._remember_errors(failures)
        return Decision(group, tuple(done), changed, undo_until, failures or None)

    def _approve_one(
        self,
        tx: Any,
        plan: PlanEdits,
        row: rows.Row,
        edit: dict[str, Any] | None,
        group: str,
        saved: list[dict[str, Any]],
    ) -> None:
        lang = self._ctx.lang
        spec = get_tool(row["tool_name"])
        if row["kind"] != "tool" or spec is None or not spec.executable:
            raise DecisionError(
                row["error"] or message("unknown_tool", lang, tool=row["tool_name"])
            )
        step = plan.step(row["mission_id"], row["iteration_id"], row["step_id"])
        if step is None:
            raise DecisionError(
                say(
                    lang,
                    "This step is no longer in its mission (the mission was deleted or replanned).",
                )
            )
        if step.get("status") in ("approved", "rejected", "skipped"):
            raise DecisionError(
                say(
                    lang,
                    "This step was already {status} on another device.",
                    status=step.get("status"),
                )
            )
        params, errors = validate(
            spec, {**rows.params_of(row), **(edit or {})}, strict=bool(edit), lang=lang
        )
        if errors:
            raise _ToolError(row["id"], " ".join(errors))
        ref = StepRef(row["mission_id"], row["iteration_id"], row["step_id"])
        try:
            ops = plan_ops(
                self._ctx.replica,
                tx,
                spec.name,
                params,
                ref,
                self._ctx.now(),
                self._ctx.reveal_strict,
            )
        except ToolFailure as exc:
            raise _ToolError(row["id"], str(exc)) from exc
        actor = rows.actor_of(row)
        effects = apply_ops(tx, self._ctx.replica, ops, actor)
        saved.append({"id": row["id"], "prev": rows.snapshot(row)})
        rows.update(
            tx.conn, row["id"], status="approved", params=json.dumps(params, ensure_ascii=False),
            error=None, decided_at=format_ms(self._ctx.now()), decided_by="user",
            decision_group=group, effects=json.dumps(effects),
        )  # fmt: skip
        # The plan step changes as part of the agent's approved act: same actor as its records.
        plan.set_step(row["mission_id"], row["iteration_id"], row["step_id"], actor,
                      status="approved", proposalId=row["id"], error=None)  # fmt: skip

    def _open_row(self, tx: Any, proposal_id: str) -> rows.Row:
        row = rows.fetch_one(tx.conn, proposal_id)
        if row is None:
            raise DecisionError(say(self._ctx.lang, "No proposal with id {id!r}.", id=proposal_id))
        if row["status"] not in OPEN_STATUSES:
            words = _STATUS_WORDS.get(row["status"], row["status"])
            raise DecisionError(say(self._ctx.lang, f"This proposal is {words}."))
        return row

    def _remember_errors(self, failures: dict[str, str]) -> None:
        """Show why a tool failed on its card (after the rollback, in a small transaction)."""
        if not failures:
            return
        with self._ctx.replica.write() as tx:
            for pid, error in failures.items():
                row = rows.fetch_one(tx.conn, pid)
                if row is not None and row["status"] in OPEN_STATUSES:
                    rows.update(tx.conn, pid, error=error)

    # --- reject -----------------------------------------------------------------------------
    def reject_many(
        self, ids: Sequence[str], reason: str | None = None, feedback: str | None = None
    ) -> Decision:
        """Reject the open ones among `ids` as one act (one alone: an error if it is not open)."""
        try:
            code = check_reason(reason)
        except ValueError as exc:
            raise DecisionError(str(exc)) from exc
        self._ctx.ensure_schema()
        group, now = str(uuid.uuid4()), format_ms(self._ctx.now())
        line = feedback_line(code, feedback, self._ctx.lang)
        unique = list(dict.fromkeys(ids))
        failures: dict[str, str] = {}
        with self._ctx.replica.write(group=group, hold_s=self._ctx.undo_window_s) as tx:
            plan = PlanEdits(self._ctx, tx)
            saved: list[dict[str, Any]] = []
            noted: list[list[str]] = []
            for pid in unique:
                try:
                    row = self._open_row(tx, pid)
                except DecisionError as exc:
                    if len(unique) == 1:
                        raise
                    failures[pid] = str(exc)
                    continue
                saved.append({"id": pid, "prev": rows.snapshot(row)})
                self._reject_one(tx, plan, row, code, feedback, group, now)
                key = [row["mission_id"], row["iteration_id"]]
                if line and key not in noted:
                    self._add_feedback(tx, plan, key[0], key[1], line, now)
                    noted.append(key)
            if not saved:
                raise DecisionError(next(iter(failures.values()), "Nothing to reject."))
            plan.flush()
            undo_until = self._record(
                tx, group, "reject", saved, [[*k, line] for k in noted if line]
            )
            changed = dict(tx.changed)
        done = tuple(item["id"] for item in saved)
        return Decision(group, done, changed, undo_until, failures or None)

    def _reject_one(
        self,
        tx: Any,
        plan: PlanEdits,
        row: rows.Row,
        code: str | None,
        feedback: str | None,
        group: str,
        now: str,
    ) -> None:
        rows.update(tx.conn, row["id"], status="rejected", decided_at=now, decided_by="user", reason=code,
                    feedback=(feedback or "").strip() or None, decision_group=group)  # fmt: skip
        plan.set_step(row["mission_id"], row["iteration_id"], row["step_id"], self._ctx.user(),
                      status="rejected", proposalId=row["id"])  # fmt: skip

    def _add_feedback(
        self, tx: Any, plan: PlanEdits, mission_id: str, iteration_id: str, text: str, now: str
    ) -> None:
        iteration = plan.iteration(mission_id, iteration_id)
        if iteration is None:
            return
        iteration["userFeedback"] = append_feedback(iteration.get("userFeedback"), text)
        plan.changed(mission_id, self._ctx.user())
        tx.conn.execute(
            "INSERT OR IGNORE INTO wb_feedback VALUES (?, ?, ?, ?)",
            (mission_id, iteration_id, text, now),
        )

    def add_feedback(self, mission_id: str, iteration_id: str, text: str) -> Decision:
        if not text.strip():
            raise DecisionError(say(self._ctx.lang, "Feedback is empty."))
        self._ctx.ensure_schema()
        group = str(uuid.uuid4())
        with self._ctx.replica.write(group=group, hold_s=self._ctx.undo_window_s) as tx:
            plan = PlanEdits(self._ctx, tx)
            if plan.iteration(mission_id, iteration_id) is None:
                raise DecisionError(say(self._ctx.lang, "No such mission iteration."))
            self._add_feedback(
                tx, plan, mission_id, iteration_id, text.strip(), format_ms(self._ctx.now())
            )
            plan.flush()
            undo_until = self._record(
                tx, group, "feedback", [], [[mission_id, iteration_id, text.strip()]]
            )
            changed = dict(tx.changed)
        return Decision(group, (), changed, undo_until)

    # --- iterations -------------------------------------------------------------------------
    def open_ids(self, iteration_id: str) -> list[str]:
        self._ctx.ensure_schema()
        found = rows.fetch(
            self._ctx.read(), "WHERE iteration_id = ? ORDER BY position", (iteration_id,)
        )
        if not found:
            raise DecisionError(
                say(self._ctx.lang, "No proposals for iteration {id!r}.", id=iteration_id)
            )
        return [r["id"] for r in found if r["status"] in OPEN_STATUSES]

    def approve_iteration(self, iteration_id: str) -> Decision:
        """Approve every runnable open step of the iteration in one act; the rest stay open."""
        ids = [i for i in self.open_ids(iteration_id) if self._runnable(i)]
        if not ids:
            raise DecisionError(
                say(self._ctx.lang, "Nothing in this iteration can be approved here.")
            )
        return self.approve_many(ids)

    def _runnable(self, proposal_id: str) -> bool:
        row = rows.fetch_one(self._ctx.read(), proposal_id)
        return row is not None and rows.is_executable(row)

    def reject_iteration(
        self, iteration_id: str, reason: str | None = None, feedback: str | None = None
    ) -> Decision:
        ids = self.open_ids(iteration_id)
        if not ids:
            raise DecisionError(say(self._ctx.lang, "Nothing left to reject in this iteration."))
        return self.reject_many(ids, reason, feedback)

    # --- undo -------------------------------------------------------------------------------
    def _record(
        self,
        tx: Any,
        group: str,
        kind: str,
        saved: list[dict[str, Any]],
        feedback: list[list[str]] | None = None,
    ) -> float:
        undo_until = self._ctx.wall() + self._ctx.undo_window_s
        payload = json.dumps({"proposals": saved, "feedback": feedback or []}, ensure_ascii=False)
        tx.conn.execute(
            "INSERT INTO wb_decisions (group_id, kind, at, undo_until, proposals) VALUES (?, ?, ?, ?, ?)",
            (group, kind, format_ms(self._ctx.now()), undo_until, payload),
        )
        return undo_until

    def undo(self, group: str | None = None) -> Decision:
        self._ctx.ensure_schema()
        conn = self._ctx.read()
        if group is None:
            found = conn.execute(
                "SELECT group_id, proposals, undo_until FROM wb_decisions WHERE undone = 0 ORDER BY at DESC, rowid DESC LIMIT 1"
            ).fetchone()
        else:
            found = conn.execute(
                "SELECT group_id, proposals, undo_until FROM wb_decisions WHERE group_id = ? AND undone = 0",
                (group,),
            ).fetchone()
        if found is None:
            raise DecisionError(say(self._ctx.lang, "There is nothing to undo."))
        group_id, payload, undo_until = found
        if undo_until < self._ctx.wall():
            raise DecisionError(
                say(self._ctx.lang, "The undo window has passed. Use Revert instead.")
            )
        data = json.loads(payload)
        try:
            with self._ctx.replica.write() as tx:
                # Records, plan and cards go back in one transaction when the store lets us;
                # otherwise the records first (the part that can be refused), then the cards.
                if _undo_in_tx is not None:
                    merge_into(tx.changed, _undo_in_tx(tx.conn, group_id))
                else:
                    tx.changed.update(self._ctx.replica.undo_group(group_id))  # pragma: no cover
                self._restore_cards(tx, group_id, data)
                changed = dict(tx.changed)
        except UndoExpired as exc:
            raise DecisionError(
                say(self._ctx.lang, "Too late to undo: it was already sent. Use Revert instead.")
            ) from exc
        ids = tuple(item["id"] for item in data.get("proposals", []))
        return Decision(group_id, ids, changed, 0.0)

    @staticmethod
    def _restore_cards(tx: Any, group_id: str, data: dict[str, Any]) -> None:
        for item in data.get("proposals", []):
            rows.update(tx.conn, item["id"], **item["prev"])
            # Staging may already have remembered the undone decision as "seen": forget it.
            tx.conn.execute(
                "DELETE FROM wb_known_steps WHERE (mission_id, iteration_id, step_id) IN "
                "(SELECT mission_id, iteration_id, step_id FROM wb_proposals WHERE id = ?)",
                (item["id"],),
            )
        for mission_id, iteration_id, text in data.get("feedback", []):
            tx.conn.execute(
                "DELETE FROM wb_feedback WHERE mission_id = ? AND iteration_id = ? AND text = ?",
                (mission_id, iteration_id, text),
            )
        tx.conn.execute("UPDATE wb_decisions SET undone = 1 WHERE group_id = ?", (group_id,))


class _ToolError(DecisionError):
    def __init__(self, proposal_id: str, text: str) -> None:
        super().__init__(text)
        self.proposal_id = proposal_id


class _Nothing(DecisionError):
    def __init__(self, failures: dict[str, str]) -> None:
        text = next(iter(failures.values()), "Nothing was approved.")
        super().__init__(text if len(failures) <= 1 else f"None could be approved: {text}")
        self.failures = failures
