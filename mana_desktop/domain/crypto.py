"""Mana's field encryption: the `enc:1:` envelope, records by registry, the recovery wrap.

Format (shared/spec/encryption-and-account.md §1): `enc:1:` + base64(12-byte IV) + `.` +
base64(AES-256-GCM ciphertext with the 16-byte tag appended), standard base64 with padding,
no AAD, the plaintext being the UTF-8 JSON text of the value. The key is the user's raw
32-byte master key (MK); there is no derivation, no key id and no per-table key.

Reading never shows ciphertext: a value that cannot be decrypted becomes a `LockedValue`
(reason "locked" when no key is loaded, "undecryptable" when the key does not open it). It
keeps the envelope verbatim so writing the record back restores the blob unchanged (§2.6.1:
never "repair" foreign blobs).

Writing encrypts exactly the registry's fields (crypto_registry.py) of personal-scope records
and raises `VaultLockedError` rather than write plaintext where the webapp writes ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mana_desktop.domain.crypto_registry import encrypted_fields
from mana_desktop.domain.spaces import (
    SpaceContext,
    is_personal_scope,
    is_read_only,
    stamp_new_record,
    strip_immutable,
)

ENC_PREFIX: Final = "enc:1:"
KEY_BYTES: Final = 32
IV_BYTES: Final = 12
TAG_BYTES: Final = 16
RECOVERY_INFO: Final = b"mana-recovery-v1"
RECOVERY_SECRET_BYTES: Final = 32

LockReason = Literal["locked", "undecryptable"]


class CryptoError(Exception):
    """Base of the errors of this module. Messages never contain key material."""


class KeyFormatError(CryptoError, ValueError):
    """Key bytes or base64 that are not a 32-byte AES-256 key."""


class DecryptError(CryptoError):
    """An envelope that is malformed, sealed with another key, tampered with, or not JSON."""


class RecoveryCodeFormatError(CryptoError, ValueError):
    """A recovery code that is not 64 hex digits (after removing spaces and dashes)."""


class VaultLockedError(CryptoError):
    """A write needs encryption but no master key is loaded: nothing was written."""

    def __init__(self, table: str, fields: Iterable[str] = ()) -> None:
        self.table = table
        self.fields = tuple(fields)
        super().__init__(
            f"The encryption vault is locked: {table} cannot be saved until it is unlocked."
        )


class SpacesPendingError(VaultLockedError):
    """A write needs to know whether its Space is shared (plaintext) or personal (sealed),
    and the account's Spaces have not loaded yet: nothing was written."""

    def __init__(self, table: str, fields: Iterable[str] = ()) -> None:
        super().__init__(table, fields)
        self.args = (f"The account's Spaces are still loading: {table} cannot be saved yet.",)


# -- the key ----------------------------------------------------------------------------


class MasterKey:
    """The user's 32-byte master key. Its repr never shows the bytes."""

    __slots__ = ("_aead", "_raw")

    def __init__(self, raw: bytes) -> None:
        if not isinstance(raw, bytes | bytearray) or len(raw) != KEY_BYTES:
            raise KeyFormatError(f"a master key must be exactly {KEY_BYTES} bytes")
        self._raw = bytes(raw)
        self._aead = AESGCM(self._raw)

    @classmethod
    def from_b64(cls, text: str) -> MasterKey:
        """From the vault's `masterKey` (standard base64 of 32 bytes)."""
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise KeyFormatError("the master key is not valid base64") from None
        return cls(raw)

    @classmethod
    def parse(cls, value: object) -> MasterKey | None:
        """The key in a vault JSON field, or None when it is missing or not 32 bytes of base64."""
        if not isinstance(value, str):
            return None
        try:
            return cls.from_b64(value)
        except KeyFormatError:
            return None

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def raw(self) -> bytes:
        """The key bytes: only for the recovery wrap, ZK disable and the opt-in keyring cache."""
        return self._raw

    def to_b64(self) -> str:
        return b64e(self._raw)

    def seal(self, iv: bytes, plaintext: bytes) -> bytes:
        return self._aead.encrypt(iv, plaintext, None)

    def open(self, iv: bytes, sealed: bytes) -> bytes:
        return self._aead.decrypt(iv, sealed, None)

    def __repr__(self) -> str:
        return "MasterKey(<hidden>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MasterKey) and secrets.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return id(self)


def b64e(data: bytes) -> str:
    """Standard base64 with padding (the browser's `btoa`)."""
    return base64.b64encode(data).decode("ascii")


def b64d(text: str) -> bytes:
    """Standard base64; missing `=` padding is tolerated on read, as the browser's `atob`."""
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


# -- values -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockedValue:
    """Stands in for a value that cannot be shown. Views show a lock, never `envelope`."""

    envelope: str
    reason: LockReason

    def __str__(self) -> str:
        # A safety net for code that formats values blindly; the GUI uses its own tr() text.
        return "🔒 locked" if self.reason == "locked" else "🔒 undecryptable"

    def __repr__(self) -> str:
        return f"LockedValue(reason={self.reason!r})"


