"""The server's SQLite file: the append-only `sync_changes` log plus accounts.

Columns and indexes mirror upstream HEAD's Postgres DDL (sync-protocol.md §5.1). Differences
that SQLite forces or that fix findings: `created_at` is INTEGER microseconds since the epoch
(from `StampClock`, strictly increasing per row), JSON columns hold compact JSON text, and
reads order by `(created_at, rowid)` so pages are deterministic.

One writer connection (serialized by a lock) and one read connection per thread; WAL mode
lets readers run while a push commits.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mana_desktop.server.clock import StampClock

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_changes (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  table_name TEXT NOT NULL,
  record_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  data TEXT,
  field_meta TEXT DEFAULT '{}',
  client_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  schema_version INTEGER NOT NULL DEFAULT 1,
  actor TEXT,
  origin TEXT,
  space_id TEXT
);
CREATE INDEX IF NOT EXISTS idx_sync_changes_user_app
  ON sync_changes (user_id, app_id, created_at);
CREATE INDEX IF NOT EXISTS idx_sync_changes_table_record
  ON sync_changes (table_name, record_id, created_at);
CREATE INDEX IF NOT EXISTS idx_sync_changes_since
  ON sync_changes (user_id, app_id, table_name, created_at);
CREATE INDEX IF NOT EXISTS idx_sync_changes_user_space_app_since
  ON sync_changes (user_id, space_id, app_id, created_at) WHERE space_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_sync_changes_space_app_since
  ON sync_changes (space_id, app_id, created_at) WHERE space_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  sync_active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
  user_id TEXT NOT NULL,
  space_id TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'member',
  PRIMARY KEY (user_id, space_id)
);
"""

