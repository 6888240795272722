"""The interview pages: consent, questions one per screen, stop, quota warning, finish.

Thin: every decision is made by :class:`fieldkit.interview.Interview`; this module parses
the request, calls it and renders. Pages work without JavaScript. Every URL of an
interview redirects to where the interview actually is, so a question URL typed before
consent (or after the interview moved on) never shows that question.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from fieldkit.i18n import normalise_language
from fieldkit.i18n import translations as _translations
from fieldkit.interview import InterviewStateError, Problem, redact_answers
from fieldkit.station.app import current_record, safe_next, state

bp = Blueprint("interview", __name__, url_prefix="/i")

QUOTA_REASONS = ("supervisor_agreed", "cell_target_outdated", "other")


def _load(iid: str) -> Any:
    st = state()
    rec = current_record()
    iv = st.interviews.get(iid)
    if iv is None:
        abort(404)
    if rec.role == "enumerator":
        if iv.enumerator != rec.enumerator:
            abort(404)
        if iv.mode == "self" and request.endpoint != "interview.resume":
            abort(403)
    g.lang = iv.lang
    return iv


def where(iv: Any) -> str:
    if iv.stage == "consent":
        if iv.mode == "self" and current_record().role == "enumerator":
            return url_for("selfadmin.show", iid=iv.id)
        return url_for("interview.consent", iid=iv.id)
    if iv.stage in ("eligibility", "questions"):
        if iv.quota_pending:
            return url_for("interview.quota", iid=iv.id)
        return url_for("interview.question", iid=iv.id, qid=iv.current)
    if iv.stage == "review":
        return url_for("interview.finish", iid=iv.id)
    # ended but still held here: sealing did not complete; resume tries again
    return url_for("interview.resume", iid=iv.id)


def _ended(iv: Any) -> Any:
    """Seal an interview that has just ended and show its closing page."""
    st = state()
    rec = current_record()
    st.seal(iv)
    rec.done = {"form_id": iv.form.id, "outcome": iv.outcome, "lang": iv.lang,
                "keep_partial": iv.keep_partial}
    if rec.role == "respondent":
        rec.interview_id = None
    return redirect(url_for("interview.done"), code=303)


def _problem_text(p: Problem, lang: str) -> str:
    if p.text:
        return p.text
    msg = _translations(lang).gettext(p.message)
    return msg.format(**p.params) if p.params else msg


def _kind_label(kind: str, lang: str) -> str:
    from fieldkit.privacy import KIND_LABELS

    label = KIND_LABELS.get(kind)
    return _translations(lang).gettext(label) if label else kind


def _localise_placeholders(text: str, lang: str) -> str:
    """Show "[PHONE]" as "[फोन नंबर]" on a Marathi page (what is sealed keeps "[PHONE]")."""
    import re

    return re.sub(r"\[([A-Z_]+)\]", lambda m: f"[{_kind_label(m.group(1), lang)}]", text)


@bp.route("/<iid>")
def resume(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if iv.stage == "ended" and state().interviews.get(iid) is iv:
            return _ended(iv)            # a seal that failed earlier (e.g. disk full)
    if iv.mode == "self" and current_record().role == "enumerator":
        return redirect(url_for("selfadmin.show", iid=iid))
    return redirect(where(iv))


@bp.route("/<iid>/consent", methods=["GET", "POST"])
def consent(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if iv.stage != "consent":
            return redirect(where(iv))
        if request.method != "POST":
            return render_template("consent.html", iv=iv, error=None)
        action = request.form.get("action")
        if action == "refuse":
            iv.record_consent(False)
            return _ended(iv)
        if action != "agree":
            abort(400)
        mode = iv.self_consent_mode() if iv.mode == "self" else request.form.get("consent_mode")
        if mode not in iv.consent_modes():
            return render_template("consent.html", iv=iv,
                                   error=_translations(iv.lang).gettext(
                                       "Record how consent was given.")), 400
        iv.record_consent(True, mode)
        if iv.stage == "ended":
            return _ended(iv)
        return redirect(where(iv), code=303)


def _submitted(q: Any, form: Any) -> Any:
    """What was just sent, to show it again next to the problem (never stored)."""
    if q.type == "multiple_choice":
        return form.getlist("answer")
    if q.type == "ranking":
        order = [c for c in q.codes if form.get(f"rank_{c}")]
        return sorted(order, key=lambda c: form.get(f"rank_{c}"))
    if q.type in ("text", "long_text"):
        return form.get("text", "")
    if q.type == "banded_number":
        return form.get("number", "")
    return form.get("answer", "")


def _render_question(iv: Any, q: Any, problems: list[str], status: int = 200,
                     submitted: Any = None) -> Any:
    iv.shown()
    position, total = iv.progress()
    previous = iv.answers.get(q.id) if submitted is None else submitted
    if q.type == "banded_number" and submitted is not None:
        previous = iv.answers.get(q.id)
    ranks_raw: dict[str, str] = {}
    if submitted is not None and q.type == "ranking":
        ranks_raw = {c: request.form.get(f"rank_{c}", "") for c in q.codes}
    section = None
    if q.id not in {e.id for e in (iv.form.eligibility.questions if iv.form.eligibility
                                     else ())}:
        section = iv.form.section(q.section)
    ranks: dict[str, int] = {}
    if ranks_raw:
        ranks = {c: int(v) for c, v in ranks_raw.items() if v.isdigit()}
    elif q.type == "ranking" and isinstance(previous, list):
        ranks = {code: i + 1 for i, code in enumerate(previous)}
    number = submitted if (submitted is not None and q.type == "banded_number") else ""
    band_label = None
    if q.type == "banded_number" and isinstance(previous, str):
        band = q.option(previous)
        band_label = band.label.show(iv.lang) if band is not None else None
    return render_template(
        "question.html", iv=iv, q=q, options=iv.options(q), previous=previous,
        ranks=ranks, rank_limit=iv.rank_limit(q) if q.type == "ranking" else 0,
        band_label=band_label, problems=problems, position=position, total=total,
        number=number[:9],
        section=section, can_back=bool(iv.history)), status


@bp.route("/<iid>/q/<qid>", methods=["GET", "POST"])
def question(iid: str, qid: str) -> Any:
    iv = _load(iid)
    st = state()
    with iv.lock:
        if (request.method != "POST" and iv.stage == "review" and qid in iv.history):
            iv.goto(qid)                     # the browser's Back from the finish page
        if iv.stage not in ("eligibility", "questions") or iv.quota_pending:
            return redirect(where(iv))
        if request.method != "POST":
            if qid != iv.current and not iv.goto(qid):
                return redirect(where(iv))
            return _render_question(iv, iv.current_question(), [])
        if qid != iv.current:
            return redirect(where(iv), code=303)
        action = request.form.get("action", "next")
        if action not in ("next", "skip", "dk", "pna"):
            abort(400)
        try:
            problems = iv.answer(qid, action, request.form.to_dict(flat=False))
        except InterviewStateError:
            return redirect(where(iv), code=303)
        if problems:
            q = iv.current_question()
            return _render_question(iv, q, [_problem_text(p, iv.lang) for p in problems], 422,
                                    submitted=_submitted(q, request.form))
        if iv.needs_quota_check():
            iv.quota_checked_result(st.quota_full(iv))
        if iv.stage == "ended":
            return _ended(iv)
        return redirect(where(iv), code=303)


@bp.route("/<iid>/back", methods=["POST"])
def back(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if iv.stage == "review" or iv.stage in ("eligibility", "questions"):
            iv.back()
        return redirect(where(iv), code=303)


@bp.route("/<iid>/lang", methods=["POST"])
def language(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        iv.switch_language(normalise_language(request.form.get("lang")))
        target = safe_next(request.form.get("next"))
        if target is None or not target.startswith(f"/i/{iid}/"):
            target = where(iv)
        return redirect(target, code=303)


@bp.route("/<iid>/stop", methods=["GET", "POST"])
def stop(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if iv.stage == "ended":
            return redirect(where(iv))
        if request.method != "POST":
            return render_template("stop.html", iv=iv, back_to=where(iv))
        keep = request.form.get("keep")
        if keep not in ("yes", "no"):
            abort(400)
        iv.stop(keep == "yes")
        return _ended(iv)


@bp.route("/<iid>/quota", methods=["GET", "POST"])
def quota(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if not iv.quota_pending:
            return redirect(where(iv))
        if request.method != "POST":
            return render_template("quota.html", iv=iv, reasons=QUOTA_REASONS, error=False)
        reason = request.form.get("reason")
        if reason not in QUOTA_REASONS:
            return render_template("quota.html", iv=iv, reasons=QUOTA_REASONS, error=True), 400
        iv.continue_over_quota(reason)
        return redirect(where(iv), code=303)


@bp.route("/<iid>/finish", methods=["GET", "POST"])
def finish(iid: str) -> Any:
    iv = _load(iid)
    with iv.lock:
        if iv.stage != "review":
            return redirect(where(iv))
        if request.method != "POST":
            from fieldkit.privacy import redact

            red = redact_answers(iv, redact)
            shown = []
            for qid, result in red.by_question.items():
                if result.counts:
                    shown.append({"q": iv.form.question(qid),
                                  "text": _localise_placeholders(result.text, iv.lang)})
            kinds = [(_kind_label(k, iv.lang), n) for k, n in sorted(red.counts.items())]
            return render_template("finish.html", iv=iv, redacted=shown, kinds=kinds)
        iv.complete()
        return _ended(iv)


@bp.route("/done")
def done() -> Any:
    rec = current_record()
    info = rec.done or {}
    st = state()
    form = st.forms.get(info.get("form_id", ""))
    if info.get("lang"):
        g.lang = info["lang"]
    closing = None
    if form is not None and info.get("outcome") == "refused":
        closing = form.consent.on_refusal.show(g.lang)
    elif form is not None and info.get("outcome") == "ineligible" and form.eligibility:
        closing = form.eligibility.not_eligible.show(g.lang)
    if rec.role == "enumerator":
        g.lang = rec.ui_lang if not info.get("lang") else info["lang"]
    return render_template("done.html", info=info, closing=closing)
