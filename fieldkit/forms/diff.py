"""Semantic diff between two versions of a form: what an IRB reviewer must re-read.

``diff_forms(old, new)`` compares two loaded ``Form`` objects (not their YAML text, so
comments, key order and quoting never show up) and returns ``Change`` items in form
order: questions and sections added, removed or moved; every text changed, per
language; options and bands added, removed, relabelled or reordered; skip logic,
constraints and eligibility changed; the consent script, question, refusal text and
modes changed; and settings (type, don't-know, randomisation...) changed.

Each change renders as a sentence in en, hi or mr (``Change.describe(lang)``), for the
terminal (``fieldkit forms diff``) and the review packet.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fieldkit.forms.model import Form, Question, Section, Text
from fieldkit.i18n import LANGUAGES, N_, gettext

# kinds of change
ADDED = "added"
REMOVED = "removed"
MOVED = "moved"
TEXT = "text"
OPTIONS = "options"
LOGIC = "logic"
CONSENT = "consent"
SETTING = "setting"

_TEMPLATES = {
    ("question", ADDED): N_("Question '{question}' was added to section '{section}'."),
    ("question", REMOVED): N_("Question '{question}' was removed."),
    ("question", MOVED): N_("Question '{question}' moved (section '{old}' → '{new}')."),
    ("question", "reordered"): N_("Question '{question}' moved within section '{section}'."),
    ("section", ADDED): N_("Section '{question}' was added."),
    ("section", REMOVED): N_("Section '{question}' was removed."),
    ("section", MOVED): N_("Section '{question}' moved."),
    ("text", TEXT): N_("The {language} text of {where} changed."),
    ("text", "added"): N_("The {language} text of {where} was added."),
    ("text", "removed"): N_("The {language} text of {where} was removed."),
    ("option", ADDED): N_("Option '{code}' was added to {where}."),
    ("option", REMOVED): N_("Option '{code}' was removed from {where}."),
    ("option", "reordered"): N_("The options of {where} were reordered."),
    ("band", "range"): N_("Band '{code}' of {where} now covers {new} (was {old})."),
    ("logic", "relevant"): N_("The skip logic of {where} changed."),
    ("logic", "constraint"): N_("The constraint of {where} changed."),
    ("logic", "eligible_if"): N_("The eligibility rule changed."),
    ("consent", "modes"): N_("The ways consent may be given changed."),
    ("setting", SETTING): N_("'{field}' of {where} changed."),
}


@dataclass(frozen=True)
class Change:
    kind: str                  # added, removed, moved, text, options, logic, consent, setting
    question: str | None       # question or section id; None for the form itself
    field: str | None          # label, hint, options.yes.label, relevant, consent.script...
    lang: str | None = None    # for text changes
    old: Any = None
    new: Any = None
    template: tuple[str, str] = ("setting", SETTING)
    params: tuple[tuple[str, Any], ...] = ()

    def describe(self, lang: str = "en") -> str:
        params = dict(self.params)
        params.setdefault("question", self.question or "")
        params.setdefault("field", self.field or "")
        params.setdefault("where", _where(self, lang))
        if self.lang:
            params.setdefault("language", gettext(lang, _LANGUAGE_WORDS[self.lang]))
        return gettext(lang, _TEMPLATES[self.template]).format(**params)

    @property
    def consent(self) -> bool:
        return self.kind == CONSENT

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"kind": self.kind, "question": self.question, "field": self.field,
                "lang": self.lang, "old": _plain(self.old), "new": _plain(self.new),
                "description": self.describe(lang)}


_LANGUAGE_WORDS = {"en": N_("English"), "hi": N_("Hindi"), "mr": N_("Marathi")}
_FORM_FIELDS = {
    "title": N_("the title"), "description": N_("the description"),
    "consent.script": N_("the consent script"), "consent.question": N_("the consent question"),
    "consent.on_refusal": N_("the text shown on refusal"),
    "eligibility.not_eligible": N_("the not-eligible text"),
}


def _where(change: Change, lang: str) -> str:
    field = change.field or ""
    if change.question is None:
        base = field.rsplit(".", 1)[0] if field.endswith(tuple(f".{x}" for x in LANGUAGES)) \
            else field
        return gettext(lang, _FORM_FIELDS.get(base, base)) if base else ""
    return f"'{change.question}'" + (f" ({field})" if field else "")


def _plain(value: Any) -> Any:
    if isinstance(value, Text):
        return dict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# --- comparing ---------------------------------------------------------------------

def _texts(qid: str | None, field: str, old: Text | None, new: Text | None,
           kind: str = TEXT) -> Iterator[Change]:
    old_t = dict(old) if old is not None else {}
    new_t = dict(new) if new is not None else {}
    for lang in LANGUAGES:
        a, b = (old_t.get(lang) or "").strip(), (new_t.get(lang) or "").strip()
        if a == b:
            continue
        sub = TEXT if a and b else ("added" if b else "removed")
        yield Change(kind, qid, field, lang, a or None, b or None, ("text", sub))


def _order_moves(old_ids: Sequence[str], new_ids: Sequence[str]) -> set[str]:
    """Ids common to both whose relative order changed: those outside the longest
    common subsequence of the two orders."""
    common = [i for i in old_ids if i in set(new_ids)]
    new_common = [i for i in new_ids if i in set(old_ids)]
    n, m = len(common), len(new_common)
    lcs = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            lcs[i][j] = (lcs[i + 1][j + 1] + 1 if common[i] == new_common[j]
                         else max(lcs[i + 1][j], lcs[i][j + 1]))
    keep: set[str] = set()
    i = j = 0
    while i < n and j < m:
        if common[i] == new_common[j]:
            keep.add(common[i])
            i += 1
            j += 1
        elif lcs[i + 1][j] >= lcs[i][j + 1]:
            i += 1
        else:
            j += 1
    return set(common) - keep


def _options(q_old: Question, q_new: Question) -> Iterator[Change]:
    qid = q_new.id
    if q_new.type == "true_false" and q_old.type == "true_false":
        return
    for kind, old_items, new_items in (("options", q_old.options, q_new.options),
                                       ("bands", q_old.bands, q_new.bands)):
        old_by = {o.code: o for o in old_items}
        new_by = {o.code: o for o in new_items}
        for o in new_items:
            if o.code not in old_by:
                yield Change(OPTIONS, qid, kind, None, None, dict(o.label), ("option", ADDED),
                             (("code", o.code),))
        for o in old_items:
            if o.code not in new_by:
                yield Change(OPTIONS, qid, kind, None, dict(o.label), None,
                             ("option", REMOVED), (("code", o.code),))
        if _order_moves([o.code for o in old_items], [o.code for o in new_items]):
            yield Change(OPTIONS, qid, kind, None, [o.code for o in old_items],
                         [o.code for o in new_items], ("option", "reordered"))
        for o in new_items:
            before = old_by.get(o.code)
            if before is None:
                continue
            yield from _texts(qid, f"{kind}.{o.code}.label", before.label, o.label, OPTIONS)
            if kind == "bands" and (before.min, before.max) != (o.min, o.max):
                yield Change(OPTIONS, qid, kind, None, _range(before), _range(o),
                             ("band", "range"),
                             (("code", o.code), ("old", _range(before)), ("new", _range(o))))


def _range(band: Any) -> str:
    lo = "" if band.min is None else str(band.min)
    hi = "" if band.max is None else str(band.max)
    return f"{lo}–{hi}"


_SETTINGS = ("type", "randomize", "exclusive", "rank", "max_length", "dont_know",
             "prefer_not_to_answer", "required")


def _question(q_old: Question, q_new: Question) -> Iterator[Change]:
    qid = q_new.id
    for name in _SETTINGS:
        a, b = getattr(q_old, name), getattr(q_new, name)
        if a != b:
            yield Change(SETTING, qid, name, None, a, b)
    for name in ("label", "hint", "prompt", "unit", "constraint_message"):
        yield from _texts(qid, name, getattr(q_old, name), getattr(q_new, name))
    yield from _options(q_old, q_new)
    for name in ("relevant", "constraint"):
        a, b = getattr(q_old, name), getattr(q_new, name)
        src_a, src_b = (a.source if a else None), (b.source if b else None)
        if src_a != src_b:
            yield Change(LOGIC, qid, name, None, src_a, src_b, ("logic", name))


def _section_of(form: Form) -> dict[str, str]:
    out = {q.id: q.section for q in form.all_questions}
    return out


def diff_forms(old: Form, new: Form) -> list[Change]:
    """Every change from ``old`` to ``new``, in the order a reviewer reads the form."""
    changes: list[Change] = []
    add = changes.append
    for name in ("title", "description"):
        changes.extend(_texts(None, name, getattr(old, name), getattr(new, name)))
    for name in ("version", "respondent_group", "risk_level", "mode", "languages",
                 "quota_fields"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            add(Change(SETTING, None, name, None, _plain(a), _plain(b)))
    # consent
    for name in ("script", "question", "on_refusal"):
        changes.extend(_texts(None, f"consent.{name}", getattr(old.consent, name),
                              getattr(new.consent, name), CONSENT))
    if old.consent.modes != new.consent.modes:
        add(Change(CONSENT, None, "consent.modes", None, list(old.consent.modes),
                   list(new.consent.modes), ("consent", "modes")))
    # eligibility rule and closing text
    oe, ne = old.eligibility, new.eligibility
    src_a = oe.eligible_if.source if oe and oe.eligible_if else None
    src_b = ne.eligible_if.source if ne and ne.eligible_if else None
    if src_a != src_b:
        add(Change(LOGIC, None, "eligibility.eligible_if", None, src_a, src_b,
                   ("logic", "eligible_if")))
    changes.extend(_texts(None, "eligibility.not_eligible", oe.not_eligible if oe else None,
                          ne.not_eligible if ne else None))
    # sections
    old_secs = {s.id: s for s in old.sections}
    new_secs = {s.id: s for s in new.sections}
    moved_secs = _order_moves(list(old_secs), list(new_secs))
    old_q = {q.id: q for q in old.all_questions}
    old_section = _section_of(old)
    new_order = [q.id for q in new.all_questions]
    old_order = [q.id for q in old.all_questions]
    reordered = _order_moves(old_order, new_order)
    sections: list[tuple[str, Section | None]] = []
    if new.eligibility is not None or old.eligibility is not None:
        sections.append(("eligibility", None))
    sections.extend((s.id, s) for s in new.sections)
    for sid, section in sections:
        if section is not None:
            before = old_secs.get(sid)
            if before is None:
                add(Change(ADDED, sid, None, None, None, dict(section.title),
                           ("section", ADDED)))
            else:
                if sid in moved_secs:
                    add(Change(MOVED, sid, None, None, None, None, ("section", MOVED)))
                changes.extend(_texts(sid, "title", before.title, section.title))
                a = before.relevant.source if before.relevant else None
                b = section.relevant.source if section.relevant else None
                if a != b:
                    add(Change(LOGIC, sid, "relevant", None, a, b, ("logic", "relevant")))
            questions = section.questions
        else:
            questions = new.eligibility.questions if new.eligibility else ()
        for q in questions:
            before_q = old_q.get(q.id)
            if before_q is None:
                add(Change(ADDED, q.id, None, None, None, dict(q.label),
                           ("question", ADDED), (("section", sid),)))
                continue
            if old_section[q.id] != q.section:
                add(Change(MOVED, q.id, "section", None, old_section[q.id], q.section,
                           ("question", MOVED),
                           (("old", old_section[q.id]), ("new", q.section))))
            elif q.id in reordered:
                add(Change(MOVED, q.id, None, None, None, None, ("question", "reordered"),
                           (("section", sid),)))
            changes.extend(_question(before_q, q))
    new_ids = set(new_order)
    for q in old.all_questions:
        if q.id not in new_ids:
            add(Change(REMOVED, q.id, None, None, dict(q.label), None,
                       ("question", REMOVED)))
    for sid in old_secs:
        if sid not in new_secs:
            add(Change(REMOVED, sid, None, None, dict(old_secs[sid].title), None,
                       ("section", REMOVED)))
    return changes


def summary_counts(changes: Sequence[Change]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts
