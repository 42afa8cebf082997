"""SIGKILL during apply: a page and its cursor are committed together or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mana_desktop.store import Replica

CHILD = textwrap.dedent(
    """
    import sys
    from mana_desktop.store import Replica
    r = Replica.open(sys.argv[1])
    print("ready", flush=True)
    for page in range(100000):
        changes = [{"eventId": f"e-{page}-{i}", "table": "tasks", "id": f"r-{page}-{i}", "op": "insert",
                    "data": {"id": f"r-{page}-{i}", "n": i}} for i in range(50)]
        r.apply_remote("todo", changes, collection="tasks", cursor=f"{page:08d}")
        print(page, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("after_pages", [1, 5, 20])
def test_sigkill_mid_apply_leaves_pages_whole(tmp_path: Path, after_pages: int) -> None:
    path = tmp_path / "replica.db"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for _ in range(after_pages):  # the kill lands inside the next page's apply
            assert child.stdout.readline()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    with Replica.open(path) as replica:
        cursor = replica.cursor("todo", "tasks")
        pages = -1 if cursor is None else int(cursor)
        assert pages >= after_pages - 1
        assert replica.count("todo", "tasks") == 50 * (pages + 1)
        if pages >= 0:
            assert replica.get("todo", "tasks", f"r-{pages}-49") is not None
        assert replica.get("todo", "tasks", f"r-{pages + 1}-0") is None
        replay = [{"eventId": f"e-{pages}-0", "table": "tasks", "id": f"r-{pages}-0", "op": "insert",
                   "data": {"id": f"r-{pages}-0", "n": 0}}]
        if pages >= 0:  # the last committed page's event ids survived with it
            assert replica.apply_remote("todo", replay).duplicates == 1
