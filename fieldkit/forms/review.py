"""The IRB review packet: one self-contained HTML file per form version.

``render_packet(form, lang=..., findings=..., since=...)`` returns the HTML: the whole
form with English, Hindi and Marathi side by side, the consent script, skip logic and
constraints in words, the lint report, the content hash and -- given the version the
IRB approved before -- every change since. Nothing is fetched when it is opened: the
CSS is inline and the Noto Sans Devanagari subset (OFL) is embedded as a data URL, so
the file can be e-mailed, archived with the approval and printed (A4 landscape).

Flask-free: plain Jinja2 with the gettext catalogs of ``fieldkit.i18n`` (domain
``review`` holds the packet's own words).
"""

from __future__ import annotations

import base64
import difflib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from fieldkit.forms.diff import Change, diff_forms
from fieldkit.forms.findings import ERROR, Finding
from fieldkit.forms.model import Form, Question
from fieldkit.i18n import LANGUAGE_NAMES, LANGUAGES, N_, gettext, normalise_language, translations

TEMPLATES = Path(__file__).resolve().parent / "templates"
FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / \
    "NotoSansDevanagari-subset.woff2"

TYPE_NAMES = {
    "single_choice": N_("single choice"), "multiple_choice": N_("multiple choice"),
    "scale": N_("scale (low to high)"), "true_false": N_("true / false / not sure"),
    "ranking": N_("ranking"), "banded_number": N_("number, stored as a band"),
    "text": N_("short text"), "long_text": N_("long text"), "note": N_("note (no answer)"),
}
MODE_NAMES = {"interviewer": N_("interviewer-administered"), "self": N_("self-administered"),
              "guide": N_("in-depth interview guide")}
RISK_NAMES = {"standard": N_("standard"),
              "offender_exposure": N_("offender exposure: respondents may be offenders")}
CONSENT_MODE_NAMES = {"verbal": N_("verbal"), "written": N_("written")}


# --- expressions in words -------------------------------------------------------------

