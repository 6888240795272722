"""Languages: en, hi, mr. Catalogs are read straight from the .po files in
``translations/<lang>/LC_MESSAGES/*.po`` (every domain merged), so a fresh checkout
needs no compile step; ``make translations`` still extracts, updates and compiles
with pybabel for translators' tools.

Flask-free: the station and aggregator install ``translations(lang)`` into Jinja
per request; the core uses ``gettext(lang, ...)`` for error messages.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: tuple[str, ...] = ("en", "hi", "mr")
DEFAULT_LANGUAGE = "en"
# Each language's own name for itself, for language pickers.
LANGUAGE_NAMES = {"en": "English", "hi": "हिन्दी", "mr": "मराठी"}

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


def normalise_language(lang: str | None) -> str:
    lang = (lang or "").split("-")[0].split("_")[0].lower()
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """All domains of ``lang`` merged into one babel Translations object."""
    lang = normalise_language(lang)
    merged: NullTranslations | None = None
    for po_path in sorted((TRANSLATIONS_DIR / lang / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        domain = Translations(buf, domain=po_path.stem)
        if merged is None:
            merged = domain
        else:
            merged.merge(domain)
    return merged or NullTranslations()


def gettext(lang: str, message: str, **params: object) -> str:
    text = translations(lang).gettext(message)
    return text.format(**params) if params else text


def ngettext(lang: str, singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text.format(n=n, **params)
