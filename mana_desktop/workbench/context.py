"""What every workbench service shares: the replica, settings, a clock, read connections.

The workbench reads its own tables through per-thread read connections of its own (WAL lets
them read while a writer works) and writes only inside the replica's write transaction
(`tx.conn`), so proposal rows commit atomically with the records and outbox entries they
belong to.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mana_desktop.domain.actor import Actor, user_actor
from mana_desktop.domain.changeset import ChangeSet
from mana_desktop.domain.crypto import LockedValue
from mana_desktop.domain.mission import MISSIONS_APP, MISSIONS_COLLECTION
from mana_desktop.domain.tools import policy_for
from mana_desktop.store.replica import Replica
from mana_desktop.workbench.messages import say
from mana_desktop.workbench.schema import INDEXES, TABLES, ensure_schema, missing_columns


class DecisionError(Exception):
    """A decision that cannot be made; the message is for people."""


@dataclass(frozen=True)
class Decision:
    group: str
    proposal_ids: tuple[str, ...]
    changed: ChangeSet
    undo_until: float  # wall-clock seconds (time.time()); pushes wait until then
    errors: Mapping[str, str] | None = None  # per proposal, when part of a batch failed


class Context:
    def __init__(
        self,
        replica: Replica,
        settings: Any,
        clock: Callable[[], datetime] | None = None,
        cipher: Any = None,
    ) -> None:
        self.replica = replica
        self.settings = settings
        self.cipher = cipher  # domain.crypto.RecordCipher, or None (no vault: plaintext)
        self.clock = clock or (lambda: datetime.now(UTC))
        self._local = threading.local()
        self._schema_ready = False
        self._schema_lock = threading.Lock()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    # --- settings ---------------------------------------------------------------------------
    def setting(self, name: str, default: Any) -> Any:
        value = getattr(self.settings, name, default) if self.settings is not None else default
        return default if value is None else value

    @property
    def lang(self) -> str:
        return str(self.setting("language", "en"))[:2]

    @property
    def undo_window_s(self) -> float:
        return float(self.setting("undo_window_s", 8.0))

    def policy(self, tool_name: str) -> str:
        overrides = self.setting("tool_policies", {})
        return policy_for(tool_name, overrides if isinstance(overrides, dict) else {})

    def user(self) -> Actor:
        return user_actor(self.setting("user_id", None), self.setting("display_name", None))

    def now(self) -> datetime:
        return self.clock()

    @staticmethod
    def wall() -> float:
        return time.time()

    # --- encryption (docs/encryption.md, "Workbench") ---------------------------------------
    def reveal(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A record's data for display and staging (lock markers where it cannot be opened)."""
        return dict(self.cipher.reveal(data)) if self.cipher is not None else dict(data)

    def reveal_text(self, value: object) -> str:
        """One stored value as text for people (envelopes opened, a lock when they can't be)."""
        if self.cipher is None or not isinstance(value, str):
            return "" if value is None else str(value)
        shown = self.cipher.reveal({"v": value}).get("v")
        if isinstance(shown, LockedValue):  # in the person's language, never the envelope
            template = "🔒 locked" if shown.reason == "locked" else "🔒 can't be decrypted"
            return say(self.lang, template)
        return shown if isinstance(shown, str) else str(shown)

    def reveal_strict(self, collection: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """What tool builders read: plaintext or an error, never a lock marker."""
        if self.cipher is None:
            return dict(data)
        return dict(self.cipher.reveal_strict(collection, data))

    # --- database ---------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            if self._schema_ready:
                return
            if not self._has_tables():
                with self.replica.write() as tx:
                    ensure_schema(tx.conn)
            self._schema_ready = True

    def _has_tables(self) -> bool:
        names = {
            name
            for (name,) in self.read().execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
            )
        }
        return names.issuperset((*TABLES, *INDEXES)) and not missing_columns(self.read())

    def read(self) -> sqlite3.Connection:
        """This thread's read connection (autocommit: every query sees the latest commit)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            path = Path(self.replica.path)
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout = 5000")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        """Close every read connection this workbench opened (on any thread)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._local = threading.local()

    def mission_data(self, mission_id: str) -> tuple[dict[str, Any], str | None] | None:
        record = self.replica.get(MISSIONS_APP, MISSIONS_COLLECTION, mission_id)
        if record is None:
            return None
        return dict(record.data), record.deleted_at
