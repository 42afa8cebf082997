"""Planning with an OpenAI-compatible chat-completions endpoint (mana-llm, Ollama, OpenAI...).

As upstream's `PlannerClient` (spec ai-workbench §2.5): one POST with the system and user
messages, temperature 0.3, no streaming, no tools; the answer is `choices[0].message.content`.
The key comes from an environment variable, never from the command line (it would show in `ps`),
and never appears in an error message.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from mana_desktop.server.planner_types import PlannerError, PlanRequest

DEFAULT_MODEL = "gpt-4o-mini"
KEY_ENV_VARS = ("MANA_LLM_API_KEY", "OPENAI_API_KEY")
TEMPERATURE = 0.3
ERROR_BODY_CHARS = 300


def completions_url(base: str) -> str:
    """Accept a server root, a `/v1` base or the full endpoint."""
    url = base.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"--llm-url must start with http:// or https:// (got {base!r})")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def api_key_from_env(env: dict[str, str] | None = None) -> str | None:
    source = os.environ if env is None else env
    return next((source[name] for name in KEY_ENV_VARS if source.get(name)), None)


class LlmPlanner:
    """Blocking client; the runner calls it from its own thread."""

    name = "llm"

    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = completions_url(url)
        self.model = model or DEFAULT_MODEL
        self._api_key = api_key if api_key is not None else api_key_from_env()
        self._client = httpx.Client(timeout=timeout_s, transport=transport)

    def close(self) -> None:
        self._client.close()

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        return headers

    def _scrub(self, text: str) -> str:
        # An endpoint may echo the request headers back in an error page.
        return text.replace(self._api_key, "***") if self._api_key else text

    def complete(self, request: PlanRequest) -> str:
        body = {
            "model": self.model,
            "temperature": TEMPERATURE,
            "messages": [
                {"role": "system", "content": request.messages.system},
                {"role": "user", "content": request.messages.user},
            ],
        }
        try:
            response = self._client.post(self.url, json=body, headers=self._headers())
        except httpx.HTTPError as exc:
            raise PlannerError(
                self._scrub(f"LLM request failed: {type(exc).__name__}: {exc}")
            ) from None
        if not response.is_success:
            snippet = response.text[:ERROR_BODY_CHARS]
            raise PlannerError(self._scrub(f"LLM {response.status_code}: {snippet}"))
        return _content(response)


def _content(response: httpx.Response) -> str:
    try:
        payload: Any = response.json()
    except ValueError:
        raise PlannerError("LLM answer is not JSON") from None
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str) or not content.strip():
        raise PlannerError("LLM answer has no message content")
    return content
