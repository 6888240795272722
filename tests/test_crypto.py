"""Sealing, opening, tamper detection, secrets hashing."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from fieldkit.canonical import sha256_hex
from fieldkit.crypto import (ENC_LENGTH, SUITE, TAG_LENGTH, hash_secret, header_info,
                             open_sealed, seal, verify_secret)
from fieldkit.envelope import SealedItem, new_header
from fieldkit.errors import FieldkitError
from fieldkit.study import key_id_for

PAYLOAD = {"answers": {"site": "pune", "prevalence": "somewhat", "topics": ["a", "c"],
                       "notes": "पोलीस ठाण्यात तक्रार नोंदवली गेली नाही"},
           "paradata": {"lang": "mr", "durations": {"site": 3.5}}}


@pytest.fixture(scope="module")
def keys():
    private = X25519PrivateKey.generate()
    return private, private.public_key(), key_id_for(private.public_key())


def header(**over):
    base = dict(form_id="police", form_hash="c" * 64, station="st01", enumerator="e07",
                outcome="completed", site="pune", quota={"site": "pune"}, n_answered=4)
    base.update(over)
    return new_header(**base)


def test_round_trip_gives_back_exactly_the_payload(keys):
    private, public, kid = keys
    item = seal(header(), PAYLOAD, public, kid)
    assert item.header["key_id"] == kid and item.header["payload"] == "hpke"
    assert item.ct_hash == sha256_hex(item.ciphertext)
    assert open_sealed(item, private) == PAYLOAD
    assert open_sealed(item, {kid: private}) == PAYLOAD


def test_same_payload_twice_gives_different_ciphertexts(keys):
    _, public, kid = keys
    h = header()
    assert seal(h, PAYLOAD, public, kid).ciphertext != seal(h, PAYLOAD, public, kid).ciphertext


def test_plaintext_is_not_in_the_ciphertext(keys):
    _, public, kid = keys
    item = seal(header(), PAYLOAD, public, kid)
    assert "पोलीस".encode() not in item.ciphertext and b"somewhat" not in item.ciphertext


def test_wrong_key_fails_naming_the_submission(keys):
    _, public, kid = keys
    item = seal(header(), PAYLOAD, public, kid)
    other = X25519PrivateKey.generate()
    with pytest.raises(FieldkitError) as info:
        open_sealed(item, other)
    assert info.value.code == "crypto.open_failed"
    assert item.uuid in info.value.message()
    with pytest.raises(FieldkitError) as info:
        open_sealed(item, {"ffffffffffffffff": other})
    assert info.value.code == "crypto.unknown_key"


def _other_value(field, value):
    """A different but *valid* value for each header field."""
    return {
        "uuid": "00000000-0000-4000-8000-000000000000", "form_id": "police_v2",
        "form_hash": "d" * 64, "key_id": "fedcba9876543210", "station": "st02",
        "enumerator": "e08", "site": "thane", "quota": {"site": "thane"},
        "outcome": "terminated", "keep_partial": True, "started_at": "2026-01-01T00:00:00Z",
        "ended_at": "2099-01-01T00:00:00Z", "n_answered": value + 1 if isinstance(value, int)
        and not isinstance(value, bool) else 0,
        "fingerprint": "e" * 64, "sketch": [7] * 64, "over_quota": True, "training": True,
        "payload": "journal", "v": 1,
    }[field]


def test_changing_any_header_field_makes_opening_fail(keys):
    private, public, kid = keys
    good = seal(header(), PAYLOAD, public, kid)
    changed_fields = 0
    for field, value in good.header.items():
        new = _other_value(field, value)
        if new == value:
            continue           # "v" has only one valid value
        tampered = dataclasses.replace(good, header={**good.header, field: new})
        with pytest.raises(FieldkitError) as info:
            open_sealed(tampered, {kid: private, "fedcba9876543210": private})
        assert info.value.code in {"crypto.open_failed", "crypto.bad_header"}, field
        changed_fields += 1
    assert changed_fields == len(good.header) - 1
    assert open_sealed(good, private) == PAYLOAD


def test_flipping_any_ciphertext_byte_makes_opening_fail(keys):
    private, public, kid = keys
    good = seal(header(), PAYLOAD, public, kid)
    ct = good.ciphertext
    classes = {"enc": 0, "body": 0, "tag": 0}
    for pos in range(len(ct)):
        for mask in (0x01, 0x80):
            bad = bytearray(ct)
            bad[pos] ^= mask
            # The attacker recomputes ct_hash; only the AEAD can catch it.
            item = SealedItem(good.header, bytes(bad), sha256_hex(bytes(bad)))
            with pytest.raises(FieldkitError) as info:
                open_sealed(item, private)
            assert info.value.code == "crypto.open_failed"
        kind = ("enc" if pos < ENC_LENGTH else "tag" if pos >= len(ct) - TAG_LENGTH
                else "body")
        classes[kind] += 1
    assert all(classes.values())
    # Without recomputing the hash, the label mismatch is caught even earlier.
    bad = bytearray(ct)
    bad[-1] ^= 1
    with pytest.raises(FieldkitError) as info:
        open_sealed(SealedItem(good.header, bytes(bad), good.ct_hash), private)
    assert info.value.code == "crypto.bad_item"


@pytest.mark.parametrize("cut", [0, 1, ENC_LENGTH, ENC_LENGTH + TAG_LENGTH - 1])
def test_truncated_or_extended_ciphertext_fails(keys, cut):
    private, public, kid = keys
    good = seal(header(), PAYLOAD, public, kid)
    for ct in (good.ciphertext[:cut], good.ciphertext + b"\x00"):
        item = SealedItem(good.header, ct, sha256_hex(ct))
        with pytest.raises(FieldkitError):
            open_sealed(item, private)


def test_info_binds_the_canonical_header(keys):
    private, public, kid = keys
    item = seal(header(), PAYLOAD, public, kid)
    reordered = dict(reversed(list(item.header.items())))
    assert header_info(reordered) == header_info(item.header)
    assert header_info(item.header).startswith(b"fieldkit/v1\x00")
    # The library agrees with our wire form: raw HPKE decrypt with the same info works.
    assert SUITE.decrypt(item.ciphertext, private, info=header_info(reordered))


def test_seal_refuses_bad_headers_and_mismatched_key_ids(keys):
    _, public, kid = keys
    with pytest.raises(FieldkitError):
        seal(header(outcome="nope"), PAYLOAD, public, kid)
    with pytest.raises(ValueError):
        seal(header(key_id="0000000000000000"), PAYLOAD, public, kid)


@pytest.mark.parametrize("kdf", ["argon2id", "scrypt"])
def test_secret_hashing(kdf):
    stored = hash_secret("4821", _kdf=kdf)
    assert stored.startswith(f"${kdf}$")
    assert "4821" not in stored
    assert verify_secret("4821", stored)
    assert not verify_secret("4822", stored)
    assert not verify_secret("", stored)
    assert hash_secret("4821", _kdf=kdf) != stored       # salted


@pytest.mark.parametrize("stored", ["", "plain", "$scrypt$ln=99,r=8,p=1$AA$AA", "$argon2id$x",
                                    "$scrypt$garbage"])
def test_verify_secret_never_raises_on_garbage(stored):
    assert verify_secret("4821", stored) is False


def test_default_secret_hash_is_argon2id():
    assert hash_secret("correct horse").startswith("$argon2id$v=19$")


@pytest.mark.parametrize("payload", [[1, 2], {"answers": [1]}, {"answers": {}, "paradata": 3}])
def test_well_sealed_but_malformed_payloads_fail_cleanly(keys, payload):
    """Anyone with the public key can seal; export must not trust the shape."""
    private, public, kid = keys
    h = dict(header(), key_id=kid, payload="hpke")
    ct = SUITE.encrypt(__import__("json").dumps(payload).encode(), public,
                       info=header_info(h))
    with pytest.raises(FieldkitError) as info:
        open_sealed(SealedItem(h, ct, sha256_hex(ct)), private)
    assert info.value.code == "crypto.open_failed"


def test_random_garbage_never_raises_anything_but_fieldkit_errors(keys):
    import random
    rng = random.Random(7)
    private, public, kid = keys
    good = seal(header(), PAYLOAD, public, kid)
    for _ in range(300):
        wire = good.to_wire()
        choice = rng.randrange(4)
        if choice == 0:
            wire["header"][rng.choice(list(wire["header"]))] = rng.choice(
                [None, 1, -1, "", "x" * 300, [], {}, True, 1.5])
        elif choice == 1:
            wire["ciphertext"] = rng.choice(["", "====", "AAAA", wire["ciphertext"][:-4]])
        elif choice == 2:
            wire = rng.choice([None, [], "x", {"header": None}, {"header": {}}])
        else:
            wire["header"] = {"uuid": rng.choice([None, 3, "u"])}
        try:
            item = SealedItem.from_wire(wire)
            open_sealed(item, private)
        except FieldkitError:
            pass


def test_text_comes_back_code_point_for_code_point(keys):
    """NFC would rewrite a precomposed ज़ (U+095B) as ज + nukta: sealing must not."""
    private, public, kid = keys
    precomposed = "\u095b\u094d\u092f\u093e\u0926\u093e \u0915\u093c"   # ज़्यादा, decomposed क़
    payload = {"answers": {"notes": precomposed}, "paradata": {}}
    assert open_sealed(seal(header(), payload, public, kid), private) == payload
