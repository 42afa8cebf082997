"""A realistic inbox for screenshots and smoke tests: real replica, real staging."""

from __future__ import annotations

from typing import Any

from tests.fixtures.workbench import iteration, mission_data, server_insert_mission, tool_step


def seed_scene(replica: Any, workbench: Any) -> None:
    weekly = iteration(
        "it-weekly",
        tool_step("w1", "create_task", {"title": "Buy oat milk", "dueDate": "2026-12-01", "priority": "low"},
                  rationale="You mentioned running out on Friday."),
        tool_step("w2", "create_event", {"title": "Dentist", "startTime": "2026-12-04T14:00:00",
                                          "endTime": "2026-12-04T15:00:00", "location": "Room 2"},
                  rationale="The practice confirmed Thursday afternoon by mail."),
        tool_step("w3", "create_task", {"title": "File taxes", "priority": "high"},
                  rationale="<b>Deadline</b> is <i>Monday</i>: the tags stay literal, server text is data."),
        startedAt="2026-11-24T10:02:00.000Z",
    )  # fmt: skip
    places = iteration(
        "it-places",
        tool_step("p1", "create_place", {"name": "Café Luna", "latitude": 52.52, "longitude": 13.40,
                                         "category": "food"}, rationale="You met Anna there twice last month."),
        tool_step("p2", "create_note", {"title": "Trip ideas", "content": "Lisbon in spring\nPorto after"},
                  rationale="Collected from three chats about travel."),
        startedAt="2026-11-23T18:30:00.000Z",
    )  # fmt: skip
    server_insert_mission(replica, mission_data("m-weekly", [weekly], title="Weekly review"))
    server_insert_mission(replica, mission_data("m-places", [places], title="Places I like"))
    workbench.stage({("ai", "aiMissions"): {"m-weekly", "m-places"}})
