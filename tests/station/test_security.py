"""CSRF, Cache-Control: no-store, CSP, and nothing but opaque ids in the session cookie."""

from __future__ import annotations

import base64
import zlib
from typing import Any

from station_support import StationClient


def test_post_without_csrf_token_is_refused_and_changes_nothing(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    r = c.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal"}, csrf=False)
    assert r.status_code == 400
    assert "This form has expired." in r.get_data(as_text=True)
    assert c.state.interviews.get(iid).consent_mode is None
    r = c.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal",
                                     "csrf_token": "forged"}, csrf=False)
    assert r.status_code == 400
    assert c.state.interviews.get(iid).stage == "consent"
    n = len(list(c.state.interviews))
    assert c.post("/start", {"form": "st_all", "site": "pune"}, csrf=False).status_code == 400
    assert len(list(c.state.interviews)) == n


def test_token_of_another_session_is_refused(make_app: Any) -> None:
    app = make_app()
    a, b = StationClient(app), StationClient(app)
    a.add_enumerator("E01")
    a.add_enumerator("E02")
    a.signin("E01", "1357")
    b.signin("E02", "2468")
    iid = a.start()
    r = a.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal",
                                     "csrf_token": b.token}, csrf=False)
    assert r.status_code == 400


def test_every_response_is_no_store_with_strict_csp(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    c.finish(iid)
    c.get("/i/done")
    c.get("/nothing-here")
    c.get("/n")
    pages = [r for r in c.responses if r.mimetype == "text/html" or r.status_code in (302, 303)]
    assert len(pages) > 30
    for r in c.responses:
        assert r.headers["Cache-Control"] == "no-store"
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    for r in pages:
        body = r.get_data(as_text=True)
        assert "<script>" not in body and " on" + "click=" not in body and "style=" not in body


def test_static_assets_are_cacheable_and_hold_no_data(signed_in: Any) -> None:
    # The one deliberate exception to no-store: CSS, JS and the font are the same for
    # everyone and caching them is what keeps a question page a few KB.
    for url in ("/static/station.css", "/static/station.js",
                "/fonts/NotoSansDevanagari-subset.woff2"):
        r = signed_in.get(url)
        assert r.status_code == 200
        assert r.headers["Cache-Control"].startswith("public")


def test_titles_and_favicon_are_neutral(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    body = c.get(f"/i/{iid}/consent").get_data(as_text=True)
    assert "<title>Notes</title>" in body and '<link rel="icon" href="data:,">' in body


def _cookie_payload(client: StationClient) -> tuple[dict[str, Any], str]:
    cookie = client.http.get_cookie("s")
    raw = cookie.value
    serializer = client.app.session_interface.get_signing_serializer(client.app)
    data = serializer.loads(raw)
    body = raw.lstrip(".").split(".")[0]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    if raw.startswith("."):
        decoded = zlib.decompress(decoded)
    return data, decoded.decode("utf-8")


def test_session_cookie_holds_only_opaque_ids(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    canary = "CANARY-cookie-7f3a9"
    c.run_full(iid, comment=canary, notes=canary)
    data, text = _cookie_payload(c)
    assert set(data) <= {"sid", "csrf_token"}
    assert canary not in text and "E01" not in text and "st_all" not in text
    assert iid not in text
    cookie = c.http.get_cookie("s")
    assert cookie.http_only and cookie.same_site == "Strict"


def test_css_and_js_are_gzipped_html_is_not(signed_in: Any) -> None:
    import gzip

    c = signed_in
    r = c.get("/static/station.css", headers={"Accept-Encoding": "gzip"})
    assert r.headers["Content-Encoding"] == "gzip"
    assert b"@font-face" in gzip.decompress(r.data)
    r = c.get("/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in r.headers
