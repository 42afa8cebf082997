"""A small Server-Sent Events parser (the WHATWG rules that mana-sync's stream needs).

mana-sync sends `event:` and `data:` lines and a blank line per event, no `id:` or `retry:`
(sync-protocol.md §2.5). We still follow the standard: multi-line data joined with `\\n`,
comments (`:`) ignored, one optional space after the colon, CR/LF/CRLF line ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: str


class SseParser:
    """Feed lines (without their line ends); complete events come out."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None  # id, retry and unknown fields are not used by mana-sync

    def _dispatch(self) -> SseEvent | None:
        if not self._data and not self._event:
            return None
        event = SseEvent(self._event or "message", "\n".join(self._data))
        self._event, self._data = "", []
        return event


def parse_lines(lines: Iterable[str]) -> Iterator[SseEvent]:
    parser = SseParser()
    for line in lines:
        event = parser.feed(line.rstrip("\r\n"))
        if event is not None:
            yield event


async def aparse_lines(lines: AsyncIterable[str]) -> AsyncIterator[SseEvent]:
    parser = SseParser()
    async for line in lines:
        event = parser.feed(line.rstrip("\r\n"))
        if event is not None:
            yield event
