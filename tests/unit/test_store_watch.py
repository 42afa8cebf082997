"""Commits by another process are noticed (watchdog on the -wal file + data_version) and reported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.store import Replica
from mana_desktop.store.watch import CommitWatcher

WRITER = textwrap.dedent(
    """
    import sys, time
    from mana_desktop.store import Replica
    with Replica.open(sys.argv[1]) as r:
        with r.write() as tx:
            tx.insert("todo", "tasks", {"id": sys.argv[2]}, actor={"kind": "user"})
        print(time.time(), flush=True)
    """
)


class Collector:
    def __init__(self) -> None:
        self.events: list[tuple[float, ChangeSet]] = []
        self.cond = threading.Condition()

    def __call__(self, changes: ChangeSet) -> None:
        with self.cond:
            self.events.append((time.time(), changes))
            self.cond.notify_all()

    def wait_for(self, predicate: object, timeout: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: any(predicate(c) for _, c in self.events), timeout)  # type: ignore[operator]


def _write_from_another_process(path: Path, record_id: str) -> float:
    done = subprocess.run([sys.executable, "-c", WRITER, str(path), record_id],
                          capture_output=True, text=True, timeout=60, check=True)
    return float(done.stdout.strip())


def test_another_process_commit_is_noticed_within_a_second(replica: Replica) -> None:
    seen = Collector()
    replica.subscribe(seen)
    committed_at = _write_from_another_process(replica.path, "from-cli")
    assert seen.wait_for(lambda c: "from-cli" in c.get(("todo", "tasks"), set()))
    noticed_at = next(t for t, c in seen.events if "from-cli" in c.get(("todo", "tasks"), set()))
    assert noticed_at - committed_at < 1.0
    assert replica.get("todo", "tasks", "from-cli") is not None


def test_own_commits_are_reported_once(replica: Replica) -> None:
    seen = Collector()
    replica.subscribe(seen)
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "mine"}, actor={"kind": "user"})
    _write_from_another_process(replica.path, "theirs")  # proves the watcher ran after ours
    assert seen.wait_for(lambda c: "theirs" in c.get(("todo", "tasks"), set()))
    mine = [c for _, c in seen.events if "mine" in c.get(("todo", "tasks"), set())]
    assert len(mine) == 1


def test_data_version_poll_works_without_file_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CommitWatcher, "_start_observer", lambda self: None)
    with Replica.open(tmp_path / "r.db") as replica:
        seen = Collector()
        replica.subscribe(seen)
        assert replica._watcher is not None
        replica._watcher._poll_s = 0.05
        _write_from_another_process(replica.path, "polled")
        assert seen.wait_for(lambda c: "polled" in c.get(("todo", "tasks"), set()))


def test_unsubscribe_stops_reports(replica: Replica) -> None:
    seen = Collector()
    unsubscribe = replica.subscribe(seen)
    unsubscribe()
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "x"}, actor={"kind": "user"})
    assert seen.events == []


def test_falling_behind_pruned_commits_reports_whole_collections(replica: Replica) -> None:
    with replica.write() as tx:
        tx.insert("todo", "tasks", {"id": "a"}, actor={"kind": "user"})
        tx.insert("notes", "notes", {"id": "n"}, actor={"kind": "user"})
    conn = replica._writer
    conn.execute("INSERT INTO commits (seq, writer, changes) VALUES (50, 'other', ?)",
                 ('{"todo/tasks":["z"]}',))
    watcher = CommitWatcher(replica.path, "me", lambda: conn, lambda c: None)
    changes, last = watcher._read_commits(conn, 3)
    assert last == 50
    assert changes == {("todo", "tasks"): set(), ("notes", "notes"): set()}
    exact, _ = watcher._read_commits(conn, 49)
    assert exact == {("todo", "tasks"): {"z"}}
