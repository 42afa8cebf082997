"""The local replica store (see docs/store.md and the "Replica" section of docs/CONTRACTS.md)."""

from mana_desktop.store.models import (
    ApplyResult,
    Conflict,
    JournalEntry,
    OutboxEntry,
    Record,
    StoreError,
    UndoExpired,
)
from mana_desktop.store.replica import Replica
from mana_desktop.store.schema import SchemaError

__all__ = [
    "ApplyResult",
    "Conflict",
    "JournalEntry",
    "OutboxEntry",
    "Record",
    "Replica",
    "SchemaError",
    "StoreError",
    "UndoExpired",
]
