"""Rebuilding the account layer without a restart (sign-in, sign-out, another auth URL).

Blocking (keyring, stopping the engine's thread): runs on the bridge worker. The result is
handed to `Session.swap_account` on the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication

log = logging.getLogger(__name__)
translate = QCoreApplication.translate


@dataclass(frozen=True)
class Rebuilt:
    settings: Any  # store.settings.Settings as now on disk
    vault: Any  # gui.vault_link.AccountVault, or None when signed out
    engine: Any  # sync.engine.SyncEngine (started), or None without an account
    error: str | None = None  # why the account could not be opened (shown in the banner)


# How long sign-out waits for the account's start/unlock threads (a vault request makes up to
# three attempts); after that the secrets are wiped anyway (logs a warning).
THREADS_TIMEOUT_S = 30.0


def open_account(profile: Any, settings: Any) -> tuple[Any, Any, str | None]:
    """(AccountVault or None, its Credentials, why no account could be opened or None).
    No HTTP. The why is set when the settings name an account but it cannot be used (its
    secrets unreadable or gone): the app shows it and does not sync (review #7)."""
    from mana_desktop.gui.vault_link import AccountVault
    from mana_desktop.sync.credentials import Credentials

    credentials = None
    try:
        credentials = Credentials(profile)
        vault = AccountVault.open(profile, settings, credentials)
    except Exception as exc:  # e.g. unreadable secrets: signed out, but say why
        log.warning("account not opened: %s", exc)
        why = str(exc) or type(exc).__name__
        return None, credentials, translate("Account", "Your account could not be opened: {why}. Sync is off; your changes stay on this computer.").format(why=why)  # fmt: skip
    if vault is None and getattr(settings, "account_email", None):
        return None, credentials, translate("Account", "Signed in as {email}, but this computer no longer holds the sign-in for it. Sync is off; sign in again, your changes stay on this computer.").format(email=settings.account_email)  # fmt: skip
    return vault, credentials, None


def make_engine(profile: Any, replica: Any, credentials: Any, settings: Any, vault: Any) -> Any:
    """A sync engine (not started) only together with an open account vault: without one no
    cipher seals or stamps the changes (review #7). None otherwise or on failure."""
    if vault is None or not getattr(settings, "server_url", None):
        return None
    from mana_desktop.sync.engine import SyncEngine

    try:
        # require_cipher: should the cipher ever be missing, the pusher holds (never unsealed).
        return SyncEngine(profile, replica, credentials, require_cipher=True)
    except Exception as exc:  # the app stays usable offline; the banner says why
        log.warning("sync engine not created: %s", exc)
        return None


def rebuild(profile: Any, replica: Any, workbench: Any, old_vault: Any, old_engine: Any, *,
            forget: bool) -> Rebuilt:
    """Close the old account (`forget`: key out of memory and keyring, Spaces cache gone),
    open the one the profile holds now, share its cipher, and run a fresh sync engine."""
    if old_engine is not None:
        old_engine.stop()
    if old_vault is not None:
        old_vault.close(forget=forget)
    settings = profile.load_settings()
    vault, credentials, error = open_account(profile, settings)
    cipher = vault.cipher if vault is not None else locked_cipher(old_vault, replica, settings)
    replica.set_cipher(cipher)
    workbench.set_cipher(cipher)
    engine = make_engine(profile, replica, credentials, settings, vault)
    if engine is not None:
        try:
            engine.start()
        except Exception as exc:  # the app stays usable offline; the status says why
            log.warning("sync engine not started: %s", exc)
            engine = None
    return Rebuilt(settings, vault, engine, error)


def sign_out_job(profile: Any, vault: Any, engine: Any, join_threads: Callable[[float], bool]) -> Callable[[], None]:
    """The blocking part of a sign-out, for the worker. Order matters (review #3, #4): the key
    leaves memory, the engine and the account's own threads stop (none of them may refresh a
    token and write the secrets back), the keyring copy and the Spaces cache go even without
    an open account, and only then `Credentials.logout()` wipes the tokens."""
    user_id = vault.user_id if vault is not None else None

    def job() -> None:
        from mana_desktop.sync.account import forget_account_secrets
        from mana_desktop.sync.credentials import Credentials

        if vault is not None:
            vault.forget()  # a start still running undoes its late unlock (AccountVault)
        if engine is not None:
            engine.stop()
        if not join_threads(THREADS_TIMEOUT_S):
            log.warning("sign-out: account threads still running after %.0f s", THREADS_TIMEOUT_S)
        forget_account_secrets(profile, user_id)  # None: the user the settings still name
        Credentials(profile).logout()

    return job


def locked_cipher(old_vault: Any, replica: Any, settings: Any = None) -> Any:
    """Signed out: a cipher with no key for the last user, so encrypted fields stay locks and
    nothing is written in plaintext where the webapp writes ciphertext. Without a last user
    (or a user named by the settings whose account could not be opened) the replica keeps
    what it has (a key-less cipher from an earlier sign-out, or none for a profile that
    never had an account)."""
    user_id = old_vault.user_id if old_vault is not None else getattr(settings, "user_id", None)
    if not user_id:
        return getattr(replica, "cipher", None)
    from mana_desktop.domain.crypto import RecordCipher

    return RecordCipher(user_id, lambda: None)
