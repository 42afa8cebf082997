"""The signed-in user's encryption vault, as the app uses it (docs/encryption.md, "GUI").

One `AccountVault` per signed-in profile, wrapping `sync.account.AccountSession`: the
`VaultClient` (key in memory only; the OS keyring only when the person opted in), the
`SpaceDirectory` and the `RecordCipher` the replica, the workbench and the records panels
share. Every call here that talks to the server is blocking: the app runs
it on the bridge's worker thread, never on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

# The 402 body carries a message but no link (upstream: "Aktiviere Sync in den
# Einstellungen"); the webapp's settings are where Cloud Sync is switched on.
BILLING_URL = "https://mana.how/settings"


@dataclass
class AccountVault:
    """A thin GUI handle on `sync.account.AccountSession` (vault, Spaces, cipher of one
    signed-in account); the names the pages and tests use stay as they were."""

    account: Any  # sync.account.AccountSession
    # Closing may overtake a start()/unlock() still running on its own thread (a sign-out
    # right after launch): the late unlock or Space refresh must not bring the key, its
    # keyring copy or the Spaces cache back. None while open, else the `forget` it closed with.
    _closed: bool | None = field(default=None, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set once start() finished (Spaces loaded or tried, unlock tried). Sync waits for it: a
    # push before the Spaces list would take every shared Space for a private one (review #1).
    started: threading.Event = field(default_factory=threading.Event, repr=False)

    @classmethod
    def open(cls, profile: Any, settings: Any, credentials: Any) -> AccountVault | None:
        """The profile's account (vault still locked, Spaces from the cache), or None when
        signed out. No HTTP."""
        from mana_desktop.sync.account import AccountSession

        account = AccountSession.open(profile, settings, credentials)
        return None if account is None else cls(account)

    @property
    def vault(self) -> Any:  # sync.vault.VaultClient
        return self.account.vault

    @property
    def cipher(self) -> Any:  # domain.crypto.RecordCipher
        return self.account.cipher

    @property
    def spaces(self) -> Any:  # sync.spaces.SpaceDirectory
        return self.account.spaces

    @property
    def user_id(self) -> str:
        return str(self.account.user_id)

    @property
    def data_dir(self) -> Any:
        return self.account.data_dir

    @property
    def state(self) -> str:
        return str(getattr(self.vault.state, "value", self.vault.state))

    def unlock(self) -> str:
        """Blocking: fetch and unlock the key (worker thread). Returns the new state."""
        state = str(getattr(self.vault.unlock(), "value", ""))
        self._undo_if_closed()
        return state

    def start(self) -> None:
        """Blocking (off the GUI thread): unlock the vault, then load the Spaces; failures
        end in the vault's state and the log, never raised."""
        try:
            self.account.start()
            self._undo_if_closed()
        finally:
            self.started.set()

    @property
    def closed(self) -> bool:
        """Closed by a sign-out or an account switch (a late start must not sync)."""
        return self._closed is not None

    def _undo_if_closed(self) -> None:
        with self._guard:
            if self._closed is not None:
                self.account.close(forget=self._closed)

    def close(self, *, forget: bool) -> None:
        """Another account (`forget=False`: the key leaves memory) or sign-out (`forget=True`:
        also the keyring copy and the Spaces cache)."""
        with self._guard:
            self._closed = bool(self._closed) or forget
            self.account.close(forget=forget)

    def forget(self) -> None:
        """Sign-out: drop the key from memory and from the keyring, whether or not the cache
        is switched on now (it may have been earlier), and the Spaces cache."""
        self.close(forget=True)

    def remember_in_keyring(self, on: bool) -> None:
        """The opt-in cache switched: store the unlocked key now, or remove it."""
        from mana_desktop.sync.vault import KeyringKeyCache

        cache = KeyringKeyCache(self.data_dir, self.user_id)
        if on and self.vault.key is not None:
            cache.save(self.vault.key)
        elif not on:
            cache.clear()


def locked_text(value: Any) -> str:
    """How a value that cannot be decrypted is shown: a lock, never its ciphertext."""
    if getattr(value, "reason", "locked") == "undecryptable":
        return translate("Vault", "🔒 can't be decrypted")
    return translate("Vault", "🔒 locked")


def vault_banner(state: str, error: Any = None) -> tuple[str, str | None] | None:
    """(text, action) of the vault banner for a state, or None (no banner)."""
    if state == "awaiting-recovery-code":
        return (translate("Vault", "Your data is protected by your recovery code. Enter it to unlock encrypted fields on this computer."),
                translate("Vault", "Enter recovery code…"))
    if state == "error":
        reason = getattr(error, "reason", "unknown")
        words = {
            "auth": translate("Vault", "the account server refused the sign-in"),
            "network": translate("Vault", "the account server cannot be reached"),
            "server": translate("Vault", "the account server had a problem"),
        }.get(reason, translate("Vault", "an unexpected error"))
        return (translate("Vault", "Encrypted fields stay locked: {why}. Nothing encrypted is written until the key is unlocked.").format(why=words),
                translate("Vault", "Retry"))
    return None
