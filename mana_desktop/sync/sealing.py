"""The last check before a change goes on the wire (issue 8, "safe pushes").

Two guarantees, whatever wrote the outbox entry (this version, an older one, a write made
while the profile had no account):

* the sentinel `_personal:<userId>` never reaches the server once the real personal Space id
  is known: the top-level `spaceId` and a `spaceId` in `data` or `fields` are rewritten
  (`SpaceContext.wire_space_id`, upstream `reconcileSentinels`);
* no plaintext where the webapp would write ciphertext: registry fields
  (`domain.crypto_registry`) of a personal-scope record that still hold plaintext are sealed
  with the master key now. Without the key the change waits (`VaultLockedError`); it is never
  sent as plaintext, quarantined or dropped. Shared-Space records stay plaintext;
* whether a record is shared is only decided once the Spaces are known: a change whose Space
  is neither a sentinel nor a known Space waits (`SpacesNotLoadedError`) until the Spaces
  have been loaded from the server once (`SpaceContext.loaded`); sealing it with the master
  key meanwhile would leave co-members of a shared Space with ciphertext for good.
"""

from __future__ import annotations

from typing import Any

from mana_desktop.domain.crypto import RecordCipher, fields_to_encrypt
from mana_desktop.domain.spaces import SpaceContext, is_personal_scope

WAITING_FOR_KEY = "waiting for the encryption key"
WAITING_FOR_SPACES = "waiting for the account's Spaces"


class SpacesNotLoadedError(Exception):
    """The change's Space is not known yet and the Spaces have not been loaded: it waits."""


def prepare_change(change: dict[str, Any], cipher: RecordCipher | None) -> dict[str, Any]:
    """The change to send. Raises `SpacesNotLoadedError` when its Space cannot be placed
    yet, `VaultLockedError` when it needs the key and the vault is locked. Without a cipher
    (a profile never signed in) the change goes as it is; whether a signed-in engine may
    push without one is the pusher's `require_cipher`."""
    if cipher is None:
        return change
    context = cipher.context
    if context.awaits_spaces(_space_of(change)):
        raise SpacesNotLoadedError(WAITING_FOR_SPACES)
    out = _rewrite_sentinels(change, context)
    table = out.get("table")
    if not isinstance(table, str) or not is_personal_scope(_space_of(out), context):
        return out
    data = out.get("data")
    if isinstance(data, dict) and fields_to_encrypt(table, data):
        out["data"] = {**data, **_sealed(cipher, table, data, fields_to_encrypt(table, data))}
    fields = out.get("fields")
    if isinstance(fields, dict):
        values = {name: fc["value"] for name, fc in fields.items()
                  if isinstance(fc, dict) and "value" in fc}
        names = fields_to_encrypt(table, values)
        if names:
            sealed = _sealed(cipher, table, values, names)
            out["fields"] = {name: ({**fc, "value": sealed[name]} if name in sealed else fc)
                             for name, fc in fields.items()}
    return out


def _sealed(cipher: RecordCipher, table: str, values: dict[str, Any],
            names: list[str]) -> dict[str, Any]:
    # seal_update seals by the Space of `existing`: we already know the record is personal.
    return cipher.seal_update(table, {name: values[name] for name in names}, existing={})


def _space_of(change: dict[str, Any]) -> object:
    space = change.get("spaceId")
    if space is None and isinstance(change.get("data"), dict):
        space = change["data"].get("spaceId")
    return space


def _rewrite_sentinels(change: dict[str, Any], context: SpaceContext) -> dict[str, Any]:
    out = dict(change)
    space = out.get("spaceId")
    if isinstance(space, str):
        out["spaceId"] = context.wire_space_id(space)
    data = out.get("data")
    if isinstance(data, dict) and isinstance(data.get("spaceId"), str):
        out["data"] = {**data, "spaceId": context.wire_space_id(data["spaceId"])}
    fields = out.get("fields")
    field = fields.get("spaceId") if isinstance(fields, dict) else None
    if isinstance(fields, dict) and isinstance(field, dict) and isinstance(field.get("value"), str):
        out["fields"] = {**fields, "spaceId": {**field,
                                               "value": context.wire_space_id(field["value"])}}
    return out
