"""Form files -> immutable ``Form`` objects with a content hash.

``load_form(path)`` reads YAML, validates it with the marshmallow schema, checks the
cross-references (unique ids and codes, options, bands, expressions that parse and
name earlier questions, quota fields) and builds the model. Every problem found is a
``Finding`` naming the file, the question and the field; all of them are raised
together in one ``FormLoadError`` so an author fixes a file in one pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from marshmallow import ValidationError

from fieldkit.canonical import content_hash
from fieldkit.forms import builtin
from fieldkit.forms.expr import Expr, ExprSyntaxError, parse_expression
from fieldkit.forms.findings import WARNING, Finding
from fieldkit.forms.model import (
    CHOICE_TYPES, QUESTION_TYPES, Band, Consent, Eligibility, Form, Option, Question, Section,
    Text,
)
from fieldkit.forms.schema import FormSchema

FORMAT_VERSION = 1


class FormLoadError(Exception):
    """The form(s) could not be loaded; ``findings`` lists every problem."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("\n".join(f.format() for f in findings))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- reading ------------------------------------------------------------------------

def _read_yaml(path: Path, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormLoadError([Finding("form.file_not_found", file)]) from None
    except UnicodeDecodeError as exc:
        raise FormLoadError([Finding("form.yaml_syntax", file, params={
            "problem": f"not UTF-8 text ({exc.reason})", "line": 1, "column": 1})]) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FormLoadError([Finding("form.yaml_syntax", file, params={
            "problem": problem, "line": mark.line + 1 if mark else "?",
            "column": mark.column + 1 if mark else "?"})]) from None


def _raw_questions(raw: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """(path prefix, raw question) for every question-shaped item, for early checks."""
    elig = raw.get("eligibility")
    if isinstance(elig, dict) and isinstance(elig.get("questions"), list):
        for q in elig["questions"]:
            yield "eligibility", q
    sections = raw.get("sections")
    if isinstance(sections, list):
        for s in sections:
            if isinstance(s, dict) and isinstance(s.get("questions"), list):
                for q in s["questions"]:
                    yield "sections", q


def _lookup(raw: Any, path: tuple) -> Any:
    for key in path:
        try:
            raw = raw[key]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _schema_findings(raw: Any, messages: Any, file: str) -> list[Finding]:
    findings: list[Finding] = []

    def emit(path: tuple, message: str) -> None:
        question = None
        field_path = path
        for i in range(len(path) - 1, -1, -1):
            if path[i] == "questions" and i + 1 < len(path):
                item = _lookup(raw, path[: i + 2])
                question = item.get("id") if isinstance(item, dict) else None
                question = question or f"#{path[i + 1] + 1}"
                field_path = path[i + 2:]
                break
        field = ".".join(str(p) for p in field_path) or None
        if message == "Unknown field.":
            findings.append(Finding("form.unknown_field", file, question, field))
        else:
            findings.append(Finding("form.schema", file, question, field,
                                    params={"problem": message.rstrip(".")}))

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, str):
                    emit(path, item)
                else:
                    walk(item, path)

    walk(messages, ())
    return findings


# --- checking and building -----------------------------------------------------------

class _Builder:
    def __init__(self, data: dict[str, Any], file: str) -> None:
        self.data = data
        self.file = file
        self.findings: list[Finding] = []
        self.seen_ids: set[str] = set()
        self.all_ids = {q["id"] for q in self._all_raw()}

    def _all_raw(self) -> list[dict[str, Any]]:
        elig = self.data.get("eligibility") or {}
        return [*elig.get("questions", []),
                *(q for s in self.data["sections"] for q in s["questions"])]

    def add(self, finding_code: str, question: str | None = None, field: str | None = None,
            **kw: Any) -> None:
        column = kw.pop("column", None)
        severity = kw.pop("severity", "error")
        self.findings.append(Finding(finding_code, self.file, question, field, column, severity, kw))

    def expr(self, source: str | None, question: str | None, field: str,
             allow_current: bool = False) -> Expr | None:
        if source is None:
            return None
        try:
            expr = parse_expression(source)
        except ExprSyntaxError as exc:
            self.add("form.expression_syntax", question, field, column=exc.column,
                     problem=exc.message)
            return None
        if expr.uses_current and not allow_current:
            self.add("form.expression_current", question, field)
        for ref in sorted(expr.references):
            if ref not in self.all_ids:
                self.add("form.expression_unknown_ref", question, field, ref=ref,
                         column=source.find(ref) + 1)
            elif ref not in self.seen_ids:
                self.add("form.expression_forward_ref", question, field, ref=ref,
                         column=source.find(ref) + 1)
        return expr

    def normalise_question(self, q: dict[str, Any]) -> dict[str, Any]:
        qid, qtype = q["id"], q["type"]
        defaults = self.data["defaults"]
        out = dict(q)
        for key in ("dont_know", "prefer_not_to_answer"):
            if out[key] is None:
                out[key] = bool(defaults[key]) and qtype != "note"
        if qtype == "true_false":
            if q.get("options"):
                self.add("form.unexpected_options", qid, "options", type=qtype)
            out["options"] = [{"code": c, "label": dict(t)} for c, t in builtin.TRUE_FALSE_OPTIONS]
        elif qtype in CHOICE_TYPES:
            if not q.get("options"):
                self.add("form.missing_options", qid, "options", type=qtype)
        elif q.get("options"):
            self.add("form.unexpected_options", qid, "options", type=qtype)
        out["options"] = out.get("options") or []
        codes = [o["code"] for o in out["options"]]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            self.add("form.duplicate_option", qid, "options", code=code)
        for code in out["exclusive"]:
            if code not in codes:
                self.add("form.bad_exclusive", qid, "exclusive", code=code)
        if qtype == "ranking" and out["rank"] is not None and codes and out["rank"] > len(codes):
            self.add("form.bad_rank", qid, "rank", rank=out["rank"], count=len(codes))
        if qtype == "ranking" and out["rank"] is None:
            out["rank"] = len(codes)
        if qtype == "banded_number":
            self.check_bands(qid, out.get("bands") or [])
        out["bands"] = out.get("bands") or []
        if qtype in ("text", "long_text") and out["max_length"] is None:
            out["max_length"] = 200 if qtype == "text" else 5000
        return out

    def check_bands(self, qid: str, bands: list[dict[str, Any]]) -> None:
        if not bands:
            self.add("form.bad_bands", qid, "bands", problem="a banded_number question needs bands")
            return
        codes = [b["code"] for b in bands]
        for code in sorted({c for c in codes if codes.count(c) > 1}):
            self.add("form.duplicate_option", qid, "bands", code=code)
        for i, band in enumerate(bands):
            lo, hi = band["min"], band["max"]
            if lo is None and i != 0 or hi is None and i != len(bands) - 1:
                self.add("form.bad_bands", qid, "bands",
                         problem=f"band '{band['code']}' is open-ended but not at an end")
            if lo is not None and hi is not None and lo > hi:
                self.add("form.bad_bands", qid, "bands",
                         problem=f"band '{band['code']}' has min {lo} above max {hi}")
            if i and lo is not None and bands[i - 1]["max"] is not None and lo <= bands[i - 1]["max"]:
                self.add("form.bad_bands", qid, "bands",
                         problem=f"band '{band['code']}' overlaps the band before it")

    def question(self, q: dict[str, Any], section: str) -> Question | None:
        qid = q["id"]
        if qid in self.seen_ids:
            self.add("form.duplicate_id", qid, "id")
        relevant = self.expr(q["relevant"], qid, "relevant")
        self.seen_ids.add(qid)  # a constraint may read its own question through '.'
        constraint = self.expr(q["constraint"], qid, "constraint", allow_current=True)
        t = lambda v: Text(v) if v is not None else None  # noqa: E731
        return Question(
            id=qid, type=q["type"], label=Text(q["label"]), section=section,
            hint=t(q["hint"]), prompt=t(q["prompt"]),
            options=tuple(Option(o["code"], Text(o["label"])) for o in q["options"]),
            randomize=q["randomize"], exclusive=tuple(q["exclusive"]), rank=q["rank"],
            bands=tuple(Band(b["code"], Text(b["label"]), b["min"], b["max"]) for b in q["bands"]),
            unit=t(q["unit"]), max_length=q["max_length"], dont_know=q["dont_know"],
            prefer_not_to_answer=q["prefer_not_to_answer"], relevant=relevant,
            constraint=constraint, constraint_message=t(q["constraint_message"]),
            required=q["required"],
        )

    def build(self, source: str) -> Form:
        d = self.data
        if d["eligibility"]:
            d["eligibility"]["questions"] = [self.normalise_question(q)
                                             for q in d["eligibility"]["questions"]]
        for s in d["sections"]:
            s["questions"] = [self.normalise_question(q) for q in s["questions"]]
        consent = d["consent"]
        if consent["question"] is None:
            consent["question"] = dict(builtin.BUILTIN_TEXTS["consent_question"])
        d["builtin"] = {k: dict(v) for k, v in builtin.BUILTIN_TEXTS.items()
                        if k != "consent_question"}
        d["format"] = FORMAT_VERSION

        eligibility = None
        if d["eligibility"]:
            e = d["eligibility"]
            questions = tuple(filter(None, (self.question(q, "eligibility") for q in e["questions"])))
            eligibility = Eligibility(questions, self.expr(e["eligible_if"], None,
                                                           "eligibility.eligible_if"),
                                      Text(e["not_eligible"]))
        sections = []
        for s in d["sections"]:
            if s["id"] in self.seen_ids:
                self.add("form.duplicate_id", s["id"], "id")
            relevant = self.expr(s["relevant"], s["id"], "relevant")
            questions = tuple(filter(None, (self.question(q, s["id"]) for q in s["questions"])))
            sections.append(Section(s["id"], Text(s["title"]), questions, relevant))
        by_id = {q["id"]: q for q in self._all_raw()}
        for ref in d["quota_fields"]:
            if ref not in by_id:
                self.add("form.quota_field_missing", None, "quota_fields", ref=ref)
            elif by_id[ref]["type"] != "single_choice":
                self.add("form.quota_field_type", ref, "quota_fields", ref=ref,
                         type=by_id[ref]["type"])

        stem = Path(source).stem
        if stem != d["id"]:
            self.add("form.id_mismatch", None, "id", form_id=d["id"], stem=stem,
                     severity=WARNING)
        if any(f.severity == "error" for f in self.findings):
            raise FormLoadError(self.findings)
        return Form(
            id=d["id"], version=d["version"], title=Text(d["title"]),
            description=Text(d["description"]) if d["description"] else None,
            respondent_group=d["respondent_group"], risk_level=d["risk_level"], mode=d["mode"],
            languages=tuple(d["languages"]),
            consent=Consent(Text(consent["script"]), Text(consent["question"]),
                            tuple(consent["modes"]), Text(consent["on_refusal"])),
            eligibility=eligibility, sections=tuple(sections),
            quota_fields=tuple(d["quota_fields"]), hash=content_hash(d), source=source,
            data=_freeze(d), builtin={k: Text(v) for k, v in builtin.BUILTIN_TEXTS.items()},
        )


def _freeze(value: Any) -> Any:
    from types import MappingProxyType
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def load_form_data(raw: Any, source: str) -> tuple[Form, list[Finding]]:
    """Build a Form from already-parsed YAML; returns the form and its warnings."""
    file = source
    if not isinstance(raw, dict):
        raise FormLoadError([Finding("form.not_mapping", file)])
    findings = []
    for _, q in _raw_questions(raw):
        if isinstance(q, dict) and isinstance(q.get("type"), str) and q["type"] not in QUESTION_TYPES:
            findings.append(Finding("form.unknown_type", file, q.get("id"), "type",
                                    params={"type": q["type"],
                                            "types": ", ".join(QUESTION_TYPES)}))
    try:
        data = FormSchema().load(raw)
    except ValidationError as exc:
        findings += _schema_findings(raw, exc.messages, file)
        raise FormLoadError(findings) from None
    if findings:
        raise FormLoadError(findings)
    builder = _Builder(data, file)
    form = builder.build(source)
    return form, builder.findings


def load_form_with_warnings(path: str | Path) -> tuple[Form, list[Finding]]:
    path = Path(path)
    file = _display(path)
    return load_form_data(_read_yaml(path, file), file)


def load_form(path: str | Path) -> Form:
    """Load one form file; raises FormLoadError listing every problem."""
    return load_form_with_warnings(path)[0]


def form_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Expand files and directories into the sorted list of form files."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted([*p.glob("*.yaml"), *p.glob("*.yml")]))
        else:
            out.append(p)
    return out


def load_forms(paths: str | Path | Iterable[str | Path]) -> dict[str, Form]:
    """Load every form under ``paths``; raises one FormLoadError with all findings."""
    forms: dict[str, Form] = {}
    findings: list[Finding] = []
    for path in form_paths(paths):
        try:
            form = load_form(path)
        except FormLoadError as exc:
            findings.extend(exc.findings)
            continue
        if form.id in forms:
            findings.append(Finding("form.duplicate_id", form.source, None, "id"))
        forms[form.id] = form
    if findings:
        raise FormLoadError(findings)
    return forms
