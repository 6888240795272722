"""Helpers for the browser tests: a loopback WSGI server in a thread, Chromium settings, and
the Devanagari rendering check (shared by the static font test and the station page tests)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[2]
FONT_PATH = REPO / "fieldkit" / "assets" / "fonts" / "NotoSansDevanagari-subset.woff2"
BROWSER_FORMS = Path(__file__).resolve().parent / "forms"
SHOTS_DIR = REPO / "tests" / "browser" / "screenshots"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
FONT_FAMILY = "Noto Sans Devanagari"


class LiveServer:
    """A real HTTP server on 127.0.0.1 (free port) running ``app`` in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"live-server-{self.port}")
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


_MARK_TEXT_NODE_JS = """
([selector, mark]) => {
  // The deepest element under `selector` whose own text has Devanagari letters.
  const root = document.querySelector(selector);
  if (!root) return null;
  const deva = /[\\u0900-\\u097F]/;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (deva.test(n.textContent)) {
      n.parentElement.setAttribute(mark, "1");
      return n.textContent.trim();
    }
  }
  return null;
}
"""

_CONJUNCT_JS = """
([selector, mark]) => {
  const el = document.querySelector(`${selector} [${mark}], ${selector}[${mark}]`);
  const style = getComputedStyle(el);
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = `${style.fontSize} ${style.fontFamily}`;
  const w = (s) => ctx.measureText(s).width;
  return {
    family: style.fontFamily,
    conjunct: w("\\u0915\\u094D\\u0937"),             // क्ष as one conjunct
    explicit: w("\\u0915\\u094D\\u200C\\u0937"),      // क्‌ष with ZWNJ: explicit virama
    faces: [...document.fonts].map((f) => [f.family.replace(/"/g, ""), f.status]),
  };
}
"""


def devanagari_rendering(page: Any, selector: str) -> dict[str, Any]:
    """How the first Devanagari text under ``selector`` is really drawn.

    Uses the DevTools protocol (CSS.getPlatformFontsForNode): the fonts Chromium actually
    used for the glyphs of that node, with ``isCustomFont`` true only for a web font loaded
    through @font-face. Also measures whether क्ष shapes as a conjunct with the element's font.
    """
    page.evaluate("document.fonts.ready.then(() => true)")
    mark = "data-deva-probe"
    text = page.evaluate(_MARK_TEXT_NODE_JS, [selector, mark])
    if text is None:
        return {"text": None, "fonts": [], "conjunct": None, "explicit": None}
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"[{mark}]"})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    info = page.evaluate(_CONJUNCT_JS, [selector, mark])
    return {"text": text, "fonts": fonts, **info}


def assert_shipped_devanagari(page: Any, selector: str) -> dict[str, Any]:
    """Fail unless the Devanagari text under ``selector`` is drawn with the shipped web font
    (not a system font, not tofu) and forms conjuncts."""
    r = devanagari_rendering(page, selector)
    assert r["text"], f"no Devanagari text under {selector!r}"
    custom = [f for f in r["fonts"] if f["isCustomFont"] and f["familyName"] == FONT_FAMILY]
    assert custom, f"Devanagari {r['text']!r} not drawn with the shipped web font: {r['fonts']}"
    # No Devanagari glyph may fall back to an installed copy of the family or any other
    # Devanagari-capable system font (a missing glyph in the subset would show up here).
    others = [f for f in r["fonts"] if not f["isCustomFont"]
              and ("Devanagari" in f["familyName"] or "Lohit" in f["familyName"])]
    assert not others, f"some Devanagari glyphs fell back to system fonts: {r['fonts']}"
    assert r["conjunct"] < 0.8 * r["explicit"], f"क्ष did not shape as a conjunct: {r}"
    return r
