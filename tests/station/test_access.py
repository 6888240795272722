"""Every page but sign-in refuses an unauthenticated request; no question before consent."""

from __future__ import annotations

import re
import tempfile
from typing import Any

import pytest

from station_support import FORMS_DIR

# Reachable without a session, each for a reason: signing in (and first-run setup, only
# from the laptop itself and only before enrollment: see test_enroll_sync); the neutral
# page and the quick exit (they only lock); the respondent's one-time link (its token is
# the key); static assets and the font (no data).
PUBLIC = {"auth.signin", "auth.set_pin", "auth.setup", "auth.neutral", "auth.quick_exit",
          "selfadmin.open", "static", "fonts"}


def _rules() -> list[tuple[str, str, str]]:
    from fieldkit.station.app import create_app

    with tempfile.TemporaryDirectory() as d:
        app = create_app({"STATION_DIR": d, "FORMS_DIR": str(FORMS_DIR), "TRAINING": True,
                          "SECRET_KEY": "x"})
        out = []
        for rule in app.url_map.iter_rules():
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, rule.rule, method))
        app.extensions["fieldkit_station"].db.close()
    return out


RULES = _rules()


def _fill(rule: str, iid: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>",
                  lambda m: {"iid": iid, "qid": "age_band", "token": "x" * 24,
                             "filename": "station.css"}.get(m.group(1), "x"), rule)


def test_the_public_list_names_real_endpoints() -> None:
    assert PUBLIC <= {r[0] for r in RULES}


@pytest.mark.parametrize("endpoint,rule,method",
                         [r for r in RULES if r[0] not in PUBLIC],
                         ids=[f"{r[2]} {r[1]}" for r in RULES if r[0] not in PUBLIC])
def test_unauthenticated_request_is_refused(make_app: Any, endpoint: str, rule: str,
                                            method: str) -> None:
    # CSRF off, so that what refuses the request is the sign-in check, not the token.
    app = make_app(WTF_CSRF_ENABLED=False)
    # A real interview exists: knowing its id must not be enough.
    from station_support import StationClient

    owner = StationClient(app)
    owner.add_enumerator("E01")
    owner.signin("E01", "1357")
    iid = owner.start()
    owner.consent(iid)

    anon = app.test_client()
    r = anon.open(_fill(rule, iid), method=method, data={"action": "next", "answer": "a18_60"})
    if r.status_code in (301, 302, 303):
        assert r.headers["Location"].endswith("/signin")
    else:
        assert r.status_code == 401, (r.status_code, r.data[:200])
    assert owner.state.interviews.get(iid).answers == {"site": "pune"} or \
        owner.state.interviews.get(iid).answers == {}
    assert b"age group" not in r.data


def test_another_enumerator_cannot_open_my_interview(make_app: Any) -> None:
    from station_support import StationClient

    app = make_app()
    a, b = StationClient(app), StationClient(app)
    a.add_enumerator("E01")
    a.add_enumerator("E02")
    a.signin("E01", "1357")
    b.signin("E02", "2468")
    iid = a.start()
    assert b.get(f"/i/{iid}/consent").status_code == 404
    assert b.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal"}
                  ).status_code == 404
    assert a.state.interviews.get(iid).consent_mode is None


def test_no_question_url_works_before_consent(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    form = c.state.forms["st_all"]
    for q in form.all_questions:
        r = c.get(f"/i/{iid}/q/{q.id}")
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/i/{iid}/consent")
        r = c.post(f"/i/{iid}/q/{q.id}", {"action": "next", "answer": "a18_60"})
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/i/{iid}/consent")
    for page in ("finish", "quota"):
        r = c.get(f"/i/{iid}/{page}")
        assert r.headers["Location"].endswith(f"/i/{iid}/consent")
    r = c.post(f"/i/{iid}/finish")
    assert r.headers["Location"].endswith(f"/i/{iid}/consent")
    iv = c.state.interviews.get(iid)
    assert iv.answers == {} and iv.stage == "consent"


def test_question_ahead_of_the_interview_is_not_shown(signed_in: Any) -> None:
    c = signed_in
    iid = c.start()
    c.consent(iid)
    r = c.get(f"/i/{iid}/q/comment")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/i/{iid}/q/age_band")
    r = c.post(f"/i/{iid}/q/comment", {"action": "next", "text": "sneaky"})
    assert r.headers["Location"].endswith(f"/i/{iid}/q/age_band")
    assert "comment" not in c.state.interviews.get(iid).answers
