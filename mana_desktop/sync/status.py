"""The one status object the CLI and the GUI read (docs/CONTRACTS.md "Sync engine").

`SyncStatus` is an immutable snapshot; `StatusBoard` holds the current one, replaces it under a
lock and tells subscribers (on the engine thread; the GUI bridge re-emits it as a queued
signal). Timestamps are ISO strings in the client wire shape so the snapshot is JSON as is.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

State = Literal["idle", "syncing", "offline", "error", "signed-out", "paused"]
STATES: tuple[State, ...] = ("idle", "syncing", "offline", "error", "signed-out", "paused")


@dataclass(frozen=True)
class SyncStatus:
    state: State = "idle"
    pending: int = 0
    oldest_pending_at: str | None = None
    last_pull_at: str | None = None
    last_push_at: str | None = None
    # "app/collection" -> the server cursor (syncedUntil) stored for it.
    cursors: Mapping[str, str] = field(default_factory=dict)
    last_error: str | None = None
    # Share of a long initial sync done, 0..1; None when no initial sync is running.
    progress: float | None = None
    paused_message: str | None = None
    retry_at: str | None = None
    # Server clock minus ours, in seconds (positive: the server is ahead).
    clock_skew_s: float | None = None
    # Set while |clock_skew_s| is above 60 s: a sentence for people (GUI, `status`).
    clock_warning: str | None = None
    # Extensions (CONTRACTS.md): changes the server refused, the account, "Work offline".
    quarantined: int = 0
    account: str | None = None
    work_offline: bool = False
    # Outbox entries held back because they need the locked vault's key (never sent plain).
    waiting_for_key: int = 0
    # Held back because their Space is unknown until the Spaces load (never sealed blindly).
    waiting_for_spaces: int = 0

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["cursors"] = dict(self.cursors)
        return data

    def describe(self) -> str:
        """One line for people (the CLI's `status` and `sync` output)."""
        parts: list[str] = [self.state]
        if self.progress is not None:
            parts.append(f"{self.progress * 100:.0f}%")
        parts.append(f"{self.pending} pending")
        if self.quarantined:
            parts.append(f"{self.quarantined} quarantined")
        if self.waiting_for_key:
            parts.append(f"{self.waiting_for_key} waiting for the encryption key")
        if self.waiting_for_spaces:
            parts.append(f"{self.waiting_for_spaces} waiting for the account's Spaces")
        if self.paused_message and self.state == "paused":
            parts.append(f"paused: {self.paused_message}")
        if self.last_error and self.state in ("error", "offline", "signed-out"):
            parts.append(f"error: {self.last_error}")
        if self.retry_at and self.state in ("error", "offline"):
            parts.append(f"retry at {self.retry_at}")
        if self.clock_warning:
            parts.append(f"warning: {self.clock_warning}")
        return ", ".join(parts)


def clock_warning(skew_s: float | None, limit_s: float) -> str | None:
    """The warning for a clock skew beyond `limit_s` (None when within it or unknown)."""
    if skew_s is None or abs(skew_s) <= limit_s:
        return None
    side = "ahead of" if skew_s > 0 else "behind"
    return (f"clock skew: the server's clock is {abs(skew_s):.0f} s {side} this computer's "
            f"(check the system clock)")


StatusCallback = Callable[[SyncStatus], None]


class StatusBoard:
    """Holds the current SyncStatus; thread-safe; notifies subscribers of each change."""

    def __init__(self, initial: SyncStatus | None = None) -> None:
        self._status = initial or SyncStatus()
        self._lock = threading.Lock()
        self._subscribers: list[StatusCallback] = []

    @property
    def current(self) -> SyncStatus:
        return self._status

    def update(self, **changes: Any) -> SyncStatus:
        with self._lock:
            new = dataclasses.replace(self._status, **changes)
            if new == self._status:
                return new
            self._status = new
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(new)
        return new

    def subscribe(self, callback: StatusCallback) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe
