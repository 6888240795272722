"""``fieldkit forms lint|review|diff``: the form author's and the IRB reviewer's tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from fieldkit.forms.diff import diff_forms
from fieldkit.forms.findings import ERROR, Finding
from fieldkit.forms.loader import FormLoadError, load_form
from fieldkit.i18n import LANGUAGES, N_, gettext, ngettext

_LANG = click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
                     help="Language of messages (form texts always show en, hi and mr).")


@click.group()
def forms() -> None:
    """Check and review questionnaire files."""


def _print_findings(findings: list[Finding], lang: str) -> None:
    for f in findings:
        err = f.severity == ERROR
        click.echo(click.style(f.format(lang), fg="red" if err else "yellow"), err=False)


def _load_or_exit(path: str, lang: str) -> object:
    try:
        return load_form(path)
    except FormLoadError as exc:
        _print_findings(exc.findings, lang)
        click.echo(gettext(lang, N_("{file} could not be loaded; nothing was written."),
                           file=path), err=True)
        sys.exit(1)


@forms.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: one object with every finding, for tools.")
@_LANG
def lint(paths: tuple[Path, ...], fmt: str, lang: str) -> None:
    """Check form files (default: forms/) for PII, self-incrimination, skip rights,
    consent, translations and structure. Exit 1 if there are errors, 0 with only
    warnings."""
    from fieldkit.forms.lint import lint_paths
    from fieldkit.forms.loader import form_paths

    targets = list(paths) or [Path("forms")]
    files = form_paths(targets)
    findings = lint_paths(files)
    errors = sum(1 for f in findings if f.severity == ERROR)
    warnings = len(findings) - errors
    if fmt == "json":
        click.echo(json.dumps({
            "files": [str(p) for p in files], "errors": errors, "warnings": warnings,
            "findings": [f.to_dict(lang) for f in findings]}, ensure_ascii=False, indent=2))
    else:
        _print_findings(findings, lang)
        summary = ngettext(lang, "{n} file checked", "{n} files checked", len(files))
        summary += ": " + ngettext(lang, "{n} error", "{n} errors", errors) + ", " \
            + ngettext(lang, "{n} warning", "{n} warnings", warnings) + "."
        click.echo(click.style(summary, fg="red" if errors else "green", bold=True))
    sys.exit(1 if errors else 0)


@forms.command()
@click.argument("form_path", metavar="FORM", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the HTML packet.")
@click.option("--since", "since", type=click.Path(exists=True, dir_okay=False),
              help="The previously approved version of the form: list every change since.")
@_LANG
def review(form_path: str, out: Path, since: str | None, lang: str) -> None:
    """Write the self-contained HTML review packet of FORM for the IRB."""
    from fieldkit.forms.lint import lint_paths
    from fieldkit.forms.review import render_packet

    form = _load_or_exit(form_path, lang)
    old = _load_or_exit(since, lang) if since else None
    findings = lint_paths([form_path])
    html = render_packet(form, lang=lang, findings=findings, since=old)  # type: ignore[arg-type]
    # (fieldkit.forms.review.packet_for_file does the same for other callers)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    errors = sum(1 for f in findings if f.severity == ERROR)
    click.echo(gettext(lang, N_("Wrote {out}: form {form_id}, hash {hash}, {errors} lint errors."),
                       out=str(out), form_id=form.id, hash=form.hash,  # type: ignore[attr-defined]
                       errors=errors))


@forms.command()
@click.argument("old_path", metavar="OLD", type=click.Path(exists=True, dir_okay=False))
@click.argument("new_path", metavar="NEW", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_LANG
def diff(old_path: str, new_path: str, fmt: str, lang: str) -> None:
    """Show what changed between two versions of a form, as an IRB reviewer needs it."""
    old = _load_or_exit(old_path, lang)
    new = _load_or_exit(new_path, lang)
    changes = diff_forms(old, new)  # type: ignore[arg-type]
    if fmt == "json":
        click.echo(json.dumps({"old_hash": old.hash, "new_hash": new.hash,  # type: ignore[attr-defined]
                               "changes": [c.to_dict(lang) for c in changes]},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"--- {old_path}  {old.hash}")  # type: ignore[attr-defined]
    click.echo(f"+++ {new_path}  {new.hash}")  # type: ignore[attr-defined]
    if not changes:
        click.echo(gettext(lang, N_("No changes: both files describe the same form.")))
        return
    marks = {"added": ("+", "green"), "removed": ("-", "red"), "moved": ("~", "cyan")}
    for c in changes:
        mark, colour = marks.get(c.kind, marks.get(c.template[1], ("*", "yellow")))
        click.echo(click.style(f"{mark} {c.describe(lang)}", fg=colour))
        if c.old is not None or c.new is not None:
            for sign, value in (("-", c.old), ("+", c.new)):
                if value is not None and c.kind not in ("added", "removed"):
                    click.echo(f"    {sign} {_show(value)}")
    click.echo(ngettext(lang, "{n} change", "{n} changes", len(changes)))


def _show(value: object) -> str:
    if isinstance(value, dict):
        return " | ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)
