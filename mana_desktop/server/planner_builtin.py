"""A deterministic planner that needs no network: realistic steps from a mission's words.

It reads the mission's title, objective and concept, picks a theme (weekly review, trip,
hydration, reading, or a generic objective), and proposes up to three tool calls from that
theme's pool, with dates relative to now and a rationale for each. It behaves like a careful
planner should: it never proposes a step it proposed before (so rejected ideas are not repeated
unchanged), it proposes fewer steps when the last feedback asks for fewer, it mentions the
feedback it took into account, and it only uses tools it was offered.

The answer is the fenced JSON text the prompt asks an LLM for (`plan_to_json`), so the runner
parses it like any model's answer. Same mission, same history, same clock: same plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from mana_desktop.domain.planner import PlannedStep, PlanOutput, plan_to_json
from mana_desktop.server.planner_types import PlanRequest

MAX_STEPS = 3
_FEWER = re.compile(
    r"\b(weniger|fewer|less|only one|nur eine?n?|one at a time|zu viele|too many)\b", re.I
)
_GERMAN = re.compile(r"[äöüß]|\b(und|der|die|das|ich|mit|für|eine?|nicht|woche|ziel)\b", re.I)


@dataclass(frozen=True)
class Place:
    name: str
    latitude: float
    longitude: float
    category: str
    address: str


@dataclass(frozen=True)
class City:
    names: tuple[str, ...]  # first is shown; all are matched
    places: tuple[Place, ...]


# A small gazetteer so trip missions get real coordinates (public landmarks).
CITIES: tuple[City, ...] = (
    City(
        ("Lisbon", "Lissabon", "Lisboa"),
        (
            Place("Torre de Belém", 38.6916, -9.2160, "culture", "Av. Brasília, 1400-038 Lisboa"),
            Place(
                "Time Out Market", 38.7069, -9.1459, "food", "Av. 24 de Julho 49, 1200-479 Lisboa"
            ),
            Place(
                "Miradouro da Senhora do Monte",
                38.7190,
                -9.1327,
                "nature",
                "R. Senhora do Monte 50, Lisboa",
            ),
        ),
    ),
    City(
        ("Vienna", "Wien"),
        (
            Place(
                "Schloss Schönbrunn",
                48.1845,
                16.3122,
                "culture",
                "Schönbrunner Schloßstraße 47, 1130 Wien",
            ),
            Place("Naschmarkt", 48.1985, 16.3633, "food", "Naschmarkt, 1060 Wien"),
            Place("Prater", 48.2166, 16.3959, "nature", "Prater, 1020 Wien"),
        ),
    ),
    City(
        ("Copenhagen", "Kopenhagen", "København"),
        (
            Place("Nyhavn", 55.6798, 12.5907, "culture", "Nyhavn, 1051 København"),
            Place(
                "Torvehallerne", 55.6837, 12.5693, "food", "Frederiksborggade 21, 1360 København"
            ),
            Place("Tivoli Gardens", 55.6737, 12.5681, "culture", "Vesterbrogade 3, 1630 København"),
        ),
    ),
    City(
        ("Rome", "Rom", "Roma"),
        (
            Place("Pantheon", 41.8986, 12.4769, "culture", "Piazza della Rotonda, 00186 Roma"),
            Place(
                "Mercato di Testaccio", 41.8769, 12.4752, "food", "Via Aldo Manuzio 66b, 00153 Roma"
            ),
            Place("Villa Borghese", 41.9142, 12.4923, "nature", "Piazzale Napoleone I, 00197 Roma"),
        ),
    ),
    City(
        ("Barcelona",),
        (
            Place(
                "Sagrada Família", 41.4036, 2.1744, "culture", "C/ de Mallorca 401, 08013 Barcelona"
            ),
            Place(
                "Mercat de la Boqueria", 41.3817, 2.1716, "food", "La Rambla 91, 08001 Barcelona"
            ),
            Place("Park Güell", 41.4145, 2.1527, "nature", "08024 Barcelona"),
        ),
    ),
)

BOOKS: tuple[tuple[str, str], ...] = (
    ("The Left Hand of Darkness", "Ursula K. Le Guin"),
    ("Thinking, Fast and Slow", "Daniel Kahneman"),
    ("The Remains of the Day", "Kazuo Ishiguro"),
    ("Der Process", "Franz Kafka"),
    ("A Psalm for the Wild-Built", "Becky Chambers"),
    ("Deep Work", "Cal Newport"),
    ("Middlemarch", "George Eliot"),
    ("Die Vermessung der Welt", "Daniel Kehlmann"),
)


@dataclass(frozen=True)
class Context:
    title: str
    objective: str
    text: str  # title + objective + concept, lower case
    lang: str
    round: int  # how many iterations ran before this one
    now: datetime  # aware, in the planning zone
    feedback: str
    used: frozenset[str]  # summaries proposed in earlier iterations
    note_inputs: tuple[str, ...]  # ids of linked notes

    def t(self, en: str, de: str) -> str:
        return de if self.lang == "de" else en

    def day(self, offset: int) -> date:
        return self.now.date() + timedelta(days=offset)

    def at(self, offset_days: int, hour: int, minute: int = 0) -> datetime:
        wall = datetime.combine(self.day(offset_days), time(hour, minute))
        return wall.replace(tzinfo=self.now.tzinfo)

    def weekday_offset(self, weekday: int, min_days: int = 1) -> int:
        """Days until the next `weekday` (Python numbering) at least `min_days` away."""
        offset = (weekday - self.now.weekday()) % 7
        while offset < min_days:
            offset += 7
        return offset

    def date_label(self, offset: int) -> str:
        return self.day(offset).strftime("%d.%m." if self.lang == "de" else "%b %d")


def _step(summary: str, tool: str, params: dict[str, Any], rationale: str) -> PlannedStep:
    return PlannedStep(summary=summary, tool_name=tool, params=params, rationale=rationale)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="minutes")


# --- themes ---------------------------------------------------------------------------------


def _review(c: Context) -> list[PlannedStep]:
    friday = c.weekday_offset(4, 0)
    monday = c.weekday_offset(0)
    tasks = [
        (
            c.t(
                "Pick the three priorities for next week",
                "Die drei Prioritäten für nächste Woche festlegen",
            ),
            "high",
            monday,
            c.t(
                "Starting Monday with a short list keeps the week focused.",
                "Mit einer kurzen Liste in den Montag zu starten hält die Woche fokussiert.",
            ),
        ),
        (
            c.t(
                "Close or reschedule tasks older than two weeks",
                "Aufgaben älter als zwei Wochen abschließen oder verschieben",
            ),
            "medium",
            1,
            c.t(
                "Old open tasks make the list feel heavier than the week really is.",
                "Alte offene Aufgaben lassen die Liste schwerer wirken, als die Woche ist.",
            ),
        ),
        (
            c.t("Answer the replies you still owe", "Offene Antworten verschicken"),
            "medium",
            1,
            c.t(
                "Unanswered messages are the most common loose end in a weekly review.",
                "Unbeantwortete Nachrichten sind das häufigste lose Ende einer Wochenreview.",
            ),
        ),
        (
            c.t("Clear the inbox to zero", "Posteingang auf null bringen"),
            "low",
            2,
            c.t(
                "An empty inbox makes the next review faster.",
                "Ein leerer Posteingang macht die nächste Review schneller.",
            ),
        ),
        (
            c.t(
                "Write down one thing that went well this week",
                "Eine Sache notieren, die diese Woche gut lief",
            ),
            "low",
            0,
            c.t(
                "Noticing progress is part of the review, not only open work.",
                "Fortschritt zu sehen gehört zur Review, nicht nur offene Arbeit.",
            ),
        ),
        (
            c.t(
                "Check the project milestones for this month",
                "Projekt-Meilensteine dieses Monats prüfen",
            ),
            "medium",
            3,
            c.t(
                "Milestones slip quietly unless someone looks at them each week.",
                "Meilensteine rutschen leise, wenn niemand sie wöchentlich ansieht.",
            ),
        ),
    ]
    steps = [
        _step(
            title,
            "create_task",
            {"title": title, "dueDate": c.day(days).isoformat(), "priority": prio},
            why,
        )
        for title, prio, days, why in tasks
    ]
    review = c.t("Weekly review", "Wochenreview")
    steps.insert(
        2,
        _step(
            c.t(
                f"Block time for the weekly review on {c.date_label(friday)}",
                f"Zeit für die Wochenreview am {c.date_label(friday)} blocken",
            ),
            "create_event",
            {
                "title": review,
                "startTime": _iso(c.at(friday, 16)),
                "endTime": _iso(c.at(friday, 16, 45)),
            },
            c.t(
                "A fixed slot on Friday afternoon makes the review happen before the weekend.",
                "Ein fester Termin am Freitagnachmittag sorgt dafür, dass die Review vor dem Wochenende stattfindet.",
            ),
        ),
    )
    return steps


def _find_city(text: str) -> City | None:
    for city in CITIES:
        if any(name.lower() in text for name in city.names):
            return city
    return None


def _trip(c: Context) -> list[PlannedStep]:
    city = _find_city(c.text)
    where = city.names[0] if city else c.t("your destination", "dein Reiseziel")
    if city and c.lang == "de" and len(city.names) > 1:
        where = city.names[1]
    depart = 21 + (4 - c.now.weekday()) % 7  # a Friday at least three weeks out
    steps = [
        _step(
            c.t(
                f"Put the trip to {where} in the calendar",
                f"Reise nach {where} in den Kalender eintragen",
            ),
            "create_event",
            {
                "title": c.t(f"Trip to {where}", f"Reise nach {where}"),
                "startTime": _iso(c.at(depart, 8)),
                "endTime": _iso(c.at(depart + 3, 20)),
                "location": where,
            },
            c.t(
                "The dates are the anchor for everything else; blocking them first avoids clashes.",
                "Die Reisedaten sind der Anker für alles andere; zuerst blocken vermeidet Überschneidungen.",
            ),
        ),
    ]
    if city:
        for place in city.places:
            steps.append(
                _step(
                    c.t(f"Save {place.name} to places", f"{place.name} als Ort speichern"),
                    "create_place",
                    {
                        "name": place.name,
                        "latitude": place.latitude,
                        "longitude": place.longitude,
                        "category": place.category,
                        "address": place.address,
                    },
                    c.t(
                        f"{place.name} fits the trip's goal and is easy to reach from the centre of {where}.",
                        f"{place.name} passt zum Reiseziel und ist vom Zentrum von {where} gut erreichbar.",
                    ),
                )
            )
        food = next((p for p in city.places if p.category == "food"), city.places[0])
        steps.append(
            _step(
                c.t(
                    f"Plan dinner at {food.name} on the first evening",
                    f"Abendessen im {food.name} am ersten Abend planen",
                ),
                "create_event",
                {
                    "title": c.t(f"Dinner at {food.name}", f"Abendessen im {food.name}"),
                    "startTime": _iso(c.at(depart, 19, 30)),
                    "endTime": _iso(c.at(depart, 21)),
                    "location": food.address,
                },
                c.t(
                    "A fixed plan for the first evening makes arriving easy.",
                    "Ein fester Plan für den ersten Abend macht die Ankunft leicht.",
                ),
            )
        )
    steps.extend(
        [
            _step(
                c.t(f"Book accommodation in {where}", f"Unterkunft in {where} buchen"),
                "create_task",
                {
                    "title": c.t(f"Book accommodation in {where}", f"Unterkunft in {where} buchen"),
                    "dueDate": c.day(3).isoformat(),
                    "priority": "high",
                },
                c.t(
                    "Prices rise as the date approaches; three weeks ahead is still a good moment.",
                    "Preise steigen, je näher der Termin rückt; drei Wochen vorher ist noch ein guter Zeitpunkt.",
                ),
            ),
            _step(
                c.t(
                    "Check that passport or ID is still valid",
                    "Gültigkeit von Pass oder Ausweis prüfen",
                ),
                "create_task",
                {
                    "title": c.t("Check passport / ID validity", "Pass / Ausweis prüfen"),
                    "dueDate": c.day(5).isoformat(),
                    "priority": "medium",
                },
                c.t(
                    "Renewing an ID takes weeks, so it must be checked early.",
                    "Ein neuer Ausweis dauert Wochen, deshalb früh prüfen.",
                ),
            ),
            _step(
                c.t("Write the packing list", "Packliste schreiben"),
                "create_note",
                {
                    "title": c.t(f"Packing list: {where}", f"Packliste: {where}"),
                    "content": c.t(
                        "- Passport / ID\n- Charger and adapter\n- Comfortable shoes\n- Rain jacket",
                        "- Pass / Ausweis\n- Ladegerät und Adapter\n- Bequeme Schuhe\n- Regenjacke",
                    ),
                },
                c.t(
                    "A list written early saves a rushed evening before departure.",
                    "Eine früh geschriebene Liste erspart den hektischen Abend vor der Abreise.",
                ),
            ),
        ]
    )
    return steps


def _hydration(c: Context) -> list[PlannedStep]:
    today = c.date_label(0)
    hour = c.now.hour
    drinks = [
        (
            c.t("Glass of water with breakfast", "Glas Wasser zum Frühstück"),
            "water",
            250,
            c.t(
                "A glass in the morning starts the day's goal early.",
                "Ein Glas am Morgen bringt das Tagesziel früh voran.",
            ),
        ),
        (
            c.t("Water bottle at the desk", "Wasserflasche am Schreibtisch"),
            "water",
            500,
            c.t(
                "Midday is when most people fall behind on their goal.",
                "Mittags fallen die meisten hinter ihr Ziel zurück.",
            ),
        ),
        (
            c.t("Afternoon tea", "Tee am Nachmittag"),
            "tea",
            300,
            c.t(
                "Tea counts too, and the afternoon dip is a good moment for it.",
                "Tee zählt auch, und das Nachmittagstief ist ein guter Moment dafür.",
            ),
        ),
        (
            c.t("Glass of water with dinner", "Glas Wasser zum Abendessen"),
            "water",
            250,
            c.t(
                "One more glass in the evening closes the gap to the daily goal.",
                "Ein Glas am Abend schließt die Lücke zum Tagesziel.",
            ),
        ),
    ]
    start = 0 if hour < 11 else 1 if hour < 15 else 2 if hour < 18 else 3
    steps = [
        _step(
            f"{name} ({today})",
            "log_drink",
            {"drinkType": kind, "quantityMl": ml, "name": name},
            why,
        )
        for name, kind, ml, why in drinks[start:] + drinks[:start]
    ]
    habit = c.t("Drink a glass of water", "Ein Glas Wasser trinken")
    steps.insert(
        1,
        _step(
            c.t("Track water as a daily habit", "Wasser als tägliche Gewohnheit tracken"),
            "create_habit",
            {"title": habit, "icon": "💧", "color": "#3b82f6"},
            c.t(
                "A habit makes the streak visible, which helps more than reminders.",
                "Eine Gewohnheit macht die Serie sichtbar; das hilft mehr als Erinnerungen.",
            ),
        ),
    )
    steps.append(
        _step(
            c.t(f"Water break at 15:00 ({today})", f"Trinkpause um 15:00 ({today})"),
            "create_event",
            {
                "title": c.t("Water break", "Trinkpause"),
                "startTime": _iso(c.at(0 if hour < 15 else 1, 15)),
                "endTime": _iso(c.at(0 if hour < 15 else 1, 15, 5)),
            },
            c.t(
                "A short calendar nudge in the afternoon keeps the goal on track.",
                "Ein kurzer Kalender-Hinweis am Nachmittag hält das Ziel auf Kurs.",
            ),
        )
    )
    return steps


def _reading(c: Context) -> list[PlannedStep]:
    start = (c.round * 2) % len(BOOKS)
    picks = [BOOKS[(start + i) % len(BOOKS)] for i in range(4)]
    steps: list[PlannedStep] = []
    for title, author in picks:
        line = f"- {title} — {author}"
        why = c.t(
            f"“{title}” fits the list's theme and has not been on it yet.",
            f"„{title}“ passt zum Thema der Liste und stand noch nicht darauf.",
        )
        if c.note_inputs:
            steps.append(
                _step(
                    c.t(
                        f"Add “{title}” to the reading list", f"„{title}“ zur Leseliste hinzufügen"
                    ),
                    "append_to_note",
                    {"noteId": c.note_inputs[0], "content": line},
                    why,
                )
            )
        else:
            steps.append(
                _step(
                    c.t(f"Start a note on “{title}”", f"Notiz zu „{title}“ anlegen"),
                    "create_note",
                    {
                        "title": title,
                        "content": f"# {title}\n{author}\n\n"
                        + c.t(
                            "## Why read it\n\n## Quotes\n\n## Takeaways\n",
                            "## Warum lesen\n\n## Zitate\n\n## Erkenntnisse\n",
                        ),
                    },
                    why,
                )
            )
    first = picks[0][0]
    steps.insert(
        1,
        _step(
            c.t(f"Read 20 pages of “{first}”", f"20 Seiten in „{first}“ lesen"),
            "create_task",
            {
                "title": c.t(f"Read 20 pages of “{first}”", f"20 Seiten in „{first}“ lesen"),
                "dueDate": c.day(1).isoformat(),
                "priority": "low",
            },
            c.t(
                "A small daily amount gets a book finished more reliably than a free weekend.",
                "Eine kleine tägliche Menge bringt ein Buch verlässlicher zu Ende als ein freies Wochenende.",
            ),
        ),
    )
    return steps


def _generic(c: Context) -> list[PlannedStep]:
    goal = c.objective or c.title
    short = goal if len(goal) <= 60 else goal[:57] + "…"
    n = c.round + 1
    return [
        _step(
            c.t(
                f"Next step towards: {short} (step {n})",
                f"Nächster Schritt zu: {short} (Schritt {n})",
            ),
            "create_task",
            {
                "title": c.t(f"Next step: {short}", f"Nächster Schritt: {short}"),
                "dueDate": c.day(1).isoformat(),
                "priority": "medium",
            },
            c.t(
                "A concrete next step keeps the mission moving between reviews.",
                "Ein konkreter nächster Schritt hält die Mission zwischen den Reviews in Bewegung.",
            ),
        ),
        _step(
            c.t(
                f"Block 30 minutes for: {short} (step {n})",
                f"30 Minuten blocken für: {short} (Schritt {n})",
            ),
            "create_event",
            {"title": short, "startTime": _iso(c.at(1, 10)), "endTime": _iso(c.at(1, 10, 30))},
            c.t(
                "Time in the calendar turns an intention into a plan.",
                "Zeit im Kalender macht aus einem Vorsatz einen Plan.",
            ),
        ),
        _step(
            c.t(
                f"Note what blocks: {short} (step {n})",
                f"Notieren, was blockiert: {short} (Schritt {n})",
            ),
            "create_note",
            {
                "title": c.t(f"Blockers: {short}", f"Hindernisse: {short}"),
                "content": c.t(
                    "- What is in the way?\n- Who could help?\n",
                    "- Was steht im Weg?\n- Wer könnte helfen?\n",
                ),
            },
            c.t(
                "Writing blockers down is the quickest way to see which one to remove first.",
                "Hindernisse aufzuschreiben zeigt am schnellsten, welches zuerst weg muss.",
            ),
        ),
    ]


THEMES: tuple[tuple[str, re.Pattern[str], Callable[[Context], list[PlannedStep]]], ...] = (
    ("trip", re.compile(r"trip|travel|reise|urlaub|vacation|holiday|ferien"), _trip),
    ("hydration", re.compile(r"hydrat|water|wasser|trink|drink"), _hydration),
    ("reading", re.compile(r"read|book|lese|lesen|buch|bücher"), _reading),
    ("review", re.compile(r"review|week|woche|aufgabe|task|todo|prioritä"), _review),
)


def theme_of(text: str) -> str:
    return next((name for name, pattern, _ in THEMES if pattern.search(text)), "generic")


# --- planning ---------------------------------------------------------------------------------


def _iterations(mission: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    its = mission.get("iterations")
    return [i for i in its if isinstance(i, Mapping)] if isinstance(its, list) else []


def _used_summaries(iterations: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    used: set[str] = set()
    for it in iterations:
        plan = it.get("plan")
        for step in plan if isinstance(plan, list) else []:
            if isinstance(step, Mapping) and isinstance(step.get("summary"), str):
                used.add(step["summary"])
    return frozenset(used)


def _latest_feedback(iterations: Sequence[Mapping[str, Any]]) -> str:
    for it in reversed(iterations):
        text = it.get("userFeedback")
        if isinstance(text, str) and text.strip():
            return text.strip()
    return ""


def _note_inputs(mission: Mapping[str, Any]) -> tuple[str, ...]:
    inputs = mission.get("inputs")
    return tuple(
        str(i["id"])
        for i in (inputs if isinstance(inputs, list) else [])
        if isinstance(i, Mapping) and i.get("module") == "notes" and isinstance(i.get("id"), str)
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def context_for(request: PlanRequest) -> Context:
    mission = request.mission
    title, objective = _text(mission.get("title")), _text(mission.get("objective"))
    text = " ".join((title, objective, _text(mission.get("conceptMarkdown")))).lower()
    iterations = _iterations(mission)
    now = request.now.astimezone(request.tz) if request.tz else request.now.astimezone()
    return Context(
        title=title,
        objective=objective,
        text=text,
        lang="de" if _GERMAN.search(text) else "en",
        round=len(iterations),
        now=now,
        feedback=_latest_feedback(iterations[-3:]),  # what the prompt shows
        used=_used_summaries(iterations),
        note_inputs=_note_inputs(mission),
    )


def build_plan(request: PlanRequest) -> PlanOutput:
    c = context_for(request)
    offered = {t.name for t in request.tools}
    theme = theme_of(c.text)
    pool = dict((name, fn) for name, _, fn in THEMES).get(theme, _generic)(c)
    pool += _generic(c)  # when a theme is used up, keep moving on the objective
    limit = 1 if c.feedback and _FEWER.search(c.feedback) else MAX_STEPS
    fresh = [s for s in pool if s.tool_name in offered and s.summary not in c.used]
    chosen = fresh[:limit]
    if c.feedback and chosen:  # say it once, on the first step, as a person would
        note = c.t(
            f" (Taking your feedback into account: “{c.feedback}”)",
            f" (Dein Feedback berücksichtigt: „{c.feedback}“)",
        )
        first = chosen[0]
        chosen[0] = _step(first.summary, first.tool_name, first.params, first.rationale + note)
    return PlanOutput(summary=_summary(c, len(chosen)), steps=tuple(chosen))


def _summary(c: Context, count: int) -> str:
    if count == 0:
        return c.t(
            "Nothing new to propose this time.", "Diesmal gibt es nichts Neues vorzuschlagen."
        )
    if count == 1:
        return c.t(f"One proposal for “{c.title}”.", f"Ein Vorschlag für „{c.title}“.")
    return c.t(f"{count} proposals for “{c.title}”.", f"{count} Vorschläge für „{c.title}“.")


class BuiltinPlanner:
    """The default planner of the runner and the demo."""

    name = "builtin"

    def complete(self, request: PlanRequest) -> str:
        return plan_to_json(build_plan(request))
