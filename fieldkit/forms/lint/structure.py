"""Structure the loader does not already check.

The loader refuses duplicate ids and option codes, bad bands, expressions that do not
parse or that name unknown or later questions, and quota fields that are missing or
not single choice. This rule adds what needs the whole form:

- ``selected(q, 'code')`` and ``q = 'code'`` with a code that ``q`` does not have
  (the condition can never be true: a typo hides questions);
- an expression that reads a note (notes have no answer);
- ``selected()`` on a question that is not a choice;
- a shuffled scale (scales are ordered, low to high): warning;
- a quota field behind skip logic (some interviews fill no quota cell): warning;
- a section of notes only: warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fieldkit.forms.expr import Expr
from fieldkit.forms.findings import WARNING, Finding
from fieldkit.forms.lint._base import finding
from fieldkit.forms.model import CHOICE_TYPES, RESERVED_ANSWERS, Form, Question

_CODED = CHOICE_TYPES | {"banded_number"}


def _expressions(form: Form) -> Iterator[tuple[str | None, str, Expr]]:
    if form.eligibility is not None:
        for q in form.eligibility.questions:
            yield from _question_exprs(q)
        if form.eligibility.eligible_if is not None:
            yield None, "eligibility.eligible_if", form.eligibility.eligible_if
    for s in form.sections:
        if s.relevant is not None:
            yield s.id, "relevant", s.relevant
        for q in s.questions:
            yield from _question_exprs(q)


def _question_exprs(q: Question) -> Iterator[tuple[str | None, str, Expr]]:
    if q.relevant is not None:
        yield q.id, "relevant", q.relevant
    if q.constraint is not None:
        yield q.id, "constraint", q.constraint


def _code_tests(node: Any) -> Iterator[tuple[str, str, bool]]:
    """(question id, code, via selected()) for every code an expression tests."""
    kind = node[0]
    if kind == "fn" and node[1] == "selected":
        yield node[2], node[3], True
    elif kind == "cmp":
        _, _, left, right = node
        for ref, lit in ((left, right), (right, left)):
            if ref[0] == "ref" and lit[0] == "lit" and isinstance(lit[1], str):
                yield ref[1], lit[1], False
    elif kind in ("and", "or"):
        yield from _code_tests(node[1])
        yield from _code_tests(node[2])
    elif kind == "not":
        yield from _code_tests(node[1])


def check(form: Form) -> Iterator[Finding]:
    by_id = {q.id: q for q in form.all_questions}
    for owner, field, expr in _expressions(form):
        for ref in sorted(expr.references):
            target = by_id.get(ref)
            if target is not None and target.type == "note":
                yield finding(form, "lint.note_reference", owner, field, ref=ref)
        reported: set[tuple[str, str]] = set()
        for ref, code, via_selected in _code_tests(expr.tree):
            target = by_id.get(ref)
            if target is None or (ref, code) in reported:
                continue
            if via_selected and target.type not in CHOICE_TYPES:
                reported.add((ref, code))
                yield finding(form, "lint.selected_not_choice", owner, field, ref=ref,
                              type=target.type)
                continue
            if target.type in _CODED and (code not in target.codes
                                          or code in RESERVED_ANSWERS):
                reported.add((ref, code))
                yield finding(form, "lint.unknown_code", owner, field,
                              column=expr.source.find(code) + 1 or None, ref=ref,
                              code=code, codes=", ".join(target.codes))
    for q in form.all_questions:
        if q.type == "scale" and q.randomize:
            yield finding(form, "lint.scale_randomized", q.id, "randomize", WARNING)
    sections = {s.id: s for s in form.sections}
    for ref in form.quota_fields:
        q = by_id.get(ref)
        if q is None:
            continue
        section = sections.get(q.section)
        if q.relevant is not None or (section is not None and section.relevant is not None):
            yield finding(form, "lint.quota_field_hidden", ref, "relevant", WARNING)
    for s in form.sections:
        if all(q.type == "note" for q in s.questions):
            yield finding(form, "lint.empty_section", s.id, "questions", WARNING)
