"""The signed-in user's encryption vault, as the app uses it (docs/encryption.md, "GUI").

One `AccountVault` per signed-in profile: the `VaultClient` (key in memory only; the OS
keyring only when the person opted in) and the `RecordCipher` the replica, the workbench and
the records panels share. Every call here that talks to the server is blocking: the app runs
it on the bridge's worker thread, never on the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

# The 402 body carries a message but no link (upstream: "Aktiviere Sync in den
# Einstellungen"); the webapp's settings are where Cloud Sync is switched on.
BILLING_URL = "https://mana.how/settings"


@dataclass
class AccountVault:
    vault: Any  # sync.vault.VaultClient
    cipher: Any  # domain.crypto.RecordCipher
    user_id: str
    data_dir: Any

    @classmethod
    def open(cls, profile: Any, settings: Any, credentials: Any) -> AccountVault | None:
        """The vault of the profile's account (still locked), or None when signed out."""
        from mana_desktop.domain.crypto import RecordCipher
        from mana_desktop.sync.vault import KeyringKeyCache, VaultClient

        account = credentials.account()
        if account is None:
            return None
        opted_in = bool(getattr(settings, "vault_keyring_cache", False))
        cache = KeyringKeyCache(profile.data_dir, account.user_id) if opted_in else None
        vault = VaultClient(account.auth_url, credentials.access_token,
                            refresh_token=credentials.refresh, cache=cache)
        cipher = RecordCipher(account.user_id, lambda: vault.key)
        return cls(vault, cipher, account.user_id, profile.data_dir)

    @property
    def state(self) -> str:
        return str(getattr(self.vault.state, "value", self.vault.state))

    def unlock(self) -> str:
        """Blocking: fetch and unlock the key (worker thread). Returns the new state."""
        return str(getattr(self.vault.unlock(), "value", ""))

    spaces: Any = None  # sync.spaces.SpaceDirectory once AccountSession is adopted

    def start(self) -> None:
        """Blocking (worker): unlock the vault."""
        self.unlock()

    def close(self, *, forget: bool) -> None:
        """Sign-out (`forget`) or another account: the key leaves memory."""
        if forget:
            self.forget()
        else:
            self.vault.lock()

    def forget(self) -> None:
        """Sign-out: drop the key from memory and from the keyring, whether or not the cache
        is switched on now (it may have been earlier)."""
        self.vault.lock(forget_cache=True)
        self.remember_in_keyring(False)

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
