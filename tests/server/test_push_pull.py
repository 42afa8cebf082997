"""Push and pull against the real server: upstream's request/response rules (spec §2–4, §10)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from mana_desktop.domain.timeutil import parse_instant
from mana_desktop.domain.wire import MAX_BODY
from mana_desktop.server.testing import RunningServer
from tests.server.helpers import ALICE, BOB, EPOCH, insert, pull, pull_all, push, update


@pytest.fixture
def client(reference_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=reference_server.url, timeout=30) as http:
        yield http


def row_count(server: RunningServer) -> int:
    with sqlite3.connect(server.db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM sync_changes").fetchone()[0])


def test_e2e_flow_of_upstream_script(reference_server: RunningServer, client: httpx.Client) -> None:
    """spec §10.4 with `at`: A inserts, B pulls, B updates, A pulls since, A deletes."""
    first = push(
        client,
        reference_server,
        [insert("r1", title="E2E Test Task", completed=False)],
        client_id="A",
        since=EPOCH,
    )
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.content.endswith(b"\n")
    saved = first.json()["syncedUntil"]
    pulled = pull(client, reference_server, client_id="B").json()
    assert [c["id"] for c in pulled["serverChanges"]] == ["r1"]
    upd = push(
        client,
        reference_server,
        [update("r1", title="Updated by Client B", completed=True)],
        client_id="B",
    )
    assert upd.status_code == 200
    after = pull(client, reference_server, since=saved, client_id="A").json()
    assert [c["fields"]["title"]["value"] for c in after["serverChanges"]] == [
        "Updated by Client B"
    ]
    deleted = push(
        client, reference_server, [{"table": "tasks", "id": "r1", "op": "delete"}], client_id="A"
    )
    assert "syncedUntil" in deleted.json()
    assert client.post("/sync/todo", json={"changes": []}).status_code == 401


def test_response_shapes_and_omission_rules(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    actor = {"kind": "ai", "missionId": "m-1", "iterationId": "it-1", "rationale": "weekly"}
    changes = [
        {**insert("t1", title="a", spaceId="org_1"), "actor": actor, "origin": "agent"},
        {**update("t1", title="b", completed=True), "spaceId": "top", "actor": None},
        {
            "table": "tasks",
            "id": "t1",
            "op": "delete",
            "deletedAt": "2026-04-27T09:06:00.000Z",
            "fields": {"title": {"value": "ignored", "at": "x"}},
        },
        {"table": "tasks", "id": "t2", "op": "insert"},
        {"table": "tasks", "id": "t3", "op": "update", "data": {"title": "no fields"}},
    ]
    assert push(client, reference_server, changes).status_code == 200
    body = pull(client, reference_server).json()
    assert set(body) == {"serverChanges", "conflicts", "syncedUntil"}  # hasMore omitted
    assert body["conflicts"] == []
    ins, upd, dele, bare, nofields = body["serverChanges"]
    assert list(ins) == [
        "eventId",
        "schemaVersion",
        "table",
        "id",
        "op",
        "data",
        "spaceId",
        "actor",
        "origin",
    ]
    assert ins["data"] == {"id": "t1", "title": "a", "spaceId": "org_1"}
    assert ins["actor"] == actor and ins["origin"] == "agent" and ins["spaceId"] == "org_1"
    assert upd["fields"] == {
        "completed": {"value": True, "at": "2026-04-27T09:05:00.000Z"},
        "title": {"value": "b", "at": "2026-04-27T09:05:00.000Z"},
    }
    assert "data" not in upd and upd["spaceId"] == "top"
    assert "actor" in upd and upd["actor"] is None  # a literal null round-trips
    assert dele == {
        "eventId": dele["eventId"],
        "schemaVersion": 1,
        "table": "tasks",
        "id": "t1",
        "op": "delete",
        "deletedAt": "2026-04-27T09:06:00.000Z",
    }
    assert "data" not in bare and "actor" not in bare and "origin" not in bare
    assert "fields" not in nofields and "data" not in nofields
    assert len({c["eventId"] for c in body["serverChanges"]}) == 5


def test_pagination_across_2500_rows(reference_server: RunningServer, client: httpx.Client) -> None:
    rows = [insert(f"r{i:05d}", n=i) for i in range(2500)]
    assert push(client, reference_server, rows, client_id="A").status_code == 200
    first = pull(client, reference_server).json()
    assert first["hasMore"] is True and len(first["serverChanges"]) == 1000
    last_at = first["serverChanges"][-1]
    assert last_at["id"] == "r00999"
    changes, pages, _cursor = pull_all(client, reference_server)
    assert pages == 3
    assert [c["id"] for c in changes] == [f"r{i:05d}" for i in range(2500)]


def test_page_never_splits_a_run_of_equal_timestamps(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    """Rows sharing one created_at (a direct writer, a seed script) are all delivered."""
    push(client, reference_server, [insert(f"r{i:04d}") for i in range(1005)], client_id="A")
    with sqlite3.connect(reference_server.db_path) as conn:
        conn.execute("UPDATE sync_changes SET created_at = 1700000000000000 WHERE rowid > 990")
    changes, pages, _ = pull_all(client, reference_server)
    assert len(changes) == 1005 and len({c["id"] for c in changes}) == 1005
    assert pages == 2


def test_push_response_caps_at_5000_and_says_so(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    for start in range(0, 5200, 2600):
        batch = [insert(f"r{i:05d}") for i in range(start, min(start + 2600, 5200))]
        assert push(client, reference_server, batch, client_id="A").status_code == 200
    body = push(client, reference_server, [], client_id="B", since="").json()
    assert len(body["serverChanges"]) == 5000
    assert body["hasMore"] is True  # our F1 fix; the webapp ignores the key
    rest = push(client, reference_server, [], client_id="B", since=body["syncedUntil"]).json()
    assert [c["id"] for c in rest["serverChanges"]] == [f"r{i:05d}" for i in range(5000, 5200)]
    assert "hasMore" not in rest


def test_since_is_exclusive_and_bad_since_means_epoch(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    push(client, reference_server, [insert("a")], client_id="A")
    cursor = pull(client, reference_server).json()["syncedUntil"]
    push(client, reference_server, [insert("b")], client_id="A")
    assert [
        c["id"] for c in pull(client, reference_server, since=cursor).json()["serverChanges"]
    ] == ["b"]
    for bad in ("yesterday", "2026-04-27 09:00:00Z", "2026-04-27T09:00:00 02:00"):
        ids = [c["id"] for c in pull(client, reference_server, since=bad).json()["serverChanges"]]
        assert ids == ["a", "b"], bad
    future = pull(client, reference_server, since="2999-01-01T00:00:00+02:00").json()
    assert future["serverChanges"] == []


def test_synced_until_is_rfc3339nano_and_monotonic(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    values = [
        push(client, reference_server, [insert(f"x{i}")]).json()["syncedUntil"] for i in range(5)
    ]
    parsed = [parse_instant(v) for v in values]
    assert parsed == sorted(parsed) and len(set(parsed)) == 5
    assert all(v.endswith("Z") for v in values)


def test_echo_suppression_header_then_body(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    push(client, reference_server, [insert("mine")], client_id="A", header=False)
    own = push(client, reference_server, [], client_id="A", header=False).json()
    assert own["serverChanges"] == []  # body clientId used when the header is missing
    other = push(client, reference_server, [], client_id="B").json()
    assert [c["id"] for c in other["serverChanges"]] == ["mine"]
    assert pull(client, reference_server, client_id="A").json()["serverChanges"] == []
    # Pull without a header: client_id != '' so the caller gets its own rows too.
    assert len(pull(client, reference_server, client_id=None).json()["serverChanges"]) == 1


def test_push_response_covers_all_tables_after_storing(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    push(client, reference_server, [insert("p1", table="projects")], client_id="A")
    body = push(client, reference_server, [insert("t1")], client_id="B", since=EPOCH).json()
    assert [(c["table"], c["id"]) for c in body["serverChanges"]] == [("projects", "p1")]


def test_users_are_isolated(reference_server: RunningServer, client: httpx.Client) -> None:
    push(client, reference_server, [insert("alice-only")], user=ALICE)
    assert pull(client, reference_server, user=BOB).json()["serverChanges"] == []
    assert push(client, reference_server, [], user=BOB, client_id="z").json()["serverChanges"] == []
    assert len(pull(client, reference_server, user=ALICE).json()["serverChanges"]) == 1


def test_space_members_read_rows_of_their_space(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    push(client, reference_server, [{**insert("shared"), "spaceId": "org-1"}, insert("private")])
    assert pull(client, reference_server, user=BOB).json()["serverChanges"] == []
    reference_server.add_membership(BOB, "org-1")
    ids = [c["id"] for c in pull(client, reference_server, user=BOB).json()["serverChanges"]]
    assert ids == ["shared"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "invalid JSON: EOF"),
        (b"{not json", "invalid JSON: invalid character"),
        (b"[1]", "invalid JSON: json: cannot unmarshal array into Go value of type sync.Changeset"),
        (b'{"schemaVersion": 2}', "unsupported schemaVersion 2 (max 1)"),
        (
            b'{"changes": [{"table":"t","id":"1","op":"insert"},{"table":"t","id":"2","op":"upsert"}]}',
            'invalid op "upsert" in change 1',
        ),
        (b'{"changes": [{"table":"","id":"1","op":"insert"}]}', "missing table or id in change 0"),
        (b'{"changes": [{"table":"t","id":"","op":"insert"}]}', "missing table or id in change 0"),
        (
            b'{"changes": [{"table":"t","id":"1","op":"update","fields":{"title":null}}]}',
            'invalid field "title" in change 0: null',
        ),
        (
            b'{"changes": [{"table":5,"id":"1","op":"insert"}]}',
            "invalid JSON: json: cannot unmarshal number 5 into Go struct field",
        ),
        (
            b'{"changes": [{"table":"t","id":"1","op":"insert","data":[1]}]}',
            "invalid JSON: json: cannot unmarshal array",
        ),
    ],
)
def test_bad_bodies_get_400_text_and_store_nothing(
    reference_server: RunningServer, client: httpx.Client, body: bytes, message: str
) -> None:
    response = client.post("/sync/todo", content=body, headers=reference_server.headers(ALICE))
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.text.startswith(message) and response.text.endswith("\n")
    assert row_count(reference_server) == 0


def test_valid_edge_bodies(reference_server: RunningServer, client: httpx.Client) -> None:
    headers = reference_server.headers(ALICE)
    for body in (
        b'{"changes": null}',
        b'{"changes": []}',
        b'{"schemaVersion": 0}',
        b'{"since": ""} trailing',
    ):
        assert client.post("/sync/todo", content=body, headers=headers).status_code == 200, body


def test_body_over_10_mib_is_a_400_not_413(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    big = (
        b'{"changes": [{"table":"t","id":"1","op":"insert","data":{"x":"'
        + b"a" * MAX_BODY
        + b'"}}]}'
    )
    response = client.post("/sync/todo", content=big, headers=reference_server.headers(ALICE))
    assert response.status_code == 400
    assert response.text == "invalid JSON: http: request body too large\n"
    assert row_count(reference_server) == 0


def test_pull_needs_collection_and_since(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    headers = reference_server.headers(ALICE)
    for params in ({"collection": "tasks"}, {"since": EPOCH}, {"collection": "", "since": EPOCH}):
        response = client.get("/sync/todo/pull", params=params, headers=headers)
        assert response.status_code == 400
        assert response.text == "missing collection or since parameter\n"


@pytest.mark.parametrize(
    ("authorization", "start"),
    [
        (None, "unauthorized: no authorization header"),
        ("bearer {token}", "unauthorized: no authorization header"),
        ("Bearer", "unauthorized: no authorization header"),
        ("Token {token}", "unauthorized: no authorization header"),
        ("Bearer  {token}", "unauthorized: parse token: "),
        ("Bearer abc.def", "unauthorized: parse token: token is malformed"),
    ],
)
def test_401_texts(
    reference_server: RunningServer, client: httpx.Client, authorization: str | None, start: str
) -> None:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization.format(token=reference_server.token(ALICE))
    for response in (
        client.post("/sync/todo", json={"changes": [insert("x")]}, headers=headers),
        client.get("/sync/todo/pull", params={"collection": "t", "since": EPOCH}, headers=headers),
        client.get("/sync/todo/stream", headers=headers),
    ):
        assert response.status_code == 401
        assert response.text.startswith(start) and response.text.endswith("\n")
    assert row_count(reference_server) == 0


def test_inactive_sync_gets_402_json(reference_server: RunningServer, client: httpx.Client) -> None:
    reference_server.set_sync_active(ALICE, False)
    response = push(client, reference_server, [insert("x")])
    assert response.status_code == 402
    assert response.json() == {
        "error": "sync_inactive",
        "message": "Cloud Sync ist nicht aktiv. Aktiviere Sync in den Einstellungen.",
    }
    assert pull(client, reference_server).status_code == 402
    assert push(client, reference_server, [], user=BOB).status_code == 200
    reference_server.set_sync_active(ALICE, True)
    assert push(client, reference_server, [insert("x")]).status_code == 200


def test_unknown_paths_and_methods(reference_server: RunningServer, client: httpx.Client) -> None:
    assert client.get("/nope").text == "404 page not found\n"
    wrong = client.get("/sync/todo")
    assert wrong.status_code == 405 and wrong.text == "Method Not Allowed\n"
    assert wrong.headers["allow"] == "POST"
    assert client.head("/health").status_code == 200


def test_health_and_metrics(reference_server: RunningServer, client: httpx.Client) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["service"] == "mana-sync"
    assert health["connections"] == 0 and health["users"] == 0
    assert health["timestamp"].endswith("Z") and "." not in health["timestamp"]
    metrics = client.get("/metrics").text
    assert "# TYPE mana_sync_connections_total gauge" in metrics
    assert "mana_sync_users_connected 0" in metrics


def test_html_characters_are_escaped_like_go(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    push(client, reference_server, [insert("h", title="<b>&</b>")])
    raw = pull(client, reference_server).text
    assert "\\u003cb\\u003e\\u0026\\u003c/b\\u003e" in raw
    assert pull(client, reference_server).json()["serverChanges"][0]["data"]["title"] == "<b>&</b>"


def test_schema_version_per_change(reference_server: RunningServer, client: httpx.Client) -> None:
    changes = [{**insert("a"), "schemaVersion": 1}, {**insert("b"), "schemaVersion": -3}]
    assert push(client, reference_server, changes).status_code == 200
    versions = [c["schemaVersion"] for c in pull(client, reference_server).json()["serverChanges"]]
    assert versions == [1, 1]


def test_vault_routes_are_mounted(reference_server: RunningServer, client: httpx.Client) -> None:
    pytest.importorskip("mana_desktop.server.vault")
    response = client.get(
        "/api/v1/me/encryption-vault/status", headers=reference_server.headers(ALICE)
    )
    assert response.status_code == 200
    assert response.json()["vaultExists"] is False


def test_writes_into_a_foreign_space_are_refused(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    """F9 fixed: a Space with members only takes writes from its members (the whole batch)."""
    reference_server.add_membership(ALICE, "space-alice")
    batch = [insert("ok"), {**insert("bad"), "spaceId": "space-alice"}]
    response = push(client, reference_server, batch, user=BOB)
    assert response.status_code == 403
    assert response.text == 'forbidden: not a member of space "space-alice" in change 1\n'
    assert row_count(reference_server) == 0
    # Spaces nobody is registered for (a personal space) stay writable; members write freely.
    assert (
        push(
            client, reference_server, [{**insert("p"), "spaceId": "_personal:bob"}], user=BOB
        ).status_code
        == 200
    )
    assert push(client, reference_server, batch, user=ALICE).status_code == 200
    reference_server.add_membership(BOB, "space-alice")
    assert push(client, reference_server, batch, user=BOB, client_id="b2").status_code == 200


def test_lone_surrogates_become_replacement_characters(
    reference_server: RunningServer, client: httpx.Client
) -> None:
    """As Go's decoder does; Python would keep them and SQLite could not store them."""
    body = (
        b'{"changes":[{"table":"tasks","id":"\\ud800x","op":"insert",'
        b'"data":{"a":"\\udc00","smile":"\\ud83d\\ude00","\\udbff":1}}]}'
    )
    response = client.post("/sync/todo", content=body, headers=reference_server.headers(ALICE, "A"))
    assert response.status_code == 200, response.text
    change = pull(client, reference_server).json()["serverChanges"][0]
    assert change["id"] == "\ufffdx"
    assert change["data"] == {"a": "\ufffd", "smile": "\U0001f600", "\ufffd": 1}
