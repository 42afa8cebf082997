"""The engine's status, kept on disk so `mana-desktop status` (another process) can show it.

Only what the replica cannot tell (state, last pull/push, last error, pause message, retry
time, clock skew) goes into `sync-state.json` in the profile, written atomically. The writer's
pid is stored so a reader can tell a running engine from a stale file.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from mana_desktop.domain.timeutil import now_ms
from mana_desktop.sync.status import STATES, State, SyncStatus

FILE_NAME = "sync-state.json"
PERSISTED = ("state", "last_pull_at", "last_push_at", "last_error", "paused_message",
             "retry_at", "clock_skew_s", "clock_warning", "waiting_for_key",
             "waiting_for_spaces")


def state_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def save_state(data_dir: Path, status: SyncStatus, *, running: bool) -> None:
    payload: dict[str, Any] = {key: getattr(status, key) for key in PERSISTED}
    payload.update(pid=os.getpid(), running=running, written_at=now_ms())
    path = state_path(data_dir)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def load_state(data_dir: Path) -> dict[str, Any]:
    """The saved fields (unknown or malformed content gives {}); adds `engine_running`."""
    try:
        data = json.loads(state_path(data_dir).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError, OSError):
        return {}
    if not isinstance(data, dict):
        return {}
    result = {key: data.get(key) for key in PERSISTED if key in data}
    pid = data.get("pid")
    result["engine_running"] = bool(data.get("running")) and isinstance(pid, int) and _alive(pid)
    return result


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # A zombie (killed, not yet reaped) is not running.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[-1].split()[0] != "Z"
    return True


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def disk_status(profile: Any, replica: Any, credentials: Any) -> tuple[SyncStatus, dict[str, Any]]:
    """The status as another process sees it: saved engine fields + live replica counts.

    Returns the SyncStatus and extras for `status --json` (server, engine_running,
    storage_warning, signed_in).
    """
    settings = profile.load_settings()
    saved = load_state(profile.data_dir)
    running = bool(saved.pop("engine_running", False))
    signed_in = credentials.signed_in()
    saved_state = saved.get("state") if running else None
    state: State
    if not signed_in:
        state = "signed-out"
    elif settings.work_offline:
        state = "offline"
    else:
        state = next((s for s in STATES if s == saved_state),
                     "error" if saved.get("last_error") else "idle")
    status = SyncStatus(
        state=state,
        pending=replica.pending_count(),
        oldest_pending_at=replica.oldest_pending_at(),
        last_pull_at=saved.get("last_pull_at"),
        last_push_at=saved.get("last_push_at"),
        cursors={f"{a}/{c}": v for (a, c), v in sorted(replica.cursors().items())},
        last_error=saved.get("last_error"),
        paused_message=saved.get("paused_message"),
        retry_at=saved.get("retry_at") if running else None,
        clock_skew_s=saved.get("clock_skew_s"),
        clock_warning=saved.get("clock_warning") if isinstance(saved.get("clock_warning"), str)
        else None,
        quarantined=len(replica.quarantined()),
        waiting_for_key=_count(saved.get("waiting_for_key")),
        waiting_for_spaces=_count(saved.get("waiting_for_spaces")),
        account=settings.account_email if signed_in else None,
        work_offline=bool(settings.work_offline),
    )
    extra = {
        "server": settings.server_url,
        "engine_running": running,
        "signed_in": signed_in,
        "storage_warning": credentials.storage_warning,
    }
    return status, extra
