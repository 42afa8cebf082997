"""The local replica: one SQLite file per profile (WAL, one writer, a reader per thread).

Writes are serialized by a lock on one writer connection and may run on any thread except the
GUI thread; every commit reports its `ChangeSet` to subscribers on the committing thread.
Reads use a connection per thread, so the GUI can read while the engine writes.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from mana_desktop.domain import changeset as cs
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.crypto import RecordCipher
from mana_desktop.store import outbox
from mana_desktop.store.apply import apply_page, store_cursor
from mana_desktop.store.events import EventMemory
from mana_desktop.store.journal import read_journal
from mana_desktop.store.models import ApplyResult, JournalEntry, OutboxEntry, Record, StoreError
from mana_desktop.store.rows import SELECT_ONE, to_record
from mana_desktop.store.schema import migrate
from mana_desktop.store.watch import CommitWatcher, encode_changes
from mana_desktop.store.writes import WriteTx

_List = list  # the class defines a method named `list`
log = logging.getLogger(__name__)
Subscriber = Callable[[ChangeSet], None]
COMMITS_KEEP: Final = 2000  # commit rows kept for other processes' watchers


def _connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
    return conn


class Replica:
    """See docs/CONTRACTS.md ("Replica") and docs/store.md."""

    def __init__(self, path: Path, writer: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._events = EventMemory()
        self._token = uuid.uuid4().hex  # marks this instance's rows in `commits`
        self._watcher: CommitWatcher | None = None
        self._closed = False
        self.default_space_id: str | None = None
        self.cipher: RecordCipher | None = None
        self.client_id = self._ensure_client_id()
        self._events.refresh(writer)

    @classmethod
    def open(cls, path: str | Path) -> Replica:
        """Open (creating or upgrading) the replica at `path`."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = _connect(path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: not a Mana Desktop replica, or damaged ({exc}); it was left as it is"
            ) from exc
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the replica: {exc}") from exc
        try:
            writer.execute("PRAGMA journal_mode = WAL")
            migrate(writer)
            return cls(path, writer)
        except sqlite3.DatabaseError as exc:
            writer.close()
            raise StoreError(
                f"{path}: not a Mana Desktop replica, or damaged ({exc}); it was left as it is"
            ) from exc
        except BaseException:
            writer.close()
            raise

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._watcher is not None:
            self._watcher.stop()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._lock:
            self._writer.close()

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections and transactions ------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if self._closed:
            raise StoreError(f"{self.path}: the replica is closed")
        if conn is None:
            conn = _connect(self.path, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[tuple[sqlite3.Connection, ChangeSet]]:
        """One write transaction; the ChangeSet filled inside is booked and then reported."""
        changed: ChangeSet = {}
        if getattr(self._local, "writing", False):
            raise StoreError("a replica write inside another write on the same thread; use its tx")
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the replica is closed")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            self._local.writing = True
            try:
                yield conn, changed
                if changed:
                    self._book_commit(conn, changed)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already
                    conn.execute("ROLLBACK")
                self._events.forget()  # pages of this transaction were not applied
                self._events.refresh(conn)
                raise
            finally:
                self._local.writing = False
        if changed:
            self._notify(changed)

    def _book_commit(self, conn: sqlite3.Connection, changed: ChangeSet) -> None:
        cur = conn.execute(
            "INSERT INTO commits (writer, changes) VALUES (?, ?)",
            (self._token, encode_changes(changed)),
        )
        seq = cur.lastrowid or 0
        if seq % 200 == 0:
            conn.execute("DELETE FROM commits WHERE seq <= ?", (seq - COMMITS_KEEP,))

    def _ensure_client_id(self) -> str:
        row = self._writer.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()
        if row is not None:
            return str(row[0])
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('client_id', ?)", (str(uuid.uuid4()),)
            )
            conn.execute("COMMIT")
            return str(conn.execute("SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0])

    def setting(self, key: str) -> str | None:
        """A replica-level setting (the `meta` table; e.g. the owning account's user id)."""
        row = self._reader().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str | None) -> None:
        """Store (or with None remove) a replica-level setting. `client_id` is not settable."""
        if key == "client_id":
            raise StoreError("client_id is fixed for the life of the replica")
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                if value is None:
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                 (key, value))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # -- reads -----------------------------------------------------------------------------
    def get(self, app: str, collection: str, record_id: str) -> Record | None:
        row = self._reader().execute(SELECT_ONE, (app, collection, record_id)).fetchone()
        return None if row is None else to_record(app, collection, record_id, *row)

    def list(self, app: str, collection: str, include_deleted: bool = False) -> _List[Record]:
        sql = "SELECT id, data, meta, deleted_at FROM records WHERE app = ? AND collection = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        rows = self._reader().execute(sql + " ORDER BY id", (app, collection))
        return [to_record(app, collection, *row) for row in rows]

    def alive_ids(self, app: str, collection: str) -> set[str]:
        """The ids of a collection's records that are not deleted (no data parsed)."""
        rows = self._reader().execute(
            "SELECT id FROM records WHERE app = ? AND collection = ? AND deleted_at IS NULL",
            (app, collection))
        return {str(row[0]) for row in rows}

    def count(self, app: str | None = None, collection: str | None = None) -> int:
        sql, params = "SELECT count(*) FROM records", []
        if app is not None:
            sql += " WHERE app = ?" + (" AND collection = ?" if collection is not None else "")
            params = [app] + ([collection] if collection is not None else [])
        return int(self._reader().execute(sql, params).fetchone()[0])

    def iter_all(self) -> Iterator[Record]:
        """Every record, tombstones included, in key order (for export)."""
        rows = self._reader().execute(
            "SELECT app, collection, id, data, meta, deleted_at FROM records ORDER BY app, collection, id"
        )
        for row in rows:
            yield to_record(*row)

    def collections(self) -> _List[tuple[str, str]]:
        rows = self._reader().execute("SELECT DISTINCT app, collection FROM records ORDER BY 1, 2")
        return [(a, c) for a, c in rows]

    def cursor(self, app: str, collection: str) -> str | None:
        row = self._reader().execute(
            "SELECT cursor FROM cursors WHERE app = ? AND collection = ?", (app, collection)
        ).fetchone()
        return None if row is None else str(row[0])

    def cursors(self) -> dict[tuple[str, str], str]:
        rows = self._reader().execute("SELECT app, collection, cursor FROM cursors")
        return {(a, c): cur for a, c, cur in rows}

    def outbox_pending(self, app: str | None = None) -> _List[OutboxEntry]:
        return outbox.pending(self._reader(), app)

    def pending_count(self) -> int:
        return outbox.stats(self._reader())[0]

    def oldest_pending_at(self) -> str | None:
        return outbox.stats(self._reader())[1]

    def quarantined(self) -> _List[OutboxEntry]:
        return outbox.quarantined(self._reader())

    def journal(self, limit: int = 200, kind: str | None = None) -> _List[JournalEntry]:
        return read_journal(self._reader(), limit, kind)

    # -- writes ----------------------------------------------------------------------------
    def apply_remote(
        self,
        app: str,
        changes: Iterable[Any],
        *,
        collection: str | None = None,
        cursor: str | None = None,
        event_dedup: bool = True,
    ) -> ApplyResult:
        """Apply a page of server changes (and its cursor) in one transaction."""
        with self._transaction() as (conn, changed):
            if event_dedup:
                self._events.refresh(conn)
            result = apply_page(
                conn, app, changes, collection=collection, cursor=cursor,
                events=self._events if event_dedup else None,
            )
            cs.merge_into(changed, result.changed)
        return result

    def set_cursor(self, app: str, collection: str, cursor: str) -> None:
        with self._transaction() as (conn, _):
            store_cursor(conn, app, collection, cursor)

    @contextlib.contextmanager
    def write(self, group: str | None = None, hold_s: float = 0.0) -> Iterator[WriteTx]:
        """One local transaction: `tx.insert/update/soft_delete`, `tx.conn` for own tables."""
        with self._transaction() as (conn, changed):
            tx = WriteTx(conn, group, hold_s, self.default_space_id, self.cipher)
            yield tx
            tx.finish()
            cs.merge_into(changed, tx.changed)

    def set_cipher(self, cipher: RecordCipher | None) -> None:
        """Seal local writes with the user's `RecordCipher` from now on (None: plaintext).

        Reads never decrypt (ciphertext at rest, like the webapp's IndexedDB); remote changes
        are stored as they arrive. A write that needs sealing while the vault is locked
        raises `VaultLockedError` out of `write()`, and nothing of it is kept."""
        self.cipher = cipher

    def undo_group(self, group: str) -> ChangeSet:
        """Restore what `group` changed; raises UndoExpired once any of it was sent."""
        with self._transaction() as (conn, changed):
            cs.merge_into(changed, outbox.undo_group(conn, group))
        return changed

    def release_group(self, group: str) -> None:
        with self._transaction() as (conn, _):
            outbox.release_group(conn, group)

    def outbox_batch(
        self, app: str, limit: int = 200, now: str | datetime | None = None
    ) -> _List[OutboxEntry]:
        with self._transaction() as (conn, _):
            return outbox.batch(conn, app, limit, now)

    def outbox_ack(self, ids: Iterable[int]) -> None:
        with self._transaction() as (conn, _):
            outbox.ack(conn, _List(ids))

    def outbox_quarantine(self, ids: Iterable[int], reason: str) -> None:
        with self._transaction() as (conn, _):
            outbox.quarantine(conn, _List(ids), reason)

    def outbox_requeue(self, ids: Iterable[int]) -> None:
        with self._transaction() as (conn, _):
            outbox.requeue(conn, _List(ids))

    def outbox_discard(self, ids: Iterable[int]) -> None:
        with self._transaction() as (conn, _):
            outbox.discard(conn, _List(ids))

    def log(self, kind: str, reason: str, **detail: Any) -> None:
        """A journal entry outside any other write (engine errors, 402 pauses, ...)."""
        with self.write() as tx:
            tx.journal(kind, reason, **detail)

    # -- change notifications --------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(changes)` after every commit, ours or another process's."""
        with self._lock:
            self._subscribers.append(callback)
            if self._watcher is None and not self._closed:
                self._watcher = CommitWatcher(
                    self.path, self._token, lambda: _connect(self.path, readonly=True), self._notify
                )
                self._watcher.start()

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, changes: ChangeSet) -> None:
        """Tell every subscriber; one that raises is logged and does not stop the others
        (the commit already happened, so the writer must not see its error)."""
        for callback in _List(self._subscribers):
            try:
                callback({key: set(ids) for key, ids in changes.items()})
            except Exception:
                log.exception("replica subscriber %r failed", callback)


