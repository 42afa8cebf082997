"""Spaces on the reference server: organizations, the session cookie, the internal lookups,
`serve --space`, and sync partitions by membership (real server on 127.0.0.1:0)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from mana_desktop.server.auth import hash_password
from mana_desktop.server.service import SyncService
from mana_desktop.server.spaces import SpaceError, slug_base
from mana_desktop.server.testing import RunningServer
from tests.fixtures.server import ServerFactory
from tests.server.helpers import ALICE, BOB, insert, pull, push

CAROL = "carol@example.com"
ORG = "/api/auth/organization/"
NANOID = re.compile(r"^[A-Za-z0-9_-]{21}$")
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def login(client: httpx.Client, email: str, password: str) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(server: RunningServer, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token(email)}"}


# -- the personal Space ---------------------------------------------------------------------


def test_every_account_gets_one_personal_space(reference_server: RunningServer) -> None:
    server = reference_server
    with httpx.Client(base_url=server.url, timeout=10) as client:
        orgs = client.get(ORG + "list", headers=bearer(server, ALICE)).json()
    assert len(orgs) == 1
    org = orgs[0]
    assert set(org) == {"id", "name", "slug", "logo", "createdAt", "metadata"}
    assert NANOID.match(org["id"])
    assert org["slug"] == "alice" and org["name"] == "alice" and org["logo"] is None
    assert org["metadata"] == {"tier": "public", "type": "personal"}
    assert ISO_MS.match(org["createdAt"])
    assert server.personal_space(ALICE) == org["id"]
    assert server.personal_space(BOB) != org["id"]
    # A password reset (add_user again) creates no second Space.
    server.add_user(ALICE, "new-password")
    assert len(server.service.auth.orgs.organizations_of(server.users[ALICE])) == 1


def test_slugs_collide_to_suffixes_and_skip_reserved(reference_server: RunningServer) -> None:
    server = reference_server
    orgs = server.service.auth.orgs
    server.add_user("alice@other.example", "pw")
    server.add_user("Alice@third.example", "pw")
    server.add_user("admin@example.com", "pw")
    slugs = [orgs.organizations_of(server.users[e])[0].slug for e in
             ("alice@other.example", "alice@third.example", "admin@example.com")]  # fmt: skip
    assert slugs == ["alice-2", "alice-3", "admin-2"]
    assert slug_base("Ann.Lee+news@example.com") == "ann-lee-news"


def test_personal_space_cannot_be_deleted_but_a_shared_one_can(
    reference_server: RunningServer,
) -> None:
    server = reference_server
    orgs = server.service.auth.orgs
    with pytest.raises(SpaceError, match="personal space cannot be deleted"):
        orgs.delete(server.personal_space(ALICE))
    assert orgs.organization(server.personal_space(ALICE)) is not None
    club = server.add_space("Chess club", "club", [ALICE, BOB])
    orgs.delete(club)
    assert orgs.organization(club) is None and orgs.role(club, server.users[BOB]) is None


def test_older_database_gets_personal_spaces_at_start(tmp_path: Path) -> None:
    """A database written before Spaces (users and bare memberships, no organizations)."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
        " password_hash TEXT NOT NULL, sync_active INTEGER NOT NULL DEFAULT 1,"
        " created_at INTEGER NOT NULL);"
        "CREATE TABLE memberships (user_id TEXT NOT NULL, space_id TEXT NOT NULL,"
        " role TEXT NOT NULL DEFAULT 'member', PRIMARY KEY (user_id, space_id));"
    )
    conn.execute(
        "INSERT INTO users VALUES ('u-1', 'old@example.com', 'Old', ?, 1, 0)",
        (hash_password("pw"),),
    )
    conn.execute("INSERT INTO memberships VALUES ('u-1', 'legacy-space', 'member')")
    conn.commit()
    conn.close()
    service = SyncService.open(db)
    try:
        orgs = service.auth.orgs
        listed = orgs.organizations_of("u-1")
        assert [(o.name, o.type) for o in listed] == [("Old", "personal"), ("legacy-space", "team")]
        assert orgs.role(listed[0].id, "u-1") == "owner"
        member = orgs.member("legacy-space", "u-1")
        assert member is not None and NANOID.match(member.id)
    finally:
        service.close()
    # Opening again creates nothing more.
    service = SyncService.open(db)
    try:
        assert service.auth.orgs.migrate() == 0
        assert len(service.auth.orgs.organizations_of("u-1")) == 2
    finally:
        service.close()


