"""The tool catalog and its parameter validation (ai-workbench §1.6, §3.4)."""

from __future__ import annotations

import pytest

from mana_desktop.domain.tools import TOOLS, policy_for, validate


def test_catalog_has_canonical_tools_with_policies() -> None:
    assert TOOLS["create_event"].module == "calendar"
    assert [p.name for p in TOOLS["create_event"].params if p.required] == [
        "title",
        "startTime",
        "endTime",
    ]
    assert TOOLS["log_drink"].default_policy == "auto"
    assert TOOLS["create_task"].default_policy == "propose"
    assert TOOLS["research_news"].executable is False
    assert policy_for("create_task", {"create_task": "auto"}) == "auto"
    assert policy_for("create_task", {"create_task": "bogus"}) == "propose"
    assert policy_for("no_such_tool") == "propose"


def test_coercion_as_upstream_executor() -> None:
    out, errors = validate("log_drink", {"drinkType": "water", "quantityMl": "250"})
    assert errors == []
    assert out["quantityMl"] == 250
    out, errors = validate(
        "create_event",
        {
            "title": "x",
            "startTime": "2026-05-01T10:00",
            "endTime": "2026-05-01T11:00Z",
            "isAllDay": "true",
        },
    )
    assert errors == []
    assert out["isAllDay"] is True


@pytest.mark.parametrize(
    ("tool", "params", "fragment"),
    [
        ("create_task", {}, "“title” is required"),
        ("create_task", {"title": "a", "dueDate": "2026-02-30"}, "must be a date like"),
        ("create_task", {"title": "a", "priority": "urgent!"}, "must be one of: low, medium, high"),
        ("log_drink", {"drinkType": "water", "quantityMl": "lots"}, "must be a number"),
        ("log_drink", {"drinkType": "water", "quantityMl": -5}, "at least 1"),
        ("create_place", {"name": "x", "latitude": 91, "longitude": 0}, "at most 90"),
        (
            "create_event",
            {"title": "x", "startTime": "tomorrow", "endTime": "2026-05-01T11:00"},
            "date and time",
        ),
        (
            "create_event",
            {"title": "x", "startTime": "2026-05-01T12:00", "endTime": "2026-05-01T11:00"},
            "before the start",
        ),
        ("create_habit", {"title": "x", "icon": "🏃", "color": "red"}, "colour like"),
        ("save_news_article", {"url": "ftp://x"}, "web address"),
        (
            "create_event",
            {
                "title": "x",
                "startTime": "2026-05-01T10:00",
                "endTime": "2026-05-01T11:00",
                "isAllDay": "maybe",
            },
            "yes or no",
        ),
    ],
)
def test_bad_params_get_messages_people_understand(
    tool: str, params: dict[str, object], fragment: str
) -> None:
    _, errors = validate(tool, params)
    assert any(fragment in e for e in errors), errors


def test_unknown_tool_and_strict_unknown_param() -> None:
    _, errors = validate("teleport", {})
    assert errors and "does not know the tool “teleport”" in errors[0]
    _, errors = validate("create_task", {"title": "a", "titel": "b"}, strict=True)
    assert any("“titel” is not a setting" in e for e in errors)
    _, errors = validate("create_task", {"title": "a", "titel": "b"})
    assert errors == []


def test_german_messages() -> None:
    _, errors = validate("create_task", {}, lang="de")
    assert errors == ["„title“ fehlt, ist aber nötig."]


def test_tag_is_normalised() -> None:
    out, errors = validate("add_tag_to_note", {"noteId": "n", "tag": "#my tag"})
    assert errors == [] and out["tag"] == "my_tag"
