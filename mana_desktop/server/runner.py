"""The mission runner: plans due missions and writes iterations back, as mana-ai does.

Each tick, per user (never across users): replay the user's `ai/aiMissions` changes, pick the
missions that are active, not deleted and due (`nextRunAt` <= now), build the planner prompt,
ask the planner (an LLM, or the built-in one), parse the answer, and append one `update` of the
mission exactly as mana-ai's iteration writer does (spec ai-workbench §2.6): the full
`iterations` array plus `updatedAt`, per-field timestamps, client id `mana-ai-runner`, the
system actor `system:mission-runner`.

Fixes over upstream (§2.7), all on purpose:
- `nextRunAt` is advanced by the mission's cadence in the same update (upstream re-plans every
  tick); manual and cron missions get `nextRunAt: null` after their run.
- Each plan step keeps the planner's `rationale`.
- A planner error or an unparsable answer becomes a `failed` iteration with the reason
  (upstream writes nothing and the user never learns why).
- The write is stamped after the fields' current stamps, so a client whose clock runs ahead
  cannot make the new iteration lose under LWW.
- The write goes through the server's `append_changes`, which wakes live subscribers.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from mana_desktop.domain.cadence import CadenceError, next_run_at
from mana_desktop.domain.crypto import MasterKey, decrypt_record, restore_locked
from mana_desktop.domain.lww import next_local_at, wire_at
from mana_desktop.domain.planner import (
    AvailableTool,
    ParseFailure,
    PlanOutput,
    ResolvedInput,
    build_planner_prompt,
    parse_planner_response,
)
from mana_desktop.domain.timeutil import format_ms, try_parse_instant, utc_now
from mana_desktop.server.planner_types import Planner, PlannerError, PlanRequest
from mana_desktop.server.runner_log import (
    MISSIONS_APP,
    MISSIONS_TABLE,
    RUNNER_CLIENT_ID,
    MissionLog,
    ServiceLog,
)
from mana_desktop.server.runner_replay import ReplayedRecord, replay

log = logging.getLogger("mana_desktop.runner")

RUNNER_ORIGIN = "system"
DEFAULT_TICK_S = 60.0
WATCH_S = 1.0  # how often the loop looks for mission changes by other writers
MAX_INPUTS = 10
MAX_INPUT_CHARS = 2000
RAW_KEEP_CHARS = 500
# Fields of linked records that make sense in a prompt (titles and text, never ids or stamps).
INPUT_TEXT_FIELDS = ("title", "name", "content", "description", "objective", "notes", "summary")


def runner_actor() -> dict[str, Any]:
    """The system actor of the runner: the new shape plus OLD's `source` for old clients."""
    return {
        "kind": "system",
        "principalId": "system:mission-runner",
        "displayName": "Mission-Runner",
        "source": "mission-runner",
    }


@dataclass
class TickStats:
    """What one tick did (upstream `TickStats`, plus failures written as iterations)."""

    scanned_at: str
    due_mission_count: int = 0
    plans_produced: int = 0
    plans_written_back: int = 0
    parse_failures: int = 0
    planner_failures: int = 0
    errors: list[str] = field(default_factory=list)
    iterations: list[tuple[str, str, str]] = field(default_factory=list)  # user, mission, it


@dataclass(frozen=True)
class DueMission:
    user_id: str
    record: ReplayedRecord

    @property
    def id(self) -> str:
        return self.record.id


def is_due(data: Mapping[str, Any], now: datetime) -> bool:
    if data.get("deletedAt") or data.get("state") != "active":
        return False
    when = try_parse_instant(data.get("nextRunAt"))
    return when is not None and when <= now