def is_envelope(value: object) -> bool:
    """True for any string carrying the `enc:1:` prefix (malformed or not)."""
    return isinstance(value, str) and value.startswith(ENC_PREFIX)


def encode_plaintext(value: Any) -> bytes:
    """`JSON.stringify` byte for byte for JSON values (compact, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def encrypt_value(value: Any, key: MasterKey, *, iv: bytes | None = None) -> Any:
    """The envelope of `value`; None stays None (never encrypted). `iv` is for test vectors
    only: real writes must use a fresh random IV each time, which is the default."""
    if value is None:
        return None
    nonce = os.urandom(IV_BYTES) if iv is None else iv
    if len(nonce) != IV_BYTES:
        raise ValueError(f"the IV must be {IV_BYTES} bytes")
    try:
        plaintext = encode_plaintext(value)
    except (TypeError, ValueError) as exc:
        raise CryptoError(f"cannot encrypt a value that is not JSON: {exc}") from None
    return f"{ENC_PREFIX}{b64e(nonce)}.{b64e(key.seal(nonce, plaintext))}"


def decrypt_value(envelope: str, key: MasterKey) -> Any:
    """The value sealed in `envelope`. Raises DecryptError (malformed, wrong key, tampered)."""
    if not is_envelope(envelope):
        raise DecryptError("not an enc:1: envelope")
    iv_text, dot, sealed_text = envelope[len(ENC_PREFIX):].partition(".")
    if not dot:
        raise DecryptError("malformed envelope: no '.' between IV and ciphertext")
    try:
        iv, sealed = b64d(iv_text), b64d(sealed_text)
    except (binascii.Error, ValueError):
        raise DecryptError("malformed envelope: bad base64") from None
    if len(sealed) < TAG_BYTES or not iv:
        raise DecryptError("malformed envelope: too short")
    try:
        plaintext = key.open(iv, sealed)
    except InvalidTag:
        raise DecryptError("the key does not open this value (another key, or tampered)") from None
    except ValueError:
        raise DecryptError("malformed envelope: unusable IV") from None
    try:
        return json.loads(plaintext.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DecryptError("the decrypted value is not JSON text") from None


def reveal(value: Any, key: MasterKey | None) -> Any:
    """`value` for display: decrypted if it is an envelope, a LockedValue if that fails,
    unchanged otherwise (plaintext legacy rows, other `enc:<n>:` versions, non-strings)."""
    if not is_envelope(value):
        return value
    if key is None:
        return LockedValue(value, "locked")
    try:
        return decrypt_value(value, key)
    except DecryptError:
        return LockedValue(value, "undecryptable")


# -- records ----------------------------------------------------------------------------


def decrypt_record(data: Mapping[str, Any], key: MasterKey | None) -> dict[str, Any]:
    """A copy of `data` with every top-level envelope revealed (registered or not, so registry
    drift between versions never leaves ciphertext on screen; spec §2.6.1)."""
    return {name: reveal(value, key) for name, value in data.items()}


def locked_fields(data: Mapping[str, Any]) -> list[str]:
    """Names of the fields of a revealed record that could not be decrypted."""
    return [name for name, value in data.items() if isinstance(value, LockedValue)]


def restore_locked(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with every LockedValue put back as its original envelope, byte for byte."""
    return {
        name: value.envelope if isinstance(value, LockedValue) else value
        for name, value in data.items()
    }


def fields_to_encrypt(table: str, data: Mapping[str, Any]) -> list[str]:
    """The registry fields of `table` present in `data` that still need sealing: not None
    and not already an envelope (upstream `encryptRecord` step 3)."""
    fields = encrypted_fields(table)
    if fields is None:
        return []
    return [f for f in fields if f in data and data[f] is not None and not is_envelope(data[f])]


def encrypt_record(
    table: str,
    data: Mapping[str, Any],
    key: MasterKey | None,
    *,
    personal: bool = True,
) -> dict[str, Any]:
    """A copy of a record (or of an update's changed fields) ready to store and push.

    Registry fields are sealed with fresh IVs when `personal` (see spaces.is_personal_scope;
    shared-Space records stay plaintext so co-members can read them). LockedValues go back
    to their envelopes. Raises VaultLockedError when a field needs sealing and `key` is None:
    nothing is half-encrypted.
    """
    out = restore_locked(data)
    if not personal:
        return out
    work = fields_to_encrypt(table, out)
    if not work:
        return out
    if key is None:
        raise VaultLockedError(table, work)
    for name in work:
        out[name] = encrypt_value(out[name], key)
    return out


# -- the recovery code (zero-knowledge mode, spec §3.3) ------------------------------------

_HEX_DIGITS = re.compile(r"[0-9a-fA-F]{64}")


def generate_recovery_secret() -> bytes:
    return secrets.token_bytes(RECOVERY_SECRET_BYTES)


