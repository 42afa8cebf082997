"""`run_app(data_dir, argv)`: open the window for a profile (CONTRACTS.md "GUI")."""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Opened:
    """What run_app started, so it can stop it again in order."""

    replica: Any = None
    workbench: Any = None
    engine: Any = None
    vault: Any = None  # gui.vault_link.AccountVault of the signed-in account
    error: str | None = None  # why the account named in the settings could not be opened


def _application(argv: list[str] | None) -> Any:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "mana-desktop", *(argv or [])])
    app.setApplicationName("Mana")
    app.setOrganizationName("mana-desktop")
    app.setDesktopFileName("mana-desktop")
    from PySide6.QtGui import QIcon

    from mana_desktop.gui.theme import RESOURCES

    icon = RESOURCES / "icons" / "mana-desktop.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))  # SVG: sharp at every device pixel ratio
    return app


def _load_settings(profile: Any) -> tuple[Any, str | None]:
    """The settings, or defaults plus the error text (a bad file is never overwritten)."""
    from mana_desktop.store.settings import Settings, SettingsError

    try:
        return profile.load_settings(), None
    except SettingsError as exc:
        return Settings(), str(exc)


def has_account(settings: Any) -> bool:
    return bool(getattr(settings, "account_email", None) or getattr(settings, "demo", False))


def first_run(profile: Any, settings: Any, warnings: list[str] | None = None) -> str | None:
    """No account and no demo: ask. Returns "demo", "sign-in" or None (cancelled). A sign-in
    without a renewable session appends "session" to `warnings` (the window says so)."""
    from mana_desktop.gui.dialogs import FirstRunDialog

    dialog = FirstRunDialog()
    while dialog.exec():
        if dialog.choice != "sign-in":
            return dialog.choice
        auth_url = dialog.auth_url.text().strip() or None  # mana-auth, when apart from sync
        server, email, password = dialog.server.text().strip(), dialog.email.text().strip(), dialog.password.text()
        dialog.setEnabled(False)  # one sign-in at a time; the dialog still repaints
        try:
            warning = wait_off_gui_thread(functools.partial(login_checked, profile, server, email, password, auth_url))
            if warning and warnings is not None:
                warnings.append("session")
            return "sign-in"
        except Exception as exc:  # shown to the person, who can try again
            dialog.show_error(str(exc))
        finally:
            dialog.setEnabled(True)
    return None


def login_checked(profile: Any, server: str, email: str, password: str, auth_url: str | None = None) -> str | None:
    """Blocking sign-in that refuses an account other than the one whose data the profile's
    replica holds (`check_profile_owner`; nothing is stored then). Off the GUI thread.
    Returns the credentials' session warning (no renewable session cookie), if any."""
    from mana_desktop.sync.account import check_profile_owner
    from mana_desktop.sync.credentials import Credentials

    replica = profile.open_replica()
    try:
        credentials = Credentials(profile)
        credentials.login(server, email, password, auth_url=auth_url,
                          check=lambda user_id: check_profile_owner(replica, user_id))  # fmt: skip
        return credentials.session_warning
    finally:
        replica.close()


def wait_off_gui_thread(job: Any) -> Any:
    """Run a blocking job (HTTP) on a helper thread while Qt keeps processing events.

    Used before the window and its worker exist (the first-run sign-in): the GUI thread only
    spins a local event loop, so the dialog repaints and never freezes. Re-raises the job's
    exception.
    """
    from concurrent.futures import ThreadPoolExecutor

    from PySide6.QtCore import QEventLoop, QTimer

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mana-login") as pool:
        future = pool.submit(job)
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(15)
        timer.timeout.connect(lambda: future.done() and loop.quit())
        timer.start()
        if not future.done():
            loop.exec()
        timer.stop()
        return future.result()


def _open_layers(profile: Any, settings: Any) -> Opened:
    from mana_desktop.workbench.service import Workbench

    opened = Opened()
    opened.replica = profile.open_replica()
    opened.workbench = Workbench(opened.replica, settings)
    if getattr(settings, "server_url", None) and getattr(settings, "account_email", None):
        _open_account(opened, profile, settings)
    return opened


