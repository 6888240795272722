"""The clear header schema and the wire form: what the aggregator may accept."""

from __future__ import annotations

import base64

import pytest

from fieldkit.canonical import sha256_hex
from fieldkit.envelope import OUTCOMES, SealedItem, new_header, validate_header
from fieldkit.errors import FieldkitError

HASH = "a" * 64


def header(**over):
    base = dict(form_id="police", form_hash=HASH, key_id="0123456789abcdef", station="st01",
                enumerator="e07", outcome="completed", site="pune",
                quota={"site": "pune", "gender": "female"}, n_answered=12,
                fingerprint="b" * 64, sketch=list(range(64)))
    base.update(over)
    return new_header(**base)


def test_a_complete_header_validates_unchanged():
    h = header()
    assert validate_header(h) == h
    for outcome in OUTCOMES:
        validate_header(header(outcome=outcome))


@pytest.mark.parametrize("field, value", [
    ("v", 2), ("v", "1"), ("v", True),
    ("uuid", "not-a-uuid"), ("uuid", "A3BB189E-8BF9-3888-9912-ACE4E6543002"),
    ("form_id", "Police Form"), ("form_hash", "abc"), ("form_hash", "A" * 64),
    ("key_id", "xyz"), ("station", ""), ("station", "st 01"), ("enumerator", None),
    ("site", "Ravi Kumar, 12 MG Road"), ("quota", {"site": "Pune city!"}), ("quota", []),
    ("outcome", "done"), ("keep_partial", "yes"), ("started_at", "2026-11-23 10:00"),
    ("ended_at", "2026-13-01T00:00:00Z"), ("n_answered", -1), ("n_answered", 1.5),
    ("n_answered", "3"), ("fingerprint", "zz"), ("sketch", [1, 2, 3]),
    ("sketch", ["1"] * 64), ("over_quota", 0), ("training", "false"), ("payload", "plain"),
])
def test_bad_header_values_are_refused(field, value):
    with pytest.raises(FieldkitError) as info:
        validate_header(header(**{field: value}))
    assert info.value.code == "crypto.bad_header"


def test_a_clock_that_jumped_back_does_not_make_a_header_invalid():
    h = header(started_at="2026-11-23T10:00:00Z", ended_at="2026-11-23T09:59:00Z")
    assert validate_header(h) == h


def test_unknown_header_fields_are_refused_so_nothing_can_be_smuggled_in_clear():
    h = header()
    h["respondent_name"] = "Ravi"
    with pytest.raises(FieldkitError) as info:
        validate_header(h)
    assert "respondent_name" in info.value.message()


def test_every_field_is_required():
    for field in header():
        h = header()
        del h[field]
        with pytest.raises(FieldkitError):
            validate_header(h)


def item(**over):
    ct = b"\x01\x02sealed bytes"
    return SealedItem(header=header(**over), ciphertext=ct, ct_hash=sha256_hex(ct))


def test_wire_round_trip():
    it = item()
    wire = it.to_wire()
    assert set(wire) == {"header", "ciphertext", "ct_hash"}
    assert SealedItem.from_wire(wire) == it
    assert it.uuid == it.header["uuid"]


@pytest.mark.parametrize("change", [
    lambda w: w.update(ct_hash="0" * 64),
    lambda w: w.update(ciphertext="***not base64***"),
    lambda w: w.update(ciphertext=base64.b64encode(b"other").decode()),
    lambda w: w.update(extra=1),
    lambda w: w.pop("ct_hash"),
    lambda w: w["header"].update(outcome="maybe"),
])
def test_bad_wire_items_are_refused_naming_the_submission(change):
    wire = item().to_wire()
    uid = wire["header"]["uuid"]
    change(wire)
    with pytest.raises(FieldkitError) as info:
        SealedItem.from_wire(wire)
    assert info.value.code in {"crypto.bad_item", "crypto.bad_header"}
    assert uid in info.value.message()


def test_non_object_wire_item():
    with pytest.raises(FieldkitError):
        SealedItem.from_wire(["header"])


def test_new_uuids_are_version_7_and_ordered_by_time() -> None:
    import uuid as uuid_mod

    from fieldkit.envelope import new_uuid

    made = [new_uuid(unix_ms=1_795_420_800_000 + k) for k in range(50)]
    assert made == sorted(made) and len(set(made)) == 50
    for text in made:
        parsed = uuid_mod.UUID(text)
        assert parsed.version == 7 and parsed.variant == uuid_mod.RFC_4122
        assert str(parsed) == text                       # canonical: the header accepts it
    # the first 48 bits are the start time in milliseconds, the rest is random
    assert int(made[0].replace("-", "")[:12], 16) == 1_795_420_800_000
    assert new_uuid(unix_ms=5) != new_uuid(unix_ms=5)
    assert uuid_mod.UUID(validate_header(header())["uuid"]).version == 7
