"""The supervisor and IRB pages in real Chromium at a 360 px phone width: they fit the
screen, load nothing from outside, break no CSP rule, and draw Marathi with the
shipped Devanagari font. Screenshots go to tests/browser/screenshots/ for people to look at.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from agg_support import PASSWORD, REPO, add_user, app_db, build_app, seed_demo

sys.path.insert(0, str(REPO / "tests" / "browser"))
from browser_support import (SHOTS_DIR, LiveServer,  # noqa: E402
                             assert_shipped_devanagari)

pytestmark = pytest.mark.browser

PAGES = ["/supervisor/", "/supervisor/outcomes", "/supervisor/stations", "/supervisor/speed",
         "/supervisor/reviews", "/supervisor/reviews/1", "/irb/", "/admin/", "/admin/stations",
         "/admin/quotas", "/admin/users", "/admin/audit", "/admin/stations/thane-1/revoke"]


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    return chromium  # the suite's one Chromium (tests/conftest.py)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    app = build_app(tmp_path / "aggregator.db")
    db = app_db(app)
    add_user(db, "asha", "admin")
    seeded = seed_demo(db)
    old, new = seeded["hashes"]
    server = LiveServer(app)
    try:
        yield server.url, [f"/irb/forms/{new}", f"/irb/diff/{old}/{new}",
                           f"/irb/forms/{new}/packet?since={old}"]
    finally:
        server.close()


@pytest.mark.parametrize("lang", ["en", "mr"])
def test_pages_fit_a_phone_and_load_nothing_from_outside(browser: Any, served: Any,
                                                         lang: str) -> None:
    served, irb_pages = served
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    problems: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning")
            else None)
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((served, "data:")) else None)
    page.goto(f"{served}/login?lang={lang}")
    page.fill("#username", "asha")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{served}/admin/")
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    for path in PAGES + irb_pages:
        response = page.goto(served + path)
        assert response is not None and response.status == 200, path
        if "/packet" not in path:    # the packet is a printable A4 document of its own
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width}px wide on a 360px screen"
        name = re.sub(r"([0-9a-f]{8})[0-9a-f]{56}", r"\1",
                      path.split("?")[0].strip("/").replace("/", "_")) or "home"
        page.screenshot(path=str(SHOTS_DIR / f"aggregator_{lang}_{name}.png"), full_page=True)
    assert not outside, outside
    assert not problems, problems           # CSP violations are console errors
    if lang == "mr":
        page.goto(served + "/supervisor/outcomes")
        assert_shipped_devanagari(page, "main h1")
    context.close()
