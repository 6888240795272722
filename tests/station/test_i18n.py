"""The station's interface catalogue is complete in en, hi and mr, and pages use it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "translations" / "{lang}" / "LC_MESSAGES" / "station.po"
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def _catalog(lang: str) -> Any:
    with open(str(PO).format(lang=lang), "rb") as fh:
        return read_po(fh, locale=lang)


def _used_messages() -> set[str]:
    found: set[str] = set()
    for sub, method in ((REPO / "fieldkit" / "station", [
            ("**.py", "python"), ("templates/**.html", "jinja2")]),):
        for _f, _l, msg, _c, _ctx in extract_from_dir(
                str(sub), method_map=method, keywords=KEYWORDS,
                options_map={"templates/**.html": {"trimmed": "true"}}):
            found.add(msg if isinstance(msg, str) else msg[0])
    with open(REPO / "fieldkit" / "interview.py", "rb") as fh:
        from babel.messages.extract import extract

        for _l, msg, _c, _ctx in extract("python", fh, keywords=KEYWORDS):
            found.add(msg)
    return found


def test_every_interface_string_is_in_the_catalogue() -> None:
    used = _used_messages()
    assert len(used) > 100
    for lang in ("en", "hi", "mr"):
        ids = {m.id for m in _catalog(lang) if m.id}
        assert used <= ids, sorted(used - ids)


@pytest.mark.parametrize("lang", ["hi", "mr"])
def test_translations_are_complete_devanagari_and_keep_placeholders(lang: str) -> None:
    for m in _catalog(lang):
        if not m.id:
            continue
        assert m.string, m.id
        assert not m.fuzzy
        if m.id not in ("PIN", "Sync", "Quotas") and m.id.upper() != m.id:
            assert re.search(r"[\u0900-\u097F]", m.string), (m.id, m.string)
        assert sorted(re.findall(r"%\(\w+\)s|\{\w+\}", m.id)) == \
            sorted(re.findall(r"%\(\w+\)s|\{\w+\}", m.string)), m.id


def test_english_catalogue_is_identity() -> None:
    for m in _catalog("en"):
        if m.id:
            assert m.string == m.id


def test_marathi_interview_pages_use_marathi_interface(signed_in: Any) -> None:
    c = signed_in
    iid = c.start(language="mr")
    page = c.get(f"/i/{iid}/consent").get_data(as_text=True)
    assert "सुरुवात करण्यापूर्वी" in page and "मुलाखत थांबवा" in page
    c.consent(iid)
    page = c.get(f"/i/{iid}/q/age_band").get_data(as_text=True)
    assert "पुढे" in page and "वगळा" in page and '<html lang="mr">' in page
    c.post("/lang", {"lang": "hi"})
    home = c.get("/").get_data(as_text=True)
    assert "साक्षात्कार शुरू करें" in home and "आज के संपर्क" in home
