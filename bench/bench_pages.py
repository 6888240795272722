"""Station question pages: server time, bytes per page, first-visit bytes.

Run: ``.venv/bin/python bench/bench_pages.py`` (``make bench`` runs every bench script).

Sets up a real station (temp STATION_DIR, the browser-test form in training mode), signs in,
starts an interview in Marathi, records consent and walks to the questions. Then:

* **server time per question page**: the Flask test client (no network) GETs the current
  question page N times, and also POSTs answers through the whole form; p50/p95 in ms.
  Reference in the same run: a trivial Flask view on an app with the same settings, so the
  figure can be read as "x times an empty Flask request" on another machine.
* **bytes per question page**: the HTML body of each question page, raw and gzip -6 (what
  a compressing proxy or gunicorn behind one would send); the max over the form is printed.
* **first visit**: the question page plus every stylesheet, script and font it references
  (CSS ``url()``s with a ``unicode-range`` that covers the page's text), each gzip'd except
  woff2 (already compressed).

Targets (issue 5): <= 5 ms p95 server time, <= 8 KB per question page, <= 80 KB first visit.
Prints figures; exits non-zero only if the station cannot be driven at all.
"""

from __future__ import annotations

import gzip
import os
import re
import json
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FORMS_DIR = REPO / "tests" / "browser" / "forms"
REAL_FORMS = REPO / "forms"
TARGET_P95_MS = 5.0
TARGET_PAGE_BYTES = 8 * 1024
TARGET_FIRST_VISIT = 80 * 1024


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and (a.get("rel") or "").lower() in ("stylesheet", "icon", "preload"):
            if a.get("href") and not (a.get("href") or "").startswith("data:"):
                self.urls.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        elif tag == "img" and a.get("src") and not (a.get("src") or "").startswith("data:"):
            self.urls.append(a["src"] or "")


_FONT_FACE = re.compile(r"@font-face\s*{([^}]*)}", re.S)
_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
_RANGE = re.compile(r"unicode-range\s*:\s*([^;}]*)")


