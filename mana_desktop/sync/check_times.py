"""When each collection's integrity check last ran, kept in the replica across processes.

Every short `mana-desktop sync --once` is a new engine; without this each one would replay
every collection (a full re-pull). The replica setting `integrity_checks` holds, per
`app/collection`, the wall-clock time of the last check (or initial pull) and a digest of the
collection's alive ids minus those with unsent changes, as the engine left them. A later
engine takes the time over only if the digest still matches before it pulls: anything that
changed the collection behind the engine's back (a restored backup, a damaged file, a
hand-edited database) makes the collection due again at once, as issue 7 wants. Local edits
are in the outbox and so do not count as such a change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping

from mana_desktop.sync.integrity import Digest
from mana_desktop.sync.ports import ReplicaLike

log = logging.getLogger(__name__)

SETTING = "integrity_checks"
# A saved time this far in the future (the clock was set back) is not trusted.
CLOCK_SLACK_S = 60.0

Key = tuple[str, str]


def digest(replica: ReplicaLike, key: Key) -> str:
    app, collection = key
    pending = {e.record_id for e in replica.outbox_pending(app) if e.collection == collection}
    return Digest.of(replica.alive_ids(app, collection) - pending).hash


def load(replica: ReplicaLike, keys: Iterable[Key], *, now_wall: float,
         interval_s: float) -> dict[Key, float]:
    """The wall-clock check times still valid for `keys`: recent enough and the collection
    unchanged since (same digest)."""
    saved = _read(replica)
    valid: dict[Key, float] = {}
    for key in keys:
        entry = saved.get(f"{key[0]}/{key[1]}")
        if not isinstance(entry, dict):
            continue
        at, hashed = entry.get("at"), entry.get("digest")
        if not isinstance(at, int | float) or not isinstance(hashed, str):
            continue
        age = now_wall - float(at)
        if -CLOCK_SLACK_S <= age < interval_s and digest(replica, key) == hashed:
            valid[key] = float(at)
    return valid


def save(replica: ReplicaLike, checked: Mapping[Key, float]) -> None:
    """Store the wall-clock check times of `checked` with the collections' digests now
    (other collections' entries are kept)."""
    if not checked:
        return
    saved = _read(replica)
    for key, at in checked.items():
        saved[f"{key[0]}/{key[1]}"] = {"at": round(at, 3), "digest": digest(replica, key)}
    replica.set_setting(SETTING, json.dumps(saved, sort_keys=True))


def _read(replica: ReplicaLike) -> dict[str, object]:
    text = replica.setting(SETTING)
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("ignoring damaged integrity check times in the replica")
        return {}
    return data if isinstance(data, dict) else {}
