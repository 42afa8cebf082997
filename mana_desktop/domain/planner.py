"""The planner contract: the prompt a mission becomes, and how the answer is read.

Same semantics as upstream's `buildPlannerPrompt` / `parsePlannerResponse` (spec ai-workbench
§1.3–1.5): German text, one system and one user message, the last three iterations with their
step statuses and the user's feedback, a fenced JSON answer with 1–5 steps, each with a
rationale. The parser is strict in the same places (unknown tool, missing rationale) and
lenient in the same places (missing summaries, non-object params become `{}`); its reasons are
upstream's strings, so a failed iteration says what a developer would grep for.

Deviation: JSON arrays are not objects here (JavaScript's `typeof [] === "object"` lets an
array pass as a step or as params upstream).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MAX_PREVIOUS_ITERATIONS = 3


@dataclass(frozen=True)
class ToolParam:
    name: str
    type: str
    required: bool
    description: str
    enum: tuple[str, ...] | None = None


@dataclass(frozen=True)
class AvailableTool:
    """A tool as the planner sees it (upstream `AvailableTool`)."""

    name: str
    module: str
    description: str
    parameters: tuple[ToolParam, ...] = ()


@dataclass(frozen=True)
class ResolvedInput:
    """A linked input record, already turned into text (upstream `ResolvedInput`)."""

    id: str
    module: str
    table: str
    content: str
    title: str | None = None


@dataclass(frozen=True)
class PlannerMessages:
    system: str
    user: str


@dataclass(frozen=True)
class PlannedStep:
    summary: str
    tool_name: str
    params: dict[str, Any]
    rationale: str


@dataclass(frozen=True)
class PlanOutput:
    summary: str
    steps: tuple[PlannedStep, ...]


@dataclass(frozen=True)
class ParseOk:
    value: PlanOutput
    ok: bool = field(default=True, init=False)


@dataclass(frozen=True)
class ParseFailure:
    reason: str
    raw: str | None = None
    ok: bool = field(default=False, init=False)


ParseResult = ParseOk | ParseFailure


def available_tool(spec: Any) -> AvailableTool:
    """Adapt a catalog entry (an object or a mapping with name, module, description and
    params/parameters of name, type, required, description, enum) to an AvailableTool."""

    def get(obj: Any, key: str, default: Any = None) -> Any:
        if isinstance(obj, Mapping):
            return obj.get(key, default)
        return getattr(obj, key, default)

    raw_params = get(spec, "parameters") or get(spec, "params") or ()
    params = tuple(
        ToolParam(
            name=str(get(p, "name")),
            type=str(get(p, "type", "string")),
            required=bool(get(p, "required", False)),
            description=str(get(p, "description", "") or ""),
            enum=tuple(str(v) for v in get(p, "enum")) if get(p, "enum") else None,
        )
        for p in raw_params
    )
    return AvailableTool(
        name=str(get(spec, "name")),
        module=str(get(spec, "module")),
        description=str(get(spec, "description", "") or ""),
        parameters=params,
    )


# --- prompt -------------------------------------------------------------------------------

_ANSWER_EXAMPLE = """```json
{
  "summary": "Ein Satz was du in dieser Iteration tust.",
  "steps": [
    {
      "summary": "Kurzer Schritt-Titel",
      "toolName": "create_task",
      "params": { "title": "…" },
      "rationale": "Warum genau jetzt, auf Basis welchen Inputs."
    }
  ]
}
```"""

_SYSTEM_HEAD = """Du arbeitest im Auftrag der Nutzerin oder des Nutzers an einer langfristigen Mission.
Leite aus Mission, Inputs und bisherigen Iterationen einen kurzen, konkreten Plan mit 1 bis 5 Schritten ab.
Jeder Schritt ist ein Tool-Aufruf auf den Daten der Nutzerin oder des Nutzers und MUSS eine "rationale" haben: sie wird in der Review-Ansicht angezeigt.

Regeln:
1. Verwende nur die unten aufgeführten Tools. Ein unbekanntes Tool macht den ganzen Plan ungültig.
2. Jeder Schritt wird als Vorschlag vorgelegt, den die Nutzerin oder der Nutzer annimmt oder ablehnt. Du schreibst nie direkt.
3. Beachte das Feedback aus früheren Iterationen. Wiederhole einen abgelehnten Vorschlag nicht unverändert.
4. Antworte AUSSCHLIESSLICH mit einem JSON-Block in genau diesem Format, ohne Text davor oder danach:

