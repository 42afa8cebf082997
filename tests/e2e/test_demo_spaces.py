"""The demo's Spaces: a personal Space for the demo's own records, a shared "Family" Space
with a second seeded account whose plaintext records reach the desktop by an ordinary sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mana_desktop.demo.seed import (
    CO_MEMBER_EMAIL,
    DEMO_EMAIL,
    FAMILY_EVENT_ID,
    FAMILY_PRIVATE_ID,
)
from mana_desktop.demo.session import DemoSession
from mana_desktop.domain.crypto import is_envelope
from mana_desktop.domain.spaces import visible_to
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.engine import SyncEngine


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoSession]:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    with DemoSession.start(tmp_path / "demo", run_runner=False) as demo:
        yield demo


def test_demo_user_owns_a_family_space_with_a_co_member(session: DemoSession) -> None:
    assert session._service is not None
    orgs = session._service.auth.orgs
    listed = orgs.organizations_of(session.user_id)
    assert [(o.name, o.type) for o in listed] == [("Demo", "personal"), ("Family", "family")]
    assert listed[0].id == session.personal_space_id and listed[1].id == session.family_space_id
    members = [(m.email, m.role) for m in orgs.members(session.family_space_id)]
    assert members == [(DEMO_EMAIL, "owner"), (CO_MEMBER_EMAIL, "member")]


def test_desktop_syncs_shared_records_and_hides_the_private_one(session: DemoSession) -> None:
    profile = Profile(session.profile_dir)
    credentials = Credentials(profile)
    replica = profile.open_replica()
    try:
        assert SyncEngine(profile, replica, credentials, live=False).run_once().ok
        tasks = {r.id: r.data for r in replica.list("todo", "tasks")}
        family = {rid: d for rid, d in tasks.items() if d.get("spaceId") == session.family_space_id}
        assert sorted(family) == sorted(
            ["demo-family-task-1", "demo-family-task-2", FAMILY_PRIVATE_ID]
        )
        for data in family.values():
            assert data["authorId"] == session.co_member_id
            assert not is_envelope(data["title"])  # shared-Space writes are plaintext
        shown = [rid for rid, d in family.items() if visible_to(d, session.user_id)]
        assert sorted(shown) == ["demo-family-task-1", "demo-family-task-2"]
        event = replica.get("calendar", "events", FAMILY_EVENT_ID)
        assert event is not None and event.data["visibility"] == "space"
        # The demo's own records sit in its personal Space, authored by the demo user.
        own = tasks["demo-task-1"]
        assert own["spaceId"] == session.personal_space_id
        assert own["authorId"] == session.user_id and own["visibility"] == "space"
    finally:
        replica.close()


def test_organization_list_over_http_and_restart_does_not_reseed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "file")
    with DemoSession.start(tmp_path / "demo", run_runner=False) as first:
        family, seeded = first.family_space_id, first.seeded
        token = Credentials(Profile(first.profile_dir)).access_token()
        with httpx.Client(base_url=first.url, timeout=10) as client:
            orgs = client.get(
                "/api/auth/organization/list", headers={"Authorization": f"Bearer {token}"}
            ).json()
        assert [o["metadata"]["type"] for o in orgs] == ["personal", "family"]
    with DemoSession.start(tmp_path / "demo", run_runner=False) as second:
        assert second.family_space_id == family
        assert second.seeded == 0 and seeded > 0
