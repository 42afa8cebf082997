"""What one sync cycle (or `SyncEngine.run_once`) did."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SyncReport:
    pulled: int = 0  # changes applied from pulls
    from_push: int = 0  # serverChanges of push responses applied
    duplicates: int = 0
    dropped: int = 0
    pushed: int = 0
    quarantined: int = 0
    repaired: int = 0  # records the integrity check found drifted and re-pulled
    requests: int = 0
    waiting: int = 0  # outbox entries held back until the vault is unlocked
    waiting_spaces: int = 0  # held back until the account's Spaces have loaded
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    state: str = "idle"

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = (f"pulled {self.pulled}, pushed {self.pushed}, quarantined {self.quarantined}, "
                f"{self.requests} requests in {self.duration_s:.2f} s")
        if self.waiting:
            text += f", {self.waiting} waiting for the encryption key"
        if self.waiting_spaces:
            text += f", {self.waiting_spaces} waiting for the account's Spaces"
        if self.repaired:
            text += f", repaired {self.repaired} drifted record(s)"
        return text + (f"; errors: {'; '.join(self.errors)}" if self.errors else "")
