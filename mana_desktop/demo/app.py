"""`run_demo`: the README's first command, `mana-desktop demo`.

Starts the embedded server with the mission runner on a free loopback port, seeds the demo
account once, signs the demo profile in and opens the app on it. The demo lives in its own data
directory (`domain/paths.demo_data_dir()`) and never touches a real profile. Without a display
it says so and exits 2 instead of crashing; `--no-gui` keeps only the server and the runner.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from mana_desktop.domain.paths import demo_data_dir

if TYPE_CHECKING:
    from mana_desktop.demo.session import DemoSession

EXIT_NO_DISPLAY = 2
# Qt platforms that need no X11 or Wayland display server.
HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb")


def display_problem(env: dict[str, str] | None = None, platform: str | None = None) -> str | None:
    """Why no window can open here, or None. Only X11/Wayland systems can lack a display."""
    env = dict(os.environ) if env is None else env
    platform = platform or sys.platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if qpa in HEADLESS_PLATFORMS:
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return (
        "mana-desktop demo needs a graphical display, and none was found "
        "(neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "  - Run it from a desktop session, or over SSH with X forwarding (ssh -X).\n"
        "  - 'mana-desktop demo --no-gui' runs only the demo server and mission runner and "
        "prints how to connect.\n"
        "  - 'QT_QPA_PLATFORM=offscreen mana-desktop demo' starts it without a visible window "
        "(for smoke tests)."
    )


def _qt_problem() -> str | None:
    try:
        import PySide6.QtWidgets  # noqa: F401
    except ImportError as exc:  # e.g. a missing libEGL or libxkbcommon on a minimal system
        return f"Qt cannot be loaded here: {exc}. Install the system's OpenGL/X11 libraries."
    return None


def run_demo(
    reset: bool = False,
    argv: list[str] | None = None,
    *,
    gui: bool = True,
    data_dir: Path | None = None,
) -> int:
    """Run the demo until its window closes (or until Ctrl+C with `gui=False`)."""
    problem = display_problem() if gui else None
    problem = problem or (_qt_problem() if gui else None)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    # The demo account is throwaway: its secret stays in the demo directory, not the keyring.
    os.environ.setdefault("MANA_DESKTOP_KEYRING", "file")
    from mana_desktop.demo.session import DemoError, DemoSession

    target = data_dir or demo_data_dir()
    try:
        session = DemoSession.start(target, reset=reset)
    except (DemoError, OSError) as exc:
        print(f"mana-desktop demo: {exc}", file=sys.stderr)
        return 1
    try:
        _announce(session, gui)
        if not gui:
            return _serve_until_interrupted()
        try:
            from mana_desktop.gui.app import run_app
        except ModuleNotFoundError as exc:
            if exc.name is None or not "mana_desktop.gui.app".startswith(exc.name):
                raise
            print(
                "mana-desktop demo: the app window is not part of this build; "
                "use 'mana-desktop demo --no-gui'",
                file=sys.stderr,
            )
            return 1
        return int(run_app(session.profile_dir, argv))
    finally:
        session.stop()


def _announce(session: DemoSession, gui: bool) -> None:
    from mana_desktop.demo.seed import DEMO_EMAIL

    print(
        f"Mana Desktop demo: server {session.url} (mission runner every "
        f"{session.runner.tick_s if session.runner else 0:g} s)",
        flush=True,
    )
    print(f"  demo data: {session.data_dir}  (start over with: mana-desktop demo --reset)")
    if not gui:
        print(f"  profile:   {session.profile_dir}  (signed in as {DEMO_EMAIL})")
        profile = session.profile_dir
        print(f"  try:       mana-desktop sync --data-dir {profile}")
        print(f"             mana-desktop inbox list --data-dir {profile}")
        print("  Ctrl+C stops the demo.", flush=True)


def _serve_until_interrupted() -> int:
    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    return 0
