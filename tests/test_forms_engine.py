"""The form engine: loading, hashing, expressions and the messages of broken files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from fieldkit.forms import (
    FormLoadError, load_form, load_form_data, load_forms, parse_expression,
)
from fieldkit.forms.expr import ExprSyntaxError

EXAMPLE = Path(__file__).parent / "forms_data" / "example.yaml"


@pytest.fixture()
def raw() -> dict:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


def problems(raw: dict) -> list:
    with pytest.raises(FormLoadError) as info:
        load_form_data(raw, "forms/example.yaml")
    return [f for f in info.value.findings if f.severity == "error"]


def test_example_form_loads_with_all_its_parts() -> None:
    form = load_form(EXAMPLE)
    assert form.id == "example" and len(form.hash) == 64
    assert [q.id for q in form.all_questions][:2] == ["age_band", "site"]
    assert form.quota_fields == ("site",)
    assert [o.code for o in form.question("trained").options] == ["true", "false", "not_sure"]
    assert form.question("trained").options[0].label["mr"] == "खरे"
    assert form.question("prevalence").dont_know is True      # inherited from defaults
    assert form.question("notes").dont_know is False          # overridden
    assert form.question("reasons").rank == 2


def test_hash_ignores_key_order_comments_and_white_space(tmp_path: Path, raw: dict) -> None:
    reordered = {k: raw[k] for k in reversed(list(raw))}
    path = tmp_path / "example.yaml"
    path.write_text("# a comment\n\n" + yaml.safe_dump(reordered, allow_unicode=True,
                                                       default_flow_style=False, indent=4),
                    encoding="utf-8")
    assert load_form(path).hash == load_form(EXAMPLE).hash


def test_hash_changes_with_any_text_code_or_logic(raw: dict) -> None:
    base = load_form_data(copy.deepcopy(raw), "example.yaml")[0].hash
    edits = [
        lambda r: r["sections"][1]["questions"][0]["label"].__setitem__("mr", "बदल"),
        lambda r: r["sections"][1]["questions"][0]["options"][0].__setitem__("code", "none_at_all"),
        lambda r: r["sections"][1]["questions"][2].__setitem__("relevant", "prevalence = 'very'"),
        lambda r: r["consent"]["script"].__setitem__("hi", "बदला हुआ"),
        lambda r: r["sections"][1]["questions"].reverse(),
    ]
    hashes = set()
    for edit in edits:
        changed = copy.deepcopy(raw)
        edit(changed)
        try:
            hashes.add(load_form_data(changed, "example.yaml")[0].hash)
        except FormLoadError:
            hashes.add("refused")  # reversing breaks a backward reference: also a change
    assert base not in hashes and len(hashes) == len(edits)


def test_malformed_yaml_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ntitle: {en: Which age group are you in?, hi: x}\n", encoding="utf-8")
    with pytest.raises(FormLoadError) as info:
        load_form(path)
    (finding,) = info.value.findings
    assert finding.code == "form.yaml_syntax" and "bad.yaml" in finding.file
    assert "line 2" in finding.message()
    assert "quotes" in finding.fix()


def test_unknown_question_type_names_question_and_lists_types(raw: dict) -> None:
    raw["sections"][1]["questions"][0]["type"] = "slider"
    (finding,) = problems(raw)
    assert (finding.code, finding.question, finding.field) == ("form.unknown_type", "prevalence", "type")
    assert "single_choice" in finding.fix()


def test_unknown_field_and_schema_errors_point_at_the_question(raw: dict) -> None:
    raw["sections"][0]["questions"][1]["colour"] = "red"
    raw["sections"][0]["questions"][0]["options"][0]["label"] = 5
    found = {(f.code, f.question, f.field) for f in problems(raw)}
    assert ("form.unknown_field", "experience", "colour") in found
    assert ("form.schema", "site", "options.0.label") in found


def test_duplicate_ids_and_option_codes(raw: dict) -> None:
    raw["sections"][1]["questions"][1]["id"] = "prevalence"
    raw["sections"][1]["questions"][2]["options"][1]["code"] = "public"
    found = {(f.code, f.question) for f in problems(raw)}
    assert ("form.duplicate_id", "prevalence") in found
    assert ("form.duplicate_option", "channels") in found


@pytest.mark.parametrize("source, code, column", [
    ("prevalence = ", "form.expression_syntax", 14),
    ("selected(prevalence)", "form.expression_syntax", 20),
    ("prevalence = 'very' and nosuch = 'x'", "form.expression_unknown_ref", 25),
    ("notes = 'x'", "form.expression_forward_ref", 1),
    (". = 'x'", "form.expression_current", None),
])
def test_bad_expressions_name_question_field_and_column(raw: dict, source: str, code: str,
                                                        column: int | None) -> None:
    raw["sections"][1]["questions"][2]["relevant"] = source
    (finding,) = problems(raw)
    assert (finding.code, finding.question, finding.field) == (code, "channels", "relevant")
    assert finding.column == column
    assert "forms/example.yaml:channels:relevant" in finding.format()


def test_quota_field_must_exist_and_be_single_choice(raw: dict) -> None:
    raw["quota_fields"] = ["site", "nosuch", "channels"]
    found = {(f.code, f.params.get("ref")) for f in problems(raw)}
    assert found == {("form.quota_field_missing", "nosuch"), ("form.quota_field_type", "channels")}


def test_bands_must_not_overlap(raw: dict) -> None:
    raw["sections"][0]["questions"][1]["bands"][1]["min"] = 3
    (finding,) = problems(raw)
    assert finding.code == "form.bad_bands" and "overlaps" in finding.message()


def test_load_forms_collects_every_problem_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("- not a form\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: [\n", encoding="utf-8")
    with pytest.raises(FormLoadError) as info:
        load_forms(tmp_path)
    assert [f.code for f in info.value.findings] == ["form.not_mapping", "form.yaml_syntax"]


def test_relevance_constraints_and_bands_behave() -> None:
    form = load_form(EXAMPLE)
    channels = form.question("channels")
    assert form.is_relevant(channels, {"prevalence": "very"})
    assert not form.is_relevant(channels, {"prevalence": "not_at_all"})
    assert not form.is_relevant(channels, {})                     # unanswered: hidden
    assert form.eligibility.is_eligible({"age_band": "a18_30"})
    assert not form.eligibility.is_eligible({"age_band": "under_18"})
    experience = form.question("experience")
    assert experience.check(12) and not experience.check(60) and experience.check("_skip")
    assert experience.band_for(0) == "y0_5" and experience.band_for(40) == "y16_plus"


@pytest.mark.parametrize("source, answers, expected", [
    ("selected(m, 'a')", {"m": ["a", "b"]}, True),
    ("selected(m, 'c')", {"m": ["a", "b"]}, False),
    ("count(m) >= 2", {"m": ["a", "b"]}, True),
    ("count(m) = 0", {}, True),
    ("answered(q)", {"q": "_dk"}, False),
    ("answered(q)", {"q": "x"}, True),
    ("q = 'x' or not (r > 3)", {"q": "y", "r": 2}, True),
    ("q != 'x'", {}, False),                                 # null compares false
    ("n >= 18 and n <= 60", {"n": "25"}, True),
    ("q = \"x\"", {"q": "x"}, True),
])
def test_expression_semantics(source: str, answers: dict, expected: bool) -> None:
    assert parse_expression(source).evaluate(answers) is expected


def test_expression_never_evaluates_python() -> None:
    with pytest.raises(ExprSyntaxError):
        parse_expression("__import__('os').system('true')")


def test_constraints_on_lists_and_by_own_id(raw: dict) -> None:
    raw["sections"][1]["questions"][2]["constraint"] = "count(channels) <= 2"
    form = load_form_data(raw, "example.yaml")[0]
    channels = form.question("channels")
    assert channels.check(["public", "online"])
    assert not channels.check(["public", "private", "online"])
    assert channels.check("_skip")
