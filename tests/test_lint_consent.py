"""Consent: present, first, and saying what the study promises in every language."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import (  # noqa: E402
    add_question, codes, good_data, lint_paths, lint_variant, text, write,
)

from fieldkit.forms.lint.consent import ELEMENTS  # noqa: E402


def test_empty_consent_script_is_an_error(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: d["consent"].update(script={}))
    f = next(f for f in findings if f.code == "lint.consent_missing")
    assert (f.field, f.severity) == ("consent.script", "error")
    # and each language is named as missing by the translations rule
    missing = {f.field for f in findings if f.code == "lint.missing_translation"}
    assert {"consent.script.en", "consent.script.hi", "consent.script.mr"} <= missing


def test_consent_script_missing_in_marathi(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: d["consent"]["script"].pop("mr"))
    assert [f.field for f in findings if f.code == "lint.missing_translation"] == \
        ["consent.script.mr"]


@pytest.mark.parametrize(("lang", "drop", "point"), [
    ("en", "Your answers are anonymous: we do not write down your name or anything that "
           "identifies you. ", "anonymity"),
    ("en", "You may skip any question and stop at any time. ", "skip"),
    ("en", "Taking part is voluntary.", "voluntary"),
    ("hi", "इसमें भाग लेना स्वैच्छिक है।", "voluntary"),
    ("hi", "आप कोई भी सवाल छोड़ सकते हैं और कभी भी रुक सकते हैं।", "stop"),
    ("mr", "तुमची उत्तरे निनावी राहतील: तुमचे नाव किंवा तुमची ओळख पटेल अशी कोणतीही गोष्ट आम्ही "
           "लिहीत नाही.", "anonymity"),
    ("mr", "तुम्ही कोणताही प्रश्न वगळू शकता आणि कधीही थांबू शकता.", "skip"),
])
def test_a_script_that_leaves_out_a_promise_gets_a_warning(
        tmp_path: Path, lang: str, drop: str, point: str) -> None:
    def change(d: dict) -> None:
        script = d["consent"]["script"]
        assert drop in script[lang]
        script[lang] = script[lang].replace(drop, "")
    findings = lint_variant(tmp_path, change)
    hits = [f for f in findings if f.code == f"lint.consent_no_{point}"]
    assert [(f.params["lang"], f.severity) for f in hits] == [(lang, "warning")]


def test_every_promise_is_recognised_in_the_clean_scripts() -> None:
    from fieldkit.forms.lint._text import normalise
    script = good_data()["consent"]["script"]
    for point, patterns in ELEMENTS.items():
        for lang, pattern in patterns.items():
            assert pattern.search(normalise(script[lang])), (point, lang)


@pytest.mark.parametrize("label", [
    text("Do you agree to take part in this interview?",
         "क्या आप इस साक्षात्कार में भाग लेने के लिए सहमत हैं?",
         "तुम्ही या मुलाखतीत सहभागी होण्यास तयार आहात का?"),
    text("Are you willing to participate in the study?",
         "क्या आप इस अध्ययन में हिस्सा लेने के लिए तैयार हैं?",
         "या अभ्यासात सहभागी होण्यास तुमची संमती आहे का?"),
])
def test_consent_asked_as_a_question_is_an_error(tmp_path: Path, label: dict) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "agree", "type": "single_choice", "label": label,
        "options": [{"code": "yes", "label": text("Yes", "हाँ", "हो")},
                    {"code": "no", "label": text("No", "नहीं", "नाही")}]}, section=0))
    hits = [f for f in findings if f.code == "lint.consent_in_questions"]
    assert [(f.question, f.severity) for f in hits] == [("agree", "error")]


def test_agreeing_with_a_statement_is_not_consent(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: add_question(d, {
        "id": "agree_law", "type": "scale",
        "label": text("Do you agree that the punishment for buying sex from minors is too low?",
                      "क्या आप सहमत हैं कि नाबालिगों से सेक्स खरीदने की सज़ा बहुत कम है?",
                      "अल्पवयीनांकडून सेक्स विकत घेण्याची शिक्षा खूप कमी आहे, याच्याशी तुम्ही "
                      "सहमत आहात का?"),
        "options": [{"code": "no", "label": text("No", "नहीं", "नाही")},
                    {"code": "yes", "label": text("Yes", "हाँ", "हो")}]}))
    assert "lint.consent_in_questions" not in codes(findings)


def test_consent_after_the_sections_in_the_file_is_a_warning(tmp_path: Path) -> None:
    data = good_data()
    consent = data.pop("consent")
    data["consent"] = consent            # now the last key
    findings = lint_paths(write(tmp_path, data))
    hits = [f for f in findings if f.code == "lint.consent_after_questions"]
    assert [(f.field, f.severity) for f in hits] == [("consent", "warning")]
    # the order of keys does not change the form itself
    from fieldkit.forms import load_form
    assert load_form(tmp_path / "good.yaml").hash == load_form(
        Path(__file__).parent / "lint_cases" / "good.yaml").hash


def test_clean_form_has_consent_first() -> None:
    raw = yaml.safe_load((Path(__file__).parent / "lint_cases" / "good.yaml").read_text())
    keys = list(raw)
    assert keys.index("consent") < keys.index("sections")
