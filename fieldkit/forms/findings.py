"""Findings: one problem in one form file, from the loader or the linter.

A finding names the file, the question and the field (and the column of an
expression) and takes its message and fix from the one error catalogue.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from fieldkit.errors import CATALOGUE, render

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    file: str
    question: str | None = None
    field: str | None = None
    column: int | None = None
    severity: str = ERROR
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown finding code {self.code!r}: add it to fieldkit/errors.py")

    def _params(self) -> dict[str, Any]:
        return {"file": self.file, "question": self.question or "-",
                "field": self.field or "-", "column": self.column, **self.params}

    def message(self, lang: str = "en") -> str:
        return render(CATALOGUE[self.code].message, lang, self._params())

    def fix(self, lang: str = "en") -> str:
        return render(CATALOGUE[self.code].fix, lang, self._params())

    @property
    def location(self) -> str:
        parts = [self.file, self.question or "-", self.field or "-"]
        if self.column is not None:
            parts.append(f"col {self.column}")
        return ":".join(parts)

    def format(self, lang: str = "en") -> str:
        fix = self.fix(lang)
        return (f"{self.location}: {self.severity} {self.code}: {self.message(lang)}"
                + (f" — {fix}" if fix else ""))

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "file": self.file,
                "question": self.question, "field": self.field, "column": self.column,
                "message": self.message(lang), "fix": self.fix(lang)}
