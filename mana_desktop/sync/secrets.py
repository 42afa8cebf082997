"""Where the refresh token lives: the OS keyring, or a 0600 file when there is none.

The secret is one small JSON blob per profile and account (refresh token, the auth session
cookie, the current access token). `MANA_DESKTOP_KEYRING=none` forces the file (tests set it);
a keyring that fails at runtime (locked, no D-Bus) also falls back to the file, and either way
`warning` says so in words the app and CLI show to the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "mana-desktop"
ENV_KEYRING = "MANA_DESKTOP_KEYRING"
FILE_NAME = "credentials.json"


# Backends that would put secrets into a file or nowhere: `keyrings.alt` (plaintext and
# "encrypted" files next to the user's data), keyring's own fail/null backends.
_REFUSED_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")
_REFUSED_WORDS = ("plaintext", "fail", "null")


def secure_backend(backend: Any) -> Any | None:
    """`backend` if it is an OS keyring; from a chainer, its first OS keyring; else None.
    Judged by module and class name, because `keyrings.alt` file backends claim a
    positive priority like a real keyring does."""
    chained = getattr(backend, "backends", None)
    if type(backend).__name__ == "ChainerBackend" and isinstance(chained, list | tuple):
        return next((b for b in chained if secure_backend(b) is not None), None)
    if getattr(backend, "priority", 0) <= 0 or not _is_os_keyring(backend):
        return None
    return backend


def _is_os_keyring(backend: Any) -> bool:
    module = type(backend).__module__.lower()
    name = type(backend).__name__.lower()
    if module.startswith(_REFUSED_MODULES):
        return False
    return not any(word in module or word in name for word in _REFUSED_WORDS)


def _keyring_backend() -> Any | None:
    """The usable OS keyring backend, or None (env override, not installed, or a backend
    that is a file or nothing: then the 0600 file with its warning is used instead)."""
    if os.environ.get(ENV_KEYRING, "").strip().lower() in ("none", "file", "off", "0"):
        return None
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # any import/config trouble means "no keyring"
        return None
    return secure_backend(backend)


class SecretStore:
    """Reads and writes one JSON secret for (profile dir, account)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.file_path = data_dir / FILE_NAME
        self._backend = _keyring_backend()
        self.warning: str | None = None if self._backend is not None else self._file_warning()

    @property
    def uses_keyring(self) -> bool:
        return self._backend is not None

    def _file_warning(self) -> str:
        return (f"No system keyring is available; the sign-in token is stored in "
                f"{self.file_path} (readable only by you).")

    def _username(self, account: str) -> str:
        # One entry per profile directory, so two profiles of one account never clash.
        digest = hashlib.sha256(str(self.data_dir.resolve()).encode()).hexdigest()[:12]
        return f"{account}#{digest}"

    def load(self, account: str) -> dict[str, Any] | None:
        if self._backend is not None:
            try:
                text = self._backend.get_password(SERVICE, self._username(account))
            except Exception as exc:
                self._fall_back(exc)
            else:
                return _decode(text)
        return self._load_file(account)

    def save(self, account: str, secret: dict[str, Any]) -> None:
        text = json.dumps(secret, separators=(",", ":"))
        if self._backend is not None:
            try:
                self._backend.set_password(SERVICE, self._username(account), text)
                return
            except Exception as exc:
                self._fall_back(exc)
        self._save_file(account, text)

    def delete(self, account: str) -> None:
        if self._backend is not None:
            with contextlib.suppress(Exception):
                self._backend.delete_password(SERVICE, self._username(account))
        # Always remove the file too: an earlier fallback may have written it.
        with contextlib.suppress(FileNotFoundError):
            self.file_path.unlink()

    def _fall_back(self, exc: Exception) -> None:
        log.warning("keyring unavailable (%s); using the credentials file", type(exc).__name__)
        self._backend = None
        self.warning = self._file_warning()

    def _load_file(self, account: str) -> dict[str, Any] | None:
        try:
            text = self.file_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        data = _decode(text)
        if data is None or data.get("account") != _account_key(account):
            return None
        secret = data.get("secret")
        return secret if isinstance(secret, dict) else None

    def _save_file(self, account: str, text: str) -> None:
        # The file holds secrets only: the account is named by a short digest.
        payload = json.dumps({"account": _account_key(account), "secret": json.loads(text)})
        tmp = self.file_path.with_suffix(".tmp")
        # Created 0600 from the first byte (never chmod after writing: a window of 0644).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)  # O_CREAT keeps the mode of an existing file
        os.replace(tmp, self.file_path)


def _decode(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _account_key(account: str) -> str:
    return hashlib.sha256(account.strip().lower().encode("utf-8")).hexdigest()[:12]
