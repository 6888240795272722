"""The shipped Devanagari subset really renders Marathi, conjuncts included, in Chromium.

A static page (served over loopback HTTP, like the station serves it) declares the shipped
woff2 with @font-face. The checks read, through the DevTools protocol, which font Chromium
actually drew each glyph with, so they fail if the font file were missing or broken: the
text would then be drawn by a system font (here Debian's own Noto) or as tofu boxes.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from browser_support import FONT_FAMILY, FONT_PATH, assert_shipped_devanagari, devanagari_rendering

pytestmark = pytest.mark.browser

MARATHI = "क्ष त्र ज्ञ श्र द्ध ह्म — महाराष्ट्रातील प्रश्नावली: कृपया उत्तर द्या."

PAGE = """<!doctype html><html lang="mr"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
@font-face {{ font-family: "{family}"; src: url("{font_url}") format("woff2");
  unicode-range: U+0900-097F, U+1CD0-1CFF, U+200C-200D, U+25CC, U+A8E0-A8FF; }}
body {{ font: 22px "{family}", system-ui, sans-serif; margin: 12px; }}
</style>
<h1 id="q">{text}</h1>
"""


def font_site(font_bytes: bytes | None) -> Any:
    @Request.application
    def app(request: Request) -> Response:
        if request.path == "/":
            html = PAGE.format(family=FONT_FAMILY, font_url="/fonts/deva.woff2", text=MARATHI)
            return Response(html, content_type="text/html; charset=utf-8")
        if request.path == "/fonts/deva.woff2" and font_bytes is not None:
            return Response(font_bytes, content_type="font/woff2")
        return Response("not found", status=404)

    return app


def test_marathi_conjuncts_render_with_the_shipped_font(live_server, page, shots: Path) -> None:
    server = live_server(font_site(FONT_PATH.read_bytes()))
    page.goto(server.url + "/")
    page.wait_for_selector("#q")
    r = assert_shipped_devanagari(page, "#q")
    assert [FONT_FAMILY, "loaded"] in r["faces"]
    page.screenshot(path=str(shots / "font-static-mr.png"))


def test_the_check_fails_when_the_font_is_missing(live_server, page) -> None:
    """The same page with the font answering 404: the check must notice."""
    server = live_server(font_site(None))
    page.goto(server.url + "/")
    page.wait_for_selector("#q")
    r = devanagari_rendering(page, "#q")
    assert not any(f["isCustomFont"] for f in r["fonts"]), r["fonts"]
    with pytest.raises(AssertionError):
        assert_shipped_devanagari(page, "#q")


def test_the_check_fails_when_the_font_lacks_shaping(live_server, page, tmp_path: Path) -> None:
    """A subset stripped of its GSUB table draws क्ष as क + virama + ष: the check must notice."""
    from fontTools import subset

    crippled = tmp_path / "noshaping.woff2"
    opts = subset.Options()
    opts.flavor = "woff2"
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS"]
    font = subset.load_font(io.BytesIO(FONT_PATH.read_bytes()), opts)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=range(0x0900, 0x0980))
    subsetter.subset(font)
    subset.save_font(font, str(crippled), opts)

    server = live_server(font_site(crippled.read_bytes()))
    page.goto(server.url + "/")
    page.wait_for_selector("#q")
    with pytest.raises(AssertionError, match="conjunct"):
        assert_shipped_devanagari(page, "#q")


def test_station_pages_use_the_font_and_the_check_notices_when_it_is_blocked(
        make_station, new_page) -> None:
    """On a real station page in Marathi the check passes; the same page with the font
    request blocked (as if the file were missing from the package) fails it."""
    from browser_support import consent, sign_in, start_interview

    station = make_station()
    for blocked in (False, True):
        page = new_page()
        if blocked:
            page.route("**/*.woff2", lambda route: route.abort())
        sign_in(page, station.url)
        start_interview(page, station.url, lang="mr")
        consent(page)
        page.get_by_test_id("label").wait_for()
        if blocked:
            with pytest.raises(AssertionError, match="shipped web font"):
                assert_shipped_devanagari(page, "[data-testid=label]")
        else:
            assert_shipped_devanagari(page, "[data-testid=label]")
