"""The protocol pieces on their own: backoff, SSE parsing, and the HTTP client against the
reference server over loopback (no replica involved)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import timedelta
from email.utils import format_datetime

import pytest

from mana_desktop.domain.bulk import BulkInserts
from mana_desktop.domain.timeutil import utc_now
from mana_desktop.server.testing import RunningServer
from mana_desktop.sync.backoff import Backoff, parse_retry_after
from mana_desktop.sync.errors import PaymentRequiredError, RejectedError, SignedOutError
from mana_desktop.sync.protocol import SyncClient
from mana_desktop.sync.sse import parse_lines


def test_backoff_first_retry_within_5s_and_capped_at_60s() -> None:
    backoff = Backoff(rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(50)]
    assert delays[0] <= 5.0
    assert all(0.0 <= d <= 60.0 for d in delays)
    assert max(delays[10:]) > 5.0  # it does grow
    backoff.reset()
    assert backoff.next_delay() <= 5.0


def test_backoff_honours_retry_after_as_a_floor() -> None:
    backoff = Backoff(rng=random.Random(1))
    assert backoff.next_delay(retry_after=42.0) >= 42.0
    assert parse_retry_after("7") == 7.0
    future = format_datetime(utc_now() + timedelta(seconds=30), usegmt=True)
    assert 25.0 <= (parse_retry_after(future) or 0.0) <= 31.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_sse_parser_follows_the_event_stream_rules() -> None:
    lines = [
        ": comment", "event: changes", 'data: {"a":', "data: 1}", "",
        "event:heartbeat", "data:{}", "", "", "data: plain", "",
    ]
    events = list(parse_lines(lines))
    assert [(e.event, e.data) for e in events] == [
        ("changes", '{"a":\n1}'), ("heartbeat", "{}"), ("message", "plain"),
    ]


class _Tokens:
    """A token source for one reference-server user (what Credentials provides)."""

    def __init__(self, server: RunningServer, email: str, ttl_s: int | None = None) -> None:
        self.server, self.email, self.refreshed = server, email, 0
        self.token = server.token(email, ttl_s=ttl_s)

    def cached_token(self) -> str | None:
        return self.token

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str | None = None) -> str:
        self.refreshed += 1
        self.token = self.server.token(self.email)
        return self.token

    def scrub(self, text: str) -> str:
        return text.replace(self.token, "[redacted]")


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_push_then_pull_round_trip(reference_server: RunningServer) -> None:
    async def go() -> None:
        a = SyncClient(reference_server.url, str(uuid.uuid4()),
                       _Tokens(reference_server, "alice@example.com"))
        b = SyncClient(reference_server.url, str(uuid.uuid4()),
                       _Tokens(reference_server, "alice@example.com"))
        try:
            change = {"table": "tasks", "id": "t-1", "op": "insert",
                      "data": {"id": "t-1", "title": "x", "createdAt": "2026-01-01T00:00:00.000Z"}}
            page = await a.push("todo", [change], "2026-01-01T00:00:00Z")
            assert page.changes == []
            pulled = await b.pull("todo", "tasks", "1970-01-01T00:00:00.000Z")
            assert [c["id"] for c in pulled.changes] == ["t-1"]
            # the server's page of inserts takes the typed bulk path (domain/bulk.py)
            assert isinstance(pulled.changes, BulkInserts)
            assert pulled.has_more is False
            assert a.requests == 1 and b.requests == 1
            assert b.clock.estimate is not None and abs(b.clock.estimate) < 5
        finally:
            await a.aclose()
            await b.aclose()

    _run(go())


def test_expired_token_is_refreshed_once(reference_server: RunningServer) -> None:
    tokens = _Tokens(reference_server, "alice@example.com", ttl_s=-60)

    async def go() -> None:
        client = SyncClient(reference_server.url, "c1", tokens)
        try:
            await client.pull("todo", "tasks", "1970-01-01T00:00:00.000Z")
        finally:
            await client.aclose()

    _run(go())
    assert tokens.refreshed == 1


def test_status_codes_map_to_reactions(reference_server: RunningServer) -> None:
    tokens = _Tokens(reference_server, "alice@example.com")

    async def go() -> None:
        client = SyncClient(reference_server.url, "c1", tokens)
        try:
            with pytest.raises(RejectedError) as bad:
                await client.push("todo", [{"table": "tasks", "id": "x", "op": "upsert"}], "")
            assert bad.value.status == 400 and "invalid op" in bad.value.reason
            reference_server.set_sync_active("alice@example.com", False)
            with pytest.raises(PaymentRequiredError) as paid:
                await client.pull("todo", "tasks", "1970-01-01T00:00:00Z")
            assert "Cloud Sync" in paid.value.server_message
        finally:
            await client.aclose()

    _run(go())


def test_401_after_refresh_means_signed_out(reference_server: RunningServer) -> None:
    class Broken(_Tokens):
        def refresh(self, rejected: str | None = None) -> str:
            self.refreshed += 1
            return "not-a-jwt"

    tokens = Broken(reference_server, "alice@example.com", ttl_s=-60)

    async def go() -> None:
        client = SyncClient(reference_server.url, "c1", tokens)
        try:
            with pytest.raises(SignedOutError) as exc:
                await client.pull("todo", "tasks", "1970-01-01T00:00:00Z")
            assert "not-a-jwt" not in str(exc.value)
        finally:
            await client.aclose()

    _run(go())
    assert tokens.refreshed == 1


def test_clock_skew_ignores_a_cursor_that_disagrees_with_the_date_header() -> None:
    from mana_desktop.domain.timeutil import parse_instant
    from mana_desktop.sync.clock import ClockSkew

    clock = ClockSkew()
    sent = utc_now()
    received = sent + timedelta(milliseconds=20)
    clock.add_date_header(sent.replace(microsecond=0) + timedelta(seconds=3), sent, received)
    clock.add_precise(parse_instant("2099-01-01T00:00:00Z"), sent, received)
    assert clock.estimate is not None and 2.0 < clock.estimate < 4.0
    clock.add_precise(sent + timedelta(seconds=3.2), sent, received)
    assert clock.estimate is not None and 3.0 < clock.estimate < 3.3


def test_deeply_nested_answer_is_a_retryable_error() -> None:
    import httpx

    from mana_desktop.sync.errors import RetryableError

    body = b'{"serverChanges":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    client = SyncClient("http://127.0.0.1:9", "c", _Tokens.__new__(_Tokens))
    with pytest.raises(RetryableError):
        client._page(httpx.Response(200, content=body))
    _run(client.aclose())
