"""One client life for the convergence harness: `python -m tests.harness.driver ...`.

A life opens a profile that is already signed in, prints `ready`, then does random work from a
seeded RNG until it runs out of rounds or is SIGKILLed by the harness: local edits on
`todo/tasks`, random decisions on pending proposals (approve or reject), and full syncs through
the real `SyncEngine.run_once()`. `--drain` instead syncs until nothing is pending.

Every action is appended to the actions log (one JSON line) *after* its transaction committed,
so a line in the log is a promise the harness checks at the end: the edit reached the server,
the decision was not lost. A kill between commit and log line loses only the promise.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

TASKS = ("todo", "tasks")
FIELDS = ("title", "priority", "isCompleted", "order")
PRIORITIES = ("low", "medium", "high")


class ActionLog:
    """Append-only JSON lines; each write is one `write(2)`, so SIGKILL never tears a line.

    `offline` tags every entry of a life that ran with its proxy offline (those are the
    offline edits and decisions the checks count separately)."""

    def __init__(self, path: Path, offline: bool = False) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self.offline = offline

    def add(self, **entry: Any) -> None:
        if self.offline:
            entry["offline"] = True
        os.write(self._fd, (json.dumps(entry, sort_keys=True) + "\n").encode())


def open_workbench(replica: Any, settings: Any) -> Any | None:
    """The workbench facade when that layer has landed (None before)."""
    try:
        from mana_desktop.workbench.service import Workbench
    except ImportError:
        return None
    return Workbench(replica, settings)


class Life:
    def __init__(self, data_dir: Path, log: ActionLog, rng: random.Random) -> None:
        from mana_desktop.store.profile import Profile
        from mana_desktop.sync.credentials import Credentials
        from mana_desktop.sync.engine import SyncEngine

        self.profile = Profile(data_dir)
        self.settings = self.profile.load_settings()
        self.replica = self.profile.open_replica()
        self.engine = SyncEngine(self.profile, self.replica, Credentials(self.profile))
        self.workbench = open_workbench(self.replica, self.settings)
        self.log = log
        self.rng = rng
        self.client = self.replica.client_id

    # -- actions ------------------------------------------------------------------------------
    def user(self) -> dict[str, Any]:
        from mana_desktop.domain.actor import user_actor

        return user_actor(self.settings.user_id, self.settings.display_name)

    def edit(self) -> None:
        tasks = self.replica.list(*TASKS)
        roll = self.rng.random()
        if not tasks or roll < 0.3:
            self._insert()
        elif roll < 0.93:
            self._update(self.rng.choice(tasks).id)
        else:
            self._delete(self.rng.choice(tasks).id)

    def _insert(self) -> None:
        data = {
            "title": f"task {self.rng.randrange(10**6)}",
            "priority": self.rng.choice(PRIORITIES),
            "isCompleted": False,
            "order": self.rng.randrange(100),
        }
        with self.replica.write() as tx:
            rid = tx.insert(*TASKS, data, actor=self.user(), origin="user")
        self.log.add(kind="edit", op="insert", client=self.client, id=rid)

    def _update(self, rid: str) -> None:
        name = self.rng.choice(FIELDS)
        value: Any = {
            "title": f"edit {self.rng.randrange(10**6)}",
            "priority": self.rng.choice(PRIORITIES),
            "isCompleted": self.rng.random() < 0.5,
            "order": self.rng.randrange(100),
        }[name]
        with self.replica.write() as tx:
            tx.update(*TASKS, rid, {name: value}, actor=self.user(), origin="user")
        record = self.replica.get(*TASKS, rid)
        at = record.field_meta.get(name, {}).get("at") if record else None
        self.log.add(kind="edit", op="update", client=self.client, id=rid, field=name,
                     value=value, at=at)

    def _delete(self, rid: str) -> None:
        with self.replica.write() as tx:
            tx.soft_delete(*TASKS, rid, actor=self.user(), origin="user")
        self.log.add(kind="edit", op="delete", client=self.client, id=rid)

    def decide(self) -> None:
        wb = self.workbench
        if wb is None:
            return
        wb.stage()
        pending = [p for p in wb.proposals(status="pending") if p.executable]
        if not pending:
            return
        proposal = self.rng.choice(pending)
        approve = self.rng.random() < 0.7
        from mana_desktop.workbench.context import DecisionError

        try:
            wb.approve(proposal.id) if approve else wb.reject(proposal.id, reason="harness")
        except DecisionError as exc:
            self.log.add(kind="decision-refused", client=self.client, proposal=proposal.id,
                         error=str(exc)[:200])
            return
        self.log.add(kind="decision", client=self.client, proposal=proposal.id,
                     mission=proposal.mission_id, iteration=proposal.iteration_id,
                     step=proposal.step_id, tool=proposal.tool_name,
                     verdict="approved" if approve else "rejected")

    def sync(self) -> dict[str, Any]:
        report = self.engine.run_once()
        if self.workbench is not None:
            self.workbench.stage()
        return {"ok": bool(report.ok), "summary": report.summary()}

    # -- loops --------------------------------------------------------------------------------
    def run(self, rounds: int) -> None:
        for _ in range(rounds):
            roll = self.rng.random()
            if roll < 0.5:
                self.edit()
            elif roll < 0.7:
                self.decide()
            else:
                self.sync()

    def drain(self) -> dict[str, Any]:
        """Sync until nothing is pending (a few tries), then report the counts."""
        last: dict[str, Any] = {}
        for _ in range(5):
            last = self.sync()
            if self.replica.pending_count() == 0:
                break
        from tests.harness.memory import status_kb

        return {**last, "pending": self.replica.pending_count(),
                "quarantined": len(self.replica.quarantined()),
                "peak_rss_kb": status_kb("self", "VmHWM")}


def zygote(data_dir: Path, log_path: Path, err_path: Path) -> int:
    """Fork one life per request, so a life starts in milliseconds, not a cold interpreter.

    Protocol (JSON lines): stdin `{"seed": S, "rounds": R}`; stdout `{"pid": P}` from the
    zygote, `{"ready": P}` from the child once its profile is open, `{"exit": P, "code": C}`
    from the zygote when the child ended (C < 0: killed by signal -C). The zygote holds no
    threads, connections or event loops when it forks.
    """
    import traceback

    # Imported once here, inherited by every fork.
    import mana_desktop.store.profile
    import mana_desktop.sync.credentials
    import mana_desktop.sync.engine

    with contextlib.suppress(ImportError):
        import mana_desktop.workbench.service  # noqa: F401

    def out(**msg: Any) -> None:
        os.write(1, (json.dumps(msg) + "\n").encode())

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                os.dup2(err, 2)
                os.write(2, f"--- life pid {os.getpid()} seed {request['seed']}\n".encode())
                log = ActionLog(log_path, offline=bool(request.get("offline")))
                life = Life(data_dir, log, random.Random(request["seed"]))
                out(ready=os.getpid())
                life.run(int(request["rounds"]))
                life.replica.close()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        out(pid=pid)
        _, status = os.waitpid(pid, 0)
        out(exit=pid, code=os.waitstatus_to_exitcode(status))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tests.harness.driver")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--drain", action="store_true")
    parser.add_argument("--zygote", type=Path, metavar="ERR_FILE",
                        help="serve forked lives on stdin/stdout; their stderr goes to ERR_FILE")
    args = parser.parse_args(argv)
    if args.zygote:
        return zygote(args.data_dir, args.log, args.zygote)
    life = Life(args.data_dir, ActionLog(args.log), random.Random(args.seed))
    print("ready", flush=True)
    if args.drain:
        print(json.dumps(life.drain()), flush=True)
    else:
        life.run(args.rounds)
        print(json.dumps({"done": True}), flush=True)
    life.replica.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
