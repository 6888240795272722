"""What a 360x740 phone shows: nothing scrolls sideways, every control is big enough to
tap, the quick exit is always on screen, the Marathi text is drawn with the shipped font,
and the interface around a Marathi interview is in Marathi."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser_support import (
    PIN,
    answer,
    assert_shipped_devanagari,
    consent,
    on_question,
    sign_in,
    start_interview,
    tid,
)

pytestmark = pytest.mark.browser

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


def test_phone_layout_of_every_screen_of_an_interview(make_station, page) -> None:
    station = make_station(pin_set=False)
    problems: list[str] = []

    def check_layout(page: Any, where: str) -> None:
        problems.extend(layout_problems(page, where))

    page.goto(station.url + "/signin?lang=mr")
    tid(page, "signin").wait_for()
    check_layout(page, "sign-in")
    tid(page, "code").fill("E01")
    tid(page, "pin").fill(PIN)
    tid(page, "signin").click()
    tid(page, "new-pin").wait_for()
    check_layout(page, "first PIN")
    tid(page, "new-pin").fill(PIN)
    tid(page, "new-pin2").fill(PIN)
    tid(page, "set-pin").click()
    tid(page, "start").wait_for()
    check_layout(page, "home")
    page.goto(station.url + "/start?form=bt_views")
    tid(page, "begin").wait_for()
    check_layout(page, "start")
    start_interview(page, station.url, lang="mr")
    check_layout(page, "consent")
    consent(page)
    for qid, value in [("age_band", "a18_30"), ("gender", "female"), ("experience", 3),
                       ("prevalence", "very"), ("registration", "true"),
                       ("places", ["public"]), ("reasons", ["evidence"]),
                       ("comment", "ठीक आहे")]:
        on_question(page, qid)
        check_layout(page, f"question {qid}")
        # Scrolled to the bottom (long pages), the quick exit is still on screen.
        page.mouse.wheel(0, 2000)
        page.wait_for_function("window.scrollY > 0 || "
                               "document.scrollingElement.scrollHeight <= window.innerHeight")
        check_layout(page, f"question {qid}, scrolled")
        answer(page, qid, value)
    tid(page, "finish").wait_for()
    check_layout(page, "finish")
    tid(page, "stop").click()
    tid(page, "keep-question").wait_for()
    check_layout(page, "stop")
    assert not problems, "\n".join(problems)


def test_marathi_interview_pages_are_marathi_throughout(make_station, page,
                                                          shots: Path) -> None:
    """Question, answers and the buttons around them: a Marathi reader needs no English."""
    station = make_station()
    sign_in(page, station.url)
    start_interview(page, station.url, lang="mr")            # enumerator's UI is English
    assert_shipped_devanagari(page, "[data-testid=consent-script]")
    for test_id in ("agree", "refuse"):
        assert_shipped_devanagari(page, f"[data-testid={test_id}]")
    consent(page)
    answer(page, "age_band", "a31_60")
    on_question(page, "gender")
    page.screenshot(path=str(shots / "question-mr-gender.png"), full_page=True)
    for test_id in ("label", "next", "skip", "pna", "stop", "quick-exit"):
        assert_shipped_devanagari(page, f"[data-testid={test_id}]")
    assert_shipped_devanagari(page, "label:has([data-testid=opt-female])")
