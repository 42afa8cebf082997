"""A loopback HTTP proxy that injects network and server faults between a client and a server.

It sits on `127.0.0.1:0` in front of the reference server and forwards HTTP/1.1 requests one
per connection (it answers with `Connection: close`, so clients open a new connection for the
next request and every request gets its own fault decision). Faults are rules, added and
removed at run time from the test thread; which rule fires is drawn from a seeded
`random.Random`, so a run with the same seed and the same request order injects the same
faults.

Fault kinds (`Rule.kind`):

- `latency`  wait `delay_s` before forwarding, then forward normally.
- `drop`     close the connection without a response (the client sees EOF).
- `reset`    abort the connection with a TCP RST (SO_LINGER 0).
- `status`   answer `status` (500/502/503/...) with a plain-text body.
- `429`      answer 429 with `Retry-After: retry_after`.
- `truncate` forward the response but cut the body after `truncate_at` bytes, then close.
- `stall`    forward the status line and headers, then send nothing until `delay_s` passed
             (or forever with `delay_s=None`) or `release()` is called; then close.

`phase="after"` on drop/reset/status/429 forwards the request to the server first and
throws the answer away: the server did the work, the client thinks it failed. That is the
case that produces duplicates in a client that is not idempotent.

`offline=True` makes the proxy reset every connection at once (a device going offline).

Bookkeeping stays bounded on long runs: `counts()` is a running tally of every request, while
`events()` keeps only the last `event_log` decisions (a 10,000-kill run makes millions of
requests; a full event list was part of the harness's memory growth).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import struct
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["latency", "drop", "reset", "status", "429", "truncate", "stall"]
KINDS: tuple[str, ...] = ("latency", "drop", "reset", "status", "429", "truncate", "stall")
MAX_HEAD = 64 * 1024
READ_CHUNK = 64 * 1024
EVENT_LOG = 10_000  # events() keeps this many of the latest decisions


@dataclass
class Rule:
    """One fault: what it does, which requests it applies to, how often, how many times."""

    kind: Kind
    probability: float = 1.0
    times: int | None = None  # fire at most this often (None = unlimited)
    method: str | None = None  # e.g. "POST"
    path: str | None = None  # regex searched in the request target
    status: int = 503
    retry_after: int = 1
    delay_s: float | None = 0.05
    truncate_at: int = 10
    phase: Literal["before", "after"] = "before"
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")
        self._path_re = re.compile(self.path) if self.path else None

    def matches(self, method: str, target: str) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        return not (self._path_re and not self._path_re.search(target))


@dataclass(frozen=True)
class Event:
    """What the proxy did with one request (for assertions and run logs)."""

    seq: int
    method: str
    target: str
    fault: str | None  # rule kind, "offline", or None when forwarded untouched


class FaultProxy:
    """The proxy; `with FaultProxy(host, port, seed=1) as proxy:` gives `proxy.url`."""

    def __init__(
        self, upstream_host: str, upstream_port: int, *, seed: int = 0, event_log: int = EVENT_LOG
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._rng = random.Random(seed)
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._seen = threading.Condition(self._lock)  # notified on every request decided
        self._offline = False
        self._events: deque[Event] = deque(maxlen=event_log)
        self._counts: Counter[str] = Counter()
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._release: asyncio.Event | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # strong refs: aborted handlers stay alive
        self.port = 0

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> FaultProxy:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # reported to start() below
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fault proxy did not start within 10 s")
        if errors:
            raise RuntimeError(f"fault proxy failed to start: {errors[0]}")
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- run-time configuration (any thread) -------------------------------------------------
    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: Rule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Remove every rule and go online; stalled responses are released."""
        with self._lock:
            self._rules.clear()
            self._offline = False
        self.release()

    @contextlib.contextmanager
    def fault(self, rule: Rule) -> Iterator[Rule]:
        """Apply a rule for the duration of a `with` block."""
        self.add(rule)
        try:
            yield rule
        finally:
            self.remove(rule)

    def set_offline(self, offline: bool) -> None:
        """Offline resets new connections and aborts open ones (SSE streams included)."""
        with self._lock:
            self._offline = offline
        if offline and self._loop is not None:
            self._loop.call_soon_threadsafe(self._abort_all)

    @property
    def offline(self) -> bool:
        return self._offline

    def release(self) -> None:
        """End every stall in progress now (later stalls stall again)."""
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._release_now)

    def _release_now(self) -> None:
        if self._release is not None:
            self._release.set()
        self._release = asyncio.Event()

    def events(self) -> list[Event]:
        """The latest decisions, oldest first (at most `event_log` of them)."""
        with self._lock:
            return list(self._events)

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate()` holds (re-checked after every request), or the timeout."""
        with self._seen:
            return self._seen.wait_for(predicate, timeout)

    def counts(self) -> Counter[str]:
        """How many requests got each fault ("forwarded" for untouched ones), since the start."""
        with self._lock:
            return Counter(self._counts)

    # -- decisions ----------------------------------------------------------------------------
    def _decide(self, method: str, target: str) -> Rule | str | None:
        with self._lock:
            self._seq += 1
            if self._offline:
                self._record(Event(self._seq, method, target, "offline"))
                return "offline"
            chosen: Rule | None = None
            for rule in self._rules:
                if not rule.matches(method, target):
                    continue
                # Draw for every matching rule, so the sequence of draws (and so the faults)
                # depends only on the seed and the request order.
                if self._rng.random() < rule.probability and chosen is None:
                    chosen = rule
            if chosen is not None:
                chosen.fired += 1
            self._record(Event(self._seq, method, target, chosen.kind if chosen else None))
            return chosen

    def _record(self, event: Event) -> None:
        """Log and count one decision (the lock is held) and wake `wait()`ers."""
        self._events.append(event)
        self._counts[event.fault or "forwarded"] += 1
        self._seen.notify_all()

    # -- the asyncio side -------------------------------------------------------------------
    async def _listen(self) -> None:
        self._release = asyncio.Event()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        self._abort_all()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _abort_all(self) -> None:
        for writer in list(self._conns):
            _reset(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)  # type: ignore[arg-type]
            task.add_done_callback(self._tasks.discard)
        self._conns.add(writer)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        except asyncio.CancelledError:  # the proxy is stopping: end quietly
            pass
        finally:
            self._conns.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await _read_head(reader)
        if head is None:
            return
        method, target, body = head[0], head[1], b""
        length = _content_length(head[2])
        if length:
            body = await reader.readexactly(length)
        decision = self._decide(method, target)
        if decision == "offline":
            _reset(writer)
            return
        rule = decision if isinstance(decision, Rule) else None
        if rule is not None and rule.kind == "latency":
            await asyncio.sleep(rule.delay_s or 0)
            rule = None
        if rule is not None and rule.kind in ("drop", "reset", "status", "429"):
            if rule.phase == "after":
                await self._forward(head[2], body, None, discard=True)
            await _fail(writer, rule)
            return
        await self._forward(head[2], body, (writer, rule), discard=False)

    async def _forward(
        self,
        raw_head: bytes,
        body: bytes,
        client: tuple[asyncio.StreamWriter, Rule | None] | None,
        *,
        discard: bool,
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        try:
            up_writer.write(_force_close(raw_head) + body)
            await up_writer.drain()
            if discard or client is None:
                # Read the whole answer so the server finishes its work before we fail.
                with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
                    await asyncio.wait_for(_drain_until_complete(up_reader), 30)
                return
            await self._relay(up_reader, client[0], client[1])
        finally:
            with contextlib.suppress(Exception):
                up_writer.close()

    async def _relay(
        self, up: asyncio.StreamReader, writer: asyncio.StreamWriter, rule: Rule | None
    ) -> None:
        resp_head = await _read_raw_head(up)
        if resp_head is None:
            writer.close()
            return
        writer.write(_force_close(resp_head))
        await writer.drain()
        if rule is not None and rule.kind == "stall":
            assert self._release is not None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._release.wait(), rule.delay_s)
            _reset(writer)
            return
        budget = rule.truncate_at if rule is not None and rule.kind == "truncate" else None
        while True:
            chunk = await up.read(READ_CHUNK)
            if not chunk:
                break
            if budget is not None:
                chunk = chunk[:budget]
                budget -= len(chunk)
            writer.write(chunk)
            await writer.drain()
            if budget is not None and budget <= 0:
                _reset(writer)
                return
        await writer.drain()


# -- HTTP helpers -----------------------------------------------------------------------------
async def _read_raw_head(reader: asyncio.StreamReader) -> bytes | None:
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        return None


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, bytes] | None:
    raw = await _read_raw_head(reader)
    if raw is None or len(raw) > MAX_HEAD:
        return None
    line = raw.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    if len(parts) != 3:
        return None
    return parts[0], parts[1], raw


def _headers(raw: bytes) -> list[tuple[str, str]]:
    out = []
    for line in raw.split(b"\r\n")[1:]:
        if b":" in line:
            name, value = line.split(b":", 1)
            out.append((name.decode("latin-1").strip().lower(), value.decode("latin-1").strip()))
    return out


def _content_length(raw: bytes) -> int:
    for name, value in _headers(raw):
        if name == "content-length" and value.isdigit():
            return int(value)
    return 0


def _force_close(raw: bytes) -> bytes:
    """The same head with `Connection: close` (one request per connection on both sides)."""
    lines = [
        line
        for line in raw[:-4].split(b"\r\n")
        if not line.lower().startswith((b"connection:", b"keep-alive:"))
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


async def _drain_until_complete(reader: asyncio.StreamReader) -> None:
    while await reader.read(READ_CHUNK):
        pass


async def _fail(writer: asyncio.StreamWriter, rule: Rule) -> None:
    if rule.kind == "drop":
        writer.close()
        return
    if rule.kind == "reset":
        _reset(writer)
        return
    status = 429 if rule.kind == "429" else rule.status
    body = f"fault proxy: injected {status}\n".encode()
    extra = f"Retry-After: {rule.retry_after}\r\n" if status == 429 else ""
    writer.write(
        (
            f"HTTP/1.1 {status} Injected\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
        ).encode()
        + body
    )
    await writer.drain()
    writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with RST: SO_LINGER(on, 0) then close."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport = writer.transport
    with contextlib.suppress(Exception):
        transport.abort()
