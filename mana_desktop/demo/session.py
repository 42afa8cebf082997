"""The demo's moving parts: an embedded server with the runner, seeded data, a signed-in profile.

Layout of the demo data directory (`domain/paths.demo_data_dir()`, never a real profile):
`server/sync.db` (the embedded server's database and signing key) and `profile/` (the app's
profile: replica, settings, credentials). The server listens on a free loopback port; the
demo account's password is new on every start, so only this process can sign in.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mana_desktop.domain.timeutil import utc_now

if TYPE_CHECKING:
    from mana_desktop.domain.crypto import MasterKey
    from mana_desktop.server.runner import MissionRunner
    from mana_desktop.server.runtime import ManaServer
    from mana_desktop.server.service import SyncService

SERVER_DIR = "server"
PROFILE_DIR = "profile"
DB_NAME = "sync.db"
MARKER = ".mana-desktop-demo"  # proves a directory is a demo directory before --reset wipes it
DEMO_TICK_S = 3.0
START_TIMEOUT_S = 20.0


class DemoError(RuntimeError):
    """The demo cannot start; the message says why and what to do."""


def prepare_dir(data_dir: Path, reset: bool) -> None:
    """Create the demo directory, or wipe it first on --reset (only if it is a demo directory)."""
    if reset and data_dir.exists():
        if not (data_dir / MARKER).exists() and any(data_dir.iterdir()):
            raise DemoError(f"{data_dir} does not look like a demo directory; not deleting it")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("Mana Desktop demo data; safe to delete.\n", encoding="utf-8")


def demo_master_key(service: SyncService, user_id: str) -> MasterKey | None:
    """The demo user's vault key: created on the first start (kept in the demo database,
    wrapped with the server's KEK), so seeded and app-written records are encrypted."""
    from mana_desktop.domain.crypto import MasterKey
    from mana_desktop.server.vault import Vaults, seed_master_key

    seed_master_key(service.store, user_id, MasterKey.generate())  # no-op when it exists
    return Vaults(service.store).master_key(user_id)


@dataclass
class DemoSession:
    data_dir: Path
    url: str = ""
    user_id: str = ""
    seeded: int = 0
    personal_space_id: str = ""
    family_space_id: str = ""
    co_member_id: str = ""
    password: str = field(default="", repr=False)
    runner: MissionRunner | None = None
    _service: SyncService | None = None
    _server: ManaServer | None = None
    _thread: threading.Thread | None = None
    _stopped: bool = False

    @property
    def profile_dir(self) -> Path:
        return self.data_dir / PROFILE_DIR

    @classmethod
    def start(
        cls,
        data_dir: Path,
        *,
        reset: bool = False,
        tick_s: float = DEMO_TICK_S,
        sign_in: bool = True,
        run_runner: bool = True,
    ) -> DemoSession:
        """Start everything; `run_runner=False` leaves ticking to the caller (tests)."""
        prepare_dir(data_dir, reset)
        session = cls(data_dir)
        try:
            session._start_server(tick_s, run_runner)
            if sign_in:
                session._sign_in()
        except BaseException:
            session.stop()
            raise
        return session

    def _start_server(self, tick_s: float, run_runner: bool) -> None:
        from mana_desktop.demo.seed import DEMO_EMAIL, DEMO_NAME, seed
        from mana_desktop.server.runner import MISSIONS_APP, MISSIONS_TABLE, install
        from mana_desktop.server.runtime import ManaServer, bind_socket, socket_url
        from mana_desktop.server.service import SyncService

        service = SyncService.open(self.data_dir / SERVER_DIR / DB_NAME)
        self._service = service
        self.password = secrets.token_urlsafe(18)
        user = service.auth.add_user(DEMO_EMAIL, self.password, DEMO_NAME)
        self.user_id = user.id
        runner = install(service, tick_s=tick_s, autostart=False)
        self.runner = runner
        key = demo_master_key(service, self.user_id)
        personal = service.auth.orgs.personal_space(self.user_id)
        assert personal is not None  # add_user creates it
        self.personal_space_id = personal
        if self.user_id not in runner.log.user_ids(MISSIONS_APP, MISSIONS_TABLE):
            self.seeded = seed(
                service.append_changes, self.user_id, utc_now(), key, space_id=personal
            )
        self.seeded += self._share_family(service)
        started = threading.Event()

        async def signal_started(_service: object) -> None:
            started.set()

        service.add_background_task(signal_started)
        sock = bind_socket("127.0.0.1", 0)
        server = ManaServer(service)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="demo-server", daemon=True
        )
        self._thread.start()
        if not started.wait(START_TIMEOUT_S) or not self._thread.is_alive():
            raise DemoError("the embedded demo server did not start")
        self.url = socket_url(sock)
        if run_runner:
            runner.start()  # first tick at once: due missions get plans within seconds

    def _share_family(self, service: SyncService) -> int:
        """The shared "Family" Space: the demo user owns it, a second demo account (which
        never signs in: its password is random) is a member and wrote a few records into
        it. Seeded once, when the Space is created."""
        from mana_desktop.demo.seed import (
            CO_MEMBER_EMAIL,
            CO_MEMBER_NAME,
            DEMO_EMAIL,
            FAMILY_NAME,
            FAMILY_TYPE,
            seed_family,
        )

        member = service.auth.add_user(CO_MEMBER_EMAIL, secrets.token_urlsafe(18), CO_MEMBER_NAME)
        self.co_member_id = member.id
        existed = service.auth.orgs.find_owned(self.user_id, FAMILY_NAME) is not None
        self.family_space_id = service.auth.add_space(
            FAMILY_NAME, FAMILY_TYPE, [DEMO_EMAIL, CO_MEMBER_EMAIL]
        )
        if existed:
            return 0
        return seed_family(service.append_changes, member.id, self.family_space_id, utc_now())

    def _sign_in(self) -> None:
        from mana_desktop.demo.seed import DEMO_EMAIL
        from mana_desktop.store.profile import Profile
        from mana_desktop.sync.credentials import Credentials

        profile = Profile(self.profile_dir)
        Credentials(profile).login(self.url, DEMO_EMAIL, self.password)
        settings = profile.load_settings()
        # Drinks and meals are "auto" tools; in the demo they come as cards too, so every
        # module's inbox has something to review (Settings -> policies changes it back).
        policies = {"log_drink": "propose", "log_meal": "propose", **settings.tool_policies}
        update = {"demo": True, "work_offline": False, "tool_policies": policies}
        profile.save_settings(settings.model_copy(update=update))

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.runner is not None:
            self.runner.stop()
        if self._server is not None:
            self._server.request_exit()
        if self._thread is not None:
            self._thread.join(START_TIMEOUT_S)
        if self._service is not None:
            self._service.close()

    def __enter__(self) -> DemoSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
