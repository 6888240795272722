"""The immutable form model. Built only by ``fieldkit.forms.loader``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from fieldkit.forms.expr import Expr

QUESTION_TYPES = ("single_choice", "multiple_choice", "scale", "true_false", "ranking",
                  "banded_number", "text", "long_text", "note")
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice", "scale", "true_false", "ranking"})
SINGLE_CODE_TYPES = frozenset({"single_choice", "scale", "true_false", "banded_number"})
TEXT_TYPES = frozenset({"text", "long_text"})
RISK_LEVELS = ("standard", "offender_exposure")
MODES = ("interviewer", "self", "guide")
CONSENT_MODES = ("verbal", "written")

DONT_KNOW = "_dk"
PREFER_NOT = "_pna"
SKIPPED = "_skip"
RESERVED_ANSWERS = frozenset({DONT_KNOW, PREFER_NOT, SKIPPED})


class Text(Mapping[str, str]):
    """One text in every language: an immutable mapping ``lang -> str``."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = MappingProxyType(dict(items))

    def __getitem__(self, lang: str) -> str:
        return self._items[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._items.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Text({dict(self._items)!r})"

    def show(self, lang: str) -> str:
        """The text in ``lang``, falling back to English (for display only)."""
        return self._items.get(lang) or self._items.get("en", "")


@dataclass(frozen=True)
class Option:
    code: str
    label: Text


@dataclass(frozen=True)
class Band:
    code: str
    label: Text
    min: int | None = None
    max: int | None = None

    def contains(self, number: float) -> bool:
        return ((self.min is None or number >= self.min)
                and (self.max is None or number <= self.max))


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section: str
    hint: Text | None = None
    prompt: Text | None = None
    options: tuple[Option, ...] = ()
    randomize: bool = False
    exclusive: tuple[str, ...] = ()
    rank: int | None = None
    bands: tuple[Band, ...] = ()
    unit: Text | None = None
    max_length: int | None = None
    dont_know: bool = False
    prefer_not_to_answer: bool = False
    relevant: Expr | None = None
    constraint: Expr | None = None
    constraint_message: Text | None = None
    required: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in (self.options or self.bands))

    def option(self, code: str) -> Option | Band | None:
        for o in (*self.options, *self.bands):
            if o.code == code:
                return o
        return None

    def band_for(self, number: float) -> str | None:
        for band in self.bands:
            if band.contains(number):
                return band.code
        return None

    def check(self, answer: Any) -> bool:
        """Does ``answer`` (the raw answer, before banding) satisfy the constraint?
        Reserved answers always do: skipping is a right."""
        if self.constraint is None or answer is None:
            return True
        if isinstance(answer, str) and answer in RESERVED_ANSWERS:
            return True
        # The constraint may read the answer as '.' or by the question's own id.
        return self.constraint.is_true({self.id: answer}, current=answer)

    def ordered_options(self, seed: str) -> tuple[Option, ...]:
        """Options in display order: shuffled with ``seed`` when ``randomize``."""
        if not self.randomize:
            return self.options
        options = list(self.options)
        random.Random(f"{seed}:{self.id}").shuffle(options)
        return tuple(options)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]
    relevant: Expr | None = None


@dataclass(frozen=True)
class Consent:
    script: Text
    question: Text
    modes: tuple[str, ...]
    on_refusal: Text


@dataclass(frozen=True)
class Eligibility:
    questions: tuple[Question, ...]
    eligible_if: Expr | None
    not_eligible: Text

    def is_eligible(self, answers: Mapping[str, Any]) -> bool:
        return self.eligible_if is None or self.eligible_if.is_true(answers)


@dataclass(frozen=True)
class Form:
    id: str
    version: str
    title: Text
    respondent_group: str
    risk_level: str
    mode: str
    languages: tuple[str, ...]
    consent: Consent
    sections: tuple[Section, ...]
    quota_fields: tuple[str, ...]
    hash: str
    source: str
    data: Mapping[str, Any] = field(repr=False, compare=False)
    description: Text | None = None
    eligibility: Eligibility | None = None
    builtin: Mapping[str, Text] = field(default_factory=dict, repr=False, compare=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    @property
    def all_questions(self) -> tuple[Question, ...]:
        first = self.eligibility.questions if self.eligibility else ()
        return (*first, *self.questions)

    def question(self, qid: str) -> Question:
        for q in self.all_questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def section(self, sid: str) -> Section:
        for s in self.sections:
            if s.id == sid:
                return s
        raise KeyError(sid)

    def is_relevant(self, question: Question, answers: Mapping[str, Any]) -> bool:
        """Is ``question`` shown, given the answers so far (section and question relevance)?"""
        for s in self.sections:
            if s.id == question.section and s.relevant is not None:
                if not s.relevant.is_true(answers):
                    return False
        return question.relevant is None or question.relevant.is_true(answers)
