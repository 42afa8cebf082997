"""Planner prompt (spec ai-workbench §1.4) and parser (§1.5) vectors."""

from __future__ import annotations

from typing import Any

import pytest

from mana_desktop.domain.planner import (
    AvailableTool,
    ParseFailure,
    ParseOk,
    PlannedStep,
    PlanOutput,
    ResolvedInput,
    ToolParam,
    available_tool,
    build_planner_prompt,
    parse_planner_response,
    plan_to_json,
)

CREATE_TASK = AvailableTool(
    name="create_task",
    module="todo",
    description="Neue Aufgabe anlegen",
    parameters=(
        ToolParam("title", "string", True, "Titel"),
        ToolParam("priority", "string", False, "Priorität", ("low", "medium", "high")),
    ),
)
STATS = AvailableTool(name="get_task_stats", module="todo", description="Statistik")
KNOWN = {"create_task", "create_event"}


def mission(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "m-1",
        "title": "Wochenreview",
        "conceptMarkdown": "",
        "objective": "Offene Aufgaben sortieren",
        "iterations": [],
    }
    base.update(extra)
    return base


def iteration(n: int, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"it-{n}",
        "startedAt": f"2026-04-1{n}T08:00:00.000Z",
        "overallStatus": "awaiting-review",
        "plan": [{"id": f"it-{n}-0", "summary": f"Schritt {n}", "status": "staged"}],
    }
    base.update(extra)
    return base


# --- prompt ---------------------------------------------------------------------------------


def test_system_message_lists_tools_params_and_rules() -> None:
    system = build_planner_prompt(mission(), (), [CREATE_TASK, STATS]).system
    assert "1 bis 5 Schritten" in system
    assert "```json" in system and '"rationale"' in system
    assert "  • create_task (todo) — Neue Aufgabe anlegen" in system
    assert "      - title: string (required) — Titel" in system
    assert "      - priority: string [low|medium|high] — Priorität" in system
    assert "  • get_task_stats (todo) — Statistik\n    (no parameters)" in system
    assert system.index("Verfügbare Tools:") < system.index("create_task (todo)")


def test_system_message_without_tools() -> None:
    system = build_planner_prompt(mission(), (), []).system
    assert system.endswith("Verfügbare Tools:\n  (keine Tools verfügbar — gib leeren steps zurück)")


def test_user_message_first_iteration_shape() -> None:
    user = build_planner_prompt(mission(), (), [CREATE_TASK]).user
    assert user == (
        "# Mission: Wochenreview\n\n"
        "## Konzept\n_(leer)_\n\n"
        "## Konkretes Ziel\nOffene Aufgaben sortieren\n\n"
        "## Verlinkte Inputs\n_(keine verlinkten Inputs)_\n\n"
        "## Letzte Iterationen (max. 3)\n_(erste Iteration)_\n\n"
        "---\n\n"
        "Erzeuge jetzt einen Plan für die nächste Iteration."
    )


def test_user_message_inputs_title_or_id() -> None:
    inputs = [
        ResolvedInput(
            id="n-1", module="notes", table="notes", content="Bücherliste", title="Lesen"
        ),
        ResolvedInput(id="t-9", module="todo", table="tasks", content="Steuern"),
    ]
    user = build_planner_prompt(mission(conceptMarkdown="# Idee"), inputs, []).user
    assert "## Konzept\n# Idee\n\n" in user
    assert "### notes/notes: Lesen\nBücherliste\n\n### todo/tasks: t-9\nSteuern" in user


def test_user_message_last_three_iterations_with_feedback() -> None:
    its = [
        iteration(1),
        iteration(2, summary="Zwei Aufgaben"),
        iteration(3, userFeedback="Weniger Aufgaben bitte"),
        iteration(4, overallStatus="rejected"),
    ]
    user = build_planner_prompt(mission(iterations=its), (), []).user
    assert "Schritt 1" not in user  # only the last three
    expected = (
        "**2026-04-12T08:00:00.000Z** (awaiting-review):\n  Summary: Zwei Aufgaben\n"
        "  - [staged] Schritt 2\n\n"
        "**2026-04-13T08:00:00.000Z** (awaiting-review):\n  - [staged] Schritt 3\n"
        "  Nutzer-Feedback: Weniger Aufgaben bitte\n\n"
        "**2026-04-14T08:00:00.000Z** (rejected):\n  - [staged] Schritt 4"
    )
    assert expected in user


def test_prompt_tolerates_malformed_mission_fields() -> None:
    bad = mission(iterations="nope", title=None)
    user = build_planner_prompt(bad, (), []).user
    assert user.startswith("# Mission: \n")
    assert "_(erste Iteration)_" in user


