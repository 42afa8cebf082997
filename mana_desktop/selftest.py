"""`mana-desktop --self-test`: can this installation run at all?

Checks, in order, each printed with ok/skip/FAIL: Qt imports and makes an offscreen
application, SQLite has WAL, the replica database opens (and migrates) in a temporary profile,
the workbench builds on it, the sync engine starts and stops offscreen, and the mission runner
plans with its built-in planner. Exits 0 when nothing failed. Everything runs in a temporary
directory: a real profile is never opened. A layer that is not part of this build is skipped
with a note, not failed. Used by the packaging scripts on the built bundle.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_KEEP: list[Any] = []


class Skip(Exception):
    """This check does not apply to this build (the message says why)."""


def _import(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise Skip(f"{module} is not part of this build") from None
        raise


def _check_qt(_tmp: Path) -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import __version__ as pyside_version
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        # Kept for the process's life: a collected QApplication would take Qt down with it.
        _KEEP.append(QApplication(["mana-desktop-self-test"]))
    return f"PySide6 {pyside_version} on platform {QGuiApplication.platformName()}"


def _check_sqlite(tmp: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(tmp / "probe.db")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    conn.close()
    if mode != "wal":
        raise RuntimeError(f"SQLite refused WAL mode (got {mode!r})")
    return f"SQLite {sqlite3.sqlite_version}, journal {mode}"


def _profile(tmp: Path) -> Any:
    return _import("mana_desktop.store.profile").Profile(tmp / "profile")


def _check_database(tmp: Path) -> str:
    profile = _profile(tmp)
    replica = profile.open_replica()
    try:
        client_id = replica.client_id
        pending = replica.pending_count()
    finally:
        replica.close()
    return f"replica {profile.replica_path.name} opened (client {client_id[:8]}…, {pending} pending)"


def _check_workbench(tmp: Path) -> str:
    service = _import("mana_desktop.workbench.service")
    profile = _profile(tmp)
    replica = profile.open_replica()
    try:
        workbench = service.Workbench(replica, profile.load_settings())
        workbench.stage()
        count = len(workbench.proposals())
    finally:
        replica.close()
    return f"workbench staged ({count} proposals)"


def _check_engine(tmp: Path) -> str:
    engine_mod = _import("mana_desktop.sync.engine")
    credentials_mod = _import("mana_desktop.sync.credentials")
    # Never touch the user's keyring from a self-test.
    os.environ.setdefault("MANA_DESKTOP_KEYRING", "file")
    profile = _profile(tmp)
    replica = profile.open_replica()
    try:
        engine = engine_mod.SyncEngine(profile, replica, credentials_mod.Credentials(profile))
        engine.start()
        state = engine.status().state
        engine.stop()
    finally:
        replica.close()
    return f"sync engine started and stopped (state {state}, no account)"


def _check_runner(_tmp: Path) -> str:
    planner = _import("mana_desktop.domain.planner")
    builtin = _import("mana_desktop.server.planner_builtin")
    tools = _import("mana_desktop.server.planner_tools").planner_tools()
    types = _import("mana_desktop.server.planner_types")
    mission = {"id": "self-test", "title": "Weekly review", "objective": "Plan next week"}
    messages = planner.build_planner_prompt(mission, (), tools)
    request = types.PlanRequest(mission, messages, tools, (), datetime.now(UTC))
    result = planner.parse_planner_response(
        builtin.BuiltinPlanner().complete(request), {t.name for t in tools}
    )
    if not result.ok:
        raise RuntimeError(f"the built-in planner's answer did not parse: {result.reason}")
    return f"built-in planner produced {len(result.value.steps)} step(s) over {len(tools)} tools"


CHECKS: list[tuple[str, Callable[[Path], str]]] = [
    ("Qt", _check_qt),
    ("SQLite", _check_sqlite),
    ("Database", _check_database),
    ("Workbench", _check_workbench),
    ("Sync engine", _check_engine),
    ("Mission runner", _check_runner),
]


def run_self_test() -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="mana-self-test-") as tmp:
        for name, check in CHECKS:
            try:
                print(f"ok    {name}: {check(Path(tmp))}", flush=True)
            except Skip as skip:
                print(f"skip  {name}: {skip}", flush=True)
            except Exception as exc:  # report every failure, keep checking
                failures += 1
                print(f"FAIL  {name}: {exc}", flush=True)
                traceback.print_exc()
    print("self-test passed" if failures == 0 else f"self-test failed: {failures} problem(s)")
    return 0 if failures == 0 else 1