# -- organization endpoints --------------------------------------------------------------------


def test_cookie_session_lists_and_activates(reference_server: RunningServer) -> None:
    server = reference_server
    family = server.add_space("Family", "family", [BOB, ALICE])
    with httpx.Client(base_url=server.url, timeout=10) as client:
        body = login(client, ALICE, "alice-password")
        cookie = client.cookies.get("mana.session_token")
        assert cookie and cookie.startswith(body["refreshToken"][:10])
        set_cookie = client.post(
            "/api/v1/auth/login", json={"email": ALICE, "password": "alice-password"}
        ).headers["set-cookie"]
        assert "HttpOnly" in set_cookie and "Path=/" in set_cookie

        orgs = client.get(ORG + "list").json()  # the cookie alone authenticates
        assert [o["metadata"]["type"] for o in orgs] == ["personal", "family"]
        assert orgs[1]["id"] == family and orgs[1]["metadata"] == {"type": "family"}

        none = client.get(ORG + "get-active-member")
        assert none.status_code == 400 and none.json()["code"] == "NO_ACTIVE_ORGANIZATION"

        full = client.post(ORG + "set-active", json={"organizationId": family}).json()
        assert full["id"] == family and full["invitations"] == []
        assert [(m["user"]["email"], m["role"]) for m in full["members"]] == [
            (BOB, "owner"),
            (ALICE, "member"),
        ]
        member = client.get(ORG + "get-active-member").json()
        assert member["organizationId"] == family and member["role"] == "member"
        assert member["userId"] == server.users[ALICE] and NANOID.match(member["id"])
        assert member["user"] == {
            "id": server.users[ALICE], "name": "alice", "email": ALICE, "image": None,
        }  # fmt: skip
        members = client.get(ORG + "list-members").json()  # the active one
        assert members["total"] == 2 and len(members["members"]) == 2

        # Another session of the same user has its own (no) active organization.
        with httpx.Client(base_url=server.url, timeout=10) as other:
            login(other, ALICE, "alice-password")
            assert other.get(ORG + "get-active-member").status_code == 400

        cleared = client.post(ORG + "set-active", json={"organizationId": None})
        assert cleared.status_code == 200 and cleared.json() is None
        assert client.get(ORG + "get-active-member").status_code == 400


def test_set_active_refuses_unknown_ids_and_non_members(reference_server: RunningServer) -> None:
    server = reference_server
    bobs = server.personal_space(BOB)
    with httpx.Client(base_url=server.url, timeout=10, headers=bearer(server, ALICE)) as client:
        foreign = client.post(ORG + "set-active", json={"organizationId": bobs})
        assert foreign.status_code == 403
        assert foreign.json() == {
            "code": "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION",
            "message": "User is not a member of the organization",
        }  # fmt: skip
        # An id that does not exist gets the very same answer (no probing for ids).
        unknown = client.post(ORG + "set-active", json={"organizationId": "no-such-org"})
        assert (unknown.status_code, unknown.json()) == (403, foreign.json())
        members = client.get(ORG + "list-members", params={"organizationId": bobs})
        assert members.status_code == 403
        assert members.json() == {
            "code": "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION",
            "message": "You are not a member of this organization",
        }  # fmt: skip
        nobody = client.get(ORG + "list-members", params={"organizationId": "no-such-org"})
        assert (nobody.status_code, nobody.json()) == (403, members.json())
        bad = client.post(ORG + "set-active", content=b"[1]")
        assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
        huge = client.post(ORG + "set-active", content=b" " * 100_000)
        assert huge.status_code == 400 and huge.json()["code"] == "VALIDATION_ERROR"
        assert client.get(ORG + "get-active-member").status_code == 400  # nothing changed


