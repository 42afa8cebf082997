"""The main window: header with status, sidebar, pages, undo bar; remembers geometry and page."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QStackedWidget, QVBoxLayout, QWidget

from mana_desktop.gui.header import Banner, StatusButton, banner_for_status
from mana_desktop.gui.inbox_page import InboxPage
from mana_desktop.gui.modules import BY_KEY
from mana_desktop.gui.notifier import Notifier
from mana_desktop.gui.qtcompat import emit
from mana_desktop.gui.session import DecisionResult, Session
from mana_desktop.gui.sidebar import Sidebar
from mana_desktop.gui.undo_bar import UndoBar
from mana_desktop.gui.vault_link import BILLING_URL, vault_banner

translate = QCoreApplication.translate


def copy_settings(settings: Any, **changes: Any) -> Any:
    """A changed copy of pydantic Settings (or the object changed in place)."""
    if hasattr(settings, "model_copy"):
        return settings.model_copy(update=changes)
    for key, value in changes.items():
        setattr(settings, key, value)
    return settings


def decision_text(result: DecisionResult) -> str:
    label = result.label
    if result.action == "approve":
        return translate("Undo", "Approved “{what}”.").format(what=label)
    if result.action == "reject":
        return translate("Undo", "Rejected “{what}”.").format(what=label)
    if result.action == "retry":
        return translate("Undo", "Ran “{what}” again.").format(what=label)
    return translate("Undo", "Undone.")


class MainWindow(QMainWindow):
    sig_page_changed = Signal(str)
    """The page now shown (all, a module key, missions, activity, settings)."""
    sig_language_changed = Signal(object)
    """The user picked another language in Settings."""

    def __init__(self, session: Session, settings_key: str = "default", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.qsettings = QSettings("mana-desktop", "mana-desktop")
        self.settings_key = settings_key
        self.setWindowTitle("Mana")
        self.pages: dict[str, QWidget] = {}
        self.stack = QStackedWidget()
        self.sidebar = Sidebar()
        self.status_button = StatusButton()
        self.banner = Banner()
        self.undo_bar = UndoBar()
        self.notifier = Notifier(self)
        self._rebuilding = False  # an account rebuild is on the worker
        self._rebuild_next: bool | None = None  # another one asked for meanwhile (its `forget`)
        self._sign_out_next = False  # a sign-out confirmed while a rebuild was on the worker
        self._build()
        self._connect()
        self._restore()

    # -- layout -----------------------------------------------------------------------------
    def _build(self) -> None:
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = QWidget()
        header.setObjectName("header")
        hbox = QHBoxLayout(header)
        hbox.setContentsMargins(16, 6, 8, 6)
        brand = QLabel("Mana")
        brand.setObjectName("brand")
        hbox.addWidget(brand)
        # The active Space, unobtrusive: new records go there.
        self.space_label = QLabel()
        self.space_label.setObjectName("muted")
        self.space_label.setTextFormat(Qt.TextFormat.PlainText)  # a Space name is server text
        hbox.addWidget(self.space_label)
        hbox.addStretch(1)
        hbox.addWidget(self.status_button)
        outer.addWidget(header)
        outer.addWidget(self.banner)
        body = QHBoxLayout()
        body.setSpacing(0)
        body.addWidget(self.sidebar)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)
        outer.addWidget(self.undo_bar)
        self.setCentralWidget(central)

    def _connect(self) -> None:
        s = self.session
        self.sidebar.sig_page_selected.connect(self.show_page)
        s.sig_counts_changed.connect(self._on_counts)
        s.sig_status_changed.connect(self._on_status)
        s.sig_decided.connect(self._on_decided)
        s.sig_decision_failed.connect(self._on_decision_failed)
        s.sig_error.connect(self._on_error)
        s.sig_data_changed.connect(self._on_data_changed)
        s.sig_vault_changed.connect(self._on_vault)
        s.sig_spaces_changed.connect(self._on_spaces)
        s.sig_account_changed.connect(self._on_account_changed)
        self.undo_bar.sig_undo.connect(self._on_undo)
        self.status_button.sig_diagnostics.connect(self.open_diagnostics)
        self.status_button.sig_offline_toggled.connect(self.set_offline)
        self.status_button.sig_sync_now.connect(self._sync_now)
        self.notifier.sig_activated.connect(self._raise_for)
        self.banner.sig_action.connect(self._on_banner_action)
        QShortcut(QKeySequence.StandardKey.Undo, self, activated=self.undo_bar.undo)
        # UI.md: G then I / M / A goes to the inbox, missions, activity.
        for keys, page in (("G, I", "all"), ("G, M", "missions"), ("G, A", "activity")):
            QShortcut(QKeySequence(keys), self, activated=lambda p=page: self.show_page(p))

    # -- pages ------------------------------------------------------------------------------
    def page(self, page: str) -> QWidget:
        if page not in self.pages:
            widget = self._make_page(page)
            self.pages[page] = widget
            self.stack.addWidget(widget)
        return self.pages[page]

    def _make_page(self, page: str) -> QWidget:
        # Pages other than the inbox are imported on first use: launch time matters more.
        if page == "missions":
            from mana_desktop.gui.missions_page import MissionsPage

            return MissionsPage(self.session)
        if page == "activity":
            from mana_desktop.gui.activity_page import ActivityPage

            return ActivityPage(self.session)
        if page == "settings":
            from mana_desktop.gui.settings_page import SettingsPage

            settings = SettingsPage(self.session)
            settings.sig_offline_toggled.connect(self.set_offline)
            settings.sig_language_changed.connect(self.sig_language_changed)
            settings.sig_sign_out.connect(self.sign_out)
            settings.sig_sign_in.connect(self.sign_in)
            settings.sig_auth_url_changed.connect(self._auth_url_changed)
            return settings
        inbox = InboxPage(self.session, None if page == "all" else page)
        inbox.sig_open_mission.connect(self.open_mission)
        inbox.sig_show_help.connect(self.show_shortcuts)
        # Load once the event loop runs: the first window appears before the worker's read.
        QTimer.singleShot(0, inbox.reload)
        return inbox

    def show_page(self, page: str) -> None:
        if page != "all" and page not in BY_KEY and page not in ("missions", "activity", "settings"):
            page = "all"
        widget = self.page(page)
        self.stack.setCurrentWidget(widget)
        if self.sidebar.current_page() != page:
            self.sidebar.select_page(page)
        if isinstance(widget, InboxPage):
            widget.view.setFocus()
        self.qsettings.setValue(f"{self.settings_key}/page", page)
        emit(self.sig_page_changed, page)

    def current_page(self) -> str:
        for name, widget in self.pages.items():
            if widget is self.stack.currentWidget():
                return name
        return ""

    def open_mission(self, mission_id: str) -> None:
        self.show_page("missions")
        page = self.page("missions")
        select = getattr(page, "select", None)
        if select is not None:
            select(mission_id)

    def show_shortcuts(self) -> None:
        from mana_desktop.gui.dialogs import ShortcutSheet

        sheet = ShortcutSheet(self)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.open()

    def open_diagnostics(self) -> QWidget:
        from mana_desktop.gui.diagnostics import DiagnosticsDialog

        dialog = DiagnosticsDialog(self.session, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.offline.toggled.connect(self.set_offline)
        dialog.load()
        dialog.open()
        return dialog

    # -- events -----------------------------------------------------------------------------
    # Bound methods, not lambdas: Qt drops the connection when this window is destroyed.
    def _on_decision_failed(self, message: str, _ids: object) -> None:
        self.undo_bar.show_message(message)

    def _on_error(self, text: str) -> None:
        self.banner.show_message("error", text)

    def _on_data_changed(self, changed: object) -> None:
        missions = changed.get(("ai", "aiMissions")) if isinstance(changed, dict) else None
        if missions or not isinstance(changed, dict) or ("*", "*") in changed:
            self._check_notifications(set(missions) if missions else None)

    def _on_undo(self, group: object) -> None:
        self.session.undo(group if isinstance(group, str) and group else None)

    def _on_counts(self, counts: dict[str, int]) -> None:
        self.sidebar.set_counts(counts)
        self.notifier.set_count(self.sidebar.count_of("all"))

    def _on_status(self, status: Any) -> None:
        self.status_button.set_status(status)
        self.status_button.set_offline(bool(getattr(status, "work_offline", False)))
        banner = banner_for_status(status)
        if banner is not None:
            self.banner.show_message(*banner)
        elif self.banner.kind in ("signed-out", "paused"):
            self.banner.hide()

    def _on_decided(self, result: DecisionResult) -> None:
        if result.action == "undo":
            self.undo_bar.show_message(translate("Undo", "Undone."), 3.0)
            return
        until = getattr(result.decision, "undo_until", None)
        window = float(getattr(self.session.settings, "undo_window_s", 8) or 8)
        if isinstance(until, int | float):
            window = max(0.5, until - time.time())
        group = getattr(result.decision, "group", None)
        self.undo_bar.show_decision(decision_text(result), group, window)

    def set_offline(self, on: bool) -> None:
        """Work offline: the engine stops talking to the server; changes wait in the outbox."""
        self.status_button.set_offline(on)
        s = self.session
        if s.settings is not None:
            s.settings = copy_settings(s.settings, work_offline=on)
        settings_page = self.pages.get("settings")
        set_offline = getattr(settings_page, "set_offline", None)
        if set_offline is not None:
            set_offline(on)  # after the session's settings say so (Security reads them)
        engine, profile, settings = s.engine, s.profile, s.settings

        def job() -> None:
            if engine is not None:
                engine.set_offline(on)
            if profile is not None and settings is not None:
                profile.save_settings(settings)

        s.run(job)
        if not on:
            s.start_account()  # back online: fetch the key if it is still missing, load Spaces

    def _sync_now(self) -> None:
        engine = self.session.engine
        if engine is not None:
            self.session.run(engine.sync_now)

    def _check_notifications(self, mission_ids: set[str] | None = None) -> None:
        """Look for new iterations: in the changed missions only, or everywhere at start."""
        wb = self.session.workbench
        focused = self.is_focused()
        if self.notifier.seen is None:
            # No baseline yet (its timer has not fired, or its read is queued): seeding it from
            # a few missions would make every other iteration look new on the next check.
            mission_ids = None

        def job() -> list[Any]:
            if mission_ids is None:
                return list(wb.proposals(status="pending"))
            return [v for mid in sorted(mission_ids) for v in wb.proposals(mission_id=mid, status="pending")]

        self.session.run(job, lambda views: self.notifier.consider(views, focused))

    # -- account ------------------------------------------------------------------------------
    def _on_banner_action(self, kind: str) -> None:
        if kind == "signed-out":
            self.sign_in()
        elif kind == "paused":
            self.open_url(BILLING_URL)
        elif kind == "vault":
            self.unlock_vault()
        elif kind == "session":
            self.banner.hide()

    @staticmethod
    def open_url(url: str) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl(url))

    # -- encryption vault -----------------------------------------------------------------------
    def _on_vault(self, state: str) -> None:
        vault = self.session.vault
        banner = vault_banner(state, getattr(getattr(vault, "vault", None), "error", None))
        if banner is not None:
            self.banner.show_message("vault", *banner)
        elif self.banner.kind == "vault":
            self.banner.hide()

    def unlock_vault(self) -> None:
        """Retry the unlock, or ask for the recovery code (zero-knowledge mode)."""
        vault = self.session.vault
        if vault is None:
            return
        if vault.state != "awaiting-recovery-code":
            self.session.unlock_vault()
            return
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        code, ok = QInputDialog.getText(
            self, translate("Vault", "Recovery code"),
            translate("Vault", "Your recovery code (64 characters 0-9 and A-F):"),
            QLineEdit.EchoMode.Password,
        )  # fmt: skip
        if ok and code.strip():
            self.submit_recovery_code(code)

    def submit_recovery_code(self, code: str) -> None:
        vault = self.session.vault
        if vault is not None:  # a wrong code keeps the state awaiting: the banner stays
            self.session.run(lambda: vault.vault.submit_recovery_code(code),
                             lambda _r: self.session.sync_when_started(vault),
                             on_error=lambda exc: self.banner.show_message(
                                 "vault", str(exc), translate("Vault", "Enter recovery code…")))  # fmt: skip

    def sign_in(self) -> None:
        """Sign in again after a 401; the login (HTTP) runs on the worker."""
        from mana_desktop.gui.dialogs import FirstRunDialog

        dialog = FirstRunDialog(self)
        dialog.demo.hide()
        settings = self.session.settings
        dialog.server.setText(getattr(settings, "server_url", None) or "")
        dialog.email.setText(getattr(settings, "account_email", None) or "")
        dialog.auth_url.setText(getattr(settings, "auth_url", None) or "")
        if not dialog.exec() or dialog.choice != "sign-in":
            return
        server, email, password = dialog.server.text().strip(), dialog.email.text().strip(), dialog.password.text()
        self.sign_in_as(server, email, password, dialog.auth_url.text().strip() or None)

    def sign_in_as(self, server: str, email: str, password: str, auth_url: str | None = None) -> None:
        """Log in on the worker (same or another account), then rebuild the account layer.
        A refusal (wrong password, another account's data in this profile) is shown in the
        banner and changes nothing."""
        profile, replica = self.session.profile, self.session.replica

        def login() -> bool:
            from mana_desktop.sync.account import check_profile_owner
            from mana_desktop.sync.credentials import Credentials

            # One account per replica: another account's records or unsent changes refuse
            # the sign-in before anything is stored (AccountMismatchError says what to do).
            check = None if replica is None else (lambda user_id: check_profile_owner(replica, user_id))
            credentials = Credentials(profile)
            credentials.login(server, email, password, auth_url=auth_url, check=check)
            return credentials.session_warning is not None

        self.session.run(login, self._signed_in,
                         lambda exc: self.banner.show_message("error", str(exc) or type(exc).__name__))  # fmt: skip

    def _signed_in(self, no_session_cookie: bool) -> None:
        self.rebuild_account()
        if no_session_cookie:
            self.show_session_warning()

    def show_session_warning(self) -> None:
        """The account server gave no session cookie: the sign-in holds only until the access
        token expires (about 15 minutes upstream), and the Spaces cannot load."""
        self.banner.show_message("session", translate(
            "Header", "Signed in, but the account server did not start a session this app can renew: "
                      "you will be asked to sign in again when the access expires."),
            translate("Header", "Dismiss"))  # fmt: skip

    def sign_out(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(self, translate("Header", "Sign out"),
                                      translate("Header", "Sign out of this account? Unsent changes stay on this computer."))  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        self._sign_out_confirmed()

    def _sign_out_confirmed(self) -> None:
        """Sign out on the worker. While a rebuild runs, after it is swapped in: the sign-out
        must stop the engine and close the account that rebuild opens."""
        from mana_desktop.gui.account_layer import sign_out_job

        if self._rebuilding:
            self._sign_out_next = True
            return
        s = self.session
        self.session.run(sign_out_job(s.profile, s.vault, s.engine, s.join_account_threads),
                         lambda _r: self.rebuild_account(forget=True))

    def rebuild_account(self, forget: bool = False) -> None:
        """Sign-in, sign-out or another account server: a new account session (cipher on the
        replica and workbench, engine started, vault unlocked), every page reloaded. One
        rebuild at a time: a request meanwhile runs once the current one is swapped in (it
        must close the account that one opened, not the one before)."""
        from mana_desktop.gui.account_layer import rebuild

        if self._rebuilding:
            self._rebuild_next = bool(self._rebuild_next) or forget
            return
        s = self.session
        profile, replica, wb, vault, engine = s.profile, s.replica, s.workbench, s.vault, s.engine
        if profile is None or replica is None:
            return
        self._rebuilding = True
        s.run(lambda: rebuild(profile, replica, wb, vault, engine, forget=forget), self._account_rebuilt,
              self._rebuild_failed)  # fmt: skip

    def _auth_url_changed(self) -> None:
        if self.session.vault is not None:  # signed out: the next sign-in uses the address
            self.rebuild_account()

    def _account_rebuilt(self, rebuilt: Any) -> None:
        self._rebuilding = False
        self.session.swap_account(rebuilt.vault, rebuilt.engine, rebuilt.settings)
        if rebuilt.error:
            self.banner.show_message("error", rebuilt.error)
        self.session.start_account()
        self._rebuild_queued()

    def _rebuild_failed(self, exc: Exception) -> None:
        self._rebuilding = False
        self.banner.show_message("error", str(exc) or type(exc).__name__)
        self._rebuild_queued()

    def _rebuild_queued(self) -> None:
        forget, self._rebuild_next = self._rebuild_next, None
        if self._sign_out_next:  # its own rebuild (forget=True) covers a queued one
            self._sign_out_next = False
            self._sign_out_confirmed()
            return
        if forget is not None:
            self.rebuild_account(forget=forget)

    def _on_account_changed(self) -> None:
        if self.banner.kind in ("signed-out", "vault", "error"):
            self.banner.hide()
        self._on_spaces(None)
        settings_page = self.pages.get("settings")
        update = getattr(settings_page, "update_account", None)
        if update is not None:
            update()  # the other pages reload on the session's full change set

    def _on_spaces(self, _context: object) -> None:
        from mana_desktop.gui.spaces_section import active_space_name

        name = active_space_name(self.session)
        self.space_label.setText(f"· {name}" if name else "")
        self.space_label.setToolTip(translate("Spaces", "Active Space: new records go here") if name else "")

    def is_focused(self) -> bool:
        return self.isActiveWindow() and not self.isMinimized()

    def _raise_for(self, iteration_id: str) -> None:
        """A notification or the tray was clicked: show that iteration's first card."""
        self.raise_and_focus()
        self.show_page("all")
        page = self.page("all")
        group = page.model.group(iteration_id) if isinstance(page, InboxPage) else None
        if isinstance(page, InboxPage) and group is not None and group.ids:
            page.view.select_card(group.ids[0])

    def raise_and_focus(self) -> None:
        self.showNormal()
        self.raise_()
        self.activateWindow()

    # -- persistence ------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry = self.qsettings.value(f"{self.settings_key}/geometry")
        if isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(QByteArray(geometry)):
            pass
        else:
            self.resize(1200, 800)
        page = self.qsettings.value(f"{self.settings_key}/page", "all")
        self.show_page(str(page) if page else "all")
        self.session.refresh_counts()
        self._on_spaces(None)
        # The baseline of known iterations (a read of every pending proposal) waits until the
        # first window is up.
        QTimer.singleShot(300, self._check_notifications)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.qsettings.setValue(f"{self.settings_key}/geometry", self.saveGeometry())
        self.qsettings.sync()
        super().closeEvent(event)
