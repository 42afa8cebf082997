"""Who made a change: the actor shapes of the wire (sync-protocol §7.7, ai-workbench §1.1).

Actors are plain JSON objects on the wire, so they stay plain dicts here. We always write the
new shape `{kind, principalId, displayName, ...}` and read the old one (`{kind}`,
`{kind, source}`) by upgrading it the way upstream's `normalizeActor` does.
"""

from __future__ import annotations

from typing import Any

Actor = dict[str, Any]

DEFAULT_AGENT_ID = "legacy:ai-default"
DEFAULT_AGENT_NAME = "Mana"
LEGACY_USER = "legacy:user"
LEGACY_SYSTEM = "legacy:system"
UNKNOWN_NAME = "Unbekannt"
DEFAULT_USER_NAME = "Du"

SYSTEM_NAMES: dict[str, str] = {
    "system:projection": "Projektion",
    "system:rule": "Regel",
    "system:migration": "Migration",
    "system:stream": "Stream",
    "system:mission-runner": "Mission-Runner",
    "system:bootstrap": "Bootstrap",
}

ORIGINS = ("user", "agent", "system", "migration", "server-replay")


def user_actor(user_id: str | None, name: str | None = None) -> Actor:
    """The person at this device (`legacy:user`/"Du" before login)."""
    return {
        "kind": "user",
        "principalId": user_id or LEGACY_USER,
        "displayName": name or DEFAULT_USER_NAME,
    }


def ai_actor(
    agent_id: str | None,
    name: str | None,
    mission_id: str,
    iteration_id: str,
    rationale: str,
) -> Actor:
    """An agent acting for a mission iteration; every write of an approved step carries it."""
    return {
        "kind": "ai",
        "principalId": agent_id or DEFAULT_AGENT_ID,
        "displayName": name or DEFAULT_AGENT_NAME,
        "missionId": mission_id,
        "iterationId": iteration_id,
        "rationale": rationale,
    }


def system_actor(principal: str) -> Actor:
    """A system writer; `principal` may be given with or without the `system:` prefix."""
    pid = principal if principal.startswith("system:") else f"system:{principal}"
    return {"kind": "system", "principalId": pid, "displayName": SYSTEM_NAMES.get(pid, pid)}


def normalize_actor(obj: object) -> Actor:
    """Upgrade any actor blob (old, new, partial, garbage) to the new shape, keeping extras."""
    if not isinstance(obj, dict):
        return {"kind": "user", "principalId": LEGACY_USER, "displayName": UNKNOWN_NAME}
    kind = obj.get("kind")
    out: Actor = {k: v for k, v in obj.items() if k != "source"}
    if kind == "ai":
        out.setdefault("principalId", DEFAULT_AGENT_ID)
        out.setdefault("displayName", UNKNOWN_NAME)
        for key in ("missionId", "iterationId", "rationale"):
            if not isinstance(out.get(key), str):
                out[key] = ""
    elif kind == "system":
        source = obj.get("source")
        if not isinstance(out.get("principalId"), str):
            out["principalId"] = f"system:{source}" if isinstance(source, str) else LEGACY_SYSTEM
        out.setdefault("displayName", SYSTEM_NAMES.get(out["principalId"], UNKNOWN_NAME))
    else:
        out["kind"] = "user"
        out.setdefault("principalId", LEGACY_USER)
        out.setdefault("displayName", UNKNOWN_NAME)
    if not isinstance(out.get("principalId"), str):
        out["principalId"] = LEGACY_USER
    if not isinstance(out.get("displayName"), str):
        out["displayName"] = UNKNOWN_NAME
    return out


def origin_for(actor: object) -> str:
    """The field origin upstream derives from an actor (`originFromActor`)."""
    a = normalize_actor(actor)
    if a["kind"] == "ai":
        return "agent"
    if a["kind"] == "system":
        return "migration" if a["principalId"] == "system:migration" else "system"
    return "user"


def is_ai(actor: object) -> bool:
    return isinstance(actor, dict) and actor.get("kind") == "ai"
