"""Skip rights: every question may be skipped and no answer is required after consent.

- ``required`` on a question is refused by name (the schema accepts the key only so
  that this rule can);
- a constraint that demands an answer -- ``answered(...)``, or ``count(q) >= 1`` and
  the like -- is an error, because a constraint may only check an answer that is given;
- a constraint no answer can satisfy leaves the respondent only the skip: an error;
- wording that calls an answer compulsory ("this question is mandatory", "जवाब देना
  अनिवार्य है", "उत्तर देणे आवश्यक आहे") is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fieldkit.forms.findings import WARNING, Finding
from fieldkit.forms.lint._base import finding
from fieldkit.forms.lint._text import normalise
from fieldkit.forms.model import Form, Question
from fieldkit.i18n import LANGUAGES

_MANDATORY = {
    "en": re.compile(
        r"\b(question|answer|response|this)s? (is|are) (mandatory|compulsory|required|"
        r"obligatory)\b|\byou (must|have to) (answer|respond|reply)\b|"
        r"\bmust be answered\b|\b(cannot|can not|can't) (be )?skip(ped)?\b|"
        r"\bdo not skip\b|\bdon't skip\b"),
    "hi": re.compile(
        r"(जवाब|उत्तर) (देना )?(अनिवार्य|जरूरी|आवश्यक)|(प्रश्न|सवाल) अनिवार्य|"
        r"छोड (नहीं|ना) (सकते|सकतीं|सकती|सकता)|(जवाब|उत्तर) (देना )?ही (होगा|पडेगा)"),
    "mr": re.compile(
        r"(उत्तर|प्रतिसाद) (देणे )?(अनिवार्य|आवश्यक|गरजेचे|बंधनकारक)|प्रश्न (अनिवार्य|बंधनकारक)|"
        r"(वगळू|सोडू) शकत नाही|उत्तर द्यावेच"),
}


def _forces_answer(node: Any) -> bool:
    """Does the expression tree demand that some question is answered?"""
    kind = node[0]
    if kind == "fn" and node[1] == "answered":
        return True
    if kind == "cmp":
        _, op, left, right = node
        for count, other, flip in ((left, right, False), (right, left, True)):
            if count[0] == "fn" and count[1] == "count" and other[0] == "lit" \
                    and isinstance(other[1], (int, float)):
                a, b = (other[1], 0) if flip else (0, other[1])
                ok = {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b,
                      ">=": a >= b}[op]
                if not ok:
                    return True
        return False
    if kind == "and":
        return _forces_answer(node[1]) or _forces_answer(node[2])
    if kind == "or":       # "not selected(q, 'none') or count(q) = 1" allows no answer
        return _forces_answer(node[1]) and _forces_answer(node[2])
    if kind == "not":
        return False
    return False


def _candidates(q: Question) -> list[Any]:
    codes = [o.code for o in q.options]
    if q.type in ("multiple_choice", "ranking"):
        return [[c] for c in codes] + ([codes] if codes else [])
    if q.type in ("single_choice", "scale", "true_false"):
        return list(codes)
    if q.type == "banded_number":
        nums: set[int] = {0, 1, 5, 10, 18, 25, 40, 60, 100, 1000}
        for b in q.bands:
            for v in (b.min, b.max):
                if v is not None:
                    nums.update({v, v - 1, v + 1})
        return sorted(nums)
    if q.type in ("text", "long_text"):
        return ["a", "some words of an answer", "1", "x" * min(q.max_length or 50, 50)]
    return []


def _satisfies(q: Question, answer: Any) -> bool:
    # a constraint may read its own answer as '.' or by the question's id
    assert q.constraint is not None
    return q.constraint.is_true({q.id: answer}, current=answer)


def check(form: Form) -> Iterator[Finding]:
    for q in form.all_questions:
        if q.required:
            yield finding(form, "lint.required_answer", q.id, "required")
        if q.constraint is not None:
            if _forces_answer(q.constraint.tree):
                yield finding(form, "lint.constraint_forces_answer", q.id, "constraint",
                              source=q.constraint.source)
            else:
                candidates = _candidates(q)
                if candidates and not any(_satisfies(q, c) for c in candidates):
                    yield finding(form, "lint.constraint_unsatisfiable", q.id, "constraint",
                                  source=q.constraint.source)
        for name in ("label", "hint", "prompt"):
            text = getattr(q, name)
            for lang in LANGUAGES if text is not None else ():
                m = _MANDATORY[lang].search(normalise(text.get(lang, "")))
                if m:
                    yield finding(form, "lint.mandatory_wording", q.id, name, WARNING,
                                  lang=lang, part=name, words=m.group(0))
                    break