"""


def _format_param(param: ToolParam) -> str:
    enum = f" [{'|'.join(param.enum)}]" if param.enum else ""
    required = " (required)" if param.required else ""
    return f"      - {param.name}: {param.type}{enum}{required} — {param.description}"


def _format_tool(tool: AvailableTool) -> str:
    lines = [f"  • {tool.name} ({tool.module}) — {tool.description}"]
    if tool.parameters:
        lines.extend(_format_param(p) for p in tool.parameters)
    else:
        lines.append("    (no parameters)")
    return "\n".join(lines)


def _system_message(tools: Sequence[AvailableTool]) -> str:
    if tools:
        catalog = "\n".join(_format_tool(t) for t in tools)
    else:
        catalog = "  (keine Tools verfügbar — gib leeren steps zurück)"
    return f"{_SYSTEM_HEAD}{_ANSWER_EXAMPLE}\n\nVerfügbare Tools:\n{catalog}"


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _format_input(item: ResolvedInput) -> str:
    return f"### {item.module}/{item.table}: {item.title or item.id}\n{item.content}"


def _format_iteration(iteration: Mapping[str, Any]) -> str:
    head = f"**{_text(iteration.get('startedAt'))}** ({_text(iteration.get('overallStatus'))}):"
    if _text(iteration.get("summary")):
        head += f"\n  Summary: {iteration['summary']}"
    plan = iteration.get("plan")
    steps = [s for s in plan if isinstance(s, Mapping)] if isinstance(plan, list) else []
    lines = [f"  - [{_text(s.get('status'))}] {_text(s.get('summary'))}" for s in steps]
    text = head + "\n" + "\n".join(lines)
    if _text(iteration.get("userFeedback")):
        text += f"\n  Nutzer-Feedback: {iteration['userFeedback']}"
    return text


def _user_message(mission: Mapping[str, Any], inputs: Sequence[ResolvedInput]) -> str:
    iterations = mission.get("iterations")
    recent = (
        [i for i in iterations if isinstance(i, Mapping)] if isinstance(iterations, list) else []
    )
    recent = recent[-MAX_PREVIOUS_ITERATIONS:]
    concept = _text(mission.get("conceptMarkdown")) or "_(leer)_"
    linked = "\n\n".join(_format_input(i) for i in inputs) or "_(keine verlinkten Inputs)_"
    history = "\n\n".join(_format_iteration(i) for i in recent) or "_(erste Iteration)_"
    return (
        f"# Mission: {_text(mission.get('title'))}\n\n"
        f"## Konzept\n{concept}\n\n"
        f"## Konkretes Ziel\n{_text(mission.get('objective'))}\n\n"
        f"## Verlinkte Inputs\n{linked}\n\n"
        f"## Letzte Iterationen (max. {MAX_PREVIOUS_ITERATIONS})\n{history}\n\n"
        "---\n\n"
        "Erzeuge jetzt einen Plan für die nächste Iteration."
    )


def build_planner_prompt(
    mission: Mapping[str, Any],
    resolved_inputs: Sequence[ResolvedInput] = (),
    available_tools: Iterable[AvailableTool | Any] = (),
) -> PlannerMessages:
    """The system and user messages for one planning round of `mission` (a Mission dict)."""
    tools = [t if isinstance(t, AvailableTool) else available_tool(t) for t in available_tools]
    return PlannerMessages(
        system=_system_message(tools), user=_user_message(mission, list(resolved_inputs))
    )


# --- parser -------------------------------------------------------------------------------

_FENCED = re.compile(r"```(?:json)?\s*\n?([\s\S]*?)\n?```")


def _extract_block(text: str) -> str | None:
    match = _FENCED.search(text)
    if match:
        return match.group(1).strip()
    trimmed = text.strip()
    if trimmed.startswith("{") and trimmed.endswith("}"):
        return trimmed
    return None


def _parse_step(raw: object, known: Iterable[str] | set[str], index: int) -> PlannedStep | str:
    if not isinstance(raw, dict):
        return f"step[{index}] is not an object"
    tool_name = raw.get("toolName")
    if not isinstance(tool_name, str) or not tool_name:
        return f"step[{index}].toolName missing or not a string"
    if tool_name not in known:
        return f'step[{index}].toolName "{tool_name}" is not in the allowed tool set'
    rationale = raw.get("rationale")
    if not isinstance(rationale, str) or not rationale:
        return f"step[{index}].rationale is required (user will see this)"
    params = raw.get("params")
    return PlannedStep(
        summary=_text(raw.get("summary")),
        tool_name=tool_name,
        params=dict(params) if isinstance(params, dict) else {},
        rationale=rationale,
    )


def parse_planner_response(text: str, known_tool_names: Iterable[str]) -> ParseResult:
    """Read a planner answer; `ParseOk(value)` or `ParseFailure(reason, raw)`, never raises."""
    if not isinstance(text, str):
        return ParseFailure("no JSON block found", None)
    block = _extract_block(text)
    if block is None:
        return ParseFailure("no JSON block found", text)
    try:
        parsed = json.loads(block)
    except ValueError as exc:
        return ParseFailure(f"JSON parse failed: {exc}", block)
    if not isinstance(parsed, dict):
        return ParseFailure("top-level value is not an object", block)
    steps_raw = parsed.get("steps")
    if not isinstance(steps_raw, list):
        return ParseFailure("`steps` must be an array", block)
    known = set(known_tool_names)
    steps: list[PlannedStep] = []
    for index, raw in enumerate(steps_raw):
        step = _parse_step(raw, known, index)
        if isinstance(step, str):
            return ParseFailure(step, block)
        steps.append(step)
    return ParseOk(PlanOutput(summary=_text(parsed.get("summary")), steps=tuple(steps)))


def plan_to_json(plan: PlanOutput) -> str:
    """A plan as the fenced answer the system message asks for (the built-in planner and
    tests use it, so their output goes through the same parser as an LLM's)."""
    body = {
        "summary": plan.summary,
        "steps": [
            {
                "summary": s.summary,
                "toolName": s.tool_name,
                "params": s.params,
                "rationale": s.rationale,
            }
            for s in plan.steps
        ],
    }
    return "```json\n" + json.dumps(body, ensure_ascii=False, indent=2) + "\n```"
