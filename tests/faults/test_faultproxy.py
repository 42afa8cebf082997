"""The fault proxy's own tests, against a tiny stdlib HTTP server on 127.0.0.1:0."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.harness.faultproxy import FaultProxy, Rule

BIG = b"x" * 200_000


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True
    posts = 0


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        body = BIG if self.path.startswith("/big") else b'{"ok":true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        assert isinstance(self.server, _Upstream)
        self.server.posts += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: _Upstream) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", upstream.server_address[1], seed=7) as p:
        yield p


def _client(timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(timeout=timeout)


def test_forwards_untouched(proxy: FaultProxy, upstream: _Upstream) -> None:
    with _client() as c:
        r = c.post(proxy.url + "/echo", content=b"hello")
        big = c.get(proxy.url + "/big")
    assert r.status_code == 200 and r.content == b"hello"
    assert big.content == BIG
    assert upstream.posts == 1
    assert proxy.counts()["forwarded"] == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_injects_status_without_reaching_server(
    proxy: FaultProxy, upstream: _Upstream, status: int
) -> None:
    proxy.add(Rule("status", status=status, times=1))
    with _client() as c:
        first = c.post(proxy.url + "/echo", content=b"a")
        second = c.post(proxy.url + "/echo", content=b"b")
    assert first.status_code == status
    assert "injected" in first.text
    assert second.status_code == 200
    assert upstream.posts == 1


def test_429_carries_retry_after(proxy: FaultProxy) -> None:
    proxy.add(Rule("429", retry_after=7))
    with _client() as c:
        r = c.get(proxy.url + "/x")
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"


def test_status_after_the_server_did_the_work(proxy: FaultProxy, upstream: _Upstream) -> None:
    proxy.add(Rule("status", status=502, phase="after", method="POST"))
    with _client() as c:
        r = c.post(proxy.url + "/echo", content=b"push")
    assert r.status_code == 502
    assert upstream.posts == 1  # the server applied it, the client saw a failure


@pytest.mark.parametrize("kind", ["drop", "reset"])
def test_drop_and_reset_are_network_errors(proxy: FaultProxy, kind: str) -> None:
    proxy.add(Rule(kind))  # type: ignore[arg-type]
    with _client() as c, pytest.raises(httpx.TransportError):
        c.get(proxy.url + "/x")


def test_truncate_cuts_the_body(proxy: FaultProxy) -> None:
    proxy.add(Rule("truncate", truncate_at=1000, path="^/big"))
    with _client() as c, pytest.raises(httpx.TransportError):
        c.get(proxy.url + "/big")
    with _client() as c:
        assert c.get(proxy.url + "/small").status_code == 200


def test_stall_times_out_the_client_and_release_ends_it(proxy: FaultProxy) -> None:
    proxy.add(Rule("stall", delay_s=None, times=1))
    with _client(timeout=0.3) as c, pytest.raises(httpx.ReadTimeout):
        c.get(proxy.url + "/big")
    proxy.release()
    with _client() as c:
        assert c.get(proxy.url + "/big").content == BIG


def test_stall_ends_by_itself_after_delay(proxy: FaultProxy) -> None:
    proxy.add(Rule("stall", delay_s=0.2, times=1))
    started = time.monotonic()
    with _client() as c, pytest.raises(httpx.TransportError):
        c.get(proxy.url + "/big")
    assert time.monotonic() - started < 4


def test_latency_delays_but_succeeds(proxy: FaultProxy) -> None:
    proxy.add(Rule("latency", delay_s=0.2))
    started = time.monotonic()
    with _client() as c:
        assert c.get(proxy.url + "/x").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_offline_and_back(proxy: FaultProxy) -> None:
    proxy.set_offline(True)
    with _client() as c, pytest.raises(httpx.TransportError):
        c.get(proxy.url + "/x")
    proxy.set_offline(False)
    with _client() as c:
        assert c.get(proxy.url + "/x").status_code == 200
    assert proxy.counts()["offline"] == 1


def test_going_offline_aborts_an_open_stream(proxy: FaultProxy) -> None:
    proxy.add(Rule("stall", delay_s=None))
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            with _client(timeout=30) as c:
                c.get(proxy.url + "/big")
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=fetch)
    t.start()
    deadline = time.monotonic() + 5
    while not proxy.events() and time.monotonic() < deadline:
        time.sleep(0.01)
    proxy.set_offline(True)
    t.join(5)
    assert not t.is_alive()
    assert errors and isinstance(errors[0], httpx.TransportError)


def test_path_and_method_filters(proxy: FaultProxy) -> None:
    proxy.add(Rule("status", status=500, method="POST", path=r"^/sync/"))
    with _client() as c:
        assert c.get(proxy.url + "/sync/todo/pull").status_code == 200
        assert c.post(proxy.url + "/other", content=b"").status_code == 200
        assert c.post(proxy.url + "/sync/todo", content=b"{}").status_code == 500


def _run_pattern(upstream: _Upstream, seed: int) -> list[str | None]:
    with FaultProxy("127.0.0.1", upstream.server_address[1], seed=seed) as p:
        p.add(Rule("status", probability=0.3, status=503))
        p.add(Rule("429", probability=0.3))
        with _client() as c:
            for _ in range(30):
                c.get(p.url + "/x")
        return [e.fault for e in p.events()]


def test_same_seed_same_faults(upstream: _Upstream) -> None:
    a = _run_pattern(upstream, 3)
    b = _run_pattern(upstream, 3)
    c = _run_pattern(upstream, 4)
    assert a == b
    assert a != c
    assert {"status", "429", None} <= set(a)


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Rule("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probability"):
        Rule("drop", probability=2)


def test_fault_context_manager_removes_rule(proxy: FaultProxy) -> None:
    with proxy.fault(Rule("status", status=500)), _client() as c:
        assert c.get(proxy.url + "/x").status_code == 500
    with _client() as c:
        assert c.get(proxy.url + "/x").status_code == 200
