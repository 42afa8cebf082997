"""The unit of change every write reports and every view refreshes by.

A `ChangeSet` maps `(app, collection)` to the ids of the records a write touched. An empty id
set is the coarse form: "anything in this collection may have changed" (used when another
process committed and the exact ids are unknown, or a write touched too many to list).
"""

from __future__ import annotations

from collections.abc import Iterable

CollectionKey = tuple[str, str]
ChangeSet = dict[CollectionKey, set[str]]


def merge_into(target: ChangeSet, other: ChangeSet) -> ChangeSet:
    """Add `other` to `target` in place (coarse wins over ids) and return `target`."""
    for key, ids in other.items():
        current = target.get(key)
        if current is None:
            target[key] = set(ids)
        elif not current or not ids:
            current.clear()  # coarse: the whole collection
        else:
            current.update(ids)
    return target


def add(target: ChangeSet, app: str, collection: str, record_id: str) -> None:
    """Record one changed record (keeps a coarse entry coarse)."""
    ids = target.get((app, collection))
    if ids is None:
        target[(app, collection)] = {record_id}
    elif ids:
        ids.add(record_id)


def coarse(keys: Iterable[CollectionKey]) -> ChangeSet:
    """A change set that says "these whole collections" without ids."""
    return {key: set() for key in keys}


def is_coarse(changes: ChangeSet, key: CollectionKey) -> bool:
    """True when `key` is present without ids (every record may have changed)."""
    ids = changes.get(key)
    return ids is not None and not ids


def touches(changes: ChangeSet, app: str, collection: str, record_id: str) -> bool:
    """Whether a change set covers one record (directly or through a coarse entry)."""
    ids = changes.get((app, collection))
    return ids is not None and (not ids or record_id in ids)
