"""The form linter: the study's ethical and editorial rules over loaded forms.

``lint_form(form)`` runs every rule on a loaded ``Form``; ``lint_paths(paths)`` loads
each file (files and directories), reports what the loader refused as findings too,
and lints what loaded. Every finding names the file, question and field and takes its
message and fix from the one error catalogue (``lint.*`` and ``form.*`` codes).
Errors fail (``fieldkit forms lint`` exits 1), warnings do not.

Rule families, one module each: ``pii``, ``incrimination``, ``skip_rights``,
``consent``, ``translations``, ``structure``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from fieldkit.forms.findings import ERROR, WARNING, Finding
from fieldkit.forms.lint import (
    consent, incrimination, pii, skip_rights, structure, translations,
)
from fieldkit.forms.loader import FormLoadError, form_paths, load_form_with_warnings
from fieldkit.forms.model import Form

RULES = (pii, incrimination, skip_rights, consent, translations, structure)

__all__ = ["ERROR", "WARNING", "RULES", "has_errors", "lint_form", "lint_paths"]


def lint_form(form: Form) -> list[Finding]:
    """Every finding of every rule for one loaded form, errors first, in form order."""
    findings = [f for rule in RULES for f in rule.check(form)]
    return sorted(findings, key=lambda f: f.severity != ERROR)


def lint_paths(paths: str | Path | Iterable[str | Path]) -> list[Finding]:
    """Load and lint every form file under ``paths``; load errors become findings."""
    findings: list[Finding] = []
    ids: dict[str, str] = {}
    for path in form_paths(paths):
        try:
            form, warnings = load_form_with_warnings(path)
        except FormLoadError as exc:
            findings.extend(exc.findings)
            findings.extend(_raw_pii_types(path, exc.findings))
            continue
        if form.id in ids:
            findings.append(Finding("form.duplicate_id", form.source, form.id, "id"))
        ids[form.id] = form.source
        findings.extend(warnings)
        findings.extend(lint_form(form))
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)


def _raw_pii_types(path: Path, load_findings: list[Finding]) -> list[Finding]:
    if not any(f.code == "form.unknown_type" for f in load_findings):
        return []
    file = load_findings[0].file
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    return list(pii.raw_type_findings(raw, file))
