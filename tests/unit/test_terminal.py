"""Server text printed on a terminal never carries control sequences."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from mana_desktop.domain.terminal import terminal_safe

HOSTILE = "a\x1b[2J b\x07 c\u202eevil\r d\x9b1m"


def test_control_characters_are_shown_escaped() -> None:
    out = terminal_safe(HOSTILE)
    assert out == "a\\u001b[2J b\\u0007 c\\u202eevil\\u000d d\\u009b1m"
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)


def test_newlines_tabs_and_ordinary_text_stay() -> None:
    text = "Buy oat milk\n\tby Friday — Grüße 🥛 <b>x</b>"
    assert terminal_safe(text) == text


@given(st.text())
def test_escaped_json_still_decodes_to_the_original(text: str) -> None:
    dumped = json.dumps({"title": text}, ensure_ascii=False)
    assert json.loads(terminal_safe(dumped)) == {"title": text}


def test_safe_print_escapes_what_it_prints(capsys) -> None:
    from mana_desktop.domain.terminal import safe_print

    safe_print("paused:", "Sync\x1b]0;pwned\x07 ist aus", flush=True)
    out = capsys.readouterr().out
    assert out == "paused: Sync\\u001b]0;pwned\\u0007 ist aus\n"


def test_the_sync_and_workbench_commands_print_through_it() -> None:
    from mana_desktop.domain.terminal import safe_print
    from mana_desktop.sync import cli as sync_cli
    from mana_desktop.workbench import cli as workbench_cli

    assert sync_cli.print is safe_print
    assert workbench_cli.print is safe_print
