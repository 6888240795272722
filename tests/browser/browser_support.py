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


# --- phone layout ---------------------------------------------------------------------------

STUDY_WORDS = ("survey", "interview", "fieldkit", "study", "सर्वेक्षण", "मुलाखत",
               "साक्षात्कार", "अभ्यास", "अध्ययन")
MIN_TARGET = 44      # CSS px: the usual minimum for a finger (Apple HIG 44 pt, WCAG 2.5.5)

_LAYOUT_JS = """
(minTarget) => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
  };
  const small = [];
  const sel = "button, a.btn, .opt, select, textarea, input[type=text], input[type=password]," +
              " input:not([type]), input[type=number]";
  for (const el of document.querySelectorAll(sel)) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < minTarget - 0.5) {
      small.push(`${el.tagName.toLowerCase()}[${el.dataset.testid || el.name || el.className}]` +
                 ` ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
  }
  const qx = document.querySelector("[data-testid=quick-exit]");
  const q = qx ? qx.getBoundingClientRect() : null;
  return {
    title: document.title,
    icon: (document.querySelector("link[rel~=icon]") || {}).href || null,
    scrollWidth: document.scrollingElement.scrollWidth,
    viewport: window.innerWidth,
    small,
    quickExit: q ? {top: q.top, bottom: q.bottom, left: q.left, right: q.right} : null,
  };
}
"""


def layout_problems(page: Any, where: str) -> list[str]:
    r = page.evaluate(_LAYOUT_JS, MIN_TARGET)
    out = []
    # Neutral title and favicon: a glance at the tab strip or the task switcher must not
    # say what this is.
    if any(w in r["title"].lower() for w in STUDY_WORDS):
        out.append(f"{where}: title {r['title']!r}")
    if r["icon"] not in ("data:,", None):
        out.append(f"{where}: favicon {r['icon']!r}")
    if r["scrollWidth"] > r["viewport"]:
        out.append(f"{where}: page scrolls sideways ({r['scrollWidth']}px)")
    if r["small"]:
        out.append(f"{where}: too small to tap: {', '.join(r['small'])}")
    q = r["quickExit"]
    if q is None:
        out.append(f"{where}: no quick exit button")
    elif not (q["top"] >= 0 and q["bottom"] <= 740 and q["right"] <= 360):
        out.append(f"{where}: quick exit off screen {q}")
    return out


# --- the station under test ---------------------------------------------------------------

ENUMERATOR = "E01"
PIN = "2468"


_PIN_HASHES: dict[str, str] = {}


def pin_hash(pin: str) -> str:
    """The station's PIN hash (Argon2id/scrypt, salted), computed once per test run."""
    if pin not in _PIN_HASHES:
        from fieldkit.crypto import hash_secret

        _PIN_HASHES[pin] = hash_secret(pin)
    return _PIN_HASHES[pin]


class Station:
    """A real station app served over loopback HTTP, with its state at hand for setup."""

    def __init__(self, app: Any, server: LiveServer, station_dir: Path) -> None:
        self.app = app
        self.server = server
        self.url = server.url
        self.dir = station_dir
        self.private_key: Any = None       # set for non-training stations (make_study)

    @property
    def state(self) -> Any:
        return self.app.extensions["fieldkit_station"]

    def add_enumerator(self, code: str = ENUMERATOR, pin: str | None = None) -> None:
        """Add an enumerator code; with ``pin``, as if the first sign-in had set it."""
        with self.state.db_lock:
            self.state.store.add_enumerator(code)
            if pin is not None:
                self.state.store.set_pin_hash(code, pin_hash(pin))

    def set(self, **values: Any) -> None:
        with self.state.db_lock:
            self.state.store.set(**values)

    def sealed(self) -> list[dict[str, Any]]:
        """Every sealed, unsynced submission opened with the study's private key:
        [{"header": {...}, "answers": {...}, "paradata": {...}}] oldest first."""
        from fieldkit.crypto import open_sealed

        with self.state.db_lock:
            items = self.state.outbox.pending(limit=1000)
        return [{"header": it.header, **open_sealed(it, self.private_key)} for it in items]

    def outbox_outcomes(self) -> dict[str, int]:
        """Outcomes of today's sealed submissions, as the home page counts them."""
        with self.state.db_lock:
            return dict(self.state.outbox.stats()["outcomes"])