def test_a_refused_set_active_clears_the_active_org(reference_server: RunningServer) -> None:
    """Better Auth unsets the active organization when set-active is refused."""
    server = reference_server
    personal = server.personal_space(ALICE)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login(client, ALICE, "alice-password")
        assert client.post(ORG + "set-active", json={"organizationId": personal}).status_code == 200
        assert client.get(ORG + "get-active-member").status_code == 200
        refused = client.post(ORG + "set-active", json={"organizationId": "no-such-org"})
        assert refused.status_code == 403
        none = client.get(ORG + "get-active-member")
        assert none.status_code == 400 and none.json()["code"] == "NO_ACTIVE_ORGANIZATION"


def test_active_member_gone_is_a_400(reference_server: RunningServer) -> None:
    server = reference_server
    club = server.add_space("Club", "club", [BOB, ALICE])
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login(client, ALICE, "alice-password")
        assert client.post(ORG + "set-active", json={"organizationId": club}).status_code == 200
        with sqlite3.connect(server.db_path) as conn:  # removed from the Space meanwhile
            conn.execute(
                "DELETE FROM memberships WHERE space_id = ? AND user_id = ?",
                (club, server.users[ALICE]),
            )
        gone = client.get(ORG + "get-active-member")
        assert gone.status_code == 400
        assert gone.json() == {"code": "MEMBER_NOT_FOUND", "message": "Member not found"}


def test_bearer_callers_share_one_active_org_per_user(reference_server: RunningServer) -> None:
    server = reference_server
    personal = server.personal_space(ALICE)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        set_active = client.post(
            ORG + "set-active", json={"organizationId": personal}, headers=bearer(server, ALICE)
        )
        assert set_active.status_code == 200
        member = client.get(ORG + "get-active-member", headers=bearer(server, ALICE)).json()
        assert member["organizationId"] == personal and member["role"] == "owner"
        assert client.get(ORG + "get-active-member", headers=bearer(server, BOB)).status_code == 400


def test_organization_routes_need_a_session_or_token(reference_server: RunningServer) -> None:
    server = reference_server
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for path in ("list", "get-active-member", "list-members"):
            response = client.get(ORG + path)
            assert response.status_code == 401, path
            assert response.json() == {"code": "UNAUTHORIZED", "message": "Unauthorized"}
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.cookies.set("mana.session_token", "abc.def")
        assert client.get(ORG + "list").status_code == 401  # not signed by us
    with httpx.Client(base_url=server.url, timeout=10) as client:
        bad_jwt = client.get(ORG + "list", headers={"Authorization": "Bearer nope"})
        assert bad_jwt.status_code == 401


def _cookie(client: httpx.Client) -> str:
    return unquote(client.cookies["mana.session_token"])


def test_a_cookie_mac_of_one_session_does_not_sign_another(
    reference_server: RunningServer,
) -> None:
    server = reference_server
    with (
        httpx.Client(base_url=server.url, timeout=10) as ann,
        httpx.Client(base_url=server.url, timeout=10) as bob,
    ):
        login(ann, ALICE, "alice-password")
        login(bob, BOB, "bob-password")
        ann_token, _, ann_mac = _cookie(ann).rpartition(".")
        bob_token, _, bob_mac = _cookie(bob).rpartition(".")
        with httpx.Client(base_url=server.url, timeout=10) as forger:
            forger.cookies.set("mana.session_token", quote(f"{ann_token}.{ann_mac}"))
            assert forger.get(ORG + "list").status_code == 200  # a real pair works
            forger.cookies.clear()
            for token, mac in ((bob_token, ann_mac), (ann_token, bob_mac)):
                forger.cookies.set("mana.session_token", quote(f"{token}.{mac}"))
                answer = forger.get(ORG + "list")
                assert answer.status_code == 401, (token, mac)
                assert answer.json() == {"code": "UNAUTHORIZED", "message": "Unauthorized"}
                assert forger.post("/api/v1/auth/refresh").status_code == 401
                assert forger.get("/api/auth/token").status_code == 401


