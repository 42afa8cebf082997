"""Server text on a terminal.

Titles, rationales and parameters come from the server (and from an LLM before that): they
are data. Printed raw, an ESC or BEL in them would drive the user's terminal (clear the
screen, retitle the window, hide text with a bidi override). Every command that prints such
text passes it through `terminal_safe` first.
"""

from __future__ import annotations

import builtins
import re
from typing import Any

# C0 controls except newline and tab, DEL, C1 controls, and the bidi overrides/isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal_safe(text: str) -> str:
    """`text` with every terminal control character shown as a `\\uXXXX` escape.

    The escape is also a valid JSON string escape, so JSON output stays valid JSON that
    decodes to the original text.
    """
    return _UNSAFE.sub(_escape, text)


def safe_print(
    *values: object, sep: str = " ", end: str = "\n", file: Any = None, flush: bool = False
) -> None:
    """`print`, with `terminal_safe` applied: commands that show server text print through it."""
    builtins.print(terminal_safe(sep.join(str(v) for v in values)), end=end, file=file, flush=flush)
