"""Encrypted fields end to end: the demo's vault, seeded envelopes, desktop writes <-> webapp.

The demo user has a master key in the embedded server's vault; the desktop unlocks it over
HTTP as the webapp does, decrypts what was seeded, and what it writes reaches the server as
`enc:1:` ciphertext in exactly the registry's fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mana_desktop.demo.session import DemoSession
from mana_desktop.domain.crypto import (
    MasterKey,
    RecordCipher,
    VaultLockedError,
    decrypt_value,
    encrypt_record,
    is_envelope,
)
from mana_desktop.domain.crypto_registry import encrypted_fields
from mana_desktop.domain.timeutil import utc_now
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine
from mana_desktop.sync.vault import VaultClient, VaultState
from mana_desktop.workbench.service import Workbench
from tests.e2e.test_demo_loop import server_missions, server_rows


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoSession]:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    with DemoSession.start(tmp_path / "demo", run_runner=False) as demo:
        yield demo


class Desktop:
    def __init__(self, session: DemoSession) -> None:
        profile = Profile(session.profile_dir)
        credentials = Credentials(profile)
        account = credentials.account()
        assert account is not None
        self.vault = VaultClient(account.auth_url, credentials.access_token,
                                 refresh_token=credentials.refresh)
        self.replica = profile.open_replica()
        self.cipher = RecordCipher(account.user_id, lambda: self.vault.key)
        self.replica.set_cipher(self.cipher)
        self.engine = SyncEngine(profile, self.replica, credentials, live=False)
        self.workbench = Workbench(self.replica, profile.load_settings(), cipher=self.cipher)

    @property
    def key(self) -> MasterKey:
        assert self.vault.key is not None
        return self.vault.key


@pytest.fixture
def desktop(session: DemoSession) -> Iterator[Desktop]:
    client = Desktop(session)
    yield client
    client.workbench.close()
    client.replica.close()


def test_seeded_missions_are_ciphertext_and_the_desktop_reads_them(
    session: DemoSession, desktop: Desktop
) -> None:
    review = server_missions(session)["demo-weekly-review"]
    assert all(is_envelope(review[f]) for f in ("title", "objective"))
    assert desktop.vault.unlock() == VaultState.UNLOCKED
    assert desktop.engine.run_once().ok
    stored = desktop.replica.get("ai", "aiMissions", "demo-weekly-review")
    assert stored is not None and is_envelope(stored.data["title"])  # ciphertext at rest
    titles = desktop.workbench.mission_titles()
    assert not any(t.startswith(("enc:", "🔒")) for t in titles.values())
    assert desktop.workbench.mission("demo-weekly-review").title == decrypt_value(  # type: ignore[union-attr]
        review["title"], desktop.key
    )


def test_a_task_the_desktop_creates_is_ciphertext_on_the_server_in_the_registry_fields(
    session: DemoSession, desktop: Desktop
) -> None:
    assert desktop.vault.unlock() == VaultState.UNLOCKED
    assert session.runner is not None
    desktop.engine.run_once()
    stats = session.runner.tick(utc_now() + timedelta(seconds=30))
    assert stats.plans_written_back == 4 and stats.errors == []  # the runner read the envelopes
    desktop.engine.run_once()
    desktop.workbench.stage()
    pending = desktop.workbench.proposals(status="pending")
    assert pending and not any(p.mission_title.startswith("enc:") for p in pending)
    card = next(p for p in pending if p.tool_name == "create_task")
    decision = desktop.workbench.approve(card.id)
    desktop.replica.release_group(decision.group)
    assert desktop.engine.run_once().ok
    [record_id] = decision.changed[("todo", "tasks")]
    op, data_text, *_ = server_rows(session, "todo", record_id)[0]
    data = json.loads(data_text)
    sealed = {name for name, value in data.items() if is_envelope(value)}
    registry = set(encrypted_fields("tasks") or ())
    assert op == "insert" and sealed and sealed == {n for n in registry if data.get(n) is not None}
    assert decrypt_value(data["title"], desktop.key) == card.params["title"]  # the webapp's view
    assert data["spaceId"] == f"_personal:{session.user_id}"
    assert data["authorId"] == session.user_id and data["visibility"] == "space"


def test_a_record_the_webapp_encrypted_is_readable_on_the_desktop(
    session: DemoSession, desktop: Desktop
) -> None:
    assert desktop.vault.unlock() == VaultState.UNLOCKED
    assert session._service is not None
    note = {"id": "web-note", "title": "From the browser", "content": "Secret body"}
    session._service.append_changes(
        session.user_id, "notes",
        [{"table": "notes", "id": "web-note", "op": "insert",
          "data": encrypt_record("notes", note, desktop.key)}],
        client_id="webapp",
    )
    assert desktop.engine.run_once().ok
    stored = desktop.replica.get("notes", "notes", "web-note")
    assert stored is not None and is_envelope(stored.data["content"])
    shown = desktop.cipher.reveal(stored.data)
    assert shown["title"] == "From the browser" and shown["content"] == "Secret body"


def test_a_locked_desktop_shows_locks_and_writes_nothing_readable(
    session: DemoSession, desktop: Desktop
) -> None:
    desktop.engine.run_once()  # never unlocked: the key stays on the server
    stored = desktop.replica.get("notes", "notes", "demo-reading-list")
    assert stored is not None
    shown = desktop.cipher.reveal(stored.data)
    assert str(shown["title"]) == "🔒 locked" and "enc:" not in repr(shown["title"])
    before = desktop.replica.pending_count()
    with pytest.raises(VaultLockedError, match="vault is locked"), desktop.replica.write() as tx:
        tx.insert("notes", "notes", {"title": "x"}, actor={"kind": "user"})
    assert desktop.replica.pending_count() == before