def test_a_revoked_sessions_signed_cookie_is_refused(reference_server: RunningServer) -> None:
    server = reference_server
    with httpx.Client(base_url=server.url, timeout=10) as client:
        login(client, ALICE, "alice-password")
        cookie = _cookie(client)  # validly signed by the server
        with httpx.Client(base_url=server.url, timeout=10) as copy:
            copy.cookies.set("mana.session_token", quote(cookie))
            assert copy.get(ORG + "list").status_code == 200  # the copy works while alive
        assert client.post("/api/v1/auth/logout").status_code == 200
    with httpx.Client(base_url=server.url, timeout=10) as replay:
        replay.cookies.set("mana.session_token", quote(cookie))
        assert replay.get(ORG + "list").status_code == 401
        assert replay.post("/api/v1/auth/refresh").status_code == 401
        assert replay.get("/api/auth/token").status_code == 401


def test_refresh_with_cookie_and_logout_ends_the_session(reference_server: RunningServer) -> None:
    server = reference_server
    with httpx.Client(base_url=server.url, timeout=10) as client:
        body = login(client, ALICE, "alice-password")
        refreshed = client.post("/api/v1/auth/refresh")  # cookie only, as upstream
        assert refreshed.status_code == 200
        assert server.service.auth.verify(refreshed.json()["accessToken"]) == server.users[ALICE]
        token = client.get("/api/auth/token")
        assert token.status_code == 200
        assert server.service.auth.verify(token.json()["token"]) == server.users[ALICE]
        # The body's refreshToken still works without a cookie (documented extension).
        with httpx.Client(base_url=server.url, timeout=10) as bare:
            by_body = bare.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]})
            assert by_body.status_code == 200
        out = client.post("/api/v1/auth/logout")
        assert out.status_code == 200 and "mana.session_token" in out.headers["set-cookie"]
        assert client.get(ORG + "list").status_code == 401
        with httpx.Client(base_url=server.url, timeout=10) as bare:
            gone = bare.post("/api/v1/auth/refresh", json={"refreshToken": body["refreshToken"]})
            assert gone.status_code == 401


# -- internal endpoints ------------------------------------------------------------------------