def _ranges(spec: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        part = part.strip().upper().removeprefix("U+")
        if "-" in part:
            a, b = part.split("-")
            out.append((int(a, 16), int(b, 16)))
        elif "?" in part:
            out.append((int(part.replace("?", "0"), 16), int(part.replace("?", "F"), 16)))
        elif part:
            out.append((int(part, 16), int(part, 16)))
    return out


def _page_text_codepoints(html: str) -> set[int]:
    text = re.sub(r"<[^>]+>", " ", html)
    return {ord(c) for c in text}


Fetch = Callable[[str], tuple[int, bytes, dict[str, str], int]]


def first_visit(get: Fetch, page_url: str, html: bytes, html_served: int
                ) -> list[tuple[str, int, int, int]]:
    """[(url, raw bytes, bytes as served today, bytes if everything were gzip'd)] for the
    page and everything a browser fetches for it (``get`` asks with Accept-Encoding:
    gzip and returns the decoded body plus the length actually sent)."""
    items = [(page_url, len(html), html_served, gz(html))]
    parser = _Assets()
    parser.feed(html.decode("utf-8", "replace"))
    text_cps = _page_text_codepoints(html.decode("utf-8", "replace"))
    seen: set[str] = set()
    for ref in parser.urls:
        url = urljoin(page_url, ref)
        if url in seen:
            continue
        seen.add(url)
        status, body, headers, served = get(url)
        if status != 200:
            items.append((url + f" (HTTP {status})", 0, 0, 0))
            continue
        items.append((url, len(body), served, gz(body)))
        if "css" in headers.get("Content-Type", "") or url.endswith(".css"):
            css = body.decode("utf-8", "replace")
            for face in _FONT_FACE.findall(css):
                rng = _RANGE.search(face)
                if rng and not any(lo <= cp <= hi for lo, hi in _ranges(rng.group(1))
                                   for cp in text_cps):
                    continue   # the browser would not download this face for this page
                for font_ref in _URL.findall(face)[:1]:
                    furl = urljoin(url, font_ref)
                    if furl in seen:
                        continue
                    seen.add(furl)
                    fstatus, fbody, _, fserved = get(furl)
                    wire = len(fbody) if furl.endswith(".woff2") else gz(fbody)
                    items.append((furl + ("" if fstatus == 200 else f" (HTTP {fstatus})"),
                                  len(fbody), fserved, wire))
    return items


def fmt_ms(v: float) -> str:
    return f"{v:6.2f} ms"


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# A canned answer per question type (the bench form: tests/browser/forms/bt_views.yaml).
CANNED: dict[str, dict[str, Any]] = {
    "single_choice": {}, "scale": {}, "true_false": {"answer": "true"},
    "multiple_choice": {}, "ranking": {}, "banded_number": {"number": "12"},
    "text": {"text": "nothing more"}, "long_text": {"text": "nothing more"}, "note": {},
}


class StationDriver:
    """A real, enrolled station (study key, approved form) driven through Flask's test
    client the way a browser drives it: CSRF token from the page, redirects followed."""

    def __init__(self, station_dir: Path, forms_dir: Path) -> None:
        import secrets

        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from fieldkit.station.app import create_app
        from fieldkit.study import StudyConfig, key_id_for

        public = X25519PrivateKey.generate().public_key()
        kid = key_id_for(public)
        StudyConfig(study_id="bench", current_key_id=kid, public_keys={kid: public},
                    fingerprint_secret=secrets.token_bytes(32),
                    sketch_secret=secrets.token_bytes(32)).save(station_dir)
        self.app = create_app({"STATION_DIR": str(station_dir), "FORMS_DIR": str(forms_dir),
                               "TRAINING": False, "IDLE_LOCK_SECONDS": 0,
                               "SECRET_KEY": secrets.token_hex(32)})
        self.state = self.app.extensions["fieldkit_station"]
        with self.state.db_lock:
            self.state.store.add_enumerator("E01")
            self.state.store.set(approved_forms=[f.hash for f in self.state.forms.values()],
                                 station_code="ST01")
        self.form_id = "bt_views"
        self.client = self.app.test_client()
        self.token: str | None = None
        self.iid: str | None = None

    def get(self, url: str) -> Any:
        r = self.client.get(url)
        m = CSRF_RE.search(r.get_data(as_text=True)) if r.mimetype == "text/html" else None
        if m:
            self.token = m.group(1)
        return r

    def post(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.post(url, data={"csrf_token": self.token, **data})

    def where(self) -> str:
        return path_of(self.client.get(f"/i/{self.iid}").headers["Location"])

    def next_question(self) -> str | None:
        """The interview's current question page, past any soft quota warning (passed
        with a reason, as an enumerator would); None once the interview has no more."""
        while True:
            loc = self.where()
            if "/quota" not in loc:
                return loc if "/q/" in loc else None
            self.get(loc)
            self.post(loc, {"reason": "other"})

    def begin(self, lang: str, form_id: str | None = None) -> None:
        form_id = form_id or self.form_id
        form = self.state.forms[form_id]
        site = None
        if any(q.id == "site" for q in form.all_questions):
            site = form.question("site").options[0].code
        self.get("/signin")
        r = self.post("/signin", {"code": "E01", "pin": "2468"})
        if b'name="pin2"' in r.data:
            self.get("/signin")
            r = self.post("/signin/pin", {"code": "E01", "pin": "2468", "pin2": "2468"})
        assert r.status_code == 302, f"sign-in failed: {r.status_code}"
        self.get(f"/start?form={form_id}")
        data = {"form": form_id, "language": lang, "mode": "laptop"}
        if site:
            data["site"] = site
        r = self.post("/start", data)
        assert r.status_code == 303, f"start failed: {r.status_code}"
        self.iid = path_of(r.headers["Location"]).split("/")[2]
        self.get(f"/i/{self.iid}/consent")
        modes = form.consent.modes
        r = self.post(f"/i/{self.iid}/consent", {"action": "agree",
                                                 "consent_mode": modes[0]})
        assert r.status_code in (302, 303), f"consent failed: {r.status_code}"

    def _answer_data(self, html: str, qtype: str) -> dict[str, Any]:
        data = dict(CANNED.get(qtype, {}))
        codes = re.findall(r'name="answer" value="([^"]+)"', html)
        if qtype in ("single_choice", "scale") and codes:
            data["answer"] = codes[1] if len(codes) > 1 else codes[0]   # not the first:
        elif qtype == "multiple_choice" and codes:                       # avoids 'none'/
            data["answer"] = codes[:1]                                    # 'under 18'
        elif qtype == "ranking":
            items = re.findall(r'name="rank_([a-z0-9_]+)"', html)
            data.update({f"rank_{c}": str(i + 1) for i, c in enumerate(items[:1])})
        return data

    def walk_questions(self, lang: str, repeat: int = 0
                       ) -> tuple[list[tuple[str, bytes]], list[float]]:
        """Every question page of one interview, answered in turn. With ``repeat``, each
        page (the interview's current question) is also fetched that many more times,
        timed: [ms]."""
        self.begin(lang)
        pages: list[tuple[str, bytes]] = []
        get_ms: list[float] = []
        self.get_cpu_ms: list[float] = []
        self.ref_ms: list[float] = []
        ref = self.reference_client()
        self.answer_forms: dict[str, dict[str, Any]] = {}
        for _ in range(100):
            loc = self.next_question()
            if loc is None:
                break
            r = self.get(loc)
            html = r.get_data()
            assert r.status_code == 200, f"{loc}: HTTP {r.status_code}"
            pages.append(("http://localhost" + loc, html))
            for i in range(repeat + 10):
                # Interleaved with the reference request, so both see the same machine
                # load (other processes, GC): their ratio is the portable figure.
                c0 = time.thread_time()
                t0 = time.perf_counter()
                r = self.client.get(loc)
                t1 = time.perf_counter()
                c1 = time.thread_time()
                ref.get("/ping")
                t2 = time.perf_counter()
                if i >= 10:                            # the first ones warm up
                    get_ms.append((t1 - t0) * 1000)
                    self.get_cpu_ms.append((c1 - c0) * 1000)
                    self.ref_ms.append((t2 - t1) * 1000)
                assert r.status_code == 200 and b"data-qid" in r.get_data(), loc
            qtype = re.search(rb'data-qtype="([a-z_]+)"', html).group(1).decode()
            data = self._answer_data(html.decode("utf-8"), qtype)
            self.answer_forms[loc] = data
            r = self.post(loc, {"action": "next", **data})
            assert r.status_code in (302, 303), f"{loc}: answer refused ({r.status_code})"
        return pages, get_ms

    def skip_through(self, form_id: str, lang: str) -> list[tuple[str, bytes]]:
        """Every question page of ``form_id`` (screening answered to be eligible, every
        other question skipped)."""
        import itertools

        form = self.state.forms[form_id]
        screening: dict[str, str] = {}
        if form.eligibility is not None:
            qs = form.eligibility.questions
            for combo in itertools.product(*[[o.code for o in q.options] for q in qs]):
                answers = dict(zip([q.id for q in qs], combo))
                if (form.eligibility.eligible_if is None
                        or form.eligibility.eligible_if.evaluate(answers)):
                    screening = answers
                    break
        self.begin(lang, form_id)
        pages: list[tuple[str, bytes]] = []
        for _ in range(500):
            loc = self.next_question()
            if loc is None:
                break
            r = self.get(loc)
            pages.append(("http://localhost" + loc, r.get_data()))
            qid = loc.rsplit("/", 1)[1]
            if qid in screening:
                data = {"action": "next", "answer": screening[qid]}
            elif b'data-qtype="note"' in r.get_data():
                data = {"action": "next"}
            else:
                data = {"action": "skip"}
            r = self.post(loc, data)
            assert r.status_code in (302, 303), f"{loc}: HTTP {r.status_code}"
        return pages

    def first_question_page(self, lang: str) -> tuple[str, bytes]:
        """A fresh interview in ``lang``: its first question page."""
        self.begin(lang)
        loc = self.where()
        return "http://localhost" + loc, self.get(loc).get_data()

    def time_answer_posts(self, rounds: int) -> list[float]:
        """POST an answer (validate, store, journal append, redirect), then Back; only the
        answer POST is timed."""
        self.iid = None
        self.begin("mr")
        # Walk to a middle question (prevalence) of a fresh interview.
        for _ in range(20):
            loc = self.where()
            html = self.get(loc).get_data(as_text=True)
            if loc.endswith("/q/prevalence"):
                break
            qtype = re.search(r'data-qtype="([a-z_]+)"', html).group(1)
            self.post(loc, {"action": "next", **self._answer_data(html, qtype)})
        loc = self.where()
        out = []
        self.post_cpu_ms: list[float] = []
        for _ in range(rounds):
            html = self.get(loc).get_data(as_text=True)
            data = {"action": "next", **self._answer_data(html, "scale")}
            c0 = time.thread_time()
            t0 = time.perf_counter()
            r = self.post(loc, data)
            out.append((time.perf_counter() - t0) * 1000)
            self.post_cpu_ms.append((time.thread_time() - c0) * 1000)
            assert r.status_code in (302, 303), r.status_code
            self.post(f"/i/{self.iid}/back", {})
        return out

    def reference_client(self) -> Any:
        from flask import Flask

        ref = Flask("reference")
        ref.config.update(SECRET_KEY="x" * 32, SESSION_COOKIE_HTTPONLY=True)
        ref.add_url_rule("/ping", "ping", lambda: "ok")
        return ref.test_client()

    def server_compresses(self, url: str) -> bool:
        r = self.client.get(path_of(url), headers={"Accept-Encoding": "gzip"})
        return r.headers.get("Content-Encoding") == "gzip"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as tmp:
        drv = StationDriver(Path(tmp) / "station", FORMS_DIR)
        client = drv.client

        def get(url: str) -> tuple[int, bytes, dict[str, str], int]:
            r = client.get(path_of(url), headers={"Accept-Encoding": "gzip"})
            sent = r.get_data()
            body = gzip.decompress(sent) if r.headers.get("Content-Encoding") == "gzip" \
                else sent
            return r.status_code, body, dict(r.headers), len(sent)

        en_url, en_html = drv.first_question_page("en")
        html_gzipped = drv.server_compresses(en_url)
        pages, get_ms = drv.walk_questions(lang="mr", repeat=200)
        if not pages:
            print("could not reach any question page", file=sys.stderr)
            return 1
        post_ms = drv.time_answer_posts(rounds=100)

        ref_ms = drv.ref_ms

        sizes = [(u, len(h), gz(h)) for u, h in pages]
        worst = max(sizes, key=lambda s: s[2])
        def served_len(html: bytes) -> int:
            return gz(html) if html_gzipped else len(html)

        fv = first_visit(get, pages[0][0], pages[0][1], served_len(pages[0][1]))
        fv_served = sum(x[2] for x in fv)
        fv_gzip = sum(x[3] for x in fv)

        p50, p95 = percentile(get_ms, 0.5), percentile(get_ms, 0.95)
        r50, r95 = percentile(ref_ms, 0.5), percentile(ref_ms, 0.95)
        q50, q95 = percentile(post_ms, 0.5), percentile(post_ms, 0.95)
        print(f"station question pages: form {drv.form_id} ({len(pages)} question pages), "
              "Marathi, enrolled station, Flask test client (no network)")
        print(f"  GET question page   p50 {fmt_ms(p50)}  p95 {fmt_ms(p95)}   "
              f"target p95 <= {TARGET_P95_MS:.0f} ms: {verdict(p95 <= TARGET_P95_MS)}"
              f"  (n={len(get_ms)})")
        c50, c95 = percentile(drv.get_cpu_ms, 0.5), percentile(drv.get_cpu_ms, 0.95)
        print(f"  GET question page, CPU time of the serving thread: p50 {fmt_ms(c50)}  "
              f"p95 {fmt_ms(c95)}   target p95 <= {TARGET_P95_MS:.0f} ms: "
              f"{verdict(c95 <= TARGET_P95_MS)}  (excludes waiting for a busy CPU)")
        print(f"  POST answer         p50 {fmt_ms(q50)}  p95 {fmt_ms(q95)}   "
              f"target p95 <= {TARGET_P95_MS:.0f} ms: {verdict(q95 <= TARGET_P95_MS)}"
              f"  (n={len(post_ms)}; validate + encrypted journal append + fsync + redirect)")
        k50, k95 = percentile(drv.post_cpu_ms, 0.5), percentile(drv.post_cpu_ms, 0.95)
        print(f"  POST answer, CPU time: p50 {fmt_ms(k50)}  p95 {fmt_ms(k95)}"
              "   (the rest is waiting for fsync: the journal makes every answer durable)")
        print(f"  reference, empty Flask view (interleaved): p50 {fmt_ms(r50)}  p95 {fmt_ms(r95)}"
              f"  -> question page GET = {p50 / r50:.1f}x (p50), {p95 / r95:.1f}x (p95)")
        print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
              "(a p95 near the reference's p95 is scheduling noise, not the page)")
        worst_served = served_len(max(pages, key=lambda p: len(p[1]))[1])
        print(f"  bytes per question page as served today (HTML "
              f"{'gzip' if html_gzipped else 'not compressed'}), worst: {worst_served:,}   "
              f"target <= {TARGET_PAGE_BYTES:,}: {verdict(worst_served <= TARGET_PAGE_BYTES)}")
        print(f"  bytes per question page, worst ({path_of(worst[0]).rsplit('/', 1)[-1]}): "
              f"{worst[2]:,} gzip ({worst[1]:,} raw)   target <= {TARGET_PAGE_BYTES:,}: "
              f"{verdict(worst[2] <= TARGET_PAGE_BYTES)}")
        print(f"  median question page: {int(statistics.median(s[2] for s in sizes)):,} gzip "
              f"({int(statistics.median(s[1] for s in sizes)):,} raw)")
        print(f"  first visit, Marathi question page + assets, as served today: "
              f"{fv_served:,} bytes   target <= {TARGET_FIRST_VISIT:,}: "
              f"{verdict(fv_served <= TARGET_FIRST_VISIT)}")
        print(f"  first visit if every text response were gzip'd: {fv_gzip:,} bytes")
        anchor = REPO / "bench" / "out" / "enketo_anchor.json"
        if anchor.exists():   # written by bench/enketo_anchor.sh
            enketo = json.loads(anchor.read_text())["total_gzip"]
            print(f"  first visit as a ratio to Enketo's engine (JS+CSS gzip {enketo:,} bytes, "
                  f"bench/enketo_anchor.sh): {fv_served / enketo:.2f}x")
        else:
            print("  (run bench/enketo_anchor.sh once to compare with Enketo)")
        print("      served   gzip'd    (raw)  url")
        for url, raw, served, wire in fv:
            print(f"     {served:>7,}  {wire:>7,}  ({raw:>6,})  {path_of(url).split('?')[0]}")
        fv_en = first_visit(get, en_url, en_html, served_len(en_html))
        font_fetched = any(x[0].endswith(".woff2") for x in fv_en)
        print(f"  first visit, English question page, as served: {sum(x[2] for x in fv_en):,} "
              f"bytes; Devanagari font fetched: "
              f"{'yes (the language bar names हिन्दी and मराठी in Devanagari)' if font_fetched else 'no (unicode-range)'}")
        if REAL_FORMS.is_dir() and any(REAL_FORMS.glob("*.yaml")):
            real = StationDriver(Path(tmp) / "real", REAL_FORMS)
            print(f"  the study's forms ({REAL_FORMS.relative_to(REPO)}/), every question page"
                  " in Marathi, as served:")
            for fid in sorted(real.state.forms):
                rp = real.skip_through(fid, "mr")
                if not rp:
                    continue
                big = max(rp, key=lambda p: len(p[1]))
                served = served_len(big[1])
                print(f"      {fid:<22} {len(rp):>3} pages, median "
                      f"{int(statistics.median(len(h) for _, h in rp)):>5,}, worst {served:>6,}"
                      f" ({big[0].rsplit('/', 1)[-1]})   target <= {TARGET_PAGE_BYTES:,}: "
                      f"{verdict(served <= TARGET_PAGE_BYTES)}")
        print(f"  the station gzips HTML pages: {'yes' if html_gzipped else 'no'}; "
              "'gzip' figures are gzip -6 of the bodies, woff2 counted as is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