_WORDS = {
    "is": N_("{q} is {v}"),
    "is_not": N_("{q} is not {v}"),
    "lt": N_("{q} is less than {v}"),
    "le": N_("{q} is at most {v}"),
    "gt": N_("{q} is more than {v}"),
    "ge": N_("{q} is at least {v}"),
    "includes": N_("{q} includes {v}"),
    "excludes": N_("{q} does not include {v}"),
    "one_of": N_("{q} is one of {v}"),
    "none_of": N_("{q} is none of {v}"),
    "list_sep": N_(", "),
    "answered": N_("{q} was answered"),
    "count": N_("the number of answers chosen in {q}"),
    "and": N_("{a} and {b}"),
    "or": N_("{a} or {b}"),
    "not": N_("not ({a})"),
    "this_answer": N_("the answer"),
    "true": N_("yes"),
    "false": N_("no"),
    "nothing": N_("nothing"),
    "shown_if": N_("Shown only if {condition}."),
    "accepted_if": N_("Accepted only if {condition}."),
    "eligible_if": N_("Eligible only if {condition}."),
}
_CMP = {"=": "is", "!=": "is_not", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


class _Words:
    """Turns an expression tree into a sentence in ``lang``, naming questions by their
    label and options by their label (in that language)."""

    def __init__(self, form: Form, lang: str, current: Question | None = None) -> None:
        self.lang = lang
        self.by_id = {q.id: q for q in form.all_questions}
        self.current = current

    def t(self, key: str, **params: str) -> str:
        return gettext(self.lang, _WORDS[key]).format(**params)

    def q(self, qid: str) -> str:
        """A question named by its label, in quotes (shortened when long)."""
        q = self.by_id.get(qid)
        if q is None:
            return f"“{qid}”"
        label = " ".join(q.label.show(self.lang).split())
        return f"“{label}”" if len(label) <= 90 else f"“{label[:87].rstrip()}…”"

    def value(self, node: Any, about: str | None) -> str:
        if node[0] == "lit":
            v = node[1]
            if isinstance(v, bool):
                return self.t("true" if v else "false")
            if v is None:
                return self.t("nothing")
            if isinstance(v, str) and about is not None:
                q = self.by_id.get(about)
                option = q.option(v) if q is not None else None
                if option is not None:
                    return f"“{option.label.show(self.lang)}”"
            return f"“{v}”" if isinstance(v, str) else str(v)
        return self.say(node)

    def subject(self, node: Any) -> tuple[str, str | None]:
        """(words, question id) for the left side of a comparison."""
        if node[0] == "ref":
            return self.q(node[1]), node[1]
        if node[0] == "cur":
            qid = self.current.id if self.current else None
            return self.t("this_answer"), qid
        if node[0] == "fn" and node[1] == "count":
            return self.t("count", q=self.q(node[2])), None
        return self.say(node), None

    def chain(self, node: Any, kind: str) -> list[str]:
        """The parts of an and/or chain in words; "q = 'a' or q = 'b'" becomes one part
        "q is one of a, b" (and "q != 'a' and q != 'b'": "q is none of a, b")."""
        leaves: list[Any] = []

        def flatten(n: Any) -> None:
            if n[0] == kind:
                flatten(n[1])
                flatten(n[2])
            else:
                leaves.append(n)
        flatten(node)
        want = "=" if kind == "or" else "!="
        groups: dict[str, list[str]] = {}
        order: list[Any] = []
        for leaf in leaves:
            qid = code = None
            if leaf[0] == "cmp" and leaf[1] == want and leaf[2][0] == "ref" \
                    and leaf[3][0] == "lit" and isinstance(leaf[3][1], str):
                qid, code = leaf[2][1], leaf[3][1]
            elif kind == "or" and leaf[0] == "fn" and leaf[1] == "selected":
                qid, code = leaf[2], leaf[3]
            if qid is None:
                order.append(leaf)
                continue
            if qid not in groups:
                groups[qid] = []
                order.append(("group", qid))
            groups[qid].append(code)
        parts = []
        for item in order:
            if item[0] == "group":
                qid = item[1]
                codes = groups[qid]
                if len(codes) == 1:
                    node1 = (("cmp", want, ("ref", qid), ("lit", codes[0]))
                             if want == "!=" or self.by_id.get(qid) is None
                             or self.by_id[qid].type not in ("multiple_choice", "ranking")
                             else ("fn", "selected", qid, codes[0]))
                    parts.append(self.say(node1, kind))
                else:
                    values = self.t("list_sep").join(self.value(("lit", c), qid) for c in codes)
                    key = "one_of" if kind == "or" else "none_of"
                    parts.append(self.t(key, q=self.q(qid), v=values))
            else:
                parts.append(self.say(item, kind))
        return parts

    def say(self, node: Any, parent: str | None = None) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            parts = self.chain(node, kind)
            text = parts[0]
            for part in parts[1:]:
                text = self.t(kind, a=text, b=part)
            return f"({text})" if parent is not None and parent != kind and len(parts) > 1 \
                else text
        if kind == "not":
            inner = node[1]
            if inner[0] == "cmp" and inner[1] in ("=", "!="):
                flipped = "!=" if inner[1] == "=" else "="
                return self.say(("cmp", flipped, inner[2], inner[3]), parent)
            if inner[0] == "fn" and inner[1] == "selected":
                q = self.by_id.get(inner[2])
                key = "excludes" if q is not None and q.type in ("multiple_choice",
                                                                  "ranking") else "is_not"
                return self.t(key, q=self.q(inner[2]), v=self.value(("lit", inner[3]),
                                                                       inner[2]))
            return self.t("not", a=self.say(inner))
        if kind == "cmp":
            _, op, left, right = node
            if left[0] == "lit" and right[0] != "lit":
                left, right = right, left
                op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            words, about = self.subject(left)
            return self.t(_CMP[op], q=words, v=self.value(right, about))
        if kind == "fn":
            _, name, qid, arg = node
            if name == "selected":
                q = self.by_id.get(qid)
                key = "includes" if q is not None and q.type in ("multiple_choice",
                                                                  "ranking") else "is"
                return self.t(key, q=self.q(qid), v=self.value(("lit", arg), qid))
            if name == "answered":
                return self.t("answered", q=self.q(qid))
            return self.t("count", q=self.q(qid))
        if kind == "ref":
            return self.q(node[1])
        if kind == "cur":
            return self.t("this_answer")
        return self.value(node, None)


def in_words(form: Form, expr: Any, lang: str, *, kind: str = "shown_if",
             current: Question | None = None) -> str:
    """``expr`` (an Expr) as a sentence: "Shown only if “Have you received training?”
    is “Yes”."."""
    words = _Words(form, lang, current)
    return words.t(kind, condition=words.say(expr.tree))


# --- the packet -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _font_data_url() -> str:
    data = FONT.read_bytes()
    return "data:font/woff2;base64," + base64.b64encode(data).decode("ascii")


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(("html", "j2")),
        extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined)
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def _question_view(form: Form, q: Question, lang: str) -> dict[str, Any]:
    flags = []
    if q.dont_know:
        flags.append(gettext(lang, N_("“Don't know” offered")))
    if q.prefer_not_to_answer:
        flags.append(gettext(lang, N_("“Prefer not to answer” offered")))
    if q.randomize:
        flags.append(gettext(lang, N_("option order shuffled per interview")))
    if q.type == "ranking" and q.rank is not None:
        flags.append(gettext(lang, N_("rank {k} of {n}"), k=q.rank, n=len(q.options)))
    if q.exclusive:
        flags.append(gettext(lang, N_("stands alone: {codes}"), codes=", ".join(q.exclusive)))
    if q.max_length and q.type in ("text", "long_text"):
        flags.append(gettext(lang, N_("at most {n} characters; passes the PII redactor"),
                             n=q.max_length))
    if q.required:
        flags.append(gettext(lang, N_("marked 'required' (refused by the linter)")))
    logic = []
    if q.relevant is not None:
        logic.append(in_words(form, q.relevant, lang, kind="shown_if"))
    if q.constraint is not None:
        logic.append(in_words(form, q.constraint, lang, kind="accepted_if", current=q))
    columns = []
    for col_lang in LANGUAGES:
        items = [(o.code, o.label.get(col_lang, ""), None) for o in q.options]
        items += [(b.code, b.label.get(col_lang, ""), _band_range(b)) for b in q.bands]
        columns.append({
            "lang": col_lang,
            "label": q.label.get(col_lang, ""),
            "hint": q.hint.get(col_lang, "") if q.hint else "",
            "prompt": q.prompt.get(col_lang, "") if q.prompt else "",
            "prompt_tag": gettext(col_lang, N_("Interviewer")),
            "unit": q.unit.get(col_lang, "") if q.unit else "",
            "constraint_message": (q.constraint_message.get(col_lang, "")
                                   if q.constraint_message else ""),
            "choices": items,
            "extras": [form.builtin[k].get(col_lang, "") for k, on in
                       (("dont_know", q.dont_know),
                        ("prefer_not_to_answer", q.prefer_not_to_answer)) if on],
        })
    return {"id": q.id, "type": gettext(lang, TYPE_NAMES.get(q.type, q.type)),
            "raw_type": q.type, "flags": flags, "logic": logic, "columns": columns,
            "relevant_source": q.relevant.source if q.relevant else None,
            "constraint_source": q.constraint.source if q.constraint else None}


