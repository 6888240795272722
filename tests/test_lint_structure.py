"""Structure beyond the loader: codes an expression tests must exist, notes have no
answers, scales stay ordered, quota fields are asked of everyone."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import add_question, codes, lint_variant, question, text  # noqa: E402


@pytest.mark.parametrize(("expr", "code"), [
    ("selected(tech_used, 'yes')", "yes"),          # true_false codes are true/false/not_sure
    ("ease = 'very easy'", "very easy"),            # a label, not the code
    ("selected(ease, 'easy') or ease = 'eesy'", "eesy"),
    ("ease != '_dk'", "_dk"),                       # reserved answers read as null
])
def test_a_code_the_question_does_not_have_is_an_error(tmp_path: Path, expr: str,
                                                       code: str) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "channels").update(relevant=expr))
    hits = [f for f in findings if f.code == "lint.unknown_code"]
    assert [(f.question, f.field, f.params["code"]) for f in hits] == [
        ("channels", "relevant", code)]
    assert hits[0].column == expr.find(code) + 1
    assert "Use one of:" in hits[0].fix()


def test_eligibility_and_section_expressions_are_checked(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["eligibility"]["eligible_if"] = "age_band = 'a18_30'"
        d["sections"][1]["relevant"] = "site = 'nagpur'"
    findings = lint_variant(tmp_path, change)
    hits = {(f.question, f.field) for f in findings if f.code == "lint.unknown_code"}
    assert hits == {(None, "eligibility.eligible_if"), ("views", "relevant")}


def test_reading_a_note_is_an_error(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["sections"][0]["questions"].append({
            "id": "intro", "type": "note",
            "label": text("Now some questions about the city.",
                          "अब शहर के बारे में कुछ सवाल।", "आता शहराबद्दल काही प्रश्न.")})
        question(d, "ease")["relevant"] = "answered(intro)"
    findings = lint_variant(tmp_path, change)
    assert [(f.code, f.question) for f in findings if f.code == "lint.note_reference"] == [
        ("lint.note_reference", "ease")]


def test_selected_on_a_text_question_is_an_error(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        add_question(d, {"id": "later", "type": "text",
                         "label": text("Anything else?", "कुछ और?", "आणखी काही?"),
                         "relevant": "selected(notes, 'x')"})
    assert "lint.selected_not_choice" in codes(lint_variant(tmp_path, change))


def test_shuffled_scale_is_a_warning(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease").update(randomize=True))
    assert [(f.code, f.severity) for f in findings] == [("lint.scale_randomized", "warning")]


def test_shuffled_choice_is_fine(tmp_path: Path) -> None:
    assert lint_variant(tmp_path, lambda d: question(d, "channels").update(randomize=True)) == []


def test_quota_field_behind_skip_logic_is_a_warning(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "site").update(
        relevant="age_band = 'a18_29'"))
    assert [(f.code, f.question, f.severity) for f in findings] == [
        ("lint.quota_field_hidden", "site", "warning")]


def test_a_section_of_notes_only_is_a_warning(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["sections"].append({"id": "end", "title": text("End", "समाप्त", "शेवट"), "questions": [
            {"id": "bye", "type": "note", "label": text("Thank you.", "धन्यवाद।", "धन्यवाद.")}]})
    findings = lint_variant(tmp_path, change)
    assert [(f.code, f.question) for f in findings] == [("lint.empty_section", "end")]
