"""Rebuilding the account layer without a restart (sign-in, sign-out, another auth URL).

Blocking (keyring, stopping the engine's thread): runs on the bridge worker. The result is
handed to `Session.swap_account` on the GUI thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rebuilt:
    settings: Any  # store.settings.Settings as now on disk
    vault: Any  # gui.vault_link.AccountVault, or None when signed out
    engine: Any  # sync.engine.SyncEngine (started), or None without an account
    error: str | None = None  # why the account could not be opened (shown in the banner)


def rebuild(profile: Any, replica: Any, workbench: Any, old_vault: Any, old_engine: Any, *,
            forget: bool) -> Rebuilt:
    """Close the old account (`forget`: key out of memory and keyring, Spaces cache gone),
    open the one the profile holds now, share its cipher, and run a fresh sync engine."""
    from mana_desktop.gui.vault_link import AccountVault
    from mana_desktop.sync.credentials import Credentials

    if old_engine is not None:
        old_engine.stop()
    if old_vault is not None:
        old_vault.close(forget=forget)
    settings = profile.load_settings()
    credentials = Credentials(profile)
    error = None
    try:
        vault = AccountVault.open(profile, settings, credentials)
    except Exception as exc:  # e.g. unreadable secrets: signed out, but say why
        log.warning("account not opened: %s", exc)
        vault, error = None, str(exc) or type(exc).__name__
    cipher = vault.cipher if vault is not None else _locked_cipher(old_vault, replica)
    replica.set_cipher(cipher)
    workbench.set_cipher(cipher)
    engine = None
    if vault is not None and getattr(settings, "server_url", None):
        from mana_desktop.sync.engine import SyncEngine

        try:
            engine = SyncEngine(profile, replica, credentials)
            engine.start()
        except Exception as exc:  # the app stays usable offline; the status says why
            log.warning("sync engine not started: %s", exc)
            engine = None
    return Rebuilt(settings, vault, engine, error)


def _locked_cipher(old_vault: Any, replica: Any) -> Any:
    """Signed out: a cipher with no key for the last user, so encrypted fields stay locks and
    nothing is written in plaintext where the webapp writes ciphertext. Without a last user
    the replica keeps what it has (a key-less cipher from an earlier sign-out, or none for a
    profile that never had an account)."""
    if old_vault is None:
        return getattr(replica, "cipher", None)
    from mana_desktop.domain.crypto import RecordCipher

    return RecordCipher(old_vault.user_id, lambda: None)
