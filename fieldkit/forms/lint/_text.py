"""Small text helpers shared by the lint rules: sentence and clause splitting,
tokenising Latin and Devanagari words, and spotting Devanagari letters.

Python's ``\\b`` does not treat Devanagari vowel signs as word characters, so the
rules never use ``\\b`` on Hindi or Marathi; they work on token lists instead.
"""

from __future__ import annotations

import re
import unicodedata

# Devanagari block without the dandas (U+0964, U+0965), plus ZWJ/ZWNJ.
_DEV = "\u0900-\u0963\u0966-\u097f\u200c\u200d"
_WORD = re.compile(rf"[{_DEV}A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_SENTENCE = re.compile(r"[.?!;\n\u0964\u0965]+")
_DEV_LETTER = re.compile(r"[\u0904-\u0939\u093d\u0950\u0958-\u0961\u0972-\u097f]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def normalise(text: str) -> str:
    """NFC, lower case, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("’", "'").replace("‘", "'").replace("\u00a0", " ")
    # nukta variants are written both ways; fold to the plain letter
    text = (text.replace("ड़", "ड").replace("ढ़", "ढ").replace("ज़", "ज")
                .replace("फ़", "फ").replace("क़", "क").replace("ख़", "ख").replace("ग़", "ग")
                .replace("\u093c", ""))
    text = text.replace("ँ", "ं")   # chandrabindu -> anusvara
    return re.sub(r"\s+", " ", text.lower()).strip()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


_SENTENCE_WITH_END = re.compile(r"[^.?!;\n\u0964\u0965]+[.?!;\n\u0964\u0965]*")


def sentences_with_ends(text: str) -> list[tuple[str, bool]]:
    """(sentence, is a question) pairs: a question ends with '?'."""
    out = []
    for m in _SENTENCE_WITH_END.finditer(text):
        chunk = m.group(0)
        body = chunk.rstrip(".?!;\n\u0964\u0965 ").strip()
        if body:
            out.append((body, "?" in chunk[len(chunk.rstrip(".?!;\n\u0964\u0965 ")):]))
    return out


def tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def has_devanagari(text: str) -> bool:
    return bool(_DEV_LETTER.search(text or ""))


def has_latin(text: str) -> bool:
    return bool(_LATIN_LETTER.search(text or ""))


def has_letters(text: str) -> bool:
    return bool(_ANY_LETTER.search(text or ""))


def contains_phrase(toks: list[str], phrase: tuple[str, ...]) -> int:
    """Index where the token sequence ``phrase`` starts in ``toks``, or -1."""
    n = len(phrase)
    for i in range(len(toks) - n + 1):
        if tuple(toks[i:i + n]) == phrase:
            return i
    return -1


def starts_with_any(token: str, prefixes: tuple[str, ...]) -> bool:
    return token.startswith(prefixes)
