"""SpaceDirectory and `mana-desktop spaces` against the reference server's organization routes
(127.0.0.1:0, session cookie + Bearer), with real profiles in tmp_path."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mana_desktop.cli import main
from mana_desktop.domain.spaces import SpaceContext
from mana_desktop.server.testing import RunningServer
from mana_desktop.store.profile import Profile
from mana_desktop.sync.credentials import Credentials
from mana_desktop.sync.spaces import CACHE_FILE, SpaceDirectory, SpacesError

ALICE, BOB = "alice@example.com", "bob@example.com"
PASSWORDS = {ALICE: "alice-password", BOB: "bob-password"}


@pytest.fixture(autouse=True)
def _file_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MANA_DESKTOP_KEYRING", "none")


def signed_in(server: RunningServer, data_dir: Path, email: str = ALICE
              ) -> tuple[Profile, Credentials]:
    profile = Profile(data_dir)
    credentials = Credentials(profile)
    credentials.login(server.url, email, PASSWORDS[email])
    return profile, credentials


def directory(server: RunningServer, profile: Profile, credentials: Credentials,
              email: str = ALICE, **kwargs: object) -> SpaceDirectory:
    return SpaceDirectory(profile, credentials, user_id=server.users[email], auth_url=server.url,
                          **kwargs)  # type: ignore[arg-type]


def test_refresh_lists_spaces_and_activates_the_personal_one(
        reference_server: RunningServer, tmp_path: Path) -> None:
    team = reference_server.add_space("Familie", "family", [BOB, ALICE])
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)
    seen: list[SpaceContext] = []
    spaces.subscribe(seen.append)

    context = spaces.refresh()

    personal = reference_server.personal_space(ALICE)
    assert context.active_space_id == personal == context.personal_space_id
    assert {s.id: (s.type, s.role) for s in spaces.spaces()} == {
        personal: ("personal", "owner"), team: ("family", "member")}
    assert context.is_shared(team) and not context.is_shared(personal)
    assert context.wire_space_id(f"_personal:{reference_server.users[ALICE]}") == personal
    assert seen == [context]
    # The server agrees on the active Space of this session.
    with httpx.Client(base_url=reference_server.url,
                      cookies=credentials.session_cookies()) as http:
        member = http.get("/api/auth/organization/get-active-member").json()
    assert member["organizationId"] == personal


def test_cache_gives_an_offline_start_the_real_ids(
        reference_server: RunningServer, tmp_path: Path) -> None:
    team = reference_server.add_space("Team", "team", [ALICE])
    profile, credentials = signed_in(reference_server, tmp_path)
    directory(reference_server, profile, credentials).refresh()
    down = httpx.MockTransport(lambda request: (_ for _ in ()).throw(httpx.ConnectError("down")))

    offline = directory(reference_server, profile, credentials, transport=down)

    assert offline.active_space_id == reference_server.personal_space(ALICE)
    assert offline.context.is_shared(team)
    with pytest.raises(SpacesError) as failure:
        offline.refresh()
    assert failure.value.reason == "network"
    assert offline.context.is_shared(team)  # the cache stays
    # Another user's cache is not used.
    other = SpaceDirectory(profile, credentials, user_id="someone-else", auth_url="http://x")
    assert other.spaces() == []


def test_set_active_is_remembered_as_the_hint(
        reference_server: RunningServer, tmp_path: Path) -> None:
    team = reference_server.add_space("Team", "team", [ALICE])
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)
    spaces.refresh()

    assert spaces.set_active(team).active_space_id == team
    assert spaces.context.effective_space_id() == team
    again = directory(reference_server, profile, credentials)
    assert again.refresh().active_space_id == team
    with pytest.raises(ValueError, match="No Space"):
        again.set_active("not-a-space")
    assert again.active_space_id == team


def test_set_active_refused_by_the_server_changes_nothing(
        reference_server: RunningServer, tmp_path: Path) -> None:
    foreign = reference_server.add_space("Fremd", "team", [BOB])
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)  # nothing cached yet
    with pytest.raises(SpacesError) as failure:
        spaces.set_active(foreign)
    assert failure.value.reason == "auth" and failure.value.status == 403
    assert spaces.active_space_id is None and not (tmp_path / CACHE_FILE).exists()


def test_signed_out_is_an_auth_error(reference_server: RunningServer, tmp_path: Path) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)
    credentials.logout()
    with pytest.raises(SpacesError) as failure:
        spaces.refresh()
    assert failure.value.reason == "auth"


def test_forget_drops_memory_and_cache(reference_server: RunningServer, tmp_path: Path) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)
    spaces.refresh()
    assert (tmp_path / CACHE_FILE).exists()
    spaces.forget()
    assert spaces.spaces() == [] and not (tmp_path / CACHE_FILE).exists()


def test_damaged_cache_is_ignored(reference_server: RunningServer, tmp_path: Path) -> None:
    profile, credentials = signed_in(reference_server, tmp_path)
    (tmp_path / CACHE_FILE).write_text("{not json")
    spaces = directory(reference_server, profile, credentials)
    assert spaces.spaces() == []
    assert spaces.refresh().personal_space_id == reference_server.personal_space(ALICE)


def test_concurrent_refresh_and_reads_see_whole_snapshots(
        reference_server: RunningServer, tmp_path: Path) -> None:
    reference_server.add_space("Team", "team", [ALICE])
    profile, credentials = signed_in(reference_server, tmp_path)
    spaces = directory(reference_server, profile, credentials)
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            spaces.refresh()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == [] and len(spaces.spaces()) == 2
    assert json.loads((tmp_path / CACHE_FILE).read_text())["activeSpaceId"] == \
        reference_server.personal_space(ALICE)


def test_spaces_command_lists_and_switches(
        reference_server: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    team = reference_server.add_space("Verein", "club", [ALICE, BOB])
    monkeypatch.setattr(sys, "stdin", _Line(PASSWORDS[ALICE]))
    argv = ["--data-dir", str(tmp_path)]
    assert main(["login", "--server", reference_server.url, "--email", ALICE,
                 "--password-stdin", *argv]) == 0
    assert "Active Space:" in capsys.readouterr().out

    assert main(["spaces", *argv]) == 0
    lines = capsys.readouterr().out.splitlines()
    personal = reference_server.personal_space(ALICE)
    assert any(line.startswith(f"* {personal}") and "personal" in line for line in lines)
    assert any(line.startswith(f"  {team}") and "club" in line and "owner" in line
               for line in lines)

    assert main(["spaces", "use", "Verein", *argv]) == 0
    assert "Active Space: Verein (club)" in capsys.readouterr().out
    assert main(["spaces", "--json", *argv]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["activeSpaceId"] == team and listed["personalSpaceId"] == personal
    assert main(["spaces", "--data-dir", str(tmp_path), "use", "nope"]) == 1
    assert "No Space" in capsys.readouterr().err


def test_spaces_command_needs_an_account(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spaces", "--data-dir", str(tmp_path)]) == 1
    assert "not signed in" in capsys.readouterr().err


class _Line:
    def __init__(self, text: str) -> None:
        self.text = text

    def readline(self) -> str:
        return self.text + "\n"

    def isatty(self) -> bool:
        return False