def format_recovery_code(secret: bytes) -> str:
    """64 uppercase hex digits in 16 groups of 4 joined by `-` (79 characters)."""
    if len(secret) != RECOVERY_SECRET_BYTES:
        raise ValueError(f"a recovery secret is {RECOVERY_SECRET_BYTES} bytes")
    digits = secret.hex().upper()
    return "-".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def parse_recovery_code(text: str) -> bytes:
    """The 32 secret bytes of a typed code; spaces and dashes are ignored, case too."""
    compact = re.sub(r"[\s-]", "", text)
    if not _HEX_DIGITS.fullmatch(compact):
        raise RecoveryCodeFormatError(
            "A recovery code has 64 hexadecimal digits (0-9, A-F), in groups of four."
        )
    return bytes.fromhex(compact)


def derive_recovery_key(secret: bytes) -> MasterKey:
    """HKDF-SHA256(IKM=secret, salt=empty, info="mana-recovery-v1", 32 bytes): the wrap key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=RECOVERY_INFO)
    return MasterKey(hkdf.derive(secret))


def wrap_key(wrapping: MasterKey, key: MasterKey, *, iv: bytes | None = None) -> tuple[str, str]:
    """AES-GCM seal of the raw 32 key bytes (not JSON): `(wrapped_b64, iv_b64)`. The same
    shape serves the recovery wrap and the server's KEK wrap (spec §3.1, §3.3)."""
    nonce = os.urandom(IV_BYTES) if iv is None else iv
    return b64e(wrapping.seal(nonce, key.raw())), b64e(nonce)


def unwrap_key(wrapping: MasterKey, wrapped_b64: str, iv_b64: str) -> MasterKey:
    """The key sealed by `wrap_key`. Raises DecryptError (wrong wrapping key, bad data)."""
    try:
        sealed, iv = b64d(wrapped_b64), b64d(iv_b64)
        raw = wrapping.open(iv, sealed)
    except (binascii.Error, ValueError, InvalidTag):
        raise DecryptError("the wrapped key cannot be opened with this key") from None
    try:
        return MasterKey(raw)
    except KeyFormatError:
        raise DecryptError("the unwrapped key is not 32 bytes") from None


# -- one seam for the layers ----------------------------------------------------------------

KeySource = Callable[[], MasterKey | None]


class RecordCipher:
    """Decrypt-on-read and stamp-and-encrypt-on-write for one signed-in user.

    `key` is asked on every call (e.g. `lambda: vault.key`), so a lock or unlock takes effect
    at once; `spaces` is the current SpaceContext (or a callable returning it). Pure and
    thread-safe: the store, the workbench and the GUI each hold one.
    """

    def __init__(self, user_id: str, key: KeySource,
                 spaces: SpaceContext | Callable[[], SpaceContext] | None = None) -> None:
        self.user_id = user_id
        self._key = key
        self._spaces = spaces

    @property
    def context(self) -> SpaceContext:
        spaces = self._spaces
        if spaces is None:
            return SpaceContext(self.user_id)
        return spaces if isinstance(spaces, SpaceContext) else spaces()

    @property
    def locked(self) -> bool:
        return self._key() is None

    def reveal(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """A record's data for display, staging and tool execution (LockedValue markers
        where a value cannot be opened)."""
        return decrypt_record(data, self._key())

    def reveal_strict(self, table: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A record's data for code that computes new values from it (tool builders that
        match titles or append to a note): never hands out a LockedValue, whose display text
        would otherwise end up stored. Raises VaultLockedError when the vault is locked and
        DecryptError when the record holds values this key cannot open."""
        shown = self.reveal(data)
        blocked = locked_fields(shown)
        if not blocked:
            return shown
        if any(shown[name].reason == "locked" for name in blocked):
            raise VaultLockedError(table, blocked)
        raise DecryptError(
            f"Some fields of this {table} record were encrypted with another key "
            f"({', '.join(blocked)}); it cannot be changed here."
        )

    def seal_insert(self, table: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A new record as stored and pushed: tenancy stamps filled in (creating hook), then
        the registry fields sealed unless the record goes to a shared Space."""
        context = self.context
        stamped = stamp_new_record(table, data, user_id=self.user_id,
                                   space_id=context.effective_space_id())
        return self._seal(table, stamped, stamped.get("spaceId"), context)

    def seal_update(self, table: str, fields: Mapping[str, Any],
                    existing: Mapping[str, Any]) -> dict[str, Any]:
        """An update's changed fields as stored and pushed: immutable stamps stripped, the
        registry fields sealed by the Space of the `existing` record."""
        return self._seal(table, strip_immutable(fields), existing.get("spaceId"), self.context)

    def _seal(self, table: str, data: Mapping[str, Any], space_id: object,
              context: SpaceContext) -> dict[str, Any]:
        # A Space we cannot place yet may be shared: sealing would leave co-members with
        # ciphertext for good, not sealing could leak a personal record. Wait.
        if context.awaits_spaces(space_id) and fields_to_encrypt(table, restore_locked(data)):
            raise SpacesPendingError(table, fields_to_encrypt(table, restore_locked(data)))
        return encrypt_record(table, data, self._key(),
                              personal=is_personal_scope(space_id, context))

    def read_only(self, data: Mapping[str, Any]) -> bool:
        """Records of shared Spaces are shown read-only."""
        return is_read_only(data, self.context)