def test_available_tool_adapts_catalog_like_objects() -> None:
    spec = {
        "name": "create_event",
        "module": "calendar",
        "description": "Termin",
        "params": [{"name": "title", "type": "string", "required": True, "enum": None}],
    }
    tool = available_tool(spec)
    assert tool.name == "create_event" and tool.parameters[0].required is True
    assert tool.parameters[0].enum is None


# --- parser ---------------------------------------------------------------------------------

GOOD = {
    "summary": "Eine Aufgabe",
    "steps": [
        {
            "summary": "Aufgabe anlegen",
            "toolName": "create_task",
            "params": {"title": "Steuern"},
            "rationale": "Frist naht",
        }
    ],
}


def _ok(result: object) -> PlanOutput:
    assert isinstance(result, ParseOk), result
    return result.value


def test_fenced_block_with_prose_around() -> None:
    text = 'Hier:\n```json\n{"summary": "s", "steps": []}\n```\nFertig.'
    assert _ok(parse_planner_response(text, KNOWN)) == PlanOutput("s", ())


def test_fence_without_language_and_bare_object() -> None:
    assert _ok(parse_planner_response('```\n{"steps": []}\n```', KNOWN)).summary == ""
    import json

    value = _ok(parse_planner_response("  " + json.dumps(GOOD) + "\n", KNOWN))
    assert value.steps == (
        PlannedStep("Aufgabe anlegen", "create_task", {"title": "Steuern"}, "Frist naht"),
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Ich kann das nicht.", "no JSON block found"),
        ("```json\n{nope}\n```", "JSON parse failed: "),
        ("```json\n[1, 2]\n```", "top-level value is not an object"),
        ('{"summary": "x"}', "`steps` must be an array"),
        ('{"steps": {"a": 1}}', "`steps` must be an array"),
        ('{"steps": [3]}', "step[0] is not an object"),
        ('{"steps": [{"rationale": "r"}]}', "step[0].toolName missing or not a string"),
        (
            '{"steps": [{"toolName": "", "rationale": "r"}]}',
            "step[0].toolName missing or not a string",
        ),
        (
            '{"steps": [{"toolName": "create_task", "rationale": "r"}, {"toolName": "rm_rf", "rationale": "r"}]}',
            'step[1].toolName "rm_rf" is not in the allowed tool set',
        ),
        (
            '{"steps": [{"toolName": "create_task"}]}',
            "step[0].rationale is required (user will see this)",
        ),
        (
            '{"steps": [{"toolName": "create_task", "rationale": ""}]}',
            "step[0].rationale is required",
        ),
    ],
)
def test_failures_name_the_reason(text: str, reason: str) -> None:
    result = parse_planner_response(text, KNOWN)
    assert isinstance(result, ParseFailure)
    assert result.ok is False
    assert result.reason.startswith(reason)


def test_failure_keeps_raw_text() -> None:
    no_block = parse_planner_response("hello", KNOWN)
    assert isinstance(no_block, ParseFailure) and no_block.raw == "hello"
    bad_json = parse_planner_response("```json\n{nope}\n```", KNOWN)
    assert isinstance(bad_json, ParseFailure) and bad_json.raw == "{nope}"


def test_missing_summaries_and_bad_params_tolerated() -> None:
    text = '{"steps": [{"toolName": "create_event", "rationale": "r", "params": "x"}]}'
    step = _ok(parse_planner_response(text, KNOWN)).steps[0]
    assert step.summary == "" and step.params == {}
    arr = '{"steps": [{"toolName": "create_event", "rationale": "r", "params": [1]}]}'
    assert _ok(parse_planner_response(arr, KNOWN)).steps[0].params == {}


def test_params_not_validated_by_the_parser() -> None:
    text = '{"steps": [{"toolName": "create_task", "rationale": "r", "params": {"title": 5}}]}'
    assert _ok(parse_planner_response(text, KNOWN)).steps[0].params == {"title": 5}


def test_empty_steps_is_a_valid_noop_plan() -> None:
    assert _ok(parse_planner_response('{"summary": "nichts", "steps": []}', KNOWN)).steps == ()


def test_non_string_input_is_a_failure_not_a_crash() -> None:
    assert isinstance(parse_planner_response(None, KNOWN), ParseFailure)  # type: ignore[arg-type]


def test_round_trip_prompt_example_and_plan_to_json() -> None:
    plan = _ok(parse_planner_response(__import__("json").dumps(GOOD), KNOWN))
    again = _ok(parse_planner_response(plan_to_json(plan), KNOWN))
    assert again == plan
    # The example in the system message itself parses with the prompt's own tool set.
    system = build_planner_prompt(mission(), (), [CREATE_TASK]).system
    example = _ok(parse_planner_response(system, {"create_task"}))
    assert example.steps[0].tool_name == "create_task"