def make_study(station_dir: Path) -> Any:
    """Write a real study (study.json) for a non-training station; returns the private key
    so tests can open what the station sealed."""
    import secrets

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from fieldkit.study import StudyConfig, key_id_for

    private = X25519PrivateKey.generate()
    public = private.public_key()
    kid = key_id_for(public)
    study = StudyConfig(study_id="browser_test", current_key_id=kid, public_keys={kid: public},
                        fingerprint_secret=secrets.token_bytes(32),
                        sketch_secret=secrets.token_bytes(32))
    station_dir.mkdir(parents=True, exist_ok=True)
    study.save(station_dir)
    return private


# --- driving pages --------------------------------------------------------------------------

def tid(page: Any, test_id: str) -> Any:
    return page.get_by_test_id(test_id)


def sign_in(page: Any, base: str, code: str = ENUMERATOR, pin: str = PIN) -> None:
    """Sign in (setting the PIN at first sign-in) and wait for the home page."""
    page.goto(base + "/signin")
    tid(page, "code").fill(code)
    tid(page, "pin").fill(pin)
    tid(page, "signin").click()
    first = page.locator("[data-testid=new-pin], [data-testid=start]").first
    first.wait_for()
    if tid(page, "new-pin").count():
        tid(page, "new-pin").fill(pin)
        tid(page, "new-pin2").fill(pin)
        tid(page, "set-pin").click()
    tid(page, "start").wait_for()


def start_interview(page: Any, base: str, form: str = "bt_views", lang: str = "en",
                    mode: str = "laptop", site: str | None = "pune") -> None:
    """From anywhere signed in: the start page, then Begin; waits for the consent page
    (laptop) or the QR page (self)."""
    page.goto(base + f"/start?form={form}")
    if site is not None:
        tid(page, f"site-{site}").check()
    tid(page, f"language-{lang}").check()
    tid(page, f"mode-{mode}").check()
    tid(page, "begin").click()
    tid(page, "consent-script" if mode == "laptop" else "qr").wait_for()


def consent(page: Any, agree: bool = True, how: str = "verbal") -> None:
    if agree:
        if tid(page, f"consent-{how}").count():
            tid(page, f"consent-{how}").check()
        tid(page, "agree").click()
    else:
        tid(page, "refuse").click()


def on_question(page: Any, qid: str) -> Any:
    """Wait until the question page for ``qid`` is shown; returns its form locator."""
    form = page.locator(f"form[data-testid=question][data-qid={qid}]")
    form.wait_for()
    return form


def answer(page: Any, qid: str, value: Any, action: str = "next") -> None:
    """Answer question ``qid`` the way a person would (tap options, type), then press
    Next (or Skip / Don't know with ``action`` = skip | dk | pna and value None)."""
    form = on_question(page, qid)
    if value is not None:
        qtype = form.get_attribute("data-qtype")
        if qtype in ("single_choice", "scale", "true_false"):
            tid(page, f"opt-{value}").check()
        elif qtype == "multiple_choice":
            for code in value:
                tid(page, f"opt-{code}").check()
        elif qtype == "ranking":
            for code in value:                 # tap to order (station.js)
                page.locator(f"[data-testid=item-{code}] .item").click()
        elif qtype == "banded_number":
            tid(page, "number").fill(str(value))
        elif qtype in ("text", "long_text"):
            tid(page, "text").fill(str(value))
        else:
            raise AssertionError(f"unknown question type {qtype}")
    with page.expect_navigation(wait_until="domcontentloaded"):
        tid(page, action).click()


def quick_exit_by_keys(page: Any) -> None:
    for _ in range(3):
        page.keyboard.press("Shift")
