"""The OpenAI-compatible planner against a real local HTTP endpoint (127.0.0.1:0)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from mana_desktop.domain.planner import PlannerMessages, parse_planner_response
from mana_desktop.server.planner_llm import LlmPlanner, api_key_from_env, completions_url
from mana_desktop.server.planner_types import PlannerError, PlanRequest

SECRET = "sk-test-secret-123"


class Handler(BaseHTTPRequestHandler):
    replies: ClassVar[list[tuple[int, str]]] = []
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length))
        Handler.seen.append(
            {"path": self.path, "auth": self.headers.get("authorization"), "body": body}
        )
        status, text = Handler.replies.pop(0)
        payload = text.encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def endpoint() -> Iterator[str]:
    Handler.replies, Handler.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def request() -> PlanRequest:
    return PlanRequest(
        mission={"id": "m", "title": "t", "objective": "o"},
        messages=PlannerMessages(system="SYS", user="USER"),
        tools=(),
        resolved_inputs=(),
        now=datetime(2026, 4, 15, tzinfo=UTC),
    )


def chat(content: str) -> str:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})


def test_posts_messages_and_returns_content(endpoint: str) -> None:
    answer = '```json\n{"summary": "s", "steps": []}\n```'
    Handler.replies.append((200, chat(answer)))
    planner = LlmPlanner(endpoint, "llama3", api_key=SECRET)
    text = planner.complete(request())
    planner.close()
    assert parse_planner_response(text, set()).ok
    [seen] = Handler.seen
    assert seen["path"] == "/v1/chat/completions"
    assert seen["auth"] == f"Bearer {SECRET}"
    assert seen["body"] == {
        "model": "llama3",
        "temperature": 0.3,
        "messages": [{"role": "system", "content": "SYS"}, {"role": "user", "content": "USER"}],
    }


def test_http_error_names_status_and_hides_key(endpoint: str) -> None:
    Handler.replies.append((503, json.dumps({"error": f"overloaded, key {SECRET}"})))
    planner = LlmPlanner(endpoint + "/v1", api_key=SECRET)
    with pytest.raises(PlannerError) as info:
        planner.complete(request())
    planner.close()
    assert str(info.value).startswith("LLM 503:")
    assert SECRET not in str(info.value)
    assert Handler.seen[0]["body"]["model"] == "gpt-4o-mini"


@pytest.mark.parametrize("body", ["not json", json.dumps({"choices": []}), chat("   ")])
def test_unusable_answers_are_planner_errors(endpoint: str, body: str) -> None:
    Handler.replies.append((200, body))
    planner = LlmPlanner(endpoint, api_key="")
    with pytest.raises(PlannerError):
        planner.complete(request())
    planner.close()
    assert Handler.seen[0]["auth"] is None  # no key, no header


def test_unreachable_endpoint_is_a_planner_error() -> None:
    planner = LlmPlanner("http://127.0.0.1:9", api_key=SECRET, timeout_s=5)
    with pytest.raises(PlannerError, match="LLM request failed"):
        planner.complete(request())
    planner.close()


def test_completions_url_forms() -> None:
    assert completions_url("http://h:1/") == "http://h:1/v1/chat/completions"
    assert completions_url("https://api.example/v1") == "https://api.example/v1/chat/completions"
    full = "http://h/v1/chat/completions"
    assert completions_url(full) == full
    with pytest.raises(ValueError, match="http"):
        completions_url("ftp://h")


def test_key_from_environment() -> None:
    assert api_key_from_env({"MANA_LLM_API_KEY": "a", "OPENAI_API_KEY": "b"}) == "a"
    assert api_key_from_env({"OPENAI_API_KEY": "b"}) == "b"
    assert api_key_from_env({}) is None
