"""Languages are first-class: every interface string and every error in en, hi and mr."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

import aggregator.app  # noqa: F401  (registers the aggregator's error codes)
import fieldkit.forms.lint  # noqa: F401
import fieldkit.station.app  # noqa: F401
from fieldkit.errors import CATALOGUE
from fieldkit.i18n import TRANSLATIONS_DIR, translations

DEVANAGARI = re.compile(r"[\u0900-\u097F]")
PLACEHOLDER = re.compile(r"\{[a-z_0-9]*\}|%\([a-z_0-9]+\)[sd]|%[sd]")
DOMAINS = sorted(p.stem for p in (TRANSLATIONS_DIR / "en" / "LC_MESSAGES").glob("*.po"))


def _entries(lang: str, domain: str):
    with open(TRANSLATIONS_DIR / lang / "LC_MESSAGES" / f"{domain}.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    return [m for m in catalog if m.id]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def test_every_language_has_every_domain() -> None:
    assert "core" in DOMAINS
    for lang in ("hi", "mr"):
        present = sorted(p.stem for p in (TRANSLATIONS_DIR / lang / "LC_MESSAGES").glob("*.po"))
        assert present == DOMAINS


@pytest.mark.parametrize("lang", ["hi", "mr"])
@pytest.mark.parametrize("domain", DOMAINS)
def test_catalog_is_complete_in_devanagari_with_the_same_placeholders(lang: str, domain: str) -> None:
    problems = []
    for message in _entries(lang, domain):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strs:
            if not text:
                problems.append(f"untranslated: {ids[0]!r}")
            elif (re.search(r"[A-Za-z]{3}", PLACEHOLDER.sub("", ids[0]))
                  and not re.fullmatch(r"[A-Z]{2,4}", ids[0])   # acronyms such as PIN, QR
                  and not DEVANAGARI.search(text)):
                problems.append(f"not in Devanagari: {ids[0]!r} -> {text!r}")
            elif _placeholders(ids[-1]) != _placeholders(text) and _placeholders(ids[0]) != _placeholders(text):
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {ids[0]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_every_error_in_the_catalogue_is_translated(lang: str) -> None:
    t = translations(lang)
    missing = [f"{spec.code}: {text!r}" for spec in CATALOGUE.values()
               for text in (spec.message, spec.fix) if text and t.gettext(text) == text]
    assert not missing, f"{len(missing)} untranslated error texts:\n" + "\n".join(missing)
