"""`lww.canon_many` is `canon_at` over a column, whatever the column holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mana_desktop.domain.lww import canon_at, canon_many

VALID = ["2026-04-01T10:00:01.123Z", "1999-12-31T23:59:59.999Z", "2024-02-29T00:00:00.000Z",
         "2026-04-01T10:00:01.123456Z", "9999-12-31T23:59:59.999999Z"]
# What a character of a stamp may be bent into: other digits, separators, other scripts' digits.
BENDS = ["0", "9", "3", "-", ":", ".", "T", "t", " ", "Z", "z", "+", "a", "\u0663", "\uff11", ","]


@st.composite
def stamps(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(BENDS)) + text[at + 1 :]
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(["", "2026-04-01T10:00:01Z", "0999-01-01T00:00:00.000Z",
                                     "2026-02-30T10:00:01.123Z", "2026-04-01T24:00:00.000Z"]))
    return text


@settings(max_examples=1000, deadline=None)
@given(column=st.lists(stamps(), min_size=1, max_size=4))
def test_canon_many_is_canon_at_of_each(column: list[str]) -> None:
    assert canon_many(column) == [canon_at(text) for text in column]


def test_a_column_of_browser_stamps_is_rewritten_and_one_bad_stamp_parses_each() -> None:
    column = ["2026-04-01T10:00:01.123Z", "2026-04-02T11:00:01.999Z"]
    assert canon_many(column) == ["2026-04-01T10:00:01.123000Z", "2026-04-02T11:00:01.999000Z"]
    assert canon_many([*column, "2026-02-30T10:00:01.123Z"])[2] is None
    assert canon_many(["2026-04-01T10:00:01.123+00:00"]) == ["2026-04-01T10:00:01.123000Z"]
