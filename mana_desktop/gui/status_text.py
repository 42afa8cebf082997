"""SyncStatus in words for the header (UI.md "Status you can trust")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from mana_desktop.domain.timeutil import try_parse_instant
from mana_desktop.gui.formatting import format_moment

translate = QCoreApplication.translate


def _age(since: str | None, now: datetime) -> str:
    moment = try_parse_instant(since) if since else None
    if moment is None:
        return ""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 60:
        return translate("Status", "%n min", "", minutes)
    return translate("Status", "%n h", "", minutes // 60)


def _retry_in(retry_at: str | None, now: datetime) -> str:
    moment = try_parse_instant(retry_at) if retry_at else None
    if moment is None:
        return ""
    seconds = max(0, int((moment - now).total_seconds()))
    return translate("Status", " — retrying in %n s", "", seconds)


def waiting_text(status: Any, now: datetime) -> str:
    pending = int(getattr(status, "pending", 0) or 0)
    if not pending:
        return ""
    text = translate("Status", "%n waiting to send", "", pending)
    age = _age(getattr(status, "oldest_pending_at", None), now)
    if age:
        text += " " + translate("Status", "(oldest {age})").format(age=age)
    return text + _held_text(status)


def _held_text(status: Any) -> str:
    """Why some of them wait: they are sent once the key or the Spaces are there."""
    held = []
    key = int(getattr(status, "waiting_for_key", 0) or 0)
    spaces = int(getattr(status, "waiting_for_spaces", 0) or 0)
    if key:
        held.append(translate("Status", "{count} held until the encryption key is unlocked").format(count=key))
    if spaces:
        held.append(translate("Status", "{count} held until your Spaces have loaded").format(count=spaces))
    return "".join(" · " + part for part in held)


def status_text(status: Any, now: datetime | None = None) -> str:
    """One line: icon, state in words, what waits, when we last synced."""
    now = now or datetime.now(UTC)
    state = getattr(status, "state", "idle")
    waiting = waiting_text(status, now)
    if state == "syncing":
        progress = getattr(status, "progress", None)
        head = (
            translate("Status", "◐ Syncing {percent} %").format(percent=round(progress * 100))
            if progress is not None
            else translate("Status", "◐ Syncing")
        )
    elif state == "offline":
        head = translate("Status", "○ Offline")
        if getattr(status, "work_offline", False):
            head = translate("Status", "○ Working offline")
    elif state == "error":
        error = (getattr(status, "last_error", None) or "").splitlines()[0:1]
        head = translate("Status", "⚠ Can't sync: {error}").format(error=error[0] if error else "?")
        head += _retry_in(getattr(status, "retry_at", None), now)
    elif state == "signed-out":
        head = translate("Status", "⚠ Signed out")
    elif state == "paused":
        message = getattr(status, "paused_message", None) or translate("Status", "subscription inactive")
        head = translate("Status", "⏸ Sync paused: {message}").format(message=message)
    else:
        head = translate("Status", "● In sync")
    parts = [head]
    if waiting:
        parts.append(waiting)
    last = max(
        (s for s in (getattr(status, "last_pull_at", None), getattr(status, "last_push_at", None)) if s),
        key=lambda s: try_parse_instant(s) or datetime.min.replace(tzinfo=UTC),
        default=None,
    )
    if last:
        parts.append(format_moment(last))
    parts += ["⚠ " + w for w in [getattr(status, "clock_warning", None)] if isinstance(w, str) and w]
    separator = " — " if state == "offline" and waiting else " · "
    return separator.join(parts)
