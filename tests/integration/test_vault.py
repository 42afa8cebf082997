"""The vault client against the reference server's vault routes (real HTTP on 127.0.0.1:0),
and encrypted records round-tripping through the server's sync log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mana_desktop.domain.crypto import (
    LockedValue,
    MasterKey,
    RecoveryCodeFormatError,
    decrypt_record,
    encrypt_record,
    encrypt_value,
    is_envelope,
)
from mana_desktop.domain.spaces import Space, SpaceContext, is_personal_scope, stamp_new_record
from mana_desktop.sync.vault import (
    VaultClient,
    VaultError,
    VaultState,
    WrongRecoveryCodeError,
)

testing = pytest.importorskip(
    "mana_desktop.server.testing", reason="the reference server has not landed yet"
)
from mana_desktop.server.vault import PREFIX, Vaults, seed_master_key, vault_routes  # noqa: E402
from tests.fixtures.keyring import MemoryKeyring  # noqa: E402

RunningServer = testing.RunningServer
ALICE = "alice@example.com"
BOB = "bob@example.com"
EPOCH = "1970-01-01T00:00:00Z"


@pytest.fixture
def server(reference_server: RunningServer) -> RunningServer:
    """The reference server with the vault routes mounted (added here while the server's
    own app does not mount them yet)."""
    paths = {getattr(route, "path", "") for route in reference_server.app.routes}
    if PREFIX + "/key" not in paths:
        reference_server.app.router.routes.extend(vault_routes(reference_server.service))
    return reference_server


def client_for(server: RunningServer, email: str, **kwargs: Any) -> VaultClient:
    return VaultClient(server.url, lambda: server.token(email), sleep=lambda _s: None, **kwargs)


def raw(server: RunningServer, method: str, path: str, email: str = ALICE,
        **kwargs: Any) -> httpx.Response:
    headers = {**server.headers(email), **kwargs.pop("headers", {})}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        return http.request(method, PREFIX + path, headers=headers, **kwargs)


# -- standard mode -------------------------------------------------------------------------


def test_first_unlock_initialises_then_returns_the_same_key(server: RunningServer) -> None:
    first = client_for(server, ALICE)
    assert first.unlock() is VaultState.UNLOCKED
    assert first.key is not None
    second = client_for(server, ALICE)
    assert second.unlock() is VaultState.UNLOCKED
    assert second.key == first.key
    assert Vaults(server.service.store).audit_actions(server.users[ALICE]) == [
        "failed_fetch", "init", "fetch"
    ]


def test_users_have_separate_keys(server: RunningServer) -> None:
    alice, bob = client_for(server, ALICE), client_for(server, BOB)
    alice.unlock()
    bob.unlock()
    assert alice.key is not None and bob.key is not None and alice.key != bob.key


def test_key_response_shape_and_kek_wrap_at_rest(server: RunningServer) -> None:
    body = raw(server, "POST", "/init").json()
    assert set(body) == {"masterKey", "formatVersion", "kekId"}
    assert body["formatVersion"] == 1 and body["kekId"] == "env-v1"
    with sqlite3.connect(server.db_path) as conn:
        wrapped, iv = conn.execute(
            "SELECT wrapped_mk, wrap_iv FROM encryption_vaults WHERE user_id = ?",
            (server.users[ALICE],)).fetchone()
    assert len(wrapped) == 64 and len(iv) == 16
    assert body["masterKey"] not in wrapped  # never stored in clear


def test_status_before_and_after_init(server: RunningServer) -> None:
    assert raw(server, "GET", "/status").json() == {
        "vaultExists": False, "hasRecoveryWrap": False, "zeroKnowledge": False,
        "recoverySetAt": None}
    client = client_for(server, ALICE)
    client.unlock()
    info = client.info()
    assert info.vault_exists and not info.zero_knowledge and not info.has_recovery_wrap


def test_key_without_init_is_404(server: RunningServer) -> None:
    response = raw(server, "GET", "/key")
    assert response.status_code == 404
    assert response.json() == {"error": "vault not initialised", "code": "VAULT_NOT_INITIALISED"}
    client = client_for(server, ALICE, create_if_missing=False)
    assert client.unlock() is VaultState.ERROR
    assert client.error is not None and client.error.code == "VAULT_NOT_INITIALISED"
    assert client.key is None


def test_bad_token_is_an_auth_error(server: RunningServer) -> None:
    client = VaultClient(server.url, lambda: "not-a-jwt", sleep=lambda _s: None)
    assert client.unlock() is VaultState.ERROR
    assert client.error is not None and client.error.reason == "auth"
    with httpx.Client(base_url=server.url) as http:
        response = http.get(PREFIX + "/key")
    assert response.status_code == 401 and response.json()["statusCode"] == 401


def test_expired_token_is_refreshed_once(server: RunningServer) -> None:
    tokens = [server.token(ALICE, ttl_s=-60)]
    refreshed: list[str] = []

    def refresh(rejected: str) -> str:
        refreshed.append(rejected)
        tokens.append(server.token(ALICE))
        return tokens[-1]

    client = VaultClient(server.url, lambda: tokens[-1], refresh_token=refresh)
    assert client.unlock() is VaultState.UNLOCKED
    assert refreshed == [tokens[0]]


def test_lock_drops_the_key(server: RunningServer) -> None:
    client = client_for(server, ALICE)
    seen: list[VaultState] = []
    client.subscribe(seen.append)
    client.unlock()
    client.lock()
    assert client.key is None and client.state is VaultState.LOCKED
    assert seen == [VaultState.UNLOCKED, VaultState.LOCKED]


def test_rotate_gives_a_new_key_and_clears_recovery(server: RunningServer) -> None:
    client = client_for(server, ALICE)
    client.unlock()
    client.create_recovery_code()
    before = client.key
    body = raw(server, "POST", "/rotate").json()
    assert MasterKey.from_b64(body["masterKey"]) != before
    assert raw(server, "GET", "/status").json()["hasRecoveryWrap"] is False


@pytest.mark.parametrize(
    "body", [{}, {"recoveryWrappedMk": "", "recoveryIv": "x"}, {"recoveryWrappedMk": 1}]
)
def test_recovery_wrap_validation(server: RunningServer, body: dict[str, Any]) -> None:
    raw(server, "POST", "/init")
    response = raw(server, "POST", "/recovery-wrap", json=body)
    assert response.status_code == 400 and response.json()["code"] == "BAD_REQUEST"


def test_recovery_wrap_needs_a_vault(server: RunningServer) -> None:
    response = raw(server, "POST", "/recovery-wrap",
                   json={"recoveryWrappedMk": "a", "recoveryIv": "b"})
    assert response.status_code == 404


def test_zero_knowledge_needs_a_recovery_wrap(server: RunningServer) -> None:
    raw(server, "POST", "/init")
    response = raw(server, "POST", "/zero-knowledge", json={"enable": True})
    assert response.status_code == 400 and response.json()["code"] == "RECOVERY_WRAP_MISSING"
    bad = raw(server, "POST", "/zero-knowledge", json={"enable": False, "masterKey": "AAAA"})
    assert bad.status_code == 400


# -- zero-knowledge mode -----------------------------------------------------------------


def _enable_zk(server: RunningServer) -> tuple[str, MasterKey]:
    client = client_for(server, ALICE)
    client.unlock()
    code = client.create_recovery_code()
    with pytest.raises(WrongRecoveryCodeError):
        client.enable_zero_knowledge("0" * 64)
    client.enable_zero_knowledge(code.lower())
    assert client.key is not None
    return code, client.key


def test_zero_knowledge_unlock_with_recovery_code(server: RunningServer) -> None:
    code, key = _enable_zk(server)
    body = raw(server, "GET", "/key").json()
    assert body["requiresRecoveryCode"] is True and "masterKey" not in body
    client = client_for(server, ALICE)
    assert client.unlock() is VaultState.AWAITING_RECOVERY_CODE
    assert client.key is None
    with pytest.raises(RecoveryCodeFormatError):
        client.submit_recovery_code("1234")
    with pytest.raises(WrongRecoveryCodeError):
        client.submit_recovery_code("F" * 64)
    assert client.state is VaultState.AWAITING_RECOVERY_CODE
    assert client.submit_recovery_code(code) is VaultState.UNLOCKED
    assert client.key == key


def test_zero_knowledge_forbids_rotate_and_clearing(server: RunningServer) -> None:
    _enable_zk(server)
    assert raw(server, "POST", "/rotate").json()["code"] == "ZK_ROTATE_FORBIDDEN"
    assert raw(server, "DELETE", "/recovery-wrap").json()["code"] == "ZK_ACTIVE"
    with sqlite3.connect(server.db_path) as conn:
        assert conn.execute("SELECT wrapped_mk FROM encryption_vaults").fetchone() == (None,)


def test_disable_zero_knowledge(server: RunningServer) -> None:
    code, key = _enable_zk(server)
    client = client_for(server, ALICE)
    client.unlock()
    client.submit_recovery_code(code)
    client.disable_zero_knowledge()
    fresh = client_for(server, ALICE)
    assert fresh.unlock() is VaultState.UNLOCKED and fresh.key == key
    assert raw(server, "GET", "/status").json()["zeroKnowledge"] is False


# -- retries and the keyring cache ----------------------------------------------------------


class FlakyTransport(httpx.BaseTransport):
    """Answers the first `failures` requests with `status` (or a connect error), then
    forwards to the real server."""

    def __init__(self, failures: int, status: int | None) -> None:
        self.failures = failures
        self.status = status
        self.calls = 0
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.failures:
            if self.status is None:
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(self.status, json={"error": "busy"})
        return self.inner.handle_request(request)


@pytest.mark.parametrize("status", [None, 503, 429, 408])
def test_transient_failures_are_retried(server: RunningServer, status: int | None) -> None:
    delays: list[float] = []
    transport = FlakyTransport(2, status)
    client = VaultClient(server.url, lambda: server.token(ALICE), transport=transport,
                         sleep=delays.append, jitter=lambda: 1.0)
    raw(server, "POST", "/init")
    assert client.unlock() is VaultState.UNLOCKED
    assert transport.calls == 3
    assert delays == [1.0, 2.0]  # full jitter at its top: min(8, 0.5·2^attempt)


@pytest.mark.parametrize(("status", "reason"), [(None, "network"), (500, "server")])
def test_retries_give_up_after_three(server: RunningServer, status: int | None,
                                     reason: str) -> None:
    transport = FlakyTransport(10, status)
    client = VaultClient(server.url, lambda: server.token(ALICE), transport=transport,
                         sleep=lambda _s: None)
    assert client.unlock() is VaultState.ERROR
    assert transport.calls == 3
    assert client.error is not None and client.error.reason == reason


def test_client_errors_are_not_retried(server: RunningServer) -> None:
    transport = FlakyTransport(10, 400)
    client = VaultClient(server.url, lambda: server.token(ALICE), transport=transport)
    assert client.unlock() is VaultState.ERROR
    assert transport.calls == 1


def test_keyring_cache_unlocks_offline_and_is_cleared_on_sign_out(
    server: RunningServer, tmp_path: Any
) -> None:
    from mana_desktop.sync.vault import KeyringKeyCache

    keyring = MemoryKeyring()
    cache = KeyringKeyCache(tmp_path, server.users[ALICE], backend=keyring)
    online = client_for(server, ALICE, cache=cache)
    online.unlock()
    assert len(keyring.entries) == 1
    server.stop()
    offline = VaultClient(server.url, lambda: "unused", cache=cache, sleep=lambda _s: None)
    assert offline.unlock() is VaultState.UNLOCKED and offline.key == online.key
    offline.lock(forget_cache=True)
    assert keyring.entries == {}
    assert offline.unlock() is VaultState.ERROR  # server gone, cache empty
    assert offline.error is not None and offline.error.reason == "network"


def test_keyring_cache_off_without_a_keyring(tmp_path: Any) -> None:
    from mana_desktop.sync.vault import KeyringKeyCache

    cache = KeyringKeyCache(tmp_path, "u1")  # MANA_DESKTOP_KEYRING=none in the test env
    assert not cache.available
    cache.save(MasterKey.generate())
    assert cache.load() is None
    assert list(tmp_path.iterdir()) == []  # nothing written to disk


# -- encrypted records through the server ------------------------------------------------


def _push(server: RunningServer, email: str, changes: list[dict[str, Any]],
          client_id: str) -> None:
    body = {"clientId": client_id, "appId": "todo", "since": "", "changes": changes}
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.post("/sync/todo", json=body, headers=server.headers(email, client_id))
    assert response.status_code == 200, response.text


def _pull(server: RunningServer, email: str, table: str = "tasks") -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.get("/sync/todo/pull", params={"collection": table, "since": EPOCH},
                            headers=server.headers(email, "reader"))
    assert response.status_code == 200, response.text
    return {c["id"]: c for c in response.json()["serverChanges"]}


@pytest.fixture
def alice_key(server: RunningServer) -> Iterator[MasterKey]:
    client = client_for(server, ALICE)
    assert client.unlock() is VaultState.UNLOCKED
    assert client.key is not None
    yield client.key


def test_encrypted_task_round_trip(server: RunningServer, alice_key: MasterKey) -> None:
    user = server.users[ALICE]
    task = stamp_new_record("tasks", {"id": "t1", "title": "Steuer", "subtasks": [{"t": "a"}],
                                      "priority": "high"}, user_id=user)
    sealed = encrypt_record("tasks", task, alice_key)
    _push(server, ALICE, [{"table": "tasks", "id": "t1", "op": "insert", "data": sealed,
                           "spaceId": task["spaceId"]}], "desktop")
    with sqlite3.connect(server.db_path) as conn:
        stored = conn.execute("SELECT data, space_id FROM sync_changes").fetchone()
    assert "Steuer" not in stored[0] and stored[1] == f"_personal:{user}"
    pulled = _pull(server, ALICE)["t1"]["data"]
    assert is_envelope(pulled["title"])
    assert decrypt_record(pulled, alice_key) == task
    # An update diff carries the envelope as the field value.
    diff = encrypt_record("tasks", {"title": "Steuer 2026"}, alice_key)
    _push(server, ALICE, [{"table": "tasks", "id": "t1", "op": "update", "fields": {
        "title": {"value": diff["title"], "at": "2026-04-27T09:05:00.000Z"}}}], "desktop")
    with httpx.Client(base_url=server.url, timeout=10) as http:
        changes = http.get("/sync/todo/pull", params={"collection": "tasks", "since": EPOCH},
                           headers=server.headers(ALICE, "reader")).json()["serverChanges"]
    value = changes[-1]["fields"]["title"]["value"]
    assert decrypt_record({"title": value}, alice_key) == {"title": "Steuer 2026"}


def test_webapp_shaped_and_plaintext_rows_read_back(server: RunningServer,
                                                    alice_key: MasterKey) -> None:
    # A server-seeded plaintext row and a row sealed elsewhere with the same MK.
    server.append_changes(ALICE, "todo", [
        {"table": "tasks", "id": "seed", "op": "insert", "data": {"id": "seed", "title": "Hi"}},
        {"table": "tasks", "id": "web", "op": "insert",
         "data": {"id": "web", "title": encrypt_value("vom Web", alice_key)}},
    ])
    rows = _pull(server, ALICE)
    assert decrypt_record(rows["seed"]["data"], alice_key)["title"] == "Hi"
    assert decrypt_record(rows["web"]["data"], alice_key)["title"] == "vom Web"
    assert decrypt_record(rows["web"]["data"], None)["title"] == LockedValue(
        rows["web"]["data"]["title"], "locked")


def test_shared_space_records_plaintext_for_members(server: RunningServer,
                                                    alice_key: MasterKey) -> None:
    server.add_membership(ALICE, "sp-club")
    server.add_membership(BOB, "sp-club")
    context = SpaceContext(server.users[ALICE], "sp-club",
                           {"sp-club": Space("sp-club", "Club", "club")})
    shared = stamp_new_record("tasks", {"id": "c1", "title": "Turnier"},
                              user_id=server.users[ALICE], space_id=context.effective_space_id())
    secret = stamp_new_record("tasks", {"id": "c2", "title": "mine"},
                              user_id=server.users[ALICE], space_id="sp-club")
    _push(server, ALICE, [
        {"table": "tasks", "id": "c1", "op": "insert", "spaceId": "sp-club",
         "data": encrypt_record("tasks", shared, alice_key,
                                personal=is_personal_scope(shared["spaceId"], context))},
        # As the webapp mostly does in practice: sealed with the author's key anyway.
        {"table": "tasks", "id": "c2", "op": "insert", "spaceId": "sp-club",
         "data": encrypt_record("tasks", secret, alice_key)},
    ], "desktop")
    bob = client_for(server, BOB)
    bob.unlock()
    rows = _pull(server, BOB)
    assert decrypt_record(rows["c1"]["data"], bob.key)["title"] == "Turnier"
    unreadable = decrypt_record(rows["c2"]["data"], bob.key)["title"]
    assert isinstance(unreadable, LockedValue) and unreadable.reason == "undecryptable"


def test_seed_master_key_for_demo_users(server: RunningServer) -> None:
    fixed = MasterKey(bytes(range(32)))
    seed_master_key(server.service.store, server.users[BOB], fixed)
    client = client_for(server, BOB)
    assert client.unlock() is VaultState.UNLOCKED and client.key == fixed


def test_vault_errors_never_contain_the_token(server: RunningServer) -> None:
    token = server.token(ALICE)
    transport = FlakyTransport(10, 400)
    client = VaultClient(server.url, lambda: token, transport=transport)
    client.unlock()
    assert isinstance(client.error, VaultError)
    assert token not in str(client.error)


def test_damaged_keyring_entry_is_dropped(tmp_path: Any) -> None:
    from mana_desktop.sync.vault import KEYRING_SERVICE, KeyringKeyCache

    keyring = MemoryKeyring()
    cache = KeyringKeyCache(tmp_path, "u1", backend=keyring)
    keyring.set_password(KEYRING_SERVICE, cache.username, "not a key")
    assert cache.load() is None
    assert keyring.entries == {}


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]"])
def test_bad_request_bodies_are_clear_400s(server: RunningServer, content: bytes) -> None:
    raw(server, "POST", "/init")
    response = raw(server, "POST", "/zero-knowledge", content=content,
                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"
    assert raw(server, "GET", "/status").json()["zeroKnowledge"] is False


def test_recovery_code_is_not_awaited_in_standard_mode(server: RunningServer) -> None:
    client = client_for(server, ALICE)
    with pytest.raises(VaultError, match="not waiting"):
        client.submit_recovery_code("0" * 64)
    client.unlock()
    with pytest.raises(VaultError, match="recovery code first"):
        client.enable_zero_knowledge("0" * 64)
