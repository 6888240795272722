"""Helpers for the lint tests: copy the clean form, break one thing, lint it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import yaml

from fieldkit.forms.findings import Finding
from fieldkit.forms.lint import lint_paths

CASES = Path(__file__).resolve().parent
GOOD = CASES / "good.yaml"


def good_data() -> dict[str, Any]:
    return yaml.safe_load(GOOD.read_text(encoding="utf-8"))


def question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    for q in (data.get("eligibility") or {}).get("questions", []):
        if q["id"] == qid:
            return q
    for s in data["sections"]:
        for q in s["questions"]:
            if q["id"] == qid:
                return q
    raise KeyError(qid)


def write(tmp_path: Path, data: dict[str, Any], name: str | None = None) -> Path:
    name = name or data["id"]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    return path


def lint_variant(tmp_path: Path, change: Callable[[dict[str, Any]], Any]) -> list[Finding]:
    data = copy.deepcopy(good_data())
    change(data)
    return lint_paths(write(tmp_path, data))


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def add_question(data: dict[str, Any], q: dict[str, Any], section: int = 1) -> None:
    data["sections"][section]["questions"].append(q)


def text(en: str, hi: str, mr: str) -> dict[str, str]:
    return {"en": en, "hi": hi, "mr": mr}
