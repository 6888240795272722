"""Home (today's outcomes, waiting to sync, last sync, quota status) and Start."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from fieldkit.i18n import LANGUAGES, normalise_language
from fieldkit.station.app import _, current_record, page_lang, render_error, state

bp = Blueprint("home", __name__)


def _site_options(form: Any) -> list[Any]:
    try:
        return list(form.question("site").options)
    except KeyError:
        return []


def _quota_rows(st: Any) -> list[dict[str, Any]]:
    """Quota status per cell as last received from the aggregator (empty before a sync)."""
    from fieldkit.quotas import parse_cell_key

    rows = []
    quotas = st.store.get("quotas", {}) or {}
    for form_id in sorted(quotas):
        form = st.forms.get(form_id)
        for key in sorted(quotas[form_id]):
            entry = quotas[form_id][key] or {}
            try:
                cell = parse_cell_key(key)
            except Exception:  # a cell key we cannot read: show it as it came
                cell = {"": key}
            labels = []
            for field, code in cell.items():
                label = code
                if form is not None:
                    try:
                        opt = form.question(field).option(code)
                        if opt is not None:
                            label = opt.label.show(page_lang())
                    except KeyError:
                        pass
                labels.append(label)
            rows.append({"form": form.title.show(page_lang()) if form else form_id,
                         "cell": " · ".join(labels), "key": key,
                         "count": entry.get("count"), "target": entry.get("target"),
                         "allocation": entry.get("allocation"),
                         "status": entry.get("status")})
    return rows


def _training_outcomes(st: Any) -> dict[str, int]:
    """Today's outcomes of training interviews (the outbox's stats count real ones only)."""
    from datetime import datetime

    today = datetime.now().astimezone().date()
    counts: dict[str, int] = {}
    for item in st.outbox.items(include_training=True):
        h = item.header
        ended = datetime.fromisoformat(h["ended_at"].replace("Z", "+00:00")).astimezone()
        if h.get("training") and ended.date() == today:
            counts[h["outcome"]] = counts.get(h["outcome"], 0) + 1
    return counts


@bp.route("/")
def index() -> Any:
    st = state()
    rec = current_record()
    with st.db_lock:
        stats = st.outbox.stats()
        if st.training:
            stats = {**stats, "outcomes": _training_outcomes(st)}
        last_sync = st.store.get("last_sync_at")
        enrolled = bool(st.store.get("credential"))
        sync_error = st.store.get("last_sync_error")
        revoked = bool(st.store.get("revoked"))
    open_interviews = [iv for iv in st.interviews.open_for(rec.enumerator)]
    return render_template(
        "home.html", stats=stats, last_sync=last_sync, quotas=_quota_rows(st),
        open_interviews=open_interviews, enrolled=enrolled, sync_error=sync_error,
        forms=st.available_forms(), ready=st.ready(), revoked=revoked,
        message=request.args.get("m"))


@bp.route("/start", methods=["GET", "POST"])
def start() -> Any:
    st = state()
    rec = current_record()
    forms = st.available_forms()
    if request.method != "POST":
        chosen = st.forms.get(request.args.get("form", "")) if request.args.get("form") else None
        if chosen is None and len(forms) == 1:
            chosen = forms[0]
        return render_template("start.html", forms=forms, chosen=chosen,
                               sites=_site_options(chosen) if chosen else [],
                               ready=st.ready(), error=None)
    form = st.forms.get(request.form.get("form", ""))
    if form is None:
        return render_error("station.unknown_form", 404)
    if not st.form_allowed(form):
        return render_error("station.form_not_approved", 403, form=form.id)
    if not st.ready():
        return render_error("station.not_enrolled", 409)
    if st.store.get("revoked") and not st.training:
        return render_error("station.revoked", 403)
    lang = normalise_language(request.form.get("language") or rec.ui_lang)
    if lang not in form.languages or lang not in LANGUAGES:
        lang = form.languages[0]
    mode = request.form.get("mode", "laptop")
    if mode not in ("laptop", "self"):
        abort(400)
    sites = _site_options(form)
    site = request.form.get("site") or None
    if sites and site not in {o.code for o in sites}:
        return render_template("start.html", forms=forms, chosen=form, sites=sites,
                               ready=True, error=_("Choose the site.")), 400
    if not sites:
        site = None
    iv = st.start_interview(form, lang=lang, mode=mode, enumerator=rec.enumerator, site=site)
    if mode == "self":
        return redirect(url_for("selfadmin.show", iid=iv.id), code=303)
    return redirect(url_for("interview.consent", iid=iv.id), code=303)


@bp.route("/sync", methods=["POST"])
def sync() -> Any:
    from fieldkit.station.syncing import sync_now

    st = state()
    result = sync_now(st)
    return redirect(url_for("home.index", m=result), code=303)
