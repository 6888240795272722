"""The aggregator pages speak English, Hindi and Marathi: every string is in the
``aggregator`` catalogs of all three languages, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from agg_support import REPO, insert_header

AGG = REPO / "sync" / "aggregator"
WEB_MODULES = ("auth", "web", "dashboard", "irb", "admin", "supervision")
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
PLACEHOLDER = re.compile(r"%\(\w+\)s|%%")


def _extracted() -> set[str]:
    ids: set[str] = set()
    sources = [(AGG / f"{m}.py", "python") for m in WEB_MODULES]
    sources += [(p, "jinja2.ext:babel_extract") for p in (AGG / "templates").rglob("*.html")]
    for path, method in sources:
        for _line, message, _comments, _context in extract_from_file(
                method, str(path), keywords=KEYWORDS,
                options={"extensions": "jinja2.ext.i18n"} if "jinja2" in method else None):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog(lang: str) -> Any:
    path = REPO / "translations" / lang / "LC_MESSAGES" / "aggregator.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def test_every_string_is_in_every_catalog() -> None:
    ids = _extracted()
    assert len(ids) > 100
    for lang in ("en", "hi", "mr"):
        catalog = _catalog(lang)
        missing = sorted(i for i in ids if not (catalog.get(i) and catalog.get(i).string))
        assert not missing, f"{lang}: {missing[:5]}"


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_translations_are_devanagari_with_the_same_placeholders(lang: str) -> None:
    for message in _catalog(lang):
        if not message.id:
            continue
        assert DEVANAGARI.search(message.string), (lang, message.id)
        assert sorted(PLACEHOLDER.findall(message.id)) == \
            sorted(PLACEHOLDER.findall(message.string)), (lang, message.id)
        assert not message.fuzzy


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_words_shared_with_other_catalogs_agree(lang: str) -> None:
    """All domains are merged into one catalog per language: a msgid that the station (or
    any other domain) also uses must be translated the same way, or one would win."""
    mine = {m.id: m.string for m in _catalog(lang) if m.id}
    for path in sorted((REPO / "translations" / lang / "LC_MESSAGES").glob("*.po")):
        if path.name == "aggregator.po":
            continue
        with path.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id in mine and message.string:
                    assert message.string == mine[message.id], (path.name, message.id)


def test_english_catalog_is_the_identity() -> None:
    for message in _catalog("en"):
        if message.id:
            assert message.string == message.id


@pytest.mark.parametrize("lang,words", [
    ("hi", ["डैशबोर्ड", "पूरे हुए", "मना किया", "संपर्क के नतीजे", "साइन आउट करें"]),
    ("mr", ["डॅशबोर्ड", "पूर्ण झाल्या", "नकार दिला", "संपर्काचे निकाल", "साइन आउट करा"]),
])
def test_pages_render_in_the_chosen_language(client_as: Any, db: Any, lang: str,
                                             words: list[str]) -> None:
    insert_header(db, outcome="refused", n_answered=0)
    insert_header(db)
    client = client_as("supervisor")
    client.get(f"/language/{lang}")
    html = client.get("/supervisor/outcomes").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word
    # the choice is kept in the session for the next pages, and sign-in pages too
    overview = client.get("/supervisor/speed").get_data(as_text=True)
    assert DEVANAGARI.search(overview.split("<main>", 1)[1])


def test_language_from_the_browser(app: Any, users: Any) -> None:
    page = app.test_client().get("/login", headers={"Accept-Language": "mr-IN,mr;q=0.9,en;q=0.5"})
    assert "साइन इन करा" in page.get_data(as_text=True)
    assert page.headers["Content-Language"] == "mr"


def test_devanagari_font_is_served_with_unicode_range(app: Any) -> None:
    with app.test_client().get("/static/aggregator.css") as response:
        css = response.get_data(as_text=True)
    face = css.split("@font-face", 1)[1].split("}", 1)[0]
    assert "unicode-range: U+0900-097F" in face
    url = re.search(r'url\("\.\./fonts/([^"]+)"\)', face).group(1)
    with app.test_client().get(f"/fonts/{url}") as font:
        assert font.status_code == 200 and font.data[:4] == b"wOF2"
        assert "max-age" in font.headers["Cache-Control"]
    assert Path(REPO / "fieldkit" / "assets" / "fonts" / url).exists()
