"""The study's questionnaires say what the report says, in all three languages.

For every form ``forms/<id>.yaml`` that has a list ``tests/study_quotes/<id>.yaml``:

- every English wording in the list appears in the form (case and white space do not
  matter, nor spaces around '/', nor straight vs curly quotes). A wording may be a whole
  question or a distinctive substring; it is looked for in question labels first, then in
  hints and answer options, because the report quotes options and ranked items too;
- every text a person reads (title, consent, screening, section titles, labels, hints,
  prompts, options, bands, units) exists in en, hi and mr, and the Hindi and Marathi are
  written in Devanagari, not copied English (texts without letters, like "18-25", pass);
- a form whose respondents may be offenders is marked ``risk_level: offender_exposure``;
- quota fields are single-choice questions of the form (the study's quantitative forms
  keep their quotas: site, and gender for the general population);
- "young girl" is defined (13-18) in the question that uses it, in every language;
- consent comes with a refusal text and the modes the study allows (verbal / written).

A list file is YAML: either a list of strings, or a mapping with ``quotes:`` (that list).
Finally, once the linter exists, ``fieldkit forms lint forms/`` must pass cleanly.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from click.testing import CliRunner

from fieldkit.forms import load_form
from fieldkit.forms.model import Form, Question, Text

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "forms"
QUOTES = Path(__file__).resolve().parent / "study_quotes"
LANGS = ("en", "hi", "mr")

# Respondents who may be traffickers or (potential) customers: the forms must say so.
OFFENDER_EXPOSED = {"potential_customers", "trafficker_interview", "customer_interview"}
# Quota fields the study design fixes (STUDY.md, "soft quotas").
REQUIRED_QUOTAS = {
    "police": {"site"},
    "general_population": {"site", "gender"},
    "potential_customers": {"site"},
}
DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def _quoted_forms() -> list[str]:
    return sorted(p.stem for p in QUOTES.glob("*.yaml") if (FORMS / f"{p.stem}.yaml").exists())


def _quotes(form_id: str) -> list[str]:
    raw = yaml.safe_load((QUOTES / f"{form_id}.yaml").read_text(encoding="utf-8"))
    if isinstance(raw, dict):
        raw = raw.get("quotes")
    assert isinstance(raw, list) and raw, f"study_quotes/{form_id}.yaml lists no wordings"
    assert all(isinstance(q, str) and q.strip() for q in raw), \
        f"study_quotes/{form_id}.yaml: every entry must be a non-empty string"
    return raw


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = (text.replace("\u2019", "'").replace("\u2018", "'")
            .replace("\u201c", '"').replace("\u201d", '"'))
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


@pytest.fixture(scope="module", params=_quoted_forms() or [None])
def form(request: pytest.FixtureRequest) -> Form:
    if request.param is None:
        pytest.skip("no form in forms/ has a tests/study_quotes list yet")
    return load_form(FORMS / f"{request.param}.yaml")


def _texts(form: Form) -> Iterator[tuple[str, Text]]:
    """(where, text) for every piece of text a respondent, interviewer or reviewer reads."""
    yield "title", form.title
    if form.description is not None:
        yield "description", form.description
    c = form.consent
    yield "consent.script", c.script
    yield "consent.question", c.question
    yield "consent.on_refusal", c.on_refusal
    if form.eligibility is not None:
        yield "eligibility.not_eligible", form.eligibility.not_eligible
    for s in form.sections:
        yield f"section {s.id} title", s.title
    for q in form.all_questions:
        yield from _question_texts(q)


def _question_texts(q: Question) -> Iterator[tuple[str, Text]]:
    yield f"{q.id}.label", q.label
    for name in ("hint", "prompt", "unit", "constraint_message"):
        value = getattr(q, name)
        if value is not None:
            yield f"{q.id}.{name}", value
    for o in q.options:
        yield f"{q.id}.option {o.code}", o.label
    for b in q.bands:
        yield f"{q.id}.band {b.code}", b.label


def test_every_quoted_wording_is_in_the_form(form: Form) -> None:
    labels = [normalise(q.label["en"]) for q in form.all_questions]
    others = [normalise(t["en"]) for q in form.all_questions
              for where, t in _question_texts(q) if not where.endswith(".label")]
    missing = [quote for quote in _quotes(form.id)
               if not any(normalise(quote) in text for text in labels + others)]
    assert not missing, f"{form.id}: report wordings not found in the form:\n" + "\n".join(missing)


def test_quotes_name_questions_not_only_options(form: Form) -> None:
    """Most listed wordings are questions: at least half must match a label."""
    labels = [normalise(q.label["en"]) for q in form.all_questions]
    quotes = _quotes(form.id)
    in_labels = [q for q in quotes if any(normalise(q) in label for label in labels)]
    assert len(in_labels) * 2 >= len(quotes), (form.id, len(in_labels), len(quotes))


def test_every_text_has_english_hindi_and_marathi(form: Form) -> None:
    problems = []
    for where, text in _texts(form):
        for lang in LANGS:
            value = (text.get(lang) or "").strip()
            if not value:
                problems.append(f"{where}: no {lang}")
            elif lang != "en" and re.search(r"[^\W\d_]", value) and not DEVANAGARI.search(value):
                problems.append(f"{where}: {lang} is not in Devanagari: {value!r}")
        if text.get("hi") and text.get("mr") and text.get("en") and len(text["en"]) > 30:
            if text["hi"] == text["en"] or text["mr"] == text["en"]:
                problems.append(f"{where}: translation copies the English")
    assert not problems, f"{form.id}:\n" + "\n".join(problems)
    assert set(form.languages) == set(LANGS)


def test_offender_exposed_forms_are_marked(form: Form) -> None:
    expected = "offender_exposure" if form.id in OFFENDER_EXPOSED else "standard"
    assert form.risk_level == expected, (form.id, form.risk_level)


def test_quota_fields_are_single_choice_questions(form: Form) -> None:
    ids = {q.id: q for q in form.all_questions}
    for field in form.quota_fields:
        assert field in ids, (form.id, field)
        q = ids[field]
        assert q.type == "single_choice" and len(q.options) >= 2, (form.id, field, q.type)
        assert not q.dont_know, f"{form.id}.{field}: a quota field cannot be 'don't know'"
    assert REQUIRED_QUOTAS.get(form.id, set()) <= set(form.quota_fields), \
        (form.id, form.quota_fields)


def test_young_girl_is_defined_where_it_is_used(form: Form) -> None:
    """Each question that says "young girl" defines it (13-18) in its label or hint, or
    an earlier question or note of the same section does (a battery's first item)."""
    definition = re.compile(r"13\s*(?:–|-|to|से|ते)\s*18")
    defined: dict[tuple[str, str], bool] = {}
    undefined = []
    for q in form.all_questions:
        for lang in LANGS:
            text = q.label[lang] + " " + (q.hint[lang] if q.hint is not None else "")
            if definition.search(text):
                defined[(q.section, lang)] = True
            elif ("young girl" in q.label["en"].casefold()
                  and not defined.get((q.section, lang))):
                undefined.append(f"{q.id} ({lang})")
    assert not undefined, f"{form.id}: 'young girl' used without the 13-18 definition: {undefined}"


def test_consent_and_screening_are_complete(form: Form) -> None:
    assert set(form.consent.modes) <= {"verbal", "written"} and form.consent.modes
    script = form.consent.script["en"].casefold()
    for idea in ("research", "skip", "stop", "anonymous"):
        assert idea in script, f"{form.id}: the consent script does not mention {idea!r}"
    assert "voluntar" in script or "your choice" in script, form.id
    if form.mode != "guide":
        assert form.eligibility is not None, f"{form.id}: no eligibility screening"
        assert form.eligibility.eligible_if is not None


def _age_options(form: Form) -> dict[str, Any]:
    return {o.code: o.label["en"] for q in form.all_questions if q.id == "age_band"
            for o in q.options}


@pytest.mark.parametrize("form_id,young,old", [("police", "a18_25", "over_60"),
                                              ("general_population", "a18_25", "over_60")])
def test_screening_admits_adults_up_to_60_only(form_id: str, young: str, old: str) -> None:
    if not (FORMS / f"{form_id}.yaml").exists():
        pytest.skip(f"forms/{form_id}.yaml not written yet")
    f = load_form(FORMS / f"{form_id}.yaml")
    assert f.eligibility is not None and f.eligibility.eligible_if is not None
    base = {"resident": "yes"} if form_id == "general_population" else {"rank": "pi", "ahtu": "no"}
    assert f.eligibility.is_eligible({**base, "age_band": young})
    assert not f.eligibility.is_eligible({**base, "age_band": old})
    assert "18" in _age_options(f)[young]


def test_police_screening_needs_inspector_rank_or_ahtu() -> None:
    if not (FORMS / "police.yaml").exists():
        pytest.skip("forms/police.yaml not written yet")
    e = load_form(FORMS / "police.yaml").eligibility
    assert e is not None
    adult = {"age_band": "a41_60"}
    assert e.is_eligible({**adult, "rank": "pi", "ahtu": "no"})
    assert e.is_eligible({**adult, "rank": "dcp_sp_above", "ahtu": "no"})
    assert e.is_eligible({**adult, "rank": "psi", "ahtu": "yes"})
    assert not e.is_eligible({**adult, "rank": "psi", "ahtu": "no"})
    assert not e.is_eligible({**adult, "rank": "api", "ahtu": "_skip"})


def test_police_follow_ups_only_for_those_they_concern() -> None:
    if not (FORMS / "police.yaml").exists():
        pytest.skip("forms/police.yaml not written yet")
    f = load_form(FORMS / "police.yaml")
    topics = f.question("training_helpful")
    assert topics.type == "ranking" and topics.rank == 6 and len(topics.options) == 6
    assert f.is_relevant(topics, {"trained_csec": "yes"})
    assert not f.is_relevant(topics, {"trained_csec": "no"})
    challenges = f.question("online_challenges")
    assert challenges.type == "ranking" and challenges.rank == 5
    assert not f.is_relevant(challenges, {"online_has_challenges": "no_such_cases"})


def test_the_lint_passes_on_every_form() -> None:
    from fieldkit.cli import main

    result = CliRunner().invoke(main, ["forms", "lint", str(FORMS)])
    if result.exit_code == 2 and "No such command" in result.output:
        pytest.skip("`fieldkit forms lint` does not exist yet")
    assert result.exit_code == 0, result.output
    assert not re.search(r":\s*warning\b", result.output), result.output
