"""Where the mission runner reads and writes: the server's change log.

`MissionLog` is what the runner needs (users with missions, one user's rows, a server-side
append); `ServiceLog` implements it over the reference server's `SyncService`: reads go straight
to its SQLite store (one user's own rows only, every client's), writes go through
`append_changes`, which validates like a push and wakes live subscribers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from mana_desktop.domain.timeutil import EPOCH
from mana_desktop.server.runner_replay import LogRow, decode_json_object, field_instants

MISSIONS_APP = "ai"
MISSIONS_TABLE = "aiMissions"
RUNNER_CLIENT_ID = "mana-ai-runner"
# Store.read always excludes one client id; no client can be named this (a push may carry "").
READ_ALL = "\x00mission-runner-reads-all"


class MissionLog(Protocol):
    """What the runner needs from the server: read one user's rows, append as a writer."""

    def user_ids(self, app: str, table: str) -> list[str]: ...

    def rows(self, user_id: str, app: str, table: str) -> Iterable[LogRow]: ...

    def append(
        self,
        user_id: str,
        app: str,
        changes: list[dict[str, Any]],
        *,
        client_id: str,
        actor: dict[str, Any],
        origin: str,
    ) -> list[str]: ...


class ServiceLog:
    """`MissionLog` over the reference server's `SyncService` (its store and append_changes)."""

    PAGE = 1000

    def __init__(self, service: Any) -> None:
        self.service = service
        self._seen_rowid: int | None = self._max_rowid()

    def _max_rowid(self) -> int:
        conn = self.service.store.reader()
        return int(conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM sync_changes").fetchone()[0])

    def missions_changed(self) -> bool:
        """True when missions were written by anyone but the runner since the last call.

        Reads only the rows appended since then (a rowid range), so it is cheap at any log size.
        """
        conn = self.service.store.reader()
        if self._seen_rowid is None:
            self._seen_rowid = self._max_rowid()
            return False
        row = conn.execute(
            "SELECT MAX(rowid), MAX(app_id = ? AND table_name = ? AND client_id != ?)"
            " FROM sync_changes WHERE rowid > ?",
            (MISSIONS_APP, MISSIONS_TABLE, RUNNER_CLIENT_ID, self._seen_rowid),
        ).fetchone()
        if row[0] is None:
            return False
        self._seen_rowid = int(row[0])
        return bool(row[1])

    def user_ids(self, app: str, table: str) -> list[str]:
        conn = self.service.store.reader()
        rows = conn.execute(
            "SELECT DISTINCT user_id FROM sync_changes WHERE app_id = ? AND table_name = ?"
            " ORDER BY user_id",
            (app, table),
        ).fetchall()
        return [str(r[0]) for r in rows]

    def rows(self, user_id: str, app: str, table: str) -> Iterable[LogRow]:
        from mana_desktop.server.store import Scope  # server internals stay out of imports

        since = 0
        while True:
            # Only the user's own rows: a Space member's missions are theirs to plan.
            page = self.service.store.read(
                Scope(user_id),
                app,
                since=since,
                exclude_client=READ_ALL,
                limit=self.PAGE,
                table=table,
            )
            for row in page.rows:
                yield stored_to_log_row(row)
            if not page.has_more:
                return
            since = page.until

    def append(
        self,
        user_id: str,
        app: str,
        changes: list[dict[str, Any]],
        *,
        client_id: str,
        actor: dict[str, Any],
        origin: str,
    ) -> list[str]:
        ids: list[str] = self.service.append_changes(
            user_id, app, changes, client_id=client_id, actor=actor, origin=origin
        )
        return ids


def stored_to_log_row(row: Sequence[Any]) -> LogRow:
    """A `Store.read` row: (id, table, record_id, op, data, field_meta, created_at µs, ...)."""
    created = EPOCH + timedelta(microseconds=int(row[6]))
    return LogRow(
        record_id=str(row[2]),
        op=str(row[3]),
        data=decode_json_object(row[4]),
        field_at=field_instants(decode_json_object(row[5])),
        created_at=created,
    )
