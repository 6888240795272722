"""Helpers for the station route tests (imported by conftest and the tests)."""

from __future__ import annotations

import http.client
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

FORMS_DIR = Path(__file__).resolve().parent / "forms"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_study(private_key: X25519PrivateKey) -> Any:
    from fieldkit.study import StudyConfig, key_id_for

    public = private_key.public_key()
    kid = key_id_for(public)
    return StudyConfig(study_id="station_test", current_key_id=kid, public_keys={kid: public},
                       fingerprint_secret=secrets.token_bytes(32),
                       sketch_secret=secrets.token_bytes(32))


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class StationClient:
    """Flask test client with the station's CSRF token and a few flow steps."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.http = app.test_client()
        self.token: str | None = None
        self.responses: list[Any] = []

    @property
    def state(self) -> Any:
        return self.app.extensions["fieldkit_station"]

    def _keep(self, resp: Any) -> Any:
        resp.get_data()
        resp.close()          # static files are streamed: close their file handles
        self.responses.append(resp)
        m = CSRF_RE.search(resp.get_data(as_text=True)) if resp.mimetype == "text/html" else None
        if m:
            self.token = m.group(1)
        return resp

    def get(self, url: str, **kw: Any) -> Any:
        return self._keep(self.http.get(url, **kw))

    def post(self, url: str, data: dict[str, Any] | None = None, csrf: bool = True,
             **kw: Any) -> Any:
        data = dict(data or {})
        if csrf:
            if self.token is None:
                self.get("/signin")
            data.setdefault("csrf_token", self.token)
        return self._keep(self.http.post(url, data=data, **kw))

    def add_enumerator(self, code: str) -> None:
        with self.state.db_lock:
            self.state.store.add_enumerator(code)

    def signin(self, code: str, pin: str) -> Any:
        self.get("/signin")
        r = self.post("/signin", {"code": code, "pin": pin})
        if b'name="pin2"' in r.data:
            r = self.post("/signin/pin", {"code": code, "pin": pin, "pin2": pin})
        assert r.status_code == 302, r.get_data(as_text=True)
        self.get("/")
        return r

    def start(self, form: str = "st_all", site: str | None = "pune", language: str = "en",
              mode: str = "laptop") -> str:
        data = {"form": form, "language": language, "mode": mode}
        if site:
            data["site"] = site
        r = self.post("/start", data)
        assert r.status_code == 303, r.get_data(as_text=True)
        loc = path_of(r.headers["Location"])
        iid = loc.split("/")[2]
        self.get(loc)
        return iid

    def consent(self, iid: str, mode: str = "verbal") -> Any:
        return self.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": mode})

    def where(self, iid: str) -> str:
        r = self.http.get(f"/i/{iid}")
        assert r.status_code == 302, r.status_code
        return path_of(r.headers["Location"])

    def current_qid(self, iid: str) -> str | None:
        loc = self.where(iid)
        return loc.rsplit("/", 1)[1] if "/q/" in loc else None

    def answer(self, iid: str, qid: str, data: dict[str, Any] | None = None,
               action: str = "next") -> Any:
        assert self.current_qid(iid) == qid, (self.current_qid(iid), qid)
        self.get(f"/i/{iid}/q/{qid}")
        payload = {"action": action, **(data or {})}
        return self.post(f"/i/{iid}/q/{qid}", payload)

    def run_full(self, iid: str, comment: str = "nothing more", notes: str = "calm",
                 gender: str = "female", until: str | None = None) -> Any:
        """Answer every question of st_all (from eligibility to the finish page)."""
        self.answer(iid, "age_band", {"answer": "a18_60"})
        self.answer(iid, "gender", {"answer": gender})
        if self.current_qid(iid) != "years":
            return None
        self.answer(iid, "years", {"number": "12"})
        self.answer(iid, "intro")
        self.answer(iid, "prevalence", {"answer": "somewhat"})
        self.answer(iid, "registration", {"answer": "not_sure"})
        self.answer(iid, "places", {"answer": ["online", "public"]})
        self.answer(iid, "reasons", {"rank_staff": "1", "rank_evidence": "2",
                                     "rank_witnesses": ""})
        r = self.answer(iid, "comment", {"text": comment})
        if until == "comment":
            return r
        return self.answer(iid, "notes", {"text": notes})

    def finish(self, iid: str) -> Any:
        self.get(f"/i/{iid}/finish")
        return self.post(f"/i/{iid}/finish")


class Http:
    """A tiny cookie-keeping HTTP client (no redirects followed)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, data: dict[str, Any] | None = None
                ) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if data is not None:
            body = urlencode({"csrf_token": self.token, **data}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie" and value.startswith("s="):
                self.cookie = value.split(";", 1)[0]
        m = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if m:
            self.token = m.group(1)
        location = urlsplit(resp.getheader("Location") or "").path
        conn.close()
        return resp.status, text, location

    def get(self, path: str) -> tuple[int, str, str]:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str, str]:
        return self.request("POST", path, data)