def _band_range(band: Any) -> str:
    if band.min is None:
        return f"≤ {band.max}"
    if band.max is None:
        return f"≥ {band.min}"
    return f"{band.min}–{band.max}"


def _texts(text: Any) -> list[dict[str, str]]:
    return [{"lang": lg, "text": (text.get(lg, "") if text is not None else "")}
            for lg in LANGUAGES]


def render_packet(form: Form, *, lang: str = "en", findings: Sequence[Finding] = (),
                  since: Form | None = None) -> str:
    """The review packet of ``form`` as one HTML document."""
    lang = normalise_language(lang)
    changes: list[Change] = diff_forms(since, form) if since is not None else []
    sections = []
    if form.eligibility is not None:
        e = form.eligibility
        sections.append({
            "id": "eligibility", "title": _texts(None), "is_eligibility": True,
            "nav_title": "",
            "logic": [in_words(form, e.eligible_if, lang, kind="eligible_if")]
            if e.eligible_if is not None else [],
            "closing": _texts(e.not_eligible),
            "questions": [_question_view(form, q, lang) for q in e.questions]})
    for s in form.sections:
        sections.append({
            "id": s.id, "title": _texts(s.title), "is_eligibility": False,
            "nav_title": s.title.show(lang),
            "logic": [in_words(form, s.relevant, lang)] if s.relevant is not None else [],
            "closing": None,
            "questions": [_question_view(form, q, lang) for q in s.questions]})
    by_question: dict[str, list[dict[str, str]]] = {}
    for f in findings:
        if f.question:
            by_question.setdefault(f.question, []).append(
                {"severity": f.severity, "code": f.code, "message": f.message(lang)})
    for section in sections:
        for q in section["questions"]:
            q["findings"] = by_question.get(q["id"], [])
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity != ERROR]
    changed_ids = {c.question for c in changes if c.question}
    env = _environment(lang)
    return env.get_template("review_packet.html.j2").render(
        form=form, lang=lang, html_lang=lang, languages=LANGUAGES,
        language_names=LANGUAGE_NAMES,
        title=_texts(form.title), description=_texts(form.description),
        consent={"script": _texts(form.consent.script),
                 "question": _texts(form.consent.question),
                 "on_refusal": _texts(form.consent.on_refusal),
                 "modes": [gettext(lang, CONSENT_MODE_NAMES.get(m, m))
                           for m in form.consent.modes]},
        mode=gettext(lang, MODE_NAMES.get(form.mode, form.mode)),
        risk=gettext(lang, RISK_NAMES.get(form.risk_level, form.risk_level)),
        offender_exposure=form.risk_level == "offender_exposure",
        sections=sections, question_count=len(form.all_questions),
        findings=[{"severity": f.severity, "code": f.code, "question": f.question or "",
                   "field": f.field or "", "message": f.message(lang), "fix": f.fix(lang)}
                  for f in [*errors, *warnings]],
        n_errors=len(errors), n_warnings=len(warnings),
        since=since, changes=[_change_view(c, lang) for c in changes],
        changed_ids=changed_ids, font_url=_font_data_url(),
        anchors={**{s["id"]: f"s-{s['id']}" for s in sections},
                 **{q["id"]: f"q-{q['id']}" for s in sections for q in s["questions"]}},
    )