def test_internal_endpoints_need_the_service_key(server_factory: ServerFactory) -> None:
    server = server_factory(service_key="s3cret-key")
    alice = server.users[ALICE]
    club = server.add_space("Club", "club", [BOB, ALICE])
    with httpx.Client(base_url=server.url, timeout=10) as client:
        path = f"/api/v1/internal/users/{alice}/memberships"
        assert client.get(path).status_code == 401
        wrong = client.get(path, headers={"X-Service-Key": "nope"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "UNAUTHORIZED"
        key = {"X-Service-Key": "s3cret-key"}
        body = client.get(path, headers=key).json()
        assert body["userId"] == alice
        assert sorted(body["memberships"], key=lambda m: m["role"]) == [
            {"organizationId": club, "role": "member"},
            {"organizationId": server.personal_space(ALICE), "role": "owner"},
        ]
        member = client.get(f"/api/v1/internal/org/{club}/member/{alice}", headers=key)
        assert member.json() == {"isMember": True, "role": "member"}
        bobs = server.personal_space(BOB)
        outsider = client.get(f"/api/v1/internal/org/{bobs}/member/{alice}", headers=key)
        assert outsider.json() == {"isMember": False, "role": None}


def test_internal_endpoints_are_404_without_a_configured_key(
    reference_server: RunningServer,
) -> None:
    server = reference_server
    with httpx.Client(base_url=server.url, timeout=10) as client:
        response = client.get(
            f"/api/v1/internal/users/{server.users[ALICE]}/memberships",
            headers={"X-Service-Key": ""},
        )
    assert response.status_code == 404 and response.json()["error"] == "NOT_FOUND"


# -- sync partitions ---------------------------------------------------------------------------


def test_co_member_sees_a_shared_record_and_a_non_member_does_not(
    server_factory: ServerFactory,
) -> None:
    server = server_factory(users=[(ALICE, "a"), (BOB, "b"), (CAROL, "c")])
    family = server.add_space("Family", "family", [ALICE, BOB])
    personal = server.personal_space(ALICE)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        shared = insert("t-shared", title="Buy milk", spaceId=family, authorId=server.users[ALICE])
        mine = insert("t-mine", title="Mine", spaceId=personal, authorId=server.users[ALICE])
        assert push(client, server, [shared, mine]).status_code == 200
        ids = {user: [c["id"] for c in pull(client, server, user=user).json()["serverChanges"]]
               for user in (ALICE, BOB, CAROL)}  # fmt: skip
        assert sorted(ids[ALICE]) == ["t-mine", "t-shared"]
        assert ids[BOB] == ["t-shared"]
        assert ids[CAROL] == []
        intruder = push(client, server, [insert("t-x", spaceId=family)], user=CAROL)
        assert intruder.status_code == 403 and "not a member" in intruder.text
        into_personal = push(client, server, [insert("t-y", spaceId=personal)], user=BOB)
        assert into_personal.status_code == 403
        assert push(client, server, [insert("t-b", spaceId=family)], user=BOB).status_code == 200
        assert "t-b" in [c["id"] for c in pull(client, server, user=ALICE).json()["serverChanges"]]


def test_personal_space_costs_the_read_scope_nothing(reference_server: RunningServer) -> None:
    server = reference_server
    assert server.service.auth.spaces(server.users[ALICE]) == ()
    personal = server.personal_space(ALICE)
    club = server.add_space("Club", "club", [ALICE, BOB])
    assert server.service.auth.spaces(server.users[ALICE]) == (club,)
    # A shared Space of type personal is read like any shared one and is not "the" personal.
    shared = server.add_space("Aardvark", "personal", [ALICE, BOB])
    assert set(server.service.auth.spaces(server.users[ALICE])) == {club, shared}
    assert server.personal_space(ALICE) == personal


# -- serve --space -------------------------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mana_desktop", "serve", "--port", "0", "--no-runner", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ("Family:tribe:ann@example.com", "TYPE must be one of"),
        ("Family:family", "expects NAME:TYPE:EMAIL"),
        ("Family:family:not-an-email", "not an email address"),
        ("Family:family:ann@example.com,ghost@example.com", "no account for 'ghost@example.com'"),
    ],
)
def test_serve_space_refuses_bad_values(tmp_path: Path, space: str, message: str) -> None:
    proc = _serve("--db", str(tmp_path / "s.db"), "--user", "ann@example.com:pw", "--space", space)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    assert message in err and out == ""


def test_serve_space_creates_a_shared_space(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    args = ["--db", str(db), "--user", "ann@example.com:pw", "--user", "ben@example.com:pw"]
    space = ["--space", "Our Family:family:ann@example.com,ben@example.com"]
    for _ in range(2):  # the second start finds the Space again by name
        proc = _serve(*args, *space)
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        try:
            assert line.startswith("listening on "), proc.stderr
            url = line.removeprefix("listening on ")
            with httpx.Client(base_url=url, timeout=10) as client:
                login(client, "ben@example.com", "pw")
                orgs = client.get(ORG + "list").json()
                assert [(o["name"], o["slug"], o["metadata"]) for o in orgs] == [
                    ("ben", "ben", {"tier": "public", "type": "personal"}),
                    ("Our Family", "our-family", {"type": "family"}),
                ]
                members = client.get(ORG + "list-members", params={"organizationId": orgs[1]["id"]})
                roles = [(m["user"]["email"], m["role"]) for m in members.json()["members"]]
                assert roles == [("ann@example.com", "owner"), ("ben@example.com", "member")]
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def test_serve_help_documents_space_and_service_key() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mana_desktop", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "--space NAME:TYPE:EMAIL[,EMAIL...]" in result.stdout
    assert "--service-key" in result.stdout and "personal|brand|club" in result.stdout
