"""Questionnaires as reviewable, versioned files (Flask-free).

``load_form`` turns a YAML file into an immutable ``Form`` with a content hash; the
linter (``fieldkit.forms.lint``) checks the study's ethical rules; ``review`` and
``diff`` produce what IRB reviewers read. The file format is in forms/FORMAT.md.
"""

from fieldkit.forms.expr import Expr, ExprSyntaxError, parse_expression
from fieldkit.forms.findings import Finding
from fieldkit.forms.loader import (
    FormLoadError, form_paths, load_form, load_form_data, load_form_with_warnings, load_forms,
)
from fieldkit.forms.model import (
    DONT_KNOW, PREFER_NOT, QUESTION_TYPES, RESERVED_ANSWERS, SKIPPED, Band, Consent,
    Eligibility, Form, Option, Question, Section, Text,
)

__all__ = [
    "Band", "Consent", "DONT_KNOW", "Eligibility", "Expr", "ExprSyntaxError", "Finding", "Form",
    "FormLoadError", "Option", "PREFER_NOT", "QUESTION_TYPES", "Question", "RESERVED_ANSWERS",
    "SKIPPED", "Section", "Text", "form_paths", "load_form", "load_form_data",
    "load_form_with_warnings", "load_forms", "parse_expression",
]
