"""The crash journal: encrypted on disk, recoverable without the private key."""

from __future__ import annotations

import dataclasses
import os
import stat
import uuid as uuid_mod

import pytest

from fieldkit.crypto import open_sealed, seal
from fieldkit.db import open_db
from fieldkit.envelope import new_header
from fieldkit.errors import FieldkitError
from fieldkit.journal import Journal, read_journal, recover_journals
from fieldkit.outbox import Outbox
from fieldkit.study import init_study, load_private_key

PASS = "journal test passphrase"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    base = tmp_path_factory.mktemp("study")
    config = init_study(base / "study", base / "key.pem", PASS)
    return config, load_private_key(base / "key.pem", PASS)


def pre(**over):
    base = {"uuid": str(uuid_mod.uuid4()), "form_id": "police", "form_hash": "c" * 64,
            "station": "st01", "enumerator": "e07", "site": "pune", "quota": {"site": "pune"},
            "started_at": "2026-11-23T09:00:00Z"}
    base.update(over)
    return base


EVENTS = [{"t": "lang", "v": "mr"}, {"t": "consent", "v": "verbal"},
          {"t": "page", "q": "prevalence"}, {"t": "answer", "q": "prevalence", "v": "somewhat"},
          {"t": "answer", "q": "topics", "v": ["b", "a"]},
          {"t": "answer", "q": "notes", "v": "तक्रार JOURNAL-CANARY-1 ९८७६५४३२१०"},
          {"t": "answer", "q": "gone", "v": "x"}, {"t": "clear", "q": "gone"},
          {"t": "paradata", "k": "device", "v": "laptop"}, {"t": "weird", "v": 1}]


def run(tmp_path, study, events=EVENTS, **over):
    config, _ = study
    j = Journal.start(tmp_path / "journal", pre(**over), config)
    for ev in events:
        j.append(ev)
    j.close()
    return j


def test_recovered_journal_opens_with_the_answers(tmp_path, study):
    config, private = study
    j = run(tmp_path, study)
    assert stat.S_IMODE(j.path.stat().st_mode) == 0o600
    assert b"JOURNAL-CANARY" not in j.path.read_bytes()
    outbox = Outbox(open_db(tmp_path / "station.db"))
    assert recover_journals(tmp_path / "journal", outbox, config) == [j.uuid]
    assert list((tmp_path / "journal").iterdir()) == []
    [item] = outbox.pending()
    h = item.header
    assert (h["outcome"], h["payload"], h["uuid"], h["site"]) == (
        "interrupted", "journal", j.uuid, "pune")
    assert h["n_answered"] == len(EVENTS) and h["key_id"] == config.current_key_id
    payload = open_sealed(item, private)
    assert payload["answers"] == {"prevalence": "somewhat", "topics": ["b", "a"],
                                  "notes": "तक्रार JOURNAL-CANARY-1 [PHONE]"}
    assert payload["paradata"]["redactions"] == {"PHONE": 1}
    p = payload["paradata"]
    assert p["interrupted"] and p["journal_complete"] and p["lang"] == "mr"
    assert p["consent"] == "verbal" and p["device"] == "laptop" and p["pages"] == ["prevalence"]
    assert p["unknown_events"][0]["t"] == "weird"
    # Nothing more to recover the second time.
    assert recover_journals(tmp_path / "journal", outbox, config) == []


def test_discarded_journal_leaves_nothing(tmp_path, study):
    config, _ = study
    j = Journal.start(tmp_path / "journal", pre(), config)
    j.append({"t": "answer", "q": "a", "v": "1"})
    j.close_and_discard()
    assert not j.path.exists()
    assert recover_journals(tmp_path / "journal", Outbox(open_db(tmp_path / "s.db")), config) == []


def test_a_torn_last_record_keeps_everything_before_it(tmp_path, study):
    config, private = study
    j = run(tmp_path, study)
    data = j.path.read_bytes()
    j.path.write_bytes(data[:-7])
    _, payload = read_journal(j.path.read_bytes(), private)
    assert "notes" in payload["answers"] and payload["paradata"]["journal_complete"] is False
    assert payload["paradata"]["events"] == len(EVENTS) - 1


def test_a_changed_record_stops_replay_there(tmp_path, study):
    config, private = study
    j = run(tmp_path, study, events=[{"t": "answer", "q": f"q{i}", "v": str(i)}
                                     for i in range(5)])
    data = bytearray(j.path.read_bytes())
    data[-30] ^= 1     # inside the last record
    _, payload = read_journal(bytes(data), private)
    assert payload["answers"] == {f"q{i}": str(i) for i in range(4)}
    assert payload["paradata"]["journal_complete"] is False


def test_an_edited_pre_header_no_longer_yields_the_key(tmp_path, study):
    config, private = study
    j = run(tmp_path, study)
    data = j.path.read_bytes().replace(b'"station":"st01"', b'"station":"st02"')
    with pytest.raises(FieldkitError) as info:
        read_journal(data, private, uuid=j.uuid)
    assert info.value.code == "crypto.open_failed"


