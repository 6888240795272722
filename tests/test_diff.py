"""Semantic diff between two versions of a form: every change an IRB reviewer must
re-read, and nothing that is only formatting."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from fieldkit.forms import load_form
from fieldkit.forms.diff import Change, diff_forms
from fieldkit.forms.model import Form

sys.path.insert(0, str(Path(__file__).resolve().parent / "lint_cases"))
from lint_support import GOOD, good_data, question, text, write  # noqa: E402


def versions(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> tuple[Form, Form]:
    old = load_form(GOOD)
    data = copy.deepcopy(good_data())
    change(data)
    (tmp_path / "new").mkdir(exist_ok=True)
    return old, load_form(write(tmp_path / "new", data, "good"))


def only(changes: list[Change]) -> Change:
    assert len(changes) == 1, [c.describe() for c in changes]
    return changes[0]


def test_same_form_no_changes() -> None:
    assert diff_forms(load_form(GOOD), load_form(GOOD)) == []


def test_formatting_is_not_a_change(tmp_path: Path) -> None:
    raw = GOOD.read_text(encoding="utf-8")
    data = yaml.safe_load(raw)
    # reorder keys, drop comments, re-quote: the same form
    reordered = {k: data[k] for k in reversed(list(data))}
    path = tmp_path / "good.yaml"
    path.write_text("# another comment\n" + yaml.safe_dump(reordered, allow_unicode=True,
                                                           default_style='"'),
                    encoding="utf-8")
    old, new = load_form(GOOD), load_form(path)
    assert old.hash == new.hash
    assert diff_forms(old, new) == []


def test_a_hindi_label_change_names_question_field_and_language(tmp_path: Path) -> None:
    old, new = versions(tmp_path, lambda d: question(d, "ease")["label"].update(
        hi="आपके विचार में लोगों के लिए कम उम्र की लड़कियाँ ढूँढना कितना आसान है?"))
    c = only(diff_forms(old, new))
    assert (c.kind, c.question, c.field, c.lang) == ("text", "ease", "label", "hi")
    assert c.old.startswith("आपको क्या लगता है") and c.new.startswith("आपके विचार में")
    assert c.describe() == "The Hindi text of 'ease' (label) changed."


def test_options_added_removed_relabelled_reordered(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        opts = question(d, "channels")["options"]
        opts[0]["label"]["mr"] = "दलालांच्या माध्यमातून"              # relabel
        opts.insert(1, {"code": "hotels", "label": text("Hotels", "होटल", "हॉटेल")})  # add
        question(d, "ease")["options"].reverse()                      # reorder
        question(d, "channels")["exclusive"] = []
        del opts[-1]                                                  # remove 'none'
    old, new = versions(tmp_path, change)
    got = {(c.kind, c.question, c.field, c.lang, c.template[1]) for c in diff_forms(old, new)}
    assert ("options", "ease", "options", None, "reordered") in got
    assert ("options", "channels", "options", None, "added") in got
    assert ("options", "channels", "options", None, "removed") in got
    assert ("options", "channels", "options.brokers.label", "mr", "text") in got
    assert ("setting", "channels", "exclusive", None, "setting") in got
    added = next(c for c in diff_forms(old, new) if c.template == ("option", "added"))
    assert added.describe() == "Option 'hotels' was added to 'channels' (options)."


def test_questions_added_removed_and_moved(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        views = d["sections"][1]["questions"]
        notes = views.pop()                                  # remove 'notes'
        assert notes["id"] == "notes"
        d["sections"][0]["questions"].append(views.pop(1))   # tech_used -> profile
        views.append({"id": "raids", "type": "true_false",
                      "label": text("Police raids have become more frequent.",
                                    "पुलिस के छापे पहले से ज़्यादा होने लगे हैं।",
                                    "पोलिसांचे छापे पूर्वीपेक्षा जास्त होऊ लागले आहेत.")})
    old, new = versions(tmp_path, change)
    changes = diff_forms(old, new)
    kinds = {(c.kind, c.question) for c in changes}
    assert {("removed", "notes"), ("added", "raids"), ("moved", "tech_used")} <= kinds
    moved = next(c for c in changes if c.kind == "moved")
    assert (moved.old, moved.new) == ("views", "profile")
    assert "views" in moved.describe() and "profile" in moved.describe()


def test_reordering_within_a_section_is_a_move(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        qs = d["sections"][1]["questions"]
        qs.append(qs.pop(0))          # 'ease' to the end (no relevance depends on order?)
        question(d, "channels")["relevant"] = "selected(tech_used, 'true')"
    old, new = versions(tmp_path, change)
    kinds = [(c.kind, c.question) for c in diff_forms(old, new)]
    assert ("moved", "ease") in kinds


def test_logic_changes(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        question(d, "channels")["relevant"] = "selected(tech_used, 'true')"
        question(d, "channels")["constraint"] = "count(channels) <= 3"
        d["eligibility"]["eligible_if"] = "age_band = 'a18_29'"
    old, new = versions(tmp_path, change)
    got = {(c.kind, c.question, c.field) for c in diff_forms(old, new)}
    assert got == {("logic", "channels", "relevant"), ("logic", "channels", "constraint"),
                   ("logic", None, "eligibility.eligible_if")}
    rel = next(c for c in diff_forms(old, new) if c.field == "relevant")
    assert rel.old == "selected(tech_used, 'true') or ease = 'easy'"
    assert rel.new == "selected(tech_used, 'true')"


def test_consent_changes_are_flagged_as_consent(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["consent"]["script"]["mr"] += " सर्वेक्षणाला साधारण 15 मिनिटे लागतील."
        d["consent"]["modes"] = ["verbal"]
    old, new = versions(tmp_path, change)
    changes = diff_forms(old, new)
    assert all(c.consent for c in changes) and len(changes) == 2
    assert {(c.field, c.lang) for c in changes} == {("consent.script", "mr"),
                                                   ("consent.modes", None)}
    assert changes[0].describe() == "The Marathi text of the consent script changed."


def test_band_ranges_and_settings(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        bands = question(d, "age_band")["bands"]
        bands[1]["max"] = 30
        bands[2]["min"] = 31
        question(d, "ease")["dont_know"] = False
    old, new = versions(tmp_path, change)
    got = {(c.question, c.field, c.template[1]) for c in diff_forms(old, new)}
    assert ("age_band", "bands", "range") in got and ("ease", "dont_know", "setting") in got
    band = next(c for c in diff_forms(old, new) if c.template == ("band", "range"))
    assert (band.old, band.new) == ("18–29", "18–30")


MUTATIONS: list[Callable[[dict[str, Any]], Any]] = [
    lambda d: d["title"].update(en="Another title"),
    lambda d: d["description"].update(mr="वेगळे वर्णन."),
    lambda d: d.update(version="1.1"),
    lambda d: d.update(risk_level="standard"),
    lambda d: d.update(mode="self"),
    lambda d: d["consent"]["on_refusal"].update(hi="धन्यवाद।"),
    lambda d: d["consent"].update(question=text("Shall we start?", "क्या हम शुरू करें?",
                                                "आपण सुरू करूया का?")),
    lambda d: d["eligibility"]["not_eligible"].update(en="Thank you."),
    lambda d: d["sections"][0]["title"].update(hi="आपके बारे में कुछ बातें"),
    lambda d: d["sections"][1].update(relevant="answered(site)"),
    lambda d: question(d, "notes").update(hint=None),
    lambda d: question(d, "notes").update(max_length=300),
    lambda d: question(d, "channels").update(randomize=True),
    lambda d: question(d, "age_band")["unit"].update(en="years of age"),
    lambda d: question(d, "channels")["constraint_message"].update(hi="दो तक चुनिए।"),
    lambda d: d["defaults"].update(prefer_not_to_answer=False),
    lambda d: d.update(quota_fields=[]),
    lambda d: d["sections"].reverse(),
]


@pytest.mark.parametrize("n", range(len(MUTATIONS)))
def test_every_change_that_changes_the_hash_is_reported(tmp_path: Path, n: int) -> None:
    def change(d: dict) -> None:
        MUTATIONS[n](d)
        if n == len(MUTATIONS) - 1:      # sections reversed: keep relevance valid
            question(d, "channels").pop("relevant")
    old, new = versions(tmp_path, change)
    assert old.hash != new.hash
    assert diff_forms(old, new), "the hash changed but the diff shows nothing"
