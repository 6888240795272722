"""The marshmallow schema of a form file: shape, types and enumerations.

It checks what a form *is*; cross-references (ids, expressions, quota fields) are
checked by the loader and the rest (PII, self-incrimination, translations...) by the
linter. Texts accept any subset of en/hi/mr here, so that a half-translated draft
still loads and the linter can name each missing translation.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from fieldkit.forms.model import CONSENT_MODES, MODES, QUESTION_TYPES, RISK_LEVELS
from fieldkit.i18n import LANGUAGES

ID = validate.Regexp(r"^[a-z][a-z0-9_]*$",
                     error="'{input}' is not a valid id: use lower-case letters, digits and _")
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                       error="'{input}' is not a valid code: letters, digits, _ . - only")


class TextField(fields.Field):
    """``{en: ..., hi: ..., mr: ...}``; a plain string is taken as English only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if isinstance(value, str):
            value = {"en": value}
        if not isinstance(value, dict):
            raise ValidationError("must be a mapping of languages to text, e.g. {en: ..., hi: ..., mr: ...}")
        unknown = [k for k in value if k not in LANGUAGES]
        if unknown:
            raise ValidationError(f"unknown language {unknown[0]!r}; use en, hi and mr")
        out = {}
        for lang, text in value.items():
            if text is None:
                continue
            if not isinstance(text, (str, int, float)):
                raise ValidationError(f"the {lang} text must be a string")
            out[lang] = str(text).strip()
        return out


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class OptionSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    label = TextField(required=True)


class BandSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    label = TextField(required=True)
    min = fields.Integer(load_default=None, strict=True)
    max = fields.Integer(load_default=None, strict=True)


class QuestionSchema(_Strict):
    id = fields.String(required=True, validate=ID)
    type = fields.String(required=True)  # checked by the loader, with a better message
    label = TextField(required=True)
    hint = TextField(load_default=None)
    prompt = TextField(load_default=None)
    options = fields.List(fields.Nested(OptionSchema), load_default=None)
    randomize = fields.Boolean(load_default=False)
    exclusive = fields.List(fields.String(), load_default=list)
    rank = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1))
    bands = fields.List(fields.Nested(BandSchema), load_default=None)
    unit = TextField(load_default=None)
    max_length = fields.Integer(load_default=None, strict=True,
                                validate=validate.Range(min=1, max=100_000))
    dont_know = fields.Boolean(load_default=None)
    prefer_not_to_answer = fields.Boolean(load_default=None)
    relevant = fields.String(load_default=None)
    constraint = fields.String(load_default=None)
    constraint_message = TextField(load_default=None)
    required = fields.Boolean(load_default=False)  # accepted only for the linter to refuse


class SectionSchema(_Strict):
    id = fields.String(required=True, validate=ID)
    title = TextField(required=True)
    relevant = fields.String(load_default=None)
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=1, error="a section needs questions"))


class ConsentSchema(_Strict):
    script = TextField(required=True)
    question = TextField(load_default=None)
    modes = fields.List(fields.String(validate=validate.OneOf(CONSENT_MODES)), required=True,
                        validate=validate.Length(min=1))
    on_refusal = TextField(required=True)


class EligibilitySchema(_Strict):
    questions = fields.List(fields.Nested(QuestionSchema), required=True,
                            validate=validate.Length(min=1))
    eligible_if = fields.String(load_default=None)
    not_eligible = TextField(required=True)


class DefaultsSchema(_Strict):
    dont_know = fields.Boolean(load_default=False)
    prefer_not_to_answer = fields.Boolean(load_default=False)


class FormSchema(_Strict):
    id = fields.String(required=True, validate=ID)
    version = fields.String(required=True)
    title = TextField(required=True)
    description = TextField(load_default=None)
    respondent_group = fields.String(required=True, validate=ID)
    risk_level = fields.String(required=True, validate=validate.OneOf(RISK_LEVELS))
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    defaults = fields.Nested(DefaultsSchema, load_default=lambda: {"dont_know": False,
                                                                   "prefer_not_to_answer": False})
    consent = fields.Nested(ConsentSchema, required=True)
    eligibility = fields.Nested(EligibilitySchema, load_default=None)
    sections = fields.List(fields.Nested(SectionSchema), required=True,
                           validate=validate.Length(min=1, error="a form needs sections"))
    quota_fields = fields.List(fields.String(), load_default=list)


def question_types_hint() -> str:
    return ", ".join(QUESTION_TYPES)