def test_every_header_field_of_a_recovered_item_is_bound(tmp_path, study):
    config, private = study
    run(tmp_path, study)
    outbox = Outbox(open_db(tmp_path / "station.db"))
    recover_journals(tmp_path / "journal", outbox, config)
    [item] = outbox.pending()
    changes = {"outcome": "completed", "ended_at": "2099-01-01T00:00:00Z", "n_answered": 1,
               "station": "st09", "site": "thane", "quota": {}, "training": True,
               "keep_partial": True, "over_quota": True, "fingerprint": "f" * 64,
               "sketch": [1] * 64, "enumerator": "e99", "form_hash": "d" * 64,
               "started_at": "2026-11-23T08:00:00Z", "payload": "hpke"}
    for field, value in changes.items():
        bad = dataclasses.replace(item, header={**item.header, field: value})
        with pytest.raises(FieldkitError):
            open_sealed(bad, private)
    assert open_sealed(item, private)["answers"]


def test_a_live_journal_is_not_recovered(tmp_path, study):
    config, _ = study
    j = Journal.start(tmp_path / "journal", pre(), config)
    j.append({"t": "answer", "q": "a", "v": "1"})
    outbox = Outbox(open_db(tmp_path / "station.db"))
    assert recover_journals(tmp_path / "journal", outbox, config) == []
    assert j.path.exists()
    j.close()
    assert recover_journals(tmp_path / "journal", outbox, config) == [j.uuid]


def test_finished_interview_whose_journal_survived_is_not_duplicated(tmp_path, study):
    config, private = study
    p = pre()
    j = Journal.start(tmp_path / "journal", p, config)
    j.append({"t": "answer", "q": "a", "v": "1"})
    outbox = Outbox(open_db(tmp_path / "station.db"))
    header = new_header(**{k: p[k] for k in ("uuid", "form_id", "form_hash", "station",
                                             "enumerator", "site", "quota", "started_at")},
                        outcome="completed", ended_at="2026-11-23T10:00:00Z")
    outbox.store(seal(header, {"answers": {"a": "1"}}, config.public_key, config.key_id))
    j.close()       # crash before close_and_discard
    assert recover_journals(tmp_path / "journal", outbox, config) == []
    assert not j.path.exists()
    [item] = outbox.pending()
    assert item.outcome == "completed"


def test_half_started_and_foreign_files(tmp_path, study):
    config, _ = study
    jd = tmp_path / "journal"
    jd.mkdir()
    (jd / "a.fkj").write_bytes(b"FKJ1\x00\x00")          # crashed during start: no key
    (jd / "d.fkj").write_bytes(b"")                      # killed before the magic was written
    (jd / "e.fkj").write_bytes(b"FK")                    # ... or halfway through it
    (jd / "b.fkj").write_bytes(b"not ours")
    (jd / "c.fkj").write_bytes(b"FKJ1" + b"\x00\x00\x00\x02{}" + b"\x00\x00\x00\x01x")
    outbox = Outbox(open_db(tmp_path / "station.db"))
    assert recover_journals(jd, outbox, config) == []
    assert sorted(os.listdir(jd)) == ["b.fkj", "c.fkj.damaged"]


def test_start_validates_the_pre_header(tmp_path, study):
    config, _ = study
    with pytest.raises(FieldkitError):
        Journal.start(tmp_path / "j", pre(station="has space"), config)
    with pytest.raises(ValueError):
        Journal.start(tmp_path / "j", {**pre(), "answers": {}}, config)
    with pytest.raises(ValueError):
        Journal.start(tmp_path / "j2", pre(), config).append({"q": "a"})


def test_garbage_journals_never_crash_reading_or_recovery(tmp_path, study):
    import random
    config, private = study
    rng = random.Random(11)
    j = run(tmp_path, study)
    good = j.path.read_bytes()
    jd = tmp_path / "junk"
    jd.mkdir()
    for i in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data[:rng.randrange(len(data) + 1)]) if rng.random() < 0.3 else bytes(data)
        try:
            read_journal(data, private)
        except FieldkitError:
            pass
        (jd / f"{i:03d}.fkj").write_bytes(data)
    outbox = Outbox(open_db(tmp_path / "station.db"))
    recovered = recover_journals(jd, outbox, config)
    for item in outbox.pending():
        try:
            open_sealed(item, private)
        except FieldkitError:
            pass
    assert len(recovered) == outbox.count()


def test_a_failed_write_never_reuses_a_nonce(tmp_path, study, monkeypatch):
    """Disk full mid-record: the torn bytes are cut, the journal takes no more records
    (so no counter is written twice), and what was journaled before is recovered."""
    import fieldkit.journal as journal_mod
    config, private = study
    j = Journal.start(tmp_path / "journal", pre(), config)
    j.append({"t": "answer", "q": "a", "v": "1"})
    size = j.path.stat().st_size
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[:5]))
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(journal_mod.os, "write", half_then_full)
    with pytest.raises(OSError):
        j.append({"t": "answer", "q": "b", "v": "2"})
    monkeypatch.setattr(journal_mod.os, "write", real_write)
    assert j.path.stat().st_size == size
    with pytest.raises(RuntimeError):
        j.append({"t": "answer", "q": "c", "v": "3"})
    j.close()
    _, payload = read_journal(j.path.read_bytes(), private)
    assert payload["answers"] == {"a": "1"}


def test_journal_keeps_text_exactly(tmp_path, study):
    config, private = study
    text = "\u095b\u094d\u092f\u093e\u0926\u093e"      # precomposed ज़्यादा (NFC would change it)
    j = run(tmp_path, study, events=[{"t": "answer", "q": "notes", "v": text}])
    _, payload = read_journal(j.path.read_bytes(), private)
    assert payload["answers"]["notes"] == text
