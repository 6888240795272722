"""Skip rights: nothing is required after consent. `required`, constraints that demand
an answer, constraints nothing satisfies, and wording that calls answers compulsory."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fieldkit.forms.lint.skip_rights import _MANDATORY

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import codes, lint_variant, question, text  # noqa: E402


def test_required_is_refused_by_name(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease").update(required=True))
    f = next(f for f in findings if f.code == "lint.required_answer")
    assert (f.question, f.field, f.severity) == ("ease", "required", "error")
    assert "skipped" in f.message() and "Remove 'required'" in f.fix()


@pytest.mark.parametrize("constraint", [
    "answered(channels)",
    "count(channels) >= 1",
    "count(channels) > 0",
    "1 <= count(channels)",
    "count(channels) != 0",
    "count(channels) <= 2 and answered(ease)",
])
def test_constraints_that_demand_an_answer_are_errors(tmp_path: Path, constraint: str) -> None:
    findings = lint_variant(tmp_path,
                            lambda d: question(d, "channels").update(constraint=constraint))
    hits = [f for f in findings if f.code == "lint.constraint_forces_answer"]
    assert hits and hits[0].question == "channels" and hits[0].field == "constraint"
    assert constraint in hits[0].message()


@pytest.mark.parametrize("constraint", ["count(channels) <= 2", "count(channels) < 3",
                                        "not selected(channels, 'none') or count(channels) = 1"])
def test_constraints_that_check_a_given_answer_pass(tmp_path: Path, constraint: str) -> None:
    findings = lint_variant(tmp_path,
                            lambda d: question(d, "channels").update(constraint=constraint))
    assert not codes(findings) & {"lint.constraint_forces_answer",
                                  "lint.constraint_unsatisfiable"}


def test_a_constraint_nothing_satisfies_is_an_error(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease").update(
        constraint=". = 'easy' and . = 'difficult'"))
    assert "lint.constraint_unsatisfiable" in codes(findings)


def test_a_number_constraint_with_a_possible_answer_passes(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "age_band").update(
        constraint=". >= 10 and . <= 99"))
    assert "lint.constraint_unsatisfiable" not in codes(findings)


MANDATORY = [
    ("en", "This question is mandatory."), ("en", "You must answer this question."),
    ("en", "This question cannot be skipped."), ("en", "Answer is compulsory."),
    ("hi", "इस प्रश्न का जवाब देना अनिवार्य है।"), ("hi", "यह सवाल आप छोड़ नहीं सकते।"),
    ("hi", "उत्तर देना ज़रूरी है।"),
    ("mr", "या प्रश्नाचे उत्तर देणे अनिवार्य आहे."), ("mr", "हा प्रश्न वगळू शकत नाही."),
    ("mr", "उत्तर देणे आवश्यक आहे."),
]
NOT_MANDATORY = [
    ("en", "Is mandatory reporting of child abuse required by law?"),
    ("en", "You may skip this question."),
    ("hi", "क्या कानून के तहत बाल शोषण की रिपोर्ट करना अनिवार्य है?"),
    ("hi", "आप यह सवाल छोड़ सकते हैं।"),
    ("mr", "बाल शोषणाची तक्रार करणे कायद्याने अनिवार्य आहे का?"),
    ("mr", "तुम्ही हा प्रश्न वगळू शकता."),
]


@pytest.mark.parametrize(("lang", "words"), MANDATORY)
def test_compulsory_wording_is_spotted(lang: str, words: str) -> None:
    from fieldkit.forms.lint._text import normalise
    assert _MANDATORY[lang].search(normalise(words))


@pytest.mark.parametrize(("lang", "words"), NOT_MANDATORY)
def test_legal_mandatory_and_skip_wording_is_not(lang: str, words: str) -> None:
    from fieldkit.forms.lint._text import normalise
    assert not _MANDATORY[lang].search(normalise(words))


def test_compulsory_wording_is_a_warning_that_does_not_fail(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease").update(hint=text(
        "This question is mandatory.", "इस प्रश्न का जवाब देना अनिवार्य है।",
        "या प्रश्नाचे उत्तर देणे अनिवार्य आहे.")))
    hits = [f for f in findings if f.code == "lint.mandatory_wording"]
    assert [(f.question, f.field, f.severity) for f in hits] == [("ease", "hint", "warning")]
