"""Free-text PII detection and redaction with India-specific recognizers.

``redact(text) -> Redaction(text, counts, spans)``: every identifier found is
replaced by a typed placeholder (``[PHONE]``, ``[AADHAAR]`` ...); ``counts`` (per
kind) is what may be kept as paradata, ``spans`` (offsets in the *original* text) is
what the station shows the enumerator before finishing, and is then dropped.

Recognizers (each a pattern plus a validator or a context rule, so that plain
numbers -- prices, years, ages, percentages, law sections such as IPC 370, FIR and
case numbers -- are left alone):

========== ==================================================================
PHONE      Indian mobile: +91 / 0091 / 91 / 0 prefix optional, 10 digits
           starting 6-9, spaces, dashes, dots or brackets between groups;
           landline with STD code (0 + 2-4 digit code, separator, 6-8 digits,
           11 digits in all)
AADHAAR    12 digits (4-4-4 or run), first digit 2-9, **Verhoeff check digit**;
           a 12-digit number right after "Aadhaar/आधार/UID" even if the check
           fails (a mistyped Aadhaar is still one); masked XXXX XXXX 1234
PAN        AAAPA9999A (4th letter = holder type)
VOTER_ID   EPIC: 3 letters + 7 digits; old form MH/12/345/678901
PASSPORT   1 letter + 7 digits (first and last digit non-zero)
VEHICLE    state/UT code + RTO number + 0-3 series letters + 4 digits
           (MH 12 AB 1234, MH-04-K-5678, mh12ab1234); Bharat series 22 BH 1234 AA
UPI        handle@psp (no dot after @; e-mail is tried first)
IFSC       AAAA0XXXXXX
EMAIL      local@domain.tld
PIN        6-digit postal code only in address context: after PIN/पिन/पिनकोड,
           after a place word (road, nagar, chawl, जिल्हा, ...) or a city name
ACCOUNT    9-18 digit bank account number after "a/c", "account", "खाते" ...
GEO        a latitude, longitude pair inside India (6-38 N, 68-98 E, 3+ decimals):
           the study forbids GPS fixes, and people paste them from map apps
========== ==================================================================

Digits in any script (Devanagari ०-९, ...) are read as ASCII digits by mapping each
decimal code point to its ASCII digit one-for-one, so offsets stay valid. Where
spans overlap the longer one wins (then the earlier recognizer in the table).

Why regexes and not a statistical NER model: the identifiers that matter here are
*structured* numbers with checksums and fixed shapes, in four scripts/registers a
general model handles poorly; regexes are auditable by the IRB, deterministic, fast,
and run offline on a field laptop. Names are deliberately out of scope (no reliable
offline recognizer for Indian names in Devanagari and romanized Hindi); the forms
avoid asking for them and the enumerator sees the text before finishing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Iterable

from fieldkit.i18n import N_

KINDS: tuple[str, ...] = ("EMAIL", "UPI", "PHONE", "AADHAAR", "PAN", "VOTER_ID", "PASSPORT",
                          "VEHICLE", "IFSC", "PIN", "ACCOUNT", "GEO")

# What the enumerator reads next to each placeholder (domain core; translated by the
# station through fieldkit.i18n.gettext).
KIND_LABELS: dict[str, str] = {
    "PHONE": N_("phone number"), "AADHAAR": N_("Aadhaar number"), "PAN": N_("PAN"),
    "VOTER_ID": N_("voter ID"), "PASSPORT": N_("passport number"),
    "VEHICLE": N_("vehicle number"), "UPI": N_("UPI ID"), "IFSC": N_("bank IFSC code"),
    "EMAIL": N_("e-mail address"), "PIN": N_("PIN code"),
    "ACCOUNT": N_("bank account number"), "GEO": N_("map coordinates"),
}


@dataclass(frozen=True)
class Redaction:
    text: str
    counts: dict[str, int] = field(default_factory=dict)
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.spans)


# --- Verhoeff (Aadhaar's check digit) -------------------------------------------------

_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
      [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
      [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
      [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
      [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
      [9, 4, 5, 3, 1, 2, 7, 6, 8, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_valid(digits: str) -> bool:
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _D[check][_P[i % 8][int(ch)]]
    return check == 0


def verhoeff_digit(digits: str) -> str:
    """The check digit to append to ``digits``."""
    check = 0
    for i, ch in enumerate(reversed(digits)):
        check = _D[check][_P[(i + 1) % 8][int(ch)]]
    return str(_INV[check])


# --- digit normalisation ----------------------------------------------------------------

class _DigitMap(dict):
    """str.translate table: any Unicode decimal digit -> its ASCII digit (1:1)."""

    def __missing__(self, codepoint: int) -> int | None:
        ch = chr(codepoint)
        value = unicodedata.decimal(ch, None) if codepoint > 127 else None
        result = ord(str(value)) if value is not None else None
        self[codepoint] = result if result is not None else codepoint
        return self[codepoint]


_DIGITS = _DigitMap()


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


# --- recognizers -----------------------------------------------------------------------

_L = r"(?<![0-9A-Za-z])"          # left edge: not inside a latin word or number
_R = r"(?![0-9A-Za-z])"           # right edge
_SEP = r"[ \-.]?"                 # one optional separator inside a number

_STATE_CODES = ("AN AP AR AS BR CG CH DD DL DN GA GJ HP HR JH JK KA KL LA LD MH ML MN MP MZ "
                "NL OD OR PB PY RJ SK TN TR TS UK UP WB").split()

_ADDRESS_WORDS = (
    r"pin|pincode|pin\s*code|postal\s*code|zip|p\.?o\.?|post|address|addr|road|rd|marg|"
    r"nagar|colony|chawl|galli|gali|lane|street|st|chowk|sector|near|opp|taluka|tal|dist|"
    r"district|city|maharashtra|mumbai|pune|thane|nagpur|palghar|kalyan|nashik|navi\s*mumbai|"
    r"aurangabad|solapur|kolhapur|bhiwandi|vasai|virar|dombivli|panvel|delhi|kolkata|"
    r"bengaluru|bangalore|hyderabad|chennai|patta|pata|"
    r"पिन|पिनकोड|पिन\s*कोड|पता|पत्ता|रोड|मार्ग|नगर|चाळ|गल्ली|गली|जिल्हा|जिला|तालुका|"
    r"महाराष्ट्र|मुंबई|पुणे|ठाणे|नागपूर|नागपुर|पालघर|कल्याण|नाशिक"
)
_ADDRESS_BEFORE = re.compile(r"(?:" + _ADDRESS_WORDS + r")(?![A-Za-z])[^\n]{0,40}$", re.I)
_ADDRESS_AFTER = re.compile(r"^[\s,\-]{0,3}(?:" + _ADDRESS_WORDS + r")(?![A-Za-z])", re.I)
_NOT_PIN_AFTER = re.compile(
    r"^\s*(?:people|persons|girls|women|men|children|customers|rupees|rs|inr|views|cases|"
    r"users|votes|population|लोग|लोक|रुपये|रुपए|मुली|लड़कियां|लड़कियाँ|महिला|ग्राहक)", re.I)
_MONEY_BEFORE = re.compile(r"(?:rs\.?|inr|₹|रु\.?|रुपये|रुपए)\s*$", re.I)
_AADHAAR_BEFORE = re.compile(r"(?:aadhaa?r|adhaa?r|uid|uidai|आधार)[^\n0-9]{0,25}$", re.I)
_ACCOUNT_BEFORE = re.compile(
    r"(?:a/c|acc(?:oun)?t|account|khata|khate|खाते|खाता|बँक\s*खाते|बैंक\s*खाता)"
    r"(?:\s*(?:no|number|num|nr|क्रमांक|नंबर|संख्या|क्र)\.?)?[\s:.#\-]{0,4}$", re.I)


@dataclass(frozen=True)
class _Recognizer:
    kind: str
    pattern: re.Pattern[str]
    accept: Callable[[re.Match[str], str], bool] = lambda m, t: True


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _aadhaar_ok(m: re.Match[str], text: str) -> bool:
    d = _digits(m.group(0))
    if len(d) != 12 or d[0] in "01":
        return False
    if verhoeff_valid(d):
        return True
    return bool(_AADHAAR_BEFORE.search(text[max(0, m.start() - 40):m.start()]))


def _pin_ok(m: re.Match[str], text: str) -> bool:
    before = text[max(0, m.start() - 60):m.start()]
    if _MONEY_BEFORE.search(before) or _NOT_PIN_AFTER.search(text[m.end():m.end() + 20]):
        return False
    return bool(_ADDRESS_BEFORE.search(before)
                or _ADDRESS_AFTER.search(text[m.end():m.end() + 25]))


def _account_ok(m: re.Match[str], text: str) -> bool:
    return bool(_ACCOUNT_BEFORE.search(text[max(0, m.start() - 30):m.start()]))


def _phone_ok(m: re.Match[str], text: str) -> bool:
    before = text[max(0, m.start() - 12):m.start()]
    return not _MONEY_BEFORE.search(before)


_RECOGNIZERS: list[_Recognizer] = [
    _Recognizer("EMAIL", re.compile(
        r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
        r"\.[A-Za-z]{2,24}(?![\w-])")),
    _Recognizer("UPI", re.compile(
        r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._-]{1,63}@[A-Za-z][A-Za-z0-9]{1,31}(?![\w.@-])")),
    _Recognizer("AADHAAR", re.compile(
        _L + r"[2-9]\d{3}(?:[ \-]?\d{4}){2}" + _R), _aadhaar_ok),
    _Recognizer("AADHAAR", re.compile(
        _L + r"(?:[Xx*]{4}[ \-]?){2}\d{4}" + _R)),
    _Recognizer("PHONE", re.compile(
        _L + r"(?:(?:\+|00)\s?91[ \-.]?|\(\+?91\)[ \-.]?|91[ \-]|0[ \-]?)?"
        r"[6-9]\d(?:[ \-.]?\d){8}" + _R), _phone_ok),
    _Recognizer("PHONE", re.compile(
        _L + r"(?:\+91[ \-]?|0)(?=\d{10}(?!\d)|\d{2,4}[ \-]\d)(?:\d{2}[ \-]\d{8}|\d{3}[ \-]\d{7}|"
        r"\d{4}[ \-]\d{6}|\d{2}[ \-]\d{4}[ \-]\d{4}|\d{3}[ \-]\d{3}[ \-]\d{4})" + _R),
        _phone_ok),
    _Recognizer("PAN", re.compile(_L + r"[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z]" + _R, re.I)),
    _Recognizer("IFSC", re.compile(_L + r"[A-Z]{4}0[A-Z0-9]{6}" + _R)),
    _Recognizer("VOTER_ID", re.compile(_L + r"[A-Z]{3}\d{7}" + _R)),
    _Recognizer("VOTER_ID", re.compile(_L + r"[A-Z]{2}/\d{2}/\d{3}/\d{6}" + _R)),
    _Recognizer("PASSPORT", re.compile(_L + r"[A-Z][1-9]\d{5}[1-9]" + _R)),
    # Upper-case state code (so "or 5 2000" or "up 12 2023" in prose are not plates),
    # or an all-lower-case plate as typed on phones ("mh12ab1234", "mh 12 ab 1234"),
    # which must then have its series letters.
    _Recognizer("VEHICLE", re.compile(
        _L + r"(?:" + "|".join(_STATE_CODES) + r")" + _SEP + r"\d{1,2}" + _SEP +
        r"(?:(?i:[a-z]{1,3})" + _SEP + r")?\d{4}" + _R)),
    _Recognizer("VEHICLE", re.compile(
        _L + r"(?:" + "|".join(c.lower() for c in _STATE_CODES) + r")" + _SEP + r"\d{1,2}"
        + _SEP + r"[a-z]{1,3}" + _SEP + r"\d{4}" + _R)),
    _Recognizer("VEHICLE", re.compile(
        _L + r"\d{2}" + _SEP + r"BH" + _SEP + r"\d{4}" + _SEP + r"[A-Z]{1,2}" + _R, re.I)),
    _Recognizer("PIN", re.compile(_L + r"[1-8]\d{2}[ ]?\d{3}" + _R), _pin_ok),
    _Recognizer("ACCOUNT", re.compile(_L + r"\d{9,18}" + _R), _account_ok),
    _Recognizer("GEO", re.compile(
        _L + r"(?:[6-9]|[12]\d|3[0-8])\.\d{3,}°?\s*N?\s*,?\s*(?:6[89]|[78]\d|9[0-8])\.\d{3,}°?"
        r"(?:\s*E)?" + _R)),
]


def find_pii(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, kind)`` of identifiers in ``text``, sorted, non-overlapping."""
    norm = ascii_digits(text)
    found: list[tuple[int, int, int, str]] = []
    for rank, rec in enumerate(_RECOGNIZERS):
        for m in rec.pattern.finditer(norm):
            if rec.accept(m, norm):
                found.append((m.start(), m.end(), rank, rec.kind))
    # Longest first, then recognizer order; keep a span only if it overlaps none kept.
    found.sort(key=lambda s: (-(s[1] - s[0]), s[2], s[0]))
    kept: list[tuple[int, int, str]] = []
    taken = bytearray(len(text))          # linear, not quadratic, in the number of spans
    for start, end, _, kind in found:
        if not any(taken[start:end]):
            taken[start:end] = b"\x01" * (end - start)
            kept.append((start, end, kind))
    return sorted(kept)


