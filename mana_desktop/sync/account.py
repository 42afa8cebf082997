"""Everything keyed to one signed-in account: its vault key, its Spaces, its cipher.

`AccountSession.open` builds the parts without any HTTP (None when signed out); `start()`
loads the Spaces and then unlocks the vault (one try), both blocking: the Spaces first, so a
push right after the unlock knows which records are shared (and the pusher holds changes of
unknown Spaces until they have loaded anyway). `forget_account_secrets` is the sign-out wipe
of what lives beside the credentials (keyring copy of the key, Space cache). The CLI, the sync command
and the GUI all build their `RecordCipher` here, so every writer stamps and seals the same way.

One account per replica: the replica remembers the user id it was first signed in or synced
with (`check_profile_owner`); another account is refused while the replica holds the first
one's records or unsent changes, so nothing of one account is ever pushed into another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mana_desktop.domain.crypto import MasterKey, RecordCipher
from mana_desktop.domain.spaces import SpaceContext
from mana_desktop.sync.ports import ProfileLike
from mana_desktop.sync.spaces import CACHE_FILE as SPACES_CACHE_FILE
from mana_desktop.sync.spaces import SpaceDirectory, SpacesError
from mana_desktop.sync.vault import KeyringKeyCache, VaultClient, VaultState

log = logging.getLogger(__name__)

OWNER_SETTING = "account_user_id"


class AccountMismatchError(Exception):
    """The profile's replica belongs to another account. The message names the remedy."""

    def __init__(self, message: str, *, owner: str, user_id: str) -> None:
        super().__init__(message)
        self.owner = owner
        self.user_id = user_id


class OwnedReplica(Protocol):
    def setting(self, key: str) -> str | None: ...
    def set_setting(self, key: str, value: str | None) -> None: ...
    def count(self) -> int: ...
    def pending_count(self) -> int: ...


def check_profile_owner(replica: OwnedReplica, user_id: str, *, claim: bool = True) -> None:
    """Refuse `user_id` if the replica holds another account's records or unsent changes
    (AccountMismatchError); otherwise record `user_id` as the owner (with `claim`).

    A replica with no recorded owner (new, or from before this check) is claimed: its unsent
    changes were made on this computer without an account and now go to this one.
    """
    owner = replica.setting(OWNER_SETTING)
    if owner and owner != user_id:
        records, pending = replica.count(), replica.pending_count()
        if records or pending:
            held = f"{records} record{'s' if records != 1 else ''}"
            if pending:
                held += f" and {pending} unsent change{'s' if pending != 1 else ''}"
            raise AccountMismatchError(
                f"This profile holds {held} of another account (user {owner}). Nothing was "
                "changed. Sign in as that account again, or use another profile for this "
                "one (`--data-dir DIR`, or MANA_DESKTOP_DATA_DIR).",
                owner=owner, user_id=user_id)
    if claim and owner != user_id:
        replica.set_setting(OWNER_SETTING, user_id)


class PushWaker(Protocol):
    def push_now(self) -> None: ...


class SessionCredentials(Protocol):
    def account(self) -> Any: ...
    def signed_in(self) -> bool: ...
    def access_token(self) -> str: ...
    def refresh(self, rejected: str | None = None) -> str: ...
    def session_cookies(self) -> dict[str, str]: ...
    def merge_cookies(self, cookies: dict[str, str]) -> None: ...
    def scrub(self, text: str) -> str: ...


@dataclass
class AccountSession:
    user_id: str
    vault: VaultClient
    spaces: SpaceDirectory
    cipher: RecordCipher
    data_dir: Any
    keyring_cache: bool = False  # the profile's opt-in when the session was opened

    @classmethod
    def open(cls, profile: ProfileLike, settings: Any,
             credentials: SessionCredentials, *, transport: Any = None) -> AccountSession | None:
        """The session of the profile's account, vault still locked; None when signed out.
        No HTTP. `settings.vault_keyring_cache` switches the keyring copy of the key on."""
        account = credentials.account()
        if account is None or not credentials.signed_in():
            return None
        cache = (KeyringKeyCache(profile.data_dir, account.user_id)
                 if getattr(settings, "vault_keyring_cache", False) else None)
        vault = VaultClient(account.auth_url, credentials.access_token,
                            refresh_token=credentials.refresh, cache=cache, transport=transport)
        spaces = SpaceDirectory(profile, credentials, user_id=account.user_id,
                                auth_url=account.auth_url, transport=transport)
        cipher = RecordCipher(account.user_id, lambda: vault.key, lambda: spaces.context)
        return cls(account.user_id, vault, spaces, cipher, profile.data_dir,
                   keyring_cache=cache is not None)

    def start(self, *, offline: bool = False) -> None:
        """Blocking: load the Spaces, then unlock the vault (one try). Never raises for the
        server or the network: see `vault.state`/`vault.error`; Space failures are logged
        and the cached Spaces stay. `offline` ("Work offline"): no request at all; only the
        opt-in keyring copy of the key is used."""
        if offline:
            if self.keyring_cache and self.vault.key is None and \
                    KeyringKeyCache(self.data_dir, self.user_id).load() is not None:
                self.vault.unlock()  # served from the keyring: no request
            return
        # Spaces first: the unlock wakes pushes, which must know the shared Spaces by then.
        try:
            self.spaces.refresh()
        except SpacesError as exc:
            log.warning("Spaces not refreshed (%s): %s", exc.reason, exc)
        state = self.vault.unlock()
        if state is VaultState.ERROR and self.vault.error is not None:
            log.warning("vault: %s", self.vault.error)

    def wake_on_spaces(self, engine: PushWaker) -> Callable[[], None]:
        """Push held changes once the Spaces have loaded (each successful refresh or switch
        after the first load wakes the engine too). Returns the unsubscribe function."""
        def changed(context: SpaceContext) -> None:
            if context.loaded:
                engine.push_now()

        return self.spaces.subscribe(changed)

    def on_demand_cipher(self, *, offline: bool = False) -> RecordCipher:
        """A cipher for short commands: the first time a key is needed it runs
        `start(offline=offline)` (one try), so commands that never touch an encrypted field
        make no request."""
        tried: list[bool] = []

        def key() -> MasterKey | None:
            if self.vault.key is None and not tried:
                tried.append(True)
                self.start(offline=offline)
            return self.vault.key

        return RecordCipher(self.user_id, key, lambda: self.spaces.context)

    def close(self, *, forget: bool) -> None:
        """Drop the key from memory. `forget` (sign-out): also from the keyring, whether or
        not the opt-in is on now (it may have been earlier), and remove the Space cache."""
        self.vault.lock(forget_cache=forget)
        if forget:
            KeyringKeyCache(self.data_dir, self.user_id).clear()
            self.spaces.forget()


def forget_account_secrets(profile: ProfileLike, user_id: str | None = None) -> None:
    """Sign-out without an open session (the CLI `logout`, the GUI when no vault was ever
    opened): drop the opt-in keyring copy of the vault key, whether or not the opt-in is on
    now, and the Space cache. `user_id` defaults to the profile's account; call it BEFORE
    `Credentials.logout()`, which clears that. Never raises for a missing file or entry."""
    if user_id is None:
        user_id = profile.load_settings().user_id
    if user_id:
        KeyringKeyCache(profile.data_dir, user_id).clear()
    (Path(profile.data_dir) / SPACES_CACHE_FILE).unlink(missing_ok=True)
