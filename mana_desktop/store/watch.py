"""Noticing commits made by another process (a CLI command while the app runs).

A watchdog observer watches the database's directory for events on the `-wal` file (one
modify event per commit; the main file changes only at checkpoints). An event wakes a thread
that reads `PRAGMA data_version` on its own connection: the value moves when any *other*
connection committed. The `commits` table then says what changed, and rows written by this
replica itself are skipped (they were reported when they committed). A slow poll of
`data_version` covers file systems where watchdog sees nothing.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from mana_desktop.domain import changeset as cs
from mana_desktop.domain.changeset import ChangeSet

FALLBACK_POLL_S: Final = 2.0  # data_version costs microseconds; this only covers lost events


class CommitWatcher:
    def __init__(
        self,
        db_path: Path,
        own_writer: str,
        connect: Callable[[], sqlite3.Connection],
        notify: Callable[[ChangeSet], None],
        poll_s: float = FALLBACK_POLL_S,
    ) -> None:
        self._db_path = db_path
        self._own = own_writer
        self._connect = connect
        self._notify = notify
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Any = None

    def start(self) -> None:
        conn = self._connect()
        version = self._version(conn)
        last = int(conn.execute("SELECT coalesce(max(seq), 0) FROM commits").fetchone()[0])
        self._thread = threading.Thread(
            target=self._run, args=(conn, version, last), name="replica-watch", daemon=True
        )
        self._thread.start()
        self._observer = self._start_observer()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _start_observer(self) -> Any:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # the poll still works
            return None
        watched = {str(self._db_path) + "-wal", str(self._db_path)}
        wake = self._wake

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if str(event.src_path) in watched:
                    wake.set()

        observer = Observer()
        observer.schedule(Handler(), str(self._db_path.parent), recursive=False)
        observer.daemon = True
        try:
            observer.start()
        except OSError:  # inotify limits: fall back to polling
            return None
        return observer

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int:
        return int(conn.execute("PRAGMA data_version").fetchone()[0])

    def _run(self, conn: sqlite3.Connection, version: int, last: int) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self._poll_s)
                self._wake.clear()
                if self._stop.is_set():
                    break
                now = self._version(conn)
                if now == version:
                    continue
                version = now
                changes, last = self._read_commits(conn, last)
                if changes:
                    self._notify(changes)
        finally:
            conn.close()

    def _read_commits(self, conn: sqlite3.Connection, last: int) -> tuple[ChangeSet, int]:
        rows = conn.execute(
            "SELECT seq, writer, changes FROM commits WHERE seq > ? ORDER BY seq", (last,)
        ).fetchall()
        changes: ChangeSet = {}
        if rows and int(rows[0][0]) > last + 1 and last > 0:
            # We fell behind the pruning of `commits`: say "everything may have changed".
            every = conn.execute("SELECT DISTINCT app, collection FROM records").fetchall()
            cs.merge_into(changes, cs.coarse((a, c) for a, c in every))
        for seq, writer, text in rows:
            last = max(last, int(seq))
            if writer != self._own:
                cs.merge_into(changes, decode_changes(text))
        return changes, last


MAX_LISTED_IDS: Final = 200  # beyond this a commit row names only its collections


def encode_changes(changes: ChangeSet) -> str:
    out: dict[str, list[str] | None] = {}
    for (app, collection), ids in changes.items():
        key = f"{app}/{collection}"
        out[key] = sorted(ids) if ids and len(ids) <= MAX_LISTED_IDS else None
    return json.dumps(out, separators=(",", ":"))


def decode_changes(text: str) -> ChangeSet:
    try:
        raw = json.loads(text)
    except ValueError:
        return {}
    out: ChangeSet = {}
    if not isinstance(raw, dict):
        return out
    for key, ids in raw.items():
        app, _, collection = str(key).partition("/")
        out[(app, collection)] = set(ids) if isinstance(ids, list) else set()
    return out
