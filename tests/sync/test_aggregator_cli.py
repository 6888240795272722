"""`fieldkit aggregator ...`: what a study admin types, end to end on a real database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aggregator.client import parse_enrollment_code
from aggregator.db import open_aggregator_db
from fieldkit.cli import main
from fieldkit.crypto import verify_secret

from synctools import ROOT, Study


def _run(runner: CliRunner, db: Path, *args: str, input: str | None = None,
         lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(main, ["aggregator", "--db", str(db), *args], input=input,
                           env={"FIELDKIT_LANG": lang})
    return result.exit_code, result.output


def test_admin_sets_up_a_study_from_the_command_line(tmp_path: Path, study: Study) -> None:
    runner = CliRunner()
    db = tmp_path / "agg.db"
    study_file = tmp_path / "study" / "study.json"
    study.config.save(study_file.parent)
    code, out = _run(runner, db, "init", "--study", str(study_file))
    assert code == 0 and "csec" in out

    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(ROOT / "forms" / "police.yaml", forms / "police.yaml")
    code, out = _run(runner, db, "register-forms", str(forms))
    assert code == 0 and "registered" in out
    form_hash = open_aggregator_db(db).execute("SELECT hash FROM form_versions").fetchone()[0]
    assert form_hash in out
    code, out = _run(runner, db, "register-forms", str(forms))
    assert "already registered" in out

    code, out = _run(runner, db, "approve-form", form_hash, "--irb-ref", "IRB/2026/14",
                     "--date", "2026-11-20", "--approver", "IRB chair")
    assert code == 0
    code, out = _run(runner, db, "approve-form", form_hash, "--irb-ref", "x", "--date",
                     "20/11/2026", "--approver", "y")
    assert code != 0 and "YYYY-MM-DD" in out and "Traceback" not in out
    code, out = _run(runner, db, "approve-form", "0" * 64, "--irb-ref", "x", "--date",
                     "2026-11-20", "--approver", "y")
    assert code != 0 and "register-forms" in out

    code, out = _run(runner, db, "set-quota", "police", "site=pune", "--target", "21",
                     "--tolerance", "2")
    assert code == 0 and "site=pune" in out
    code, out = _run(runner, db, "set-quota", "police", "pune", "--target", "3")
    assert code != 0 and "field=code" in out

    code, out = _run(runner, db, "add-station", "pune-1", "--enumerators", "E01,E02",
                     "--url", "https://agg.example.org")
    assert code == 0
    assert "█" in out or "▀" in out or "▄" in out          # the QR code, drawn in the terminal
    url, token = parse_enrollment_code(out.strip().splitlines()[-1])
    assert url == "https://agg.example.org" and len(token) >= 40
    code, out = _run(runner, db, "add-station", "pune-1")
    assert code != 0 and "already exists" in out
    code, out = _run(runner, db, "add-station", "Asha Patil")
    assert code != 0 and "not a valid station name" in out

    code, out = _run(runner, db, "create-user", "asha", "--role", "supervisor",
                     input="correct horse battery\ncorrect horse battery\n")
    assert code == 0
    row = open_aggregator_db(db).execute(
        "SELECT role, password_hash FROM users WHERE username = 'asha'").fetchone()
    assert row[0] == "supervisor" and verify_secret("correct horse battery", row[1])
    assert "correct horse" not in row[1]

    code, out = _run(runner, db, "revoke-station", "pune-1", lang="mr")
    assert code == 0 and "रद्द" in out
    code, out = _run(runner, db, "revoke-station", "nowhere", lang="hi")
    assert code != 0 and "Traceback" not in out
    audit = [r[0] for r in open_aggregator_db(db).execute("SELECT action FROM audit_log")]
    assert {"study.set", "form.register", "form.approve", "station.create", "user.create",
            "station.revoke"} <= set(audit)


def test_init_refuses_a_private_key(tmp_path: Path, study: Study) -> None:
    data = study.config.to_dict()
    data["private_key"] = "-----BEGIN PRIVATE KEY-----..."
    path = tmp_path / "study.json"
    path.write_text(json.dumps(data))
    code, out = _run(CliRunner(), tmp_path / "agg.db", "init", "--study", str(path))
    assert code != 0 and "never hold" in out


@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_cli_messages_exist_in_every_language(lang: str) -> None:
    from fieldkit.i18n import translations

    po = ROOT / "translations" / lang / "LC_MESSAGES" / "sync.po"
    text = po.read_text(encoding="utf-8")
    assert 'msgstr ""\n\n#' not in text                    # no empty translation
    assert translations(lang).gettext("Station {station} is revoked.")
