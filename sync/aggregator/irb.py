"""IRB reviewer pages (read-only): every registered form version with its content hash
and version label, the review packet of each version, the changes between two versions,
and the approval record (IRB reference, date, approver).

A study admin records an approval (``admin.record_approval``) on the IRB's decision;
only approved hashes are handed to stations. Review packets and diffs are built by
``fieldkit.forms.review`` and ``fieldkit.forms.diff``; this module only finds the
stored form versions and serves what those build.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml
from flask import Blueprint, abort, g, make_response, render_template, request

from fieldkit.i18n import N_

from aggregator.auth import role_required
from aggregator.web import get_db

bp = Blueprint("irb", __name__, url_prefix="/irb")

READERS = ("irb", "admin")

# The review packet is a self-contained page of its own (inline print CSS, embedded
# font): it may carry inline styles, never scripts, never external requests.
PACKET_CSP = ("default-src 'none'; style-src 'unsafe-inline'; font-src data:; img-src data:; "
              "form-action 'none'; base-uri 'none'; frame-ancestors 'self'")


def form_versions() -> list[dict[str, Any]]:
    """Every registered version, oldest first, each with its approvals."""
    db = get_db()
    if "form_versions" not in db.table_names():
        return []
    versions = [dict(r) for r in db.query(
        "SELECT hash, form_id, version, registered_at FROM form_versions "
        "ORDER BY form_id, registered_at, rowid")]
    approvals = approvals_by_hash()
    for v in versions:
        v["approvals"] = approvals.get(v["hash"], [])
    return versions


def approvals_by_hash() -> dict[str, list[dict[str, Any]]]:
    db = get_db()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if "approvals" in db.table_names():
        for r in db.query("SELECT * FROM approvals ORDER BY approved_on, recorded_at"):
            out[r["hash"]].append(dict(r))
    return out


def version_row(form_hash: str) -> dict[str, Any]:
    db = get_db()
    rows = list(db.query("SELECT * FROM form_versions WHERE hash = ?", [form_hash])) \
        if "form_versions" in db.table_names() else []
    if not rows:
        abort(404)
    return dict(rows[0])


def load_version(form_hash: str) -> Any:
    """Rebuild the stored version as a ``fieldkit.forms.Form``."""
    return load_version_with_findings(form_hash)[0]


def load_version_with_findings(form_hash: str) -> tuple[Any, list[Any]]:
    """The stored version as a ``Form`` and its lint report (loader warnings + linter)."""
    from fieldkit.forms.lint import lint_form
    from fieldkit.forms.loader import load_form_data

    row = version_row(form_hash)
    raw = yaml.safe_load(row["source"])
    form, warnings = load_form_data(raw, f"{row['form_id']}.yaml")
    if form.hash != form_hash:    # the stored YAML must be exactly what was registered
        abort(409)
    findings, seen = [], set()
    for finding in [*warnings, *lint_form(form)]:
        key = (finding.code, finding.question, finding.field)
        if key not in seen:
            seen.add(key)
            findings.append(finding)
    return form, findings


@bp.route("/")
@role_required(*READERS)
def index() -> Any:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in form_versions():
        grouped[v["form_id"]].append(v)
    return render_template("irb/index.html", forms=dict(sorted(grouped.items())))


@bp.route("/forms/<form_hash>")
@role_required(*READERS)
def version(form_hash: str) -> Any:
    row = version_row(form_hash)
    siblings = [v for v in form_versions() if v["form_id"] == row["form_id"]]
    return render_template("irb/version.html", v=row, siblings=siblings,
                           approvals=approvals_by_hash().get(form_hash, []))


@bp.route("/forms/<form_hash>/packet")
@role_required(*READERS)
def packet(form_hash: str) -> Any:
    form, findings = load_version_with_findings(form_hash)
    since = request.args.get("since")
    old = load_version(since) if since else None
    from fieldkit.forms.review import render_packet

    html = render_packet(form, lang=g.get("lang", "en"), findings=findings, since=old)
    response = make_response(html)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.headers["Content-Security-Policy"] = PACKET_CSP
    return response


@bp.route("/diff/<old_hash>/<new_hash>")
@role_required(*READERS)
def diff(old_hash: str, new_hash: str) -> Any:
    old_row, new_row = version_row(old_hash), version_row(new_hash)
    from fieldkit.forms.diff import diff_forms, summary_counts

    changes = diff_forms(load_version(old_hash), load_version(new_hash))
    lang = g.get("lang", "en")
    shown = [{"kind": c.kind, "consent": c.consent, "text": c.describe(lang),
              "lang": c.lang, "old": _shown(c.old), "new": _shown(c.new)} for c in changes]
    return render_template("irb/diff.html", old=old_row, new=new_row, changes=shown,
                           counts=summary_counts(changes), kinds=CHANGE_KINDS)


# Headings for the kinds of change ``fieldkit.forms.diff`` reports.
CHANGE_KINDS = {
    "consent": N_("Consent"), "added": N_("Added"), "removed": N_("Removed"),
    "moved": N_("Moved"), "text": N_("Wording"), "options": N_("Answer options"),
    "logic": N_("Skip logic and checks"), "setting": N_("Settings"),
}


def _shown(value: Any) -> str | None:
    """Old/new values of a change as one line of text (None when absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "items"):
        return " / ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
