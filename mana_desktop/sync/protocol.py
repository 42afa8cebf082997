"""The mana-sync HTTP client: push, paginated pull and the SSE stream (sync-protocol.md §2).

Async (httpx.AsyncClient) because it runs on the engine's own asyncio loop. Every answer is
turned into data or into one of the exceptions of errors.py, so the engine decides by type.
A 401 triggers one token refresh and one retry before it becomes SignedOutError. Requests
are counted (`requests`), which the offline benchmark and tests read.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from mana_desktop.domain import fastjson
from mana_desktop.domain.bulk import decode_page as decode_bulk_page
from mana_desktop.domain.timeutil import try_parse_instant, utc_now
from mana_desktop.sync.backoff import parse_retry_after
from mana_desktop.sync.clock import ClockSkew
from mana_desktop.sync.errors import (
    AuthError,
    PaymentRequiredError,
    RejectedError,
    RetryableError,
    SignedOutError,
    describe_transport_error,
)
from mana_desktop.sync.sse import SseEvent, aparse_lines

SCHEMA_VERSION = 1
REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# mana-sync sends no headers on an empty stream until the first 30 s heartbeat (§15.1).
STREAM_TIMEOUT = httpx.Timeout(10.0, read=45.0)
MAX_REASON = 500


class TokenSource(Protocol):
    def cached_token(self) -> str | None: ...
    def access_token(self) -> str: ...
    def refresh(self, rejected: str | None = None) -> str: ...
    def scrub(self, text: str) -> str: ...


@dataclass(frozen=True)
class SyncPage:
    """One SyncResponse: changes as received, the cursor, and whether more pages follow."""

    changes: Sequence[dict[str, Any]]  # a `BulkInserts` for a page of plain inserts
    synced_until: str
    has_more: bool


def decode_sync_page(content: bytes) -> SyncPage:
    """A SyncResponse body as a page; RetryableError when it is not one.

    A page made only of plain inserts (an initial sync) is decoded typed (`domain.bulk`) and
    applied without a dict per change; any other body is parsed the general way.
    """
    bulk = decode_bulk_page(content)
    if bulk is not None:
        return SyncPage(bulk[0], bulk[1], bulk[2] is True)
    try:
        body = fastjson.loads(content)  # stdlib semantics, orjson speed
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise RetryableError("the server's answer is not JSON") from None
    if not isinstance(body, dict):
        raise RetryableError("the server's answer is not a SyncResponse")
    changes = body.get("serverChanges")
    if changes is None:
        changes = []
    synced = body.get("syncedUntil")
    if not isinstance(changes, list) or not isinstance(synced, str):
        raise RetryableError("the server's answer is not a SyncResponse")
    return SyncPage(changes, synced, body.get("hasMore") is True)


class SyncClient:
    def __init__(self, server_url: str, client_id: str, tokens: TokenSource, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 clock: ClockSkew | None = None) -> None:
        self.client_id = client_id
        self.tokens = tokens
        self.clock = clock or ClockSkew()
        self.requests = 0
        self._http = httpx.AsyncClient(
            base_url=server_url.rstrip("/"), timeout=REQUEST_TIMEOUT, transport=transport,
            headers={"X-Client-Id": client_id}, follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ----- endpoints -----
    async def pull(self, app: str, collection: str, since: str) -> SyncPage:
        path = f"/sync/{quote(app, safe='')}/pull"
        response = await self._send("GET", path, params={"collection": collection, "since": since})
        return self._page(response)

    async def push(self, app: str, changes: Sequence[dict[str, Any]], since: str) -> SyncPage:
        body = json.dumps({
            "clientId": self.client_id, "appId": app, "since": since,
            "schemaVersion": SCHEMA_VERSION, "changes": list(changes),
        }, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        response = await self._send("POST", f"/sync/{quote(app, safe='')}", content=body,
                                    headers={"Content-Type": "application/json"})
        return self._page(response)

    async def stream(self, app: str, collections: Sequence[str], since: str
                     ) -> AsyncIterator[SseEvent]:
        """Events of `/sync/{app}/stream` until the server closes it, after a synthetic
        `open` event once the answer is 200. Raises like the other calls."""
        path = f"/sync/{quote(app, safe='')}/stream"
        params = {"collections": ",".join(collections), "since": since}
        token = await self._token()
        for attempt in (0, 1):
            request = self._http.build_request(
                "GET", path, params=params, timeout=STREAM_TIMEOUT,
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
            self.requests += 1
            try:
                response = await self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise _transport_error(exc) from None
            try:
                if response.status_code == 401 and attempt == 0:
                    token = await self._refresh(token)
                    continue
                if not response.is_success:
                    await response.aread()
                    self._raise_for_status(response)
                # A synthetic first event: the stream is up (upstream may send nothing for
                # 30 s, and headers only with the first event, §15.1).
                yield SseEvent("open", "")
                async for event in aparse_lines(response.aiter_lines()):
                    yield event
                return
            except httpx.HTTPError as exc:
                raise _transport_error(exc) from None
            finally:
                await response.aclose()

    # ----- plumbing -----
    async def _token(self) -> str:
        token = self.tokens.cached_token()
        if token is None:
            token = await _auth_call(self.tokens.access_token)
        return token

    async def _refresh(self, rejected: str) -> str:
        return await _auth_call(self.tokens.refresh, rejected)

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        token = await self._token()
        headers = dict(kwargs.pop("headers", {}))
        for attempt in (0, 1):
            headers["Authorization"] = f"Bearer {token}"
            sent = utc_now()
            self.requests += 1
            try:
                response = await self._http.request(method, path, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                raise _transport_error(exc) from None
            self._date_sample(response, sent)
            if response.status_code == 401 and attempt == 0:
                token = await self._refresh(token)
                continue
            self._raise_for_status(response)
            response.extensions["sent_at"] = sent
            return response
        raise AssertionError("unreachable")

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = self.tokens.scrub(_reason(response))
        if status == 401:
            raise SignedOutError(f"The server refused the sign-in ({reason}): sign in again.")
        if status == 402:
            raise PaymentRequiredError(_payment_message(response) or reason)
        if status in (408, 429) or status >= 500:
            raise RetryableError(f"server error {status}: {reason}", status=status,
                                 retry_after=parse_retry_after(response.headers.get("Retry-After")))
        raise RejectedError(status, reason)

    def _page(self, response: httpx.Response) -> SyncPage:
        try:
            page = decode_sync_page(response.content)
        except RetryableError as exc:
            exc.status = response.status_code
            raise
        if not page.has_more:
            self._precise_sample(page.synced_until, response)
        return page

    def _date_sample(self, response: httpx.Response, sent: Any) -> None:
        date = response.headers.get("Date")
        if not date:
            return
        try:
            server_time = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return
        if server_time.tzinfo is not None:
            self.clock.add_date_header(server_time, sent, utc_now())

    def _precise_sample(self, synced: str, response: httpx.Response) -> None:
        server_time = try_parse_instant(synced)
        sent = response.extensions.get("sent_at")
        if server_time is not None and sent is not None:
            self.clock.add_precise(server_time, sent, utc_now())


async def _auth_call(fn: Callable[..., str], *args: Any) -> str:
    """A blocking Credentials call off the loop, its AuthError mapped to our reactions:
    auth server unreachable or failing -> retry; refused -> sign in again."""
    try:
        return await asyncio.to_thread(fn, *args)
    except AuthError as exc:
        if exc.network or (exc.status is not None and (exc.status >= 500 or exc.status in (408, 429))):
            raise RetryableError(str(exc), status=exc.status, network=exc.network) from None
        raise SignedOutError(str(exc)) from None


def _transport_error(exc: httpx.HTTPError) -> RetryableError:
    # A reply cut off mid-way (a server panic, §15.5) is retried like a network error, not
    # treated as a 4xx.
    message, network = describe_transport_error(exc)
    return RetryableError(message, network=network)


def _reason(response: httpx.Response) -> str:
    text = response.text.strip()
    try:
        body = json.loads(text) if text.startswith("{") else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("message", "error", "reason"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])[:MAX_REASON]
    return (text.splitlines()[0] if text else response.reason_phrase)[:MAX_REASON]


def _payment_message(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])[:MAX_REASON]
    return None
