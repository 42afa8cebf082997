"""The enc:1: envelope, record encryption and the recovery wrap, against the spec's vectors
(shared/spec/encryption-and-account.md §1.5, §3.1, §3.3)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mana_desktop.domain import crypto
from mana_desktop.domain.crypto import (
    DecryptError,
    KeyFormatError,
    LockedValue,
    MasterKey,
    RecoveryCodeFormatError,
    VaultLockedError,
    decrypt_record,
    decrypt_value,
    encrypt_record,
    encrypt_value,
    locked_fields,
    reveal,
)

MK = MasterKey(bytes(range(32)))
IV = bytes(range(12))
HALLO = "enc:1:AAECAwQFBgcICQoL.ZUq3d6mK4kzoLeOpB8lMyvloHz5IDr5VffB94Q=="
BROT = "enc:1:AAECAwQFBgcICQoL.HHn0daSIpzm3Y9X53p1aQaG15lifCTYZS0XftyhZfe/gY8H+2RV/8EEUie/KKnym"
OTHER = MasterKey(bytes(32))


# -- the worked example (§1.5) ------------------------------------------------------------


def test_master_key_base64_matches_spec() -> None:
    assert MK.to_b64() == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    assert MasterKey.from_b64(MK.to_b64()) == MK


def test_worked_example_string_encrypts_to_spec_vector() -> None:
    assert encrypt_value("Hallo Welt", MK, iv=IV) == HALLO


def test_worked_example_decrypts() -> None:
    assert decrypt_value(HALLO, MK) == "Hallo Welt"


def test_worked_example_array_of_objects() -> None:
    value = [{"name": "Brot", "calories": 250}]
    assert encrypt_value(value, MK, iv=IV) == BROT
    assert decrypt_value(BROT, MK) == value


def test_unpadded_base64_is_read() -> None:
    assert decrypt_value(HALLO.rstrip("="), MK) == "Hallo Welt"


def test_envelope_layout() -> None:
    envelope = encrypt_value("Hallo Welt", MK)
    assert envelope.startswith("enc:1:")
    iv_text, ct_text = envelope[6:].split(".", 1)
    assert len(iv_text) == 16 and len(base64.b64decode(iv_text)) == 12
    # 12 bytes of JSON text ("Hallo Welt" with quotes) + the 16-byte tag
    assert len(base64.b64decode(ct_text)) == 12 + 16


def test_fresh_iv_per_value() -> None:
    assert encrypt_value("same", MK) != encrypt_value("same", MK)


def test_plaintext_is_compact_json_text() -> None:
    # Open the envelope by hand: the plaintext is the JSON text, quotes included.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    envelope = encrypt_value({"a": [1, "ü"]}, MK, iv=IV)
    iv_text, ct_text = envelope[6:].split(".", 1)
    plain = AESGCM(MK.raw()).decrypt(base64.b64decode(iv_text), base64.b64decode(ct_text), None)
    assert plain == '{"a":[1,"ü"]}'.encode()


@pytest.mark.parametrize(
    "value", ["", "Hallo", "ünïcødé 🔒", 0, -3.25, True, False, [], [1, [2]], {"k": None}]
)
def test_round_trip_types(value: object) -> None:
    assert decrypt_value(encrypt_value(value, MK), MK) == value


def test_empty_string_is_encrypted_and_none_is_not() -> None:
    assert crypto.is_envelope(encrypt_value("", MK))
    assert encrypt_value(None, MK) is None


@settings(max_examples=60, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
))
def test_round_trip_any_json(value: object) -> None:
    envelope = encrypt_value(value, MK)
    assert (envelope is None) == (value is None)
    if envelope is not None:
        assert decrypt_value(envelope, MK) == value


def test_non_json_value_is_a_clear_error() -> None:
    with pytest.raises(crypto.CryptoError, match="not JSON"):
        encrypt_value(object(), MK)


# -- failures become markers, never ciphertext ----------------------------------------------


def _tamper(envelope: str) -> str:
    iv_text, ct_text = envelope[6:].split(".", 1)
    raw = bytearray(base64.b64decode(ct_text))
    raw[0] ^= 0x01
    return f"enc:1:{iv_text}.{base64.b64encode(bytes(raw)).decode()}"


def test_tampered_ciphertext_is_undecryptable() -> None:
    tampered = _tamper(HALLO)
    with pytest.raises(DecryptError):
        decrypt_value(tampered, MK)
    marker = reveal(tampered, MK)
    assert marker == LockedValue(tampered, "undecryptable")


def test_wrong_key_is_undecryptable() -> None:
    marker = reveal(HALLO, OTHER)
    assert isinstance(marker, LockedValue) and marker.reason == "undecryptable"
    assert marker.envelope == HALLO


def test_no_key_is_locked() -> None:
    marker = reveal(HALLO, None)
    assert isinstance(marker, LockedValue) and marker.reason == "locked"


def test_marker_never_shows_ciphertext() -> None:
    marker = reveal(HALLO, None)
    assert "ZUq3" not in str(marker) and "ZUq3" not in repr(marker)
    assert "locked" in str(marker)
    assert "undecryptable" in str(reveal(HALLO, OTHER))


@pytest.mark.parametrize(
    "bad",
    [
        "enc:1:",
        "enc:1:AAECAwQFBgcICQoL",  # no dot
        "enc:1:!!!.ZUq3d6mK4kzoLeOpB8lMyvloHz5IDr5VffB94Q==",
        "enc:1:AAECAwQFBgcICQoL.AAAA",  # shorter than a tag
        "enc:1:.ZUq3d6mK4kzoLeOpB8lMyvloHz5IDr5VffB94Q==",  # empty IV
    ],
)
def test_malformed_envelopes_are_undecryptable(bad: str) -> None:
    with pytest.raises(DecryptError):
        decrypt_value(bad, MK)
    assert reveal(bad, MK) == LockedValue(bad, "undecryptable")


def test_non_json_plaintext_is_undecryptable() -> None:
    iv = bytes(12)
    envelope = "enc:1:" + crypto.b64e(iv) + "." + crypto.b64e(MK.seal(iv, b"not json"))
    assert isinstance(reveal(envelope, MK), LockedValue)


@pytest.mark.parametrize(
    "value", ["Hallo", "enc:2:abc.def", "ENC:1:x.y", "xenc:1:", 42, None, ["enc:1:x.y"], {}]
)
def test_non_envelopes_pass_through(value: object) -> None:
    assert reveal(value, MK) == value
    assert reveal(value, None) == value


# -- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [b"", bytes(16), bytes(31), bytes(33)])
def test_key_must_be_32_bytes(raw: bytes) -> None:
    with pytest.raises(KeyFormatError):
        MasterKey(raw)


def test_key_from_bad_base64() -> None:
    with pytest.raises(KeyFormatError):
        MasterKey.from_b64("not base64!")
    with pytest.raises(KeyFormatError):
        MasterKey.from_b64(base64.b64encode(bytes(16)).decode())


def test_key_repr_hides_bytes() -> None:
    assert repr(MK) == "MasterKey(<hidden>)"
    assert MK.to_b64() not in repr(MK)


# -- records -------------------------------------------------------------------------------


def test_encrypt_record_seals_exactly_the_registry_fields() -> None:
    task = {"id": "t1", "title": "Buy milk", "description": "", "subtasks": [{"t": "a"}],
            "metadata": None, "priority": "high", "spaceId": "_personal:u1"}
    sealed = encrypt_record("tasks", task, MK)
    for name in ("title", "description", "subtasks"):
        assert crypto.is_envelope(sealed[name]), name
    assert sealed["metadata"] is None  # null is never encrypted
    for name in ("id", "priority", "spaceId"):
        assert sealed[name] == task[name]
    assert decrypt_record(sealed, MK) == task
    assert task["title"] == "Buy milk"  # the input is not modified


def test_encrypt_record_leaves_existing_envelopes_alone() -> None:
    sealed = encrypt_record("notes", {"title": HALLO, "content": "x"}, MK)
    assert sealed["title"] == HALLO
    assert decrypt_value(sealed["content"], MK) == "x"


def test_encrypt_record_plaintext_table_needs_no_key() -> None:
    data = {"id": "m", "name": "anything"}
    assert encrypt_record("manaLinks", data, None) == data
    assert encrypt_record("websites", {"title": "public"}, None) == {"title": "public"}


def test_encrypt_record_locked_vault_raises_and_writes_nothing() -> None:
    with pytest.raises(VaultLockedError) as info:
        encrypt_record("notes", {"title": "secret", "content": None}, None)
    assert info.value.table == "notes"
    assert info.value.fields == ("title",)
    assert "locked" in str(info.value) and "secret" not in str(info.value)


def test_encrypt_record_locked_vault_allows_field_free_updates() -> None:
    # An update that touches no registry field (e.g. a soft delete) works while locked.
    assert encrypt_record("notes", {"deletedAt": "2026-01-01T00:00:00.000Z"}, None) == {
        "deletedAt": "2026-01-01T00:00:00.000Z"
    }


def test_encrypt_record_shared_space_stays_plaintext() -> None:
    data = {"title": "club news", "spaceId": "space-club"}
    assert encrypt_record("notes", data, MK, personal=False) == data
    assert encrypt_record("notes", data, None, personal=False) == data


def test_update_diff_is_encrypted_per_field() -> None:
    diff = encrypt_record("aiMissions", {"objective": "Read more", "state": "paused"}, MK)
    assert crypto.is_envelope(diff["objective"]) and diff["state"] == "paused"


def test_locked_values_round_trip_verbatim() -> None:
    foreign = encrypt_value("someone else's", OTHER)
    stored = {"title": foreign, "content": HALLO, "pinned": True}
    shown = decrypt_record(stored, None)
    assert locked_fields(shown) == ["title", "content"]
    assert json.dumps([str(v) for v in shown.values()]).count("enc:1:") == 0
    # Saving the record back (e.g. after editing `pinned`) restores both blobs byte for byte.
    assert encrypt_record("notes", {**shown, "pinned": False}, None) == {**stored, "pinned": False}
    opened = decrypt_record(stored, MK)
    assert opened["content"] == "Hallo Welt"
    assert opened["title"] == LockedValue(foreign, "undecryptable")


def test_decrypt_record_opens_unregistered_fields_too() -> None:
    # Registry drift: a field a newer webapp encrypts is still shown in clear.
    shown = decrypt_record({"newField": HALLO, "plain": "p"}, MK)
    assert shown == {"newField": "Hallo Welt", "plain": "p"}


# -- recovery code (§3.3) and KEK wrap (§3.1, §6) -------------------------------------------


def test_recovery_key_vector() -> None:
    key = crypto.derive_recovery_key(bytes([0x11]) * 32)
    assert key.raw().hex() == "4253c19b9f04e85c2070f51dc5a49f05aff4563cb8c28947524dae3934916eda"


def test_recovery_wrap_vector() -> None:
    wrap_key = crypto.derive_recovery_key(bytes([0x11]) * 32)
    wrapped, iv = crypto.wrap_key(wrap_key, MK, iv=IV)
    assert wrapped == "HZ9dHiJaQvYWGMwgdpk/ibUc3XXYWJ1b/3fGBgtxkYFBHhK0j/tAtpQhDycH4KJO"
    assert iv == "AAECAwQFBgcICQoL"
    assert crypto.unwrap_key(wrap_key, wrapped, iv) == MK


def test_dev_kek_wrap_vector() -> None:
    wrapped, _iv = crypto.wrap_key(MasterKey(bytes(32)), MK, iv=IV)
    assert wrapped == "iMoxUQT4if7KcVju8Q7QA0R9uomriJnh19L+EJEoEXAUlOUO5zNO0m1fK8ug6MvQ"


def test_unwrap_with_wrong_code_fails() -> None:
    wrapped, iv = crypto.wrap_key(crypto.derive_recovery_key(bytes(32)), MK)
    with pytest.raises(DecryptError):
        crypto.unwrap_key(crypto.derive_recovery_key(bytes([1]) * 32), wrapped, iv)
    with pytest.raises(DecryptError):
        crypto.unwrap_key(crypto.derive_recovery_key(bytes(32)), "###", iv)


def test_recovery_code_format_and_parse() -> None:
    secret = bytes(range(32))
    code = crypto.format_recovery_code(secret)
    assert len(code) == 79 and code.count("-") == 15 and code == code.upper()
    assert code.startswith("0001-0203-")
    assert crypto.parse_recovery_code(code) == secret
    assert crypto.parse_recovery_code(" " + code.lower().replace("-", " ") + "\n") == secret


@pytest.mark.parametrize("bad", ["", "1234", "G" * 64, "0" * 63, "0" * 65, "00:" * 32])
def test_recovery_code_format_errors(bad: str) -> None:
    with pytest.raises(RecoveryCodeFormatError, match="64 hexadecimal digits"):
        crypto.parse_recovery_code(bad)


def test_generated_recovery_secret_round_trips() -> None:
    secret = crypto.generate_recovery_secret()
    assert len(secret) == 32
    assert crypto.parse_recovery_code(crypto.format_recovery_code(secret)) == secret


def test_master_key_parse_accepts_only_32_bytes_of_base64() -> None:
    import base64

    from mana_desktop.domain.crypto import MasterKey

    good = base64.b64encode(bytes(range(32))).decode()
    parsed = MasterKey.parse(good)
    assert parsed is not None and parsed.raw() == bytes(range(32))
    for bad in (None, 42, "", "not base64!", base64.b64encode(b"short").decode()):
        assert MasterKey.parse(bad) is None
