"""What every rule shares: walking a form's texts and making findings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fieldkit.forms.findings import ERROR, Finding
from fieldkit.forms.model import Form, Question, Text

_LANGUAGE_NAMES = {"en": "English", "hi": "Hindi", "mr": "Marathi"}


@dataclass(frozen=True)
class TextSpot:
    """One text of a form: where it is and what it says."""
    question: str | None    # question or section id; None for form-level texts
    field: str              # "label", "options.yes.label", "consent.script", ...
    text: Text
    part: str               # the kind of text, for messages: label, hint, prompt, option...


def finding(form: Form, code: str, question: str | None, field: str | None, /,
            severity: str = ERROR, column: int | None = None, **params: Any) -> Finding:
    """A finding in ``form``; ``params`` fill the catalogue message (they may be called
    ``code`` or ``field`` too: the first four arguments are positional only). A ``lang``
    code also gives the message the language's name (English, Hindi, Marathi)."""
    if "lang" in params:
        params.setdefault("language", _LANGUAGE_NAMES.get(params["lang"], params["lang"]))
    return Finding(code, form.source, question, field, column, severity, params)


def question_texts(q: Question, *, options: bool = True) -> Iterator[TextSpot]:
    """Texts of one question that a respondent or interviewer reads."""
    for name in ("label", "hint", "prompt"):
        text = getattr(q, name)
        if text is not None:
            yield TextSpot(q.id, name, text, name)
    if options and q.type != "true_false":      # true/false labels are built in
        for o in q.options:
            yield TextSpot(q.id, f"options.{o.code}.label", o.label, "option")
        for b in q.bands:
            yield TextSpot(q.id, f"bands.{b.code}.label", b.label, "band")
    if q.unit is not None:
        yield TextSpot(q.id, "unit", q.unit, "unit")
    if q.constraint_message is not None:
        yield TextSpot(q.id, "constraint_message", q.constraint_message, "message")


def all_texts(form: Form) -> Iterator[TextSpot]:
    """Every text written in the form file, in file order."""
    yield TextSpot(None, "title", form.title, "title")
    if form.description is not None:
        yield TextSpot(None, "description", form.description, "description")
    c = form.consent
    yield TextSpot(None, "consent.script", c.script, "consent script")
    yield TextSpot(None, "consent.question", c.question, "consent question")
    yield TextSpot(None, "consent.on_refusal", c.on_refusal, "refusal text")
    if form.eligibility is not None:
        for q in form.eligibility.questions:
            yield from question_texts(q)
        yield TextSpot(None, "eligibility.not_eligible", form.eligibility.not_eligible,
                       "closing text")
    for s in form.sections:
        yield TextSpot(s.id, "title", s.title, "section title")
        for q in s.questions:
            yield from question_texts(q)
