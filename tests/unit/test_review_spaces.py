"""Review finding #2 and the Spaces hold of #1, domain side (`domain/spaces.py`)."""

from __future__ import annotations

from mana_desktop.domain.spaces import Space, SpaceContext, personal_sentinel


def context(*spaces: Space, loaded: bool = False) -> SpaceContext:
    return SpaceContext("me", None, {s.id: s for s in spaces}, loaded=loaded)


def test_the_owned_personal_space_wins_whatever_the_order() -> None:
    foreign = Space("a-foreign", "Anna", "personal", "member")
    mine = Space("z-mine", "Zoe", "personal", "owner")
    assert context(foreign, mine).personal_space_id == "z-mine"
    assert context(mine, foreign).effective_space_id() == "z-mine"


def test_ambiguous_personal_spaces_keep_the_sentinel() -> None:
    unknown = context(Space("a", type="personal"), Space("b", type="personal"))
    assert unknown.personal_space_id is None
    assert unknown.effective_space_id() == personal_sentinel("me")
    assert unknown.wire_space_id(personal_sentinel("me")) == personal_sentinel("me")
    two_owned = context(Space("a", type="personal", role="owner"),
                        Space("b", type="personal", role="owner"))
    assert two_owned.personal_space_id is None
    only_foreign = context(Space("a", type="personal", role="member"))
    assert only_foreign.personal_space_id is None


def test_a_single_personal_space_of_unknown_role_is_ours() -> None:
    assert context(Space("p", type="personal")).personal_space_id == "p"


def test_unknown_spaces_await_the_first_load_only() -> None:
    team = Space("t", "Team", "team", "member")
    before = context(team)
    assert before.awaits_spaces("elsewhere")
    assert not before.awaits_spaces("t")  # known (from the cache): no wait
    assert not before.awaits_spaces(personal_sentinel("me"))
    assert not before.awaits_spaces(personal_sentinel("someone"))
    assert not before.awaits_spaces(None) and not before.awaits_spaces("")
    assert not context(team, loaded=True).awaits_spaces("elsewhere")