class MissionRunner:
    """Plans due missions. `tick()` runs once (tests, "run now"); `start()` runs a thread."""

    def __init__(
        self,
        log_: MissionLog,
        planner: Planner,
        tools: Sequence[AvailableTool],
        *,
        tick_s: float = DEFAULT_TICK_S,
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.log = log_
        self.planner = planner
        self.tools = tuple(tools)
        self.tick_s = tick_s
        self.tz = tz
        self.clock = clock
        self._tick_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_stats: TickStats | None = None
        self.tick_count = 0
        self._tick_done = threading.Condition()
        # The user's master key, to read encrypted mission fields and inputs (None: they stay
        # opaque). `install` wires it to the server's vault.
        self.key_for: Callable[[str], MasterKey | None] = lambda _user_id: None

    # -- scheduling ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="mission-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Tick now instead of waiting for the interval (e.g. a mission was just made due)."""
        self._wake.set()

    def wait_for_ticks(self, count: int, timeout: float) -> bool:
        """Block until `count` ticks have finished in total (tests and the demo)."""
        with self._tick_done:
            return self._tick_done.wait_for(lambda: self.tick_count >= count, timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a bug in one tick must not end the runner
                log.exception("mission runner tick failed")
            self._sleep()

    def _sleep(self) -> None:
        """Wait for the next tick, but tick early when someone else changed a mission
        ("run now" sets nextRunAt to now; waiting a whole interval would feel broken)."""
        changed = getattr(self.log, "missions_changed", None)
        deadline = time.monotonic() + self.tick_s
        while not self._stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._wake.wait(min(remaining, WATCH_S)):
                self._wake.clear()
                return
            try:
                if changed is not None and changed():
                    return
            except Exception:  # the watch is an optimisation; the interval still applies
                log.exception("mission watch failed")
                changed = None

    # -- one tick --------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> TickStats:
        """Plan every due mission of every user once; never raises for one mission's error."""
        now = now or self.clock()
        stats = TickStats(scanned_at=format_ms(now))
        if not self._tick_lock.acquire(blocking=False):
            stats.errors.append("overlap-skipped")
            return stats
        try:
            for user_id in self.log.user_ids(MISSIONS_APP, MISSIONS_TABLE):
                for mission in self.due_missions(user_id, now):
                    stats.due_mission_count += 1
                    self._run_one(mission, now, stats)
        finally:
            self._tick_lock.release()
            self.last_stats = stats
            with self._tick_done:
                self.tick_count += 1
                self._tick_done.notify_all()
        return stats

    def due_missions(self, user_id: str, now: datetime) -> list[DueMission]:
        records = replay(self.log.rows(user_id, MISSIONS_APP, MISSIONS_TABLE))
        due = [r for r in records.values() if not r.deleted and is_due(r.data, now)]
        due.sort(key=lambda r: (str(r.data.get("nextRunAt")), r.id))
        return [DueMission(user_id, r) for r in due]

    def _run_one(self, mission: DueMission, now: datetime, stats: TickStats) -> None:
        try:
            iteration, outcome = self._plan(mission, now)
            if outcome == "parse":
                stats.parse_failures += 1
            elif outcome == "planner":
                stats.planner_failures += 1
            else:
                stats.plans_produced += 1
            self._write(mission, iteration, now)
            stats.plans_written_back += 1
            stats.iterations.append((mission.user_id, mission.id, iteration["id"]))
            log.info(
                "mission=%s user=%s plan=%d step(s) iteration=%s status=%s",
                mission.id,
                mission.user_id,
                len(iteration["plan"]),
                iteration["id"],
                iteration["overallStatus"],
            )
        except Exception as exc:  # one mission's failure never stops the others
            log.exception("mission=%s user=%s failed", mission.id, mission.user_id)
            stats.errors.append(f"mission={mission.id}: {exc}")

    def _plan(self, mission: DueMission, now: datetime) -> tuple[dict[str, Any], str]:
        # The planner sees plaintext; the write-back touches only plaintext fields.
        data = self._readable(mission.user_id, mission.record.data)
        inputs = self.resolve_inputs(mission.user_id, data)
        messages = build_planner_prompt(data, inputs, self.tools)
        request = PlanRequest(data, messages, self.tools, inputs, now, self.tz)
        iteration_id = str(uuid.uuid4())
        try:
            text = self.planner.complete(request)
        except PlannerError as exc:
            return failed_iteration(iteration_id, now, str(exc), "calling-llm"), "planner"
        result = parse_planner_response(text, {t.name for t in self.tools})
        if isinstance(result, ParseFailure):
            log.warning(
                "mission=%s parse failure: %s raw=%r", mission.id, result.reason, text[:200]
            )
            reason = result.reason
            return failed_iteration(iteration_id, now, reason, "parsing-response", text), "parse"
        return plan_to_iteration(result.value, iteration_id, now), "ok"

    # -- inputs ----------------------------------------------------------------------------

    def resolve_inputs(self, user_id: str, mission: Mapping[str, Any]) -> tuple[ResolvedInput, ...]:
        """Linked records as text (upstream's server had no resolvers; prompts said "none")."""
        refs = mission.get("inputs")
        if not isinstance(refs, list):
            return ()
        wanted: dict[tuple[str, str], list[str]] = {}
        for ref in refs[:MAX_INPUTS]:
            if isinstance(ref, Mapping) and all(
                isinstance(ref.get(k), str) for k in ("module", "table", "id")
            ):
                wanted.setdefault((ref["module"], ref["table"]), []).append(ref["id"])
        out: list[ResolvedInput] = []
        for (app, table), ids in wanted.items():
            records = replay(self.log.rows(user_id, app, table))
            for record_id in ids:
                record = records.get(record_id)
                if record is not None and not record.deleted:
                    out.append(_as_input(app, table, record, self._readable(user_id, record.data)))
        return tuple(out)

    def _readable(self, user_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """`data` with the envelopes this user's key opens decrypted; others stay as they are
        (and are skipped as opaque where text is gathered)."""
        if not any(isinstance(v, str) and v.startswith("enc:") for v in data.values()):
            return dict(data)
        key = self.key_for(user_id)
        shown = decrypt_record(data, key)
        return restore_locked(shown)

    # -- write-back ------------------------------------------------------------------------

    def _write(self, mission: DueMission, iteration: dict[str, Any], now: datetime) -> None:
        record = mission.record
        previous = record.data.get("iterations")
        iterations = [*(previous if isinstance(previous, list) else []), iteration]
        try:
            upcoming = next_run_at(_cadence(record.data), now, self.tz)
        except CadenceError as exc:
            upcoming = None
            iteration["summary"] = f"{iteration.get('summary', '')} (cadence: {exc})".strip()
        values: dict[str, Any] = {
            "iterations": iterations,
            "nextRunAt": format_ms(upcoming) if upcoming else None,
            "updatedAt": None,  # filled with the stamp below
        }
        stamp = format_ms(now)
        fields: dict[str, dict[str, Any]] = {}
        for name in values:
            at = wire_at(next_local_at(stamp, record.stamp_of(name)))
            fields[name] = {"value": values[name], "at": at, "updatedAt": at}
        fields["updatedAt"]["value"] = fields["iterations"]["at"]
        change = {"table": MISSIONS_TABLE, "id": record.id, "op": "update", "fields": fields}
        self.log.append(
            mission.user_id,
            MISSIONS_APP,
            [change],
            client_id=RUNNER_CLIENT_ID,
            actor=runner_actor(),
            origin=RUNNER_ORIGIN,
        )


def _cadence(data: Mapping[str, Any]) -> Mapping[str, Any]:
    cadence = data.get("cadence")
    return cadence if isinstance(cadence, Mapping) else {"kind": "manual"}


def _as_input(
    app: str, table: str, record: ReplayedRecord, data: Mapping[str, Any] | None = None
) -> ResolvedInput:
    parts: list[str] = []
    title: str | None = None
    for name in INPUT_TEXT_FIELDS:
        value = (record.data if data is None else data).get(name)
        if not isinstance(value, str) or not value or value.startswith("enc:"):
            continue  # encrypted fields stay opaque to the server
        if name in ("title", "name") and title is None:
            title = value
        else:
            parts.append(value)
    content = "\n".join(parts)[:MAX_INPUT_CHARS] or "_(kein lesbarer Inhalt)_"
    return ResolvedInput(id=record.id, module=app, table=table, content=content, title=title)


def plan_to_iteration(plan: PlanOutput, iteration_id: str, now: datetime) -> dict[str, Any]:
    """Upstream's `planToIteration`, keeping each step's rationale."""
    stamp = format_ms(now)
    return {
        "id": iteration_id,
        "startedAt": stamp,
        "finishedAt": stamp,
        "plan": [
            {
                "id": f"{iteration_id}-{i}",
                "summary": step.summary,
                "intent": {"kind": "toolCall", "toolName": step.tool_name, "params": step.params},
                "status": "planned",
                "rationale": step.rationale,
            }
            for i, step in enumerate(plan.steps)
        ],
        "summary": plan.summary,
        "overallStatus": "awaiting-review" if plan.steps else "approved",
        "source": "server",
    }


def failed_iteration(
    iteration_id: str, now: datetime, reason: str, phase: str, raw: str | None = None
) -> dict[str, Any]:
    """A `failed` iteration that tells the user why there is no plan this time."""
    stamp = format_ms(now)
    details: dict[str, Any] = {
        "name": "PlannerError" if phase == "calling-llm" else "ParseError",
        "message": reason,
        "phase": phase,
    }
    if raw:
        details["raw"] = raw[:RAW_KEEP_CHARS]
    return {
        "id": iteration_id,
        "startedAt": stamp,
        "finishedAt": stamp,
        "plan": [],
        "summary": f"Planning failed: {reason}",
        "overallStatus": "failed",
        "source": "server",
        "errorDetails": details,
    }


# -- wiring into the reference server ------------------------------------------------------


def build_planner(llm_url: str | None, llm_model: str | None) -> Planner:
    if llm_url:
        from mana_desktop.server.planner_llm import LlmPlanner

        return LlmPlanner(llm_url, llm_model)
    from mana_desktop.server.planner_builtin import BuiltinPlanner

    return BuiltinPlanner()


def install(
    service: Any,
    *,
    tick_s: float = DEFAULT_TICK_S,
    planner: Planner | None = None,
    tz: tzinfo | None = None,
    autostart: bool = True,
) -> MissionRunner:
    """Attach a runner to a `SyncService`: it starts with the server (first tick at once, as
    upstream's `startTick`) and stops with it. `runner_for(service)` finds it again."""
    from mana_desktop.server.planner_tools import planner_tools

    runner = MissionRunner(
        ServiceLog(service),
        planner or build_planner(None, None),
        planner_tools(),
        tick_s=tick_s,
        tz=tz,
    )
    runner.key_for = _vault_keys(service)
    service.mission_runner = runner
    if autostart:
        service.add_background_task(_lifetime_task(runner))
    return runner


def _vault_keys(service: Any) -> Callable[[str], MasterKey | None]:
    """Master keys from the server's encryption vault (opened on first use)."""
    vaults: list[Any] = []

    def key_for(user_id: str) -> MasterKey | None:
        store = getattr(service, "store", None)
        if store is None:
            return None
        if not vaults:
            from mana_desktop.server.vault import Vaults

            vaults.append(Vaults(store))
        key: MasterKey | None = vaults[0].master_key(user_id)
        return key

    return key_for


def runner_for(service: Any) -> MissionRunner | None:
    runner = getattr(service, "mission_runner", None)
    return runner if isinstance(runner, MissionRunner) else None


def _lifetime_task(runner: MissionRunner) -> Callable[[Any], Awaitable[None]]:
    async def run(_service: Any) -> None:
        runner.start()
        try:
            await asyncio.Event().wait()  # until the server cancels its background tasks
        finally:
            await asyncio.to_thread(runner.stop)

    return run


def add_runner_arguments(parser: argparse.ArgumentParser) -> None:
    """The runner's options of `mana-desktop serve` (and the demo)."""
    group = parser.add_argument_group("mission runner")
    group.add_argument(
        "--runner",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="plan due AI missions on the server (default: on)",
    )
    group.add_argument(
        "--tick",
        type=_positive_seconds,
        default=DEFAULT_TICK_S,
        metavar="SECONDS",
        help=f"seconds between runner ticks (default: {DEFAULT_TICK_S:g})",
    )
    group.add_argument(
        "--llm-url",
        metavar="URL",
        default=None,
        help="OpenAI-compatible chat-completions endpoint; the key is read from"
        " $MANA_LLM_API_KEY or $OPENAI_API_KEY (default: the built-in offline planner)",
    )
    group.add_argument(
        "--llm-model", metavar="NAME", default=None, help="model name (default: gpt-4o-mini)"
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(
            f"--tick must be a positive number of seconds (got {text})"
        )
    return value


def start_runner(service: Any, args: argparse.Namespace) -> MissionRunner | None:
    """Call once after building the service and before serving: installs the runner when
    `--runner` (the default) is on. Raises ValueError for a bad --llm-url."""
    if not getattr(args, "runner", True):
        return None
    _log_to_stderr(str(getattr(args, "log_level", "warning")))
    planner = build_planner(getattr(args, "llm_url", None), getattr(args, "llm_model", None))
    return install(service, tick_s=getattr(args, "tick", DEFAULT_TICK_S), planner=planner)


def _log_to_stderr(level: str) -> None:
    """Show the runner's lines (one per planned mission at `info`) at serve's --log-level."""
    log.setLevel(level.upper())
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s mission-runner %(levelname)s %(message)s")
        )
        log.addHandler(handler)