def _open_account(opened: Opened, profile: Any, settings: Any) -> None:
    """The account's vault, its cipher on the replica (seals writes) and the workbench (reveals
    reads), and a sync engine (not started) only together with that vault: an account that
    cannot be opened gets a key-less cipher, no engine and `opened.error` (review #7). The
    vault starts locked; the window starts the account once it is up."""
    from mana_desktop.gui.account_layer import locked_cipher, make_engine, open_account

    opened.vault, credentials, opened.error = open_account(profile, settings)
    cipher = opened.vault.cipher if opened.vault is not None else locked_cipher(None, opened.replica, settings)
    if cipher is not None:
        opened.replica.set_cipher(cipher)
        opened.workbench.set_cipher(cipher)
    opened.engine = make_engine(profile, opened.replica, credentials, settings, opened.vault)


def _close_layers(opened: Opened) -> None:
    for step in (
        lambda: opened.engine and opened.engine.stop(),
        lambda: opened.workbench and opened.workbench.detach(),
        lambda: opened.replica and opened.replica.close(),
    ):
        try:
            step()
        except Exception:  # shutting down: log and go on
            log.warning("shutdown step failed", exc_info=True)


def run_app(data_dir: Path, argv: list[str] | None = None) -> int:
    """Open the main window for the profile in `data_dir`; returns the exit code."""
    from mana_desktop.gui import i18n, theme
    from mana_desktop.gui.single_instance import InstanceServer, ask_running_instance, server_name
    from mana_desktop.store.profile import Profile

    app = _application(argv)
    name = server_name(Path(data_dir))
    if ask_running_instance(name):
        print("mana-desktop: already open for this profile; raised its window", file=sys.stderr)
        return 0
    profile = Profile(Path(data_dir))
    settings, settings_error = _load_settings(profile)
    i18n.install(app, getattr(settings, "language", None))
    theme.apply_style(app, dark=os.environ.get("MANA_DESKTOP_THEME") == "dark" or None)
    warnings: list[str] = []
    if not has_account(settings) and settings_error is None:
        choice = first_run(profile, settings, warnings)
        if choice is None:
            return 0
        if choice == "demo":
            from mana_desktop.demo import run_demo  # type: ignore[attr-defined]

            return int(run_demo(argv=argv))
        settings, settings_error = _load_settings(profile)
    instance = InstanceServer(name)
    opened = _open_layers(profile, settings)
    try:
        return _run_window(app, profile, settings, settings_error, opened, instance, warnings)
    finally:
        instance.close()
        _close_layers(opened)


def _run_window(app: Any, profile: Any, settings: Any, settings_error: str | None, opened: Opened, instance: Any,
                warnings: list[str] | None = None) -> int:
    from mana_desktop.gui.main_window import MainWindow
    from mana_desktop.gui.session import Session
    from mana_desktop.gui.single_instance import server_name

    session = Session(opened.workbench, replica=opened.replica, engine=opened.engine, profile=profile, settings=settings,
                      vault=opened.vault)  # fmt: skip
    session.attach()
    if opened.engine is not None:
        opened.engine.start()
    window = MainWindow(session, settings_key=server_name(profile.data_dir))
    instance.sig_raise_requested.connect(window.raise_and_focus)
    window.sig_language_changed.connect(lambda lang: _switch_language(app, lang, window))
    if settings_error or opened.error:
        window.banner.show_message("error", settings_error or opened.error or "")
    elif warnings and "session" in warnings:
        window.show_session_warning()
    window.show()
    session.start_account()  # vault unlock, then Spaces: the key arrives while the window paints
    # Staging's catch-up pass (a Python thread) starts once the window is up, so it does not
    # compete with building the window for the interpreter lock.
    from PySide6.QtCore import QTimer

    QTimer.singleShot(200, opened.workbench.attach)
    try:
        return int(app.exec())
    finally:
        session.close()


def _switch_language(app: Any, language: str | None, window: Any) -> None:
    from mana_desktop.gui import i18n

    i18n.install(app, language)
    window.undo_bar.show_message(app.translate("App", "The new language applies after a restart."))
