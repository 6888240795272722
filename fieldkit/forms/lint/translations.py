"""Translations: every text a person reads -- title, description, consent texts,
section titles, labels, hints, prompts, options, bands, units, constraint messages --
has English, Hindi and Marathi; the Hindi and Marathi are translations in Devanagari.

- a missing or empty language is an error;
- Hindi or Marathi equal to the English is an error (an untranslated copy);
- Hindi or Marathi with letters but no Devanagari letter is an error (e.g. English
  words pasted in, or romanised Hindi); texts without letters ("18-24") are fine;
- Marathi identical to the Hindi in a text of four or more words is a warning (short
  labels and names are often the same in both).
"""

from __future__ import annotations

from collections.abc import Iterator

from fieldkit.forms.findings import WARNING, Finding
from fieldkit.forms.lint._base import all_texts, finding
from fieldkit.forms.lint._text import has_devanagari, has_letters, normalise, tokens
from fieldkit.forms.model import Form
from fieldkit.i18n import LANGUAGES


def check(form: Form) -> Iterator[Finding]:
    for spot in all_texts(form):
        text = spot.text
        for lang in LANGUAGES:
            if not (text.get(lang) or "").strip():
                yield finding(form, "lint.missing_translation", spot.question,
                              f"{spot.field}.{lang}", lang=lang, where=spot.field)
        en = normalise(text.get("en") or "")
        for lang in ("hi", "mr"):
            value = (text.get(lang) or "").strip()
            if not value or not has_letters(value):
                continue
            field = f"{spot.field}.{lang}"
            if en and normalise(value) == en:
                yield finding(form, "lint.untranslated", spot.question, field, lang=lang,
                              where=spot.field)
            elif not has_devanagari(value):
                yield finding(form, "lint.not_devanagari", spot.question, field, lang=lang,
                              where=spot.field)
        hi, mr = normalise(text.get("hi") or ""), normalise(text.get("mr") or "")
        if hi and hi == mr and len(tokens(hi)) >= 4 and has_devanagari(hi):
            yield finding(form, "lint.same_as_hindi", spot.question, f"{spot.field}.mr",
                          WARNING, where=spot.field)
