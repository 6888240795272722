"""`fieldkit forms lint|review|diff` as a form author and an IRB reviewer use them:
exit codes, precise one-line findings, JSON for tools, no tracebacks."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fieldkit.cli import main
from fieldkit.forms import load_form

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import CASES, GOOD, good_data, question, write  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(?P<file>[^:]+\.yaml):(?P<question>[^:]+):(?P<field>[^:]+)(:col \d+)?: "
                  r"(?P<severity>error|warning) (?P<code>[a-z_]+\.[a-z_]+): (?P<message>.+?)"
                  r"( — (?P<fix>.+))?$")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


def findings(output: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in output.splitlines() if (m := LINE.match(line))]


def test_study_forms_lint_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out = run("forms", "lint")                 # default: forms/
    assert code == 0, out
    assert findings(out) == []
    n = len(list((ROOT / "forms").glob("*.yaml")))
    assert f"{n} files checked: 0 errors, 0 warnings." in out


def test_clean_example_passes() -> None:
    code, out = run("forms", "lint", str(GOOD))
    assert code == 0 and "1 file checked: 0 errors, 0 warnings." in out


@pytest.mark.parametrize(("name", "expected"), [
    ("bad_yaml", [("-", "-", "form.yaml_syntax")]),
    ("bad_type", [("site", "type", "form.unknown_type"), ("notes", "type", "form.unknown_type"),
                  ("site", "type", "lint.pii_type")]),
    ("bad_expression", [("channels", "relevant", "form.expression_syntax")]),
    ("duplicate_ids", [("ease", "id", "form.duplicate_id")]),
    ("self_incrimination", [("ease", "label", "lint.self_incrimination")]),
    ("pii_and_required", [("notes", "label", "lint.pii_phone"),
                          ("notes", "required", "lint.required_answer"),
                          ("notes", "label.hi", "lint.untranslated")]),
])
def test_broken_forms_fail_with_precise_messages(name: str, expected: list) -> None:
    path = CASES / f"{name}.yaml"
    code, out = run("forms", "lint", str(path))
    assert code == 1, out
    got = findings(out)
    assert sorted((f["question"], f["field"], f["code"]) for f in got) == sorted(expected), out
    for f in got:
        assert f["file"].endswith(f"{name}.yaml")
        assert f["severity"] == "error" and f["message"] and f["fix"]


def test_syntax_errors_point_at_line_and_column() -> None:
    _, out = run("forms", "lint", str(CASES / "bad_yaml.yaml"))
    assert "line 9" in out
    _, out = run("forms", "lint", str(CASES / "bad_expression.yaml"))
    assert ":channels:relevant:col 32:" in out


def test_warnings_do_not_fail() -> None:
    code, out = run("forms", "lint", str(CASES / "warnings_only.yaml"))
    assert code == 0, out
    got = findings(out)
    assert {f["code"] for f in got} == {"lint.scale_randomized", "lint.consent_no_voluntary"}
    assert all(f["severity"] == "warning" for f in got)
    assert "0 errors, 2 warnings" in out


def test_several_paths_and_a_directory(tmp_path: Path) -> None:
    for name in ("good", "self_incrimination", "warnings_only"):
        (tmp_path / f"{name}.yaml").write_bytes((CASES / f"{name}.yaml").read_bytes())
    code, out = run("forms", "lint", str(tmp_path))
    assert code == 1 and "3 files checked: 1 error, 2 warnings." in out


def test_json_output_for_tools() -> None:
    code, out = run("forms", "lint", "--format", "json", str(CASES / "pii_and_required.yaml"),
                    str(CASES / "warnings_only.yaml"))
    assert code == 1
    report = json.loads(out)
    assert report["errors"] == 3 and report["warnings"] == 2 and len(report["files"]) == 2
    f = next(f for f in report["findings"] if f["code"] == "lint.pii_phone")
    assert f["question"] == "notes" and f["field"] == "label" and f["severity"] == "error"
    assert "phone number" in f["message"] and f["fix"]


def test_messages_in_marathi() -> None:
    code, out = run("forms", "lint", "--lang", "mr", str(CASES / "warnings_only.yaml"))
    assert code == 0
    assert "2 इशारे" in out


def test_missing_file_is_a_usage_error_not_a_traceback() -> None:
    code, out = run("forms", "lint", "no/such/form.yaml")
    assert code == 2 and "does not exist" in out


def test_review_writes_the_packet(tmp_path: Path) -> None:
    out_file = tmp_path / "out" / "packet.html"
    code, out = run("forms", "review", str(GOOD), "--out", str(out_file))
    assert code == 0, out
    html = out_file.read_text(encoding="utf-8")
    form = load_form(GOOD)
    assert form.hash in out and form.hash in html
    assert "https://" not in html and "http://" not in html


def test_review_since_and_language(tmp_path: Path) -> None:
    data = copy.deepcopy(good_data())
    question(data, "ease")["label"]["en"] = ("How easy or difficult do you think it is for "
                                             "people to find young girls for paid sex here?")
    new = write(tmp_path, data)
    out_file = tmp_path / "packet.html"
    code, _ = run("forms", "review", str(new), "--out", str(out_file), "--since", str(GOOD),
                  "--lang", "hi")
    assert code == 0
    html = out_file.read_text(encoding="utf-8")
    assert '<html lang="hi">' in html and 'id="changes"' in html
    assert "का अंग्रेज़ी पाठ बदला" in html              # "The English text of ... changed"
    assert load_form(GOOD).hash in html


def test_review_of_a_broken_form_says_why_and_writes_nothing(tmp_path: Path) -> None:
    out_file = tmp_path / "packet.html"
    code, out = run("forms", "review", str(CASES / "duplicate_ids.yaml"), "--out", str(out_file))
    assert code == 1 and "form.duplicate_id" in out and not out_file.exists()


def test_diff_in_the_terminal(tmp_path: Path) -> None:
    data = copy.deepcopy(good_data())
    question(data, "ease")["options"].pop()
    data["consent"]["modes"] = ["verbal"]
    new = write(tmp_path, data)
    code, out = run("forms", "diff", str(GOOD), str(new))
    assert code == 0
    assert load_form(GOOD).hash in out and load_form(new).hash in out
    assert "- Option 'very_easy' was removed from 'ease' (options)." in out
    assert "* The ways consent may be given changed." in out
    assert "    - verbal, written" in out and "    + verbal" in out
    assert out.rstrip().endswith("2 changes")


def test_diff_of_identical_forms_and_json(tmp_path: Path) -> None:
    code, out = run("forms", "diff", str(GOOD), str(GOOD))
    assert code == 0 and "No changes" in out
    data = copy.deepcopy(good_data())
    data["title"]["mr"] = "शहरातील पैशासाठी सेक्सबद्दल मते"
    code, out = run("forms", "diff", "--format", "json", str(GOOD), str(write(tmp_path, data)))
    report = json.loads(out)
    assert [(c["kind"], c["field"], c["lang"]) for c in report["changes"]] == [
        ("text", "title", "mr")]


def test_two_files_with_the_same_form_id(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "good.yaml").write_bytes(GOOD.read_bytes())
    (tmp_path / "good_copy.yaml").write_bytes(GOOD.read_bytes())
    code, out = run("forms", "lint", str(tmp_path / "a" / "good.yaml"),
                    str(tmp_path / "good_copy.yaml"))
    assert code == 1
    codes = {f["code"] for f in findings(out)}
    assert "form.duplicate_id" in codes            # the id 'good' is claimed twice


def test_lint_form_api_on_a_loaded_form() -> None:
    from fieldkit.forms.lint import has_errors, lint_form
    assert lint_form(load_form(GOOD)) == []
    broken = load_form(CASES / "self_incrimination.yaml")
    found = lint_form(broken)
    assert has_errors(found) and found[0].code == "lint.self_incrimination"
