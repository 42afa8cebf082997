"""Concurrent writers and a cursor-following reader: nothing skipped, nothing twice (F2)."""

from __future__ import annotations

import threading
from collections import Counter

import httpx

from mana_desktop.server.testing import RunningServer
from tests.server.helpers import ALICE, EPOCH, insert, pull, push

WRITERS = 3
BATCHES = 25
PER_BATCH = 20


def test_reader_following_cursors_sees_every_row_once(reference_server: RunningServer) -> None:
    done = threading.Event()
    errors: list[BaseException] = []
    seen: Counter[str] = Counter()

    def writer(index: int) -> None:
        try:
            with httpx.Client(base_url=reference_server.url, timeout=30) as client:
                for batch in range(BATCHES):
                    rows = [insert(f"w{index}-{batch}-{i}") for i in range(PER_BATCH)]
                    assert (
                        push(client, reference_server, rows, client_id=f"w{index}").status_code
                        == 200
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def server_writer() -> None:
        try:
            for batch in range(BATCHES):
                reference_server.append_changes(
                    ALICE, "todo", [insert(f"srv-{batch}-{i}") for i in range(PER_BATCH)]
                )
        except BaseException as exc:
            errors.append(exc)

    def read_until_done() -> None:
        cursor = EPOCH
        with httpx.Client(base_url=reference_server.url, timeout=30) as client:
            while True:
                finished = done.is_set()  # read once more after the writers stop
                body = pull(client, reference_server, since=cursor, client_id="reader").json()
                seen.update(c["id"] for c in body["serverChanges"])
                cursor = body["syncedUntil"]
                if finished and not body.get("hasMore"):
                    return

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    threads.append(threading.Thread(target=server_writer))
    reader = threading.Thread(target=read_until_done)
    reader.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    reader.join(60)
    assert not errors
    assert not reader.is_alive()
    expected = (WRITERS + 1) * BATCHES * PER_BATCH
    assert len(seen) == expected
    assert max(seen.values()) == 1
