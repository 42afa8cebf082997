"""HTML and control characters in server-planned titles and rationales reach the inbox as data.

A mission iteration written server side (as the runner writes them) carries markup, terminal
escape sequences and control characters in its step summary, rationale and tool parameters.
After a sync, `inbox list --json` must carry the text verbatim (it is data), and the plain
`inbox list` must not pass terminal control sequences through to the user's terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mana_desktop.workbench.cli", reason="the workbench CLI has not landed")

from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine

HOSTILE = "<script>alert(1)</script><b>bold</b> \x1b[2J\x1b]0;pwned\x07 bell\x07 rtl\u202eevil\r"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MANA_DESKTOP_KEYRING="none")
    return subprocess.run([sys.executable, "-m", "mana_desktop", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


@pytest.fixture
def profile(tmp_path: Path, reference_server: RunningServer) -> Profile:
    iteration = {
        "id": "it-1", "startedAt": "2026-04-27T09:00:00.000Z", "finishedAt": "2026-04-27T09:00:00.000Z",
        "summary": HOSTILE, "overallStatus": "awaiting-review", "source": "server",
        "plan": [{"id": "it-1-0", "summary": HOSTILE, "rationale": HOSTILE, "status": "planned",
                  "intent": {"kind": "toolCall", "toolName": "create_task",
                             "params": {"title": HOSTILE}}}],
    }
    mission = {"id": "m-1", "title": HOSTILE, "objective": HOSTILE, "state": "active",
               "createdAt": "2026-04-27T08:00:00.000Z", "cadence": {"kind": "manual"},
               "iterations": [iteration]}
    reference_server.append_changes(
        "alice@example.com", "ai",
        [{"table": "aiMissions", "id": "m-1", "op": "insert", "data": mission}],
        actor={"kind": "system", "principalId": "system:mission-runner"}, origin="system",
    )
    profile = Profile(tmp_path / "profile")
    credentials = Credentials(profile)
    credentials.login(reference_server.url, "alice@example.com", "alice-password")
    replica = profile.open_replica()
    try:
        assert SyncEngine(profile, replica, credentials, live=False).run_once().ok
    finally:
        replica.close()
    return profile


def test_json_listing_keeps_the_text_verbatim(profile: Profile) -> None:
    done = _cli("inbox", "list", "--json", "--data-dir", str(profile.data_dir))
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert items, "the hostile proposal was not staged"
    item = items[0]
    assert item["rationale"] == HOSTILE
    assert item["stepSummary"] == HOSTILE
    assert item["params"]["title"] == HOSTILE


def test_plain_listing_passes_no_terminal_control_sequences(profile: Profile) -> None:
    done = _cli("inbox", "list", "--data-dir", str(profile.data_dir))
    assert done.returncode == 0, done.stderr
    assert "<script>" in done.stdout or "script" in done.stdout  # shown as text, not dropped
    found = CONTROL.findall(done.stdout)
    assert not found, f"terminal control characters reached stdout: {sorted(set(found))!r}"

