"""Translations: every text in en, hi and mr; Hindi and Marathi real Devanagari
translations, not copies of the English."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import codes, good_data, lint_variant, question  # noqa: E402

PLACES = [
    # (how to reach the text in the data, expected finding question, field)
    (lambda d: d["title"], None, "title"),
    (lambda d: d["description"], None, "description"),
    (lambda d: d["consent"]["on_refusal"], None, "consent.on_refusal"),
    (lambda d: d["eligibility"]["not_eligible"], None, "eligibility.not_eligible"),
    (lambda d: d["sections"][1]["title"], "views", "title"),
    (lambda d: question(d, "ease")["label"], "ease", "label"),
    (lambda d: question(d, "notes")["hint"], "notes", "hint"),
    (lambda d: question(d, "ease")["options"][2]["label"], "ease", "options.easy.label"),
    (lambda d: question(d, "age_band")["bands"][0]["label"], "age_band", "bands.under_18.label"),
    (lambda d: question(d, "age_band")["unit"], "age_band", "unit"),
    (lambda d: question(d, "channels")["constraint_message"], "channels", "constraint_message"),
]


@pytest.mark.parametrize(("get", "qid", "field"), PLACES)
@pytest.mark.parametrize("lang", ["en", "hi", "mr"])
def test_a_missing_language_is_named(tmp_path: Path, get, qid, field, lang) -> None:
    findings = lint_variant(tmp_path, lambda d: get(d).pop(lang))
    hits = [f for f in findings if f.code == "lint.missing_translation"]
    assert [(f.question, f.field, f.severity) for f in hits] == [(qid, f"{field}.{lang}", "error")]
    name = {"en": "English", "hi": "Hindi", "mr": "Marathi"}[lang]
    assert name in hits[0].message() and field in hits[0].message()


@pytest.mark.parametrize(("get", "qid", "field"), PLACES)
@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_an_english_copy_is_an_error(tmp_path: Path, get, qid, field, lang) -> None:
    def change(d: dict) -> None:
        t = get(d)
        t[lang] = t["en"]
    findings = lint_variant(tmp_path, change)
    hits = [f for f in findings if f.code in ("lint.untranslated", "lint.not_devanagari")]
    if any(c.isalpha() for c in get(good_data())["en"]):
        assert [(f.code, f.question, f.field) for f in hits] == \
            [("lint.untranslated", qid, f"{field}.{lang}")]
    else:
        assert hits == []        # "18-29" is the same in every script


@pytest.mark.parametrize(("lang", "value"), [
    ("hi", "Aap kitne saal ke hain?"),          # romanised Hindi
    ("mr", "Tumche vay kiti aahe?"),
    ("hi", "How easy is it (translation pending)"),
])
def test_latin_only_hindi_or_marathi_is_an_error(tmp_path: Path, lang: str, value: str) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease")["label"].update({lang: value}))
    assert "lint.not_devanagari" in codes(findings)


def test_loanwords_inside_devanagari_are_fine(tmp_path: Path) -> None:
    findings = lint_variant(tmp_path, lambda d: question(d, "ease")["label"].update(
        hi="क्या लोग WhatsApp या Facebook पर ऐसी सेवाएँ ढूँढते हैं?"))
    assert not codes(findings) & {"lint.not_devanagari", "lint.untranslated"}


def test_numbers_only_labels_need_no_devanagari(tmp_path: Path) -> None:
    assert lint_variant(tmp_path, lambda d: None) == []     # bands "18-29" in all three


def test_marathi_equal_to_hindi_is_a_warning_for_sentences(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        label = question(d, "ease")["label"]
        label["mr"] = label["hi"]
    findings = lint_variant(tmp_path, change)
    hits = [f for f in findings if f.code == "lint.same_as_hindi"]
    assert [(f.question, f.field, f.severity) for f in hits] == [("ease", "label.mr", "warning")]


def test_short_labels_may_be_the_same_in_hindi_and_marathi(tmp_path: Path) -> None:
    # "मुंबई", "पुणे", "ऑनलाइन" are the same words in both languages
    assert "lint.same_as_hindi" not in codes(lint_variant(tmp_path, lambda d: None))
