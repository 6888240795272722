"""Consent comes first, in every language, and says what the study promises.

- the consent script must exist (its translations are checked by the translations
  rule with the other texts);
- each language's script should say that the study is research, that answers are
  anonymous, that any question may be skipped, that the respondent may stop at any
  time and that taking part is voluntary (one warning per missing point);
- consent is taken by the consent block, before eligibility and sections: a question
  that asks for consent is an error, and a file that puts ``consent:`` after the
  questions gets a warning (reviewers read the file in order).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fieldkit.forms.findings import WARNING, Finding
from fieldkit.forms.lint._base import finding
from fieldkit.forms.lint._text import normalise
from fieldkit.forms.model import Form
from fieldkit.i18n import LANGUAGES

# point -> language -> what a script that makes the point contains
ELEMENTS: dict[str, dict[str, re.Pattern[str]]] = {
    "purpose": {
        "en": re.compile(r"\b(research|study|survey)\b"),
        "hi": re.compile(r"शोध|अनुसंधान|अध्ययन|रिसर्च"),
        "mr": re.compile(r"संशोधन|अभ्यास|अध्ययन|रिसर्च"),
    },
    "anonymity": {
        "en": re.compile(r"\banonym|\bno names?\b|\bnot (ask|record|write|store|keep)\w*[^.]*"
                         r"\bnames?\b|\bnothing that identifies\b|\bconfidential"),
        "hi": re.compile(r"गुमनाम|अनाम|गोपनीय|पहचान (नहीं|न)|नाम (नहीं|न) "),
        "mr": re.compile(r"निनावी|अनामिक|गोपनीय|ओळख (पटेल|पटणार|उघड)|नाव (विचारले|लिहिले|"
                         r"नोंदवले) जाणार नाही"),
    },
    "skip": {
        "en": re.compile(r"\bskip|\bnot (to )?answer\b|\bdecline to answer|\bdo not want to "
                         r"answer|\bdon't want to answer"),
        "hi": re.compile(r"छोड|जवाब (न|नहीं) (दे|देना)|उत्तर (न|नहीं) (दे|देना)"),
        "mr": re.compile(r"वगळ|सोडून|सोडू|उत्तर न देण्याचा|उत्तर देणे टाळ"),
    },
    "stop": {
        "en": re.compile(r"\bstop|\bend the (interview|survey)|\bwithdraw|\bquit\b|"
                         r"\bleave at any time"),
        "hi": re.compile(r"रोक|रुक|बंद|समाप्त|खत्म|बीच में"),
        "mr": re.compile(r"थांब|बंद|संपव|मध्येच"),
    },
    "voluntary": {
        "en": re.compile(r"\bvoluntar|\byour choice\b|\bfree to\b|\bnot obliged\b|"
                         r"\bno obligation\b|\bup to you\b|\byou decide\b|\byour decision\b"),
        "hi": re.compile(r"स्वैच्छिक|स्वेच्छा|मर्जी|इच्छा|आप (तय|फैसला|निर्णय)|आपका (फैसला|निर्णय)"),
        "mr": re.compile(r"ऐच्छिक|स्वेच्छ|इच्छे|मर्जी|ठरवा|ठरवायचे|तुमचा निर्णय"),
    },
}

_ASKS_CONSENT = {
    "en": re.compile(r"\b(do you|are you|you) (agree|consent|willing|happy)\b[^.?]*"
                     r"\b(take part|participate|participation|interview|survey|study|"
                     r"continue|answer (the|these|our) questions)\b|\bgive (your )?consent\b|"
                     r"\binformed consent\b"),
    "hi": re.compile(r"(सहमत|सहमति|राजी|तैयार)[^।?]*(भाग|हिस्सा|साक्षात्कार|अध्ययन|सर्वे|"
                     r"सर्वेक्षण|बातचीत)|(भाग|हिस्सा) (लेने|लेना)[^।?]*(सहमत|सहमति|तैयार)"),
    "mr": re.compile(r"(संमती|तयार|राजी)[^.?]*(सहभागी|मुलाखत|अभ्यास|सर्वेक्षण)|"
                     r"(सहभागी|भाग घेण्यास)[^.?]*(संमती|तयार)"),
}


def check(form: Form) -> Iterator[Finding]:
    script = form.consent.script
    if not any((script.get(lang) or "").strip() for lang in LANGUAGES):
        yield finding(form, "lint.consent_missing", None, "consent.script")
    else:
        for point, patterns in ELEMENTS.items():
            for lang in LANGUAGES:
                text = normalise(script.get(lang) or "")
                if text and not patterns[lang].search(text):
                    yield finding(form, f"lint.consent_no_{point}", None, "consent.script",
                                  WARNING, lang=lang)
    for q in form.all_questions:
        if q.type == "note":
            continue
        for lang in LANGUAGES:
            if _ASKS_CONSENT[lang].search(normalise(q.label.get(lang, ""))):
                yield finding(form, "lint.consent_in_questions", q.id, "label", lang=lang)
                break
    order = _key_order(form.source)
    if "consent" in order and any(k in order and order.index(k) < order.index("consent")
                                  for k in ("eligibility", "sections")):
        yield finding(form, "lint.consent_after_questions", None, "consent", WARNING)


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:", re.M)


def _key_order(source: str) -> list[str]:
    """Top-level keys in file order (the hash ignores order; reviewers do not). The
    file has loaded already, so its unindented ``key:`` lines are its top-level keys."""
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    keys: list[str] = []
    for key in _TOP_KEY.findall(text):
        if key not in keys:
            keys.append(key)
    return keys