def redact(text: str) -> Redaction:
    """Replace every identifier with ``[KIND]``; return the text, counts and spans."""
    if not text:
        return Redaction(text or "", {}, [])
    spans = find_pii(text)
    out: list[str] = []
    pos = 0
    counts: dict[str, int] = {}
    for start, end, kind in spans:
        out.append(text[pos:start])
        out.append(f"[{kind}]")
        counts[kind] = counts.get(kind, 0) + 1
        pos = end
    out.append(text[pos:])
    return Redaction("".join(out), counts, spans)


def redact_answers(answers: dict[str, object], text_questions: Iterable[str]
                   ) -> tuple[dict[str, object], dict[str, int]]:
    """Redact the free-text answers among ``answers``; return new answers and total counts."""
    result = dict(answers)
    totals: dict[str, int] = {}
    for qid in text_questions:
        value = result.get(qid)
        if isinstance(value, str) and not value.startswith("_"):
            r = redact(value)
            result[qid] = r.text
            for kind, n in r.counts.items():
                totals[kind] = totals.get(kind, 0) + n
    return result, totals


# --- evaluation on a labelled corpus (tests and bench) ---------------------------------

_MARK = re.compile(r"\{\{([A-Z_]+)\|(.*?)\}\}")


def parse_marked(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """``"call {{PHONE|98765 43210}}"`` -> plain text and gold spans."""
    plain: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = 0
    length = 0
    for m in _MARK.finditer(marked):
        plain.append(marked[pos:m.start()])
        length += m.start() - pos
        spans.append((length, length + len(m.group(2)), m.group(1)))
        plain.append(m.group(2))
        length += len(m.group(2))
        pos = m.end()
    plain.append(marked[pos:])
    return "".join(plain), spans


def score(marked_lines: Iterable[str]) -> dict[str, object]:
    """Entity-level precision/recall: a found span counts if it overlaps a gold span
    of the same kind (``exact`` counts identical boundaries). Per kind and overall."""
    per: dict[str, dict[str, int]] = {}
    errors: list[tuple[str, str, str]] = []

    def bump(kind: str, key: str) -> None:
        per.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0, "exact": 0})[key] += 1

    for marked in marked_lines:
        text, gold = parse_marked(marked)
        found = find_pii(text)
        used: set[int] = set()
        for g in gold:
            hit = next((i for i, f in enumerate(found) if i not in used and f[2] == g[2]
                        and f[0] < g[1] and g[0] < f[1]), None)
            if hit is None:
                bump(g[2], "fn")
                errors.append(("missed", g[2], text[g[0]:g[1]]))
            else:
                used.add(hit)
                bump(g[2], "tp")
                if found[hit][:2] == g[:2]:
                    bump(g[2], "exact")
        for i, f in enumerate(found):
            if i not in used:
                bump(f[2], "fp")
                errors.append(("false", f[2], text[f[0]:f[1]]))
    total = {k: sum(v[k] for v in per.values()) for k in ("tp", "fp", "fn", "exact")}

    def pr(c: dict[str, int]) -> dict[str, float]:
        return {"precision": c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0,
                "recall": c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0,
                **{k: float(v) for k, v in c.items()}}
    return {"overall": pr(total), "kinds": {k: pr(v) for k, v in sorted(per.items())},
            "errors": errors}


# --- for the enumerator's review screen ---------------------------------------------------

REMOVED = N_("Removed: {what}")


def kind_label(kind: str, lang: str) -> str:
    """The placeholder's meaning in the enumerator's language ("[PHONE]" -> "फोन नंबर")."""
    from fieldkit.i18n import gettext
    return gettext(lang, KIND_LABELS.get(kind, kind))


def describe_counts(counts: dict[str, int], lang: str) -> list[str]:
    """One line per kind removed, e.g. ``"काढून टाकले: फोन नंबर (2)"``."""
    from fieldkit.i18n import gettext
    lines = []
    for kind in KINDS:
        if counts.get(kind):
            what = kind_label(kind, lang) + (f" ({counts[kind]})" if counts[kind] > 1 else "")
            lines.append(gettext(lang, REMOVED, what=what))
    return lines