def _word_diff(old: str, new: str) -> tuple[Markup, Markup]:
    """Old and new text with the removed words in <del> and the added words in <ins>,
    so a reviewer sees what changed inside a long consent script."""
    a, b = old.split(" "), new.split(" ")
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        left, right = str(escape(" ".join(a[i1:i2]))), str(escape(" ".join(b[j1:j2])))
        if op == "equal":
            out_a.append(left)
            out_b.append(right)
            continue
        if left:
            out_a.append(f"<del>{left}</del>")
        if right:
            out_b.append(f"<ins>{right}</ins>")
    return Markup(" ".join(out_a)), Markup(" ".join(out_b))


def _change_view(change: Change, lang: str) -> dict[str, Any]:
    def show(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, dict):
            return " / ".join(f"{v}" for k, v in value.items() if v)
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return str(value)
    old, new = show(change.old), show(change.new)
    if isinstance(change.old, str) and isinstance(change.new, str):
        old, new = _word_diff(change.old, change.new)      # type: ignore[assignment]
    return {"kind": change.kind, "question": change.question or "",
            "field": change.field or "", "lang": change.lang or "",
            "description": change.describe(lang), "old": old, "new": new}


def packet_for_file(path: str | Path, *, lang: str = "en",
                    since: str | Path | None = None) -> str:
    """Load, lint and render the packet of the form file ``path`` (and the changes since
    the file ``since``). Raises FormLoadError when a file does not load."""
    from fieldkit.forms.lint import lint_paths
    from fieldkit.forms.loader import load_form

    form = load_form(path)
    old = load_form(since) if since is not None else None
    return render_packet(form, lang=lang, findings=lint_paths([path]), since=old)
