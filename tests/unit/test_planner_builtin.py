"""The built-in planner: realistic, valid, deterministic, and it listens to feedback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mana_desktop.domain.planner import (
    ParseOk,
    PlanOutput,
    build_planner_prompt,
    parse_planner_response,
)
from mana_desktop.domain.tools import validate
from mana_desktop.server.planner_builtin import BuiltinPlanner, build_plan, theme_of
from mana_desktop.server.planner_tools import planner_tools
from mana_desktop.server.planner_types import PlanRequest

NOW = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)  # a Wednesday morning
TOOLS = planner_tools()

MISSIONS: dict[str, dict[str, Any]] = {
    "review": {"id": "m1", "title": "Weekly review", "objective": "Turn loose ends into tasks"},
    "trip": {"id": "m2", "title": "Trip to Lisbon", "objective": "Plan a long weekend in Lisbon"},
    "hydration": {"id": "m3", "title": "Hydration goal", "objective": "Drink 2 litres of water"},
    "reading": {
        "id": "m4",
        "title": "Reading list",
        "objective": "Collect books worth reading",
        "inputs": [{"module": "notes", "table": "notes", "id": "note-1"}],
    },
    "generic": {"id": "m5", "title": "Learn Spanish", "objective": "Practise Spanish daily"},
}


def plan(mission: dict[str, Any], tools: Any = TOOLS, now: datetime = NOW) -> PlanOutput:
    mission = {"iterations": [], **mission}
    request = PlanRequest(
        mission, build_planner_prompt(mission, (), tools), tuple(tools), (), now, UTC
    )
    result = parse_planner_response(BuiltinPlanner().complete(request), {t.name for t in tools})
    assert isinstance(result, ParseOk), result
    return result.value


@pytest.mark.parametrize("theme", sorted(MISSIONS))
def test_every_theme_gives_valid_steps_with_rationale(theme: str) -> None:
    m = MISSIONS[theme]
    assert theme_of(f"{m['title']} {m['objective']}".lower()) == theme
    out = plan(MISSIONS[theme])
    assert 1 <= len(out.steps) <= 3
    for step in out.steps:
        _coerced, errors = validate(step.tool_name, step.params)
        assert errors == [], (step, errors)
        assert step.rationale and step.summary


def test_themes_use_their_modules() -> None:
    assert {s.tool_name for s in plan(MISSIONS["trip"]).steps} & {"create_event", "create_place"}
    assert "log_drink" in {s.tool_name for s in plan(MISSIONS["hydration"]).steps}
    reading = plan(MISSIONS["reading"]).steps
    assert reading[0].tool_name == "append_to_note" and reading[0].params["noteId"] == "note-1"
    assert plan(MISSIONS["review"]).steps[0].tool_name == "create_task"


def test_trip_places_have_real_coordinates() -> None:
    places = [s for s in plan(MISSIONS["trip"]).steps if s.tool_name == "create_place"]
    assert places and abs(places[0].params["latitude"] - 38.7) < 0.2


def test_deterministic() -> None:
    assert plan(MISSIONS["review"]) == plan(MISSIONS["review"])


def test_never_repeats_an_earlier_step_and_keeps_going() -> None:
    mission = dict(MISSIONS["review"])
    seen: set[str] = set()
    iterations: list[dict[str, Any]] = []
    for _ in range(6):
        out = plan({**mission, "iterations": iterations})
        assert out.steps, "the planner ran dry"
        summaries = {s.summary for s in out.steps}
        assert not summaries & seen
        seen |= summaries
        iterations.append(
            {
                "id": str(len(iterations)),
                "plan": [{"summary": s.summary, "status": "rejected"} for s in out.steps],
            }
        )


def test_feedback_asking_for_fewer_gives_one_step_and_is_acknowledged() -> None:
    iterations = [{"id": "i1", "plan": [], "userFeedback": "Too many proposals, fewer please"}]
    out = plan({**MISSIONS["review"], "iterations": iterations})
    assert len(out.steps) == 1
    assert "fewer please" in out.steps[0].rationale


def test_only_offered_tools_are_used() -> None:
    only_tasks = [t for t in TOOLS if t.name == "create_task"]
    out = plan(MISSIONS["trip"], only_tasks)
    assert out.steps and {s.tool_name for s in out.steps} == {"create_task"}
    nothing = plan(MISSIONS["trip"], [])
    assert nothing.steps == () and nothing.summary


def test_german_mission_gets_german_text() -> None:
    out = plan(
        {"id": "g", "title": "Wochenreview", "objective": "Offene Aufgaben der Woche sortieren"}
    )
    assert "Vorschläge" in out.summary
    assert all(s.rationale for s in out.steps)


def test_build_plan_dates_are_in_the_future() -> None:
    mission = {"iterations": [], **MISSIONS["trip"]}
    request = PlanRequest(mission, build_planner_prompt(mission, (), TOOLS), TOOLS, (), NOW, UTC)
    for step in build_plan(request).steps:
        for key in ("dueDate", "startTime"):
            if key in step.params:
                assert step.params[key][:10] >= NOW.date().isoformat()


def test_feedback_is_quoted_once_and_only_while_the_prompt_shows_it() -> None:
    recent = [{"id": "i1", "plan": [], "userFeedback": "Prefer mornings"}]
    steps = plan({**MISSIONS["review"], "iterations": recent}).steps
    assert len(steps) == 3
    assert "Prefer mornings" in steps[0].rationale
    assert not any("Prefer mornings" in s.rationale for s in steps[1:])
    old = recent + [{"id": f"i{n}", "plan": []} for n in range(2, 5)]
    assert not any(
        "Prefer mornings" in s.rationale
        for s in plan({**MISSIONS["review"], "iterations": old}).steps
    )