INSERT_SQL = (
    "INSERT INTO sync_changes (id, app_id, table_name, record_id, user_id, op, data, field_meta,"
    " client_id, created_at, schema_version, actor, origin, space_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

READ_COLUMNS = (
    "id, table_name, record_id, op, data, field_meta, created_at, schema_version, actor,"
    " origin, space_id"
)
# Every read ends its rows with these two, whatever it selects before them.
_ORDER_COLUMNS = "created_at AS stamp, rowid AS seq"


def new_event_ids(count: int) -> list[str]:
    """UUIDv7 strings: random like upstream's gen_random_uuid() for clients, but time-ordered,
    so the primary-key B-tree grows at its right edge instead of splitting pages everywhere."""
    prefix = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76
    entropy = os.urandom(10 * count)
    ids = []
    for i in range(count):
        chunk = int.from_bytes(entropy[10 * i : 10 * i + 10])
        value = prefix | (chunk >> 68) << 64 | 0b10 << 62 | (chunk & ((1 << 62) - 1))
        h = f"{value:032x}"
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


@dataclass(frozen=True, slots=True)
class PendingRow:
    """A validated change ready to store (JSON columns already encoded)."""

    table: str
    record_id: str
    op: str
    data: str | None
    field_meta: str
    schema_version: int
    actor: str | None
    origin: str | None
    space_id: str | None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[tuple[object, ...]]
    has_more: bool
    until: int  # microseconds: the cursor the client may store after this page


@dataclass(frozen=True, slots=True)
class JoinedPage:
    """A page whose rows SQLite already joined: `text` is the rendered changes separated by
    commas; a row the SQL could not render is `NUL <rowid> NUL` (raw NUL never occurs in
    JSON text, which escapes control characters)."""

    text: str
    has_more: bool
    until: int


@dataclass(frozen=True, slots=True)
class Scope:
    """Who reads: the user's own rows plus rows stamped with one of their spaces."""

    user_id: str
    spaces: tuple[str, ...] = ()


class Store:
    """Owns the SQLite file. Thread-safe."""

    def __init__(self, path: Path) -> None:
        if str(path) == ":memory:":
            raise ValueError("the server database must be a file (':memory:' would lose data)")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._readers: dict[threading.Thread, sqlite3.Connection] = {}
        self._readers_lock = threading.Lock()
        self._writer = self._connect()
        try:
            self._writer.executescript(SCHEMA)
            last = self._writer.execute("SELECT COALESCE(MAX(created_at), 0) FROM sync_changes")
            # Restarting after the newest row keeps stamps increasing even if the clock stepped back.
            self.clock = StampClock(int(last.fetchone()[0]))
        except BaseException:
            self._writer.close()
            raise
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL survives process crashes; only an OS crash can lose the last commits.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
            # A bigger page cache keeps the five index B-trees hot while pushes stream in, and
            # fewer, larger checkpoints write each hot page once instead of again and again.
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA wal_autocheckpoint=8192")
        except BaseException:
            conn.close()
            raise
        return conn

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The writer connection inside one IMMEDIATE transaction (commit or roll back)."""
        with self._write_lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reader(self) -> sqlite3.Connection:
        """This thread's read connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._close_orphans()
                self._readers[threading.current_thread()] = conn
        return conn

    def _close_orphans(self) -> None:
        # The server's worker threads come and go; each one that ended leaves a connection
        # (and its page cache) nobody can use any more.
        for thread in [t for t in self._readers if not t.is_alive()]:
            self._readers.pop(thread).close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._readers_lock:
            for conn in self._readers.values():
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

    # -- the change log ----------------------------------------------------------------

    def append(
        self, user_id: str, app_id: str, client_id: str, rows: Sequence[PendingRow]
    ) -> tuple[list[str], int]:
        """Store the rows in one transaction; returns their event ids and the first stamp."""
        if not rows:
            return [], 0
        ids = new_event_ids(len(rows))
        with self._write_lock:
            first = self.clock.issue(len(rows))
            try:
                values = [
                    (
                        event_id,
                        app_id,
                        r.table,
                        r.record_id,
                        user_id,
                        r.op,
                        r.data,
                        r.field_meta,
                        client_id,
                        first + i,
                        r.schema_version,
                        r.actor,
                        r.origin,
                        r.space_id,
                    )
                    for i, (event_id, r) in enumerate(zip(ids, rows, strict=True))
                ]
                conn = self._writer
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(INSERT_SQL, values)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                self.clock.done(first)
        return ids, first

    def read(
        self,
        scope: Scope,
        app_id: str,
        *,
        since: int,
        exclude_client: str,
        limit: int,
        table: str | None = None,
        select: str = READ_COLUMNS,
    ) -> Page:
        """Rows after `since` (exclusive), oldest first, at most `limit` plus the rest of a run
        of equal `created_at` at the page end (so a timestamp cursor never skips a row).

        Each row is `select`'s columns (default `READ_COLUMNS`) followed by created_at and
        rowid."""
        horizon = self.clock.horizon()
        query = _Query(scope, app_id, table, exclude_client, select)
        conn = self.reader()
        rows: list[tuple[object, ...]] = query.run(
            conn,
            "created_at > ? AND created_at <= ?",
            [since, horizon],
            "ORDER BY stamp, seq LIMIT ?",
            [limit + 1],
        )
        if len(rows) <= limit:
            return Page(rows, False, horizon)
        boundary = rows[limit - 1][-2]
        page = rows[:limit]
        if rows[limit][-2] == boundary:
            # Finish the run of equal stamps, then look past it for more.
            page.extend(
                query.run(
                    conn,
                    "created_at = ? AND rowid > ?",
                    [boundary, page[-1][-1]],
                    "ORDER BY seq",
                    [],
                )
            )
            more = query.run(
                conn, "created_at > ? AND created_at <= ?", [boundary, horizon], "LIMIT 1", []
            )
            if not more:
                return Page(page, False, horizon)
        assert isinstance(boundary, int)
        return Page(page, True, boundary)

    def read_joined(
        self,
        scope: Scope,
        app_id: str,
        *,
        table: str,
        since: int,
        exclude_client: str,
        limit: int,
        select: str,
    ) -> JoinedPage:
        """The page `read` returns, with each row's `select` (a text expression, NULL for a
        row left to Python) joined by SQLite in one aggregate: no Python object per row,
        and the whole page is built with the GIL released.

        The page is every row in (since, cut]: cut = the `limit`-th row's stamp when a row
        follows it, else the horizon. That is `read`'s page: a run of equal stamps at the
        end is finished, and rows after the cut have a larger stamp."""
        horizon = self.clock.horizon()
        conn = self.reader()
        keys = _Query(scope, app_id, table, exclude_client, "NULL")
        within = "created_at > ? AND created_at <= ?"
        # The limit-th and the next row, found on the index alone.
        edge = keys.run(
            conn, within, [since, horizon], "ORDER BY stamp, seq LIMIT 2 OFFSET ?", [limit - 1]
        )
        cut, has_more = horizon, False
        if len(edge) == 2:
            boundary, after = edge[0][-2], edge[1][-2]
            assert isinstance(boundary, int)
            cut = boundary
            has_more = after != boundary or bool(
                keys.run(conn, within, [boundary, horizon], "LIMIT 1", [])
            )
        rows = _Query(scope, app_id, table, exclude_client, f"{select} AS change")
        text = rows.joined(conn, within, [since, cut])
        return JoinedPage(text, has_more, cut if has_more else horizon)

    def rows_by_seq(self, seqs: list[object]) -> dict[object, tuple[object, ...]]:
        """Rows (READ_COLUMNS, stamp, seq) by rowid."""
        marks = ",".join("?" * len(seqs))
        rows = (
            self.reader()
            .execute(
                f"SELECT {READ_COLUMNS}, {_ORDER_COLUMNS} FROM sync_changes WHERE rowid IN ({marks})",
                seqs,
            )
            .fetchall()
        )
        return {row[-1]: row for row in rows}


class _Query:
    """The read scope as SQL: the user's rows, UNION ALL the rows of their spaces written by
    others. Two index-friendly arms instead of one `user_id = ? OR space_id IN (...)`, which
    SQLite can only answer by scanning the whole table."""

    def __init__(
        self, scope: Scope, app_id: str, table: str | None, exclude_client: str, select: str
    ) -> None:
        self.select = f"{select}, {_ORDER_COLUMNS}"
        common = "app_id = ?" + (" AND table_name = ?" if table is not None else "")
        common += " AND client_id != ?"
        common_params: list[object] = [
            app_id,
            *([table] if table is not None else []),
            exclude_client,
        ]
        self.arms: list[tuple[str, list[object]]] = [
            (f"user_id = ? AND {common}", [scope.user_id, *common_params])
        ]
        if scope.spaces:
            marks = ",".join("?" * len(scope.spaces))
            self.arms.append(
                (
                    f"space_id IN ({marks}) AND user_id != ? AND {common}",
                    [*scope.spaces, scope.user_id, *common_params],
                )
            )

    def joined(
        self, conn: sqlite3.Connection, condition: str, condition_params: list[object]
    ) -> str:
        """Every matching row's `change` column in (stamp, seq) order, joined by commas
        (NULLs as `NUL rowid NUL`), computed in one aggregate."""
        inner, params = self._union(condition, condition_params)
        # The ORDER BY of a FROM subquery feeding group_concat is kept by SQLite (the
        # omit-ORDER-BY rule excludes aggregates other than count/min/max); the LIMIT -1
        # (no limit) keeps it under that rule's first exception too.
        sql = (
            "SELECT group_concat(coalesce(change, char(0) || seq || char(0)), ',')"
            f" FROM ({inner} ORDER BY stamp, seq LIMIT -1)"
        )
        row = conn.execute(sql, params).fetchone()
        return "" if row is None or row[0] is None else str(row[0])

    def _union(self, condition: str, condition_params: list[object]) -> tuple[str, list[object]]:
        selects = []
        params: list[object] = []
        for where, where_params in self.arms:
            selects.append(f"SELECT {self.select} FROM sync_changes WHERE {where} AND {condition}")
            params.extend(where_params)
            params.extend(condition_params)
        return " UNION ALL ".join(selects), params

    def run(
        self,
        conn: sqlite3.Connection,
        condition: str,
        condition_params: list[object],
        tail: str,
        tail_params: list[object],
    ) -> list[tuple[object, ...]]:
        union, params = self._union(condition, condition_params)
        return conn.execute(f"{union} {tail}", (*params, *tail_params)).fetchall()
