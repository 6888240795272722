"""Self-administered one-time links, soft quota warnings, approval and training mode."""

from __future__ import annotations

import re
from typing import Any

from fieldkit.crypto import open_sealed
from station_support import StationClient, path_of


def _link(c: StationClient, iid: str) -> str:
    page = c.get(f"/i/{iid}/link").get_data(as_text=True)
    assert 'data-testid="qr"' in page and "<svg" in page
    url = re.search(r'data-testid="link-url">([^<]+)<', page).group(1)
    return path_of(url)


def test_self_administered_link_works_once(make_app: Any, study_key: Any) -> None:
    app = make_app(PUBLIC_URL="http://192.0.2.1:8000")
    enum = StationClient(app)
    enum.add_enumerator("E01")
    enum.signin("E01", "2468")
    iid = enum.start(mode="self", language="hi")
    link = _link(enum, iid)
    assert link.startswith("/s/")
    journals = enum.state.journal_dir
    assert list(journals.iterdir()) == []          # a QR code never scanned leaves nothing
    phone = StationClient(app)
    page = phone.get(link).get_data(as_text=True)
    assert 'data-testid="open-begin"' in page
    r = phone.post(link)
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/i/{iid}/consent")
    assert len(list(journals.iterdir())) == 1
    consent = phone.get(f"/i/{iid}/consent").get_data(as_text=True)
    assert "यह अध्ययन शोध के लिए है।" in consent and "consent-verbal" not in consent
    # the link is spent: a second phone (or the same link again) is refused
    second = StationClient(app)
    assert second.get(link).status_code == 410
    assert second.post(link).status_code == 410
    assert phone.post(link).status_code == 410
    # the phone reaches this interview and nothing else
    for url in ("/", "/start"):
        r = phone.get(url)
        assert r.status_code == 302 and f"/i/{iid}" in r.headers["Location"]
    # the enumerator sees status only, never the respondent's pages
    assert 'data-testid="phone-status"' in enum.get(f"/i/{iid}/link").get_data(as_text=True)
    assert enum.get(f"/i/{iid}/consent").status_code == 403
    phone.post(f"/i/{iid}/consent", {"action": "agree"})
    phone.run_full(iid, comment="all good")
    phone.finish(iid)
    done = phone.get("/i/done").get_data(as_text=True)
    assert 'data-outcome="completed"' in done
    item = list(enum.state.outbox.items())[0]
    opened = open_sealed(item, study_key)
    assert opened["paradata"]["mode"] == "self" and opened["answers"]["comment"] == "all good"
    # after finishing, the phone's session opens nothing
    assert phone.get(f"/i/{iid}/q/age_band").status_code in (302, 404)


def test_expired_link_is_refused(make_app: Any) -> None:
    app = make_app(SELFADMIN_TTL_SECONDS=-1)
    enum = StationClient(app)
    enum.add_enumerator("E01")
    enum.signin("E01", "2468")
    iid = enum.start(mode="self")
    link = _link(enum, iid)
    assert StationClient(app).get(link).status_code == 410


def test_cancelled_link_records_nothing(signed_in: Any) -> None:
    c = signed_in
    iid = c.start(mode="self")
    link = _link(c, iid)
    c.post(f"/i/{iid}/link/close")
    assert StationClient(c.app).get(link).status_code == 410
    assert list(c.state.outbox.items(include_training=True)) == []


def test_soft_quota_warning_asks_a_reason_and_marks_the_header(signed_in: Any) -> None:
    c = signed_in
    c.state.store.set(quotas={"st_all": {
        "gender=female;site=pune": {"target": 10, "count": 10, "tolerance": 0,
                                    "allocation": 0, "status": "full"},
        "gender=male;site=pune": {"target": 10, "count": 2, "tolerance": 0,
                                  "allocation": 4, "status": "open"}}})
    home = c.get("/").get_data(as_text=True)
    assert 'data-testid="quotas"' in home
    # an open cell: no warning
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.answer(iid, "gender", {"answer": "male"})
    assert c.current_qid(iid) == "years"
    c.post(f"/i/{iid}/stop", {"keep": "no"})
    # a spent cell: warning, a reason, then the interview goes on
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    r = c.answer(iid, "gender", {"answer": "female"})
    assert r.headers["Location"].endswith(f"/i/{iid}/quota")
    assert c.get(f"/i/{iid}/q/years").headers["Location"].endswith(f"/i/{iid}/quota")
    page = c.get(f"/i/{iid}/quota").get_data(as_text=True)
    assert 'data-testid="quota-warning"' in page
    assert c.post(f"/i/{iid}/quota", {}).status_code == 400
    r = c.post(f"/i/{iid}/quota", {"reason": "supervisor_agreed"})
    assert r.headers["Location"].endswith(f"/i/{iid}/q/years")
    c.answer(iid, "years", {"number": "4"})
    c.post(f"/i/{iid}/stop", {"keep": "yes"})
    items = [i for i in c.state.outbox.items() if i.header["outcome"] == "terminated"
             and i.header["keep_partial"]]
    assert items[0].header["over_quota"] is True


def test_allocation_counts_local_completes_since_last_sync(signed_in: Any) -> None:
    c = signed_in
    c.state.store.set(quotas={"st_all": {"gender=female;site=pune": {
        "target": 10, "count": 5, "tolerance": 0, "allocation": 1, "status": "open"}}})
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    c.finish(iid)                                 # the one allocated slot is used
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    r = c.answer(iid, "gender", {"answer": "female"})
    assert r.headers["Location"].endswith(f"/i/{iid}/quota")


def test_unapproved_form_is_refused(make_app: Any) -> None:
    app = make_app(approve=False)
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    assert 'data-testid="no-forms"' in c.get("/start").get_data(as_text=True)
    r = c.post("/start", {"form": "st_all", "site": "pune", "language": "en",
                          "mode": "laptop"})
    assert r.status_code == 403
    assert "not an approved version" in r.get_data(as_text=True)
    assert list(c.state.interviews) == []


def test_training_mode_is_marked_and_never_syncs(make_app: Any) -> None:
    app = make_app(approve=False, TRAINING=True)
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    assert 'data-testid="training-banner"' in c.get("/").get_data(as_text=True)
    iid = c.start()
    c.consent(iid)
    c.run_full(iid)
    c.finish(iid)
    [item] = list(c.state.outbox.items(include_training=True))
    assert item.header["training"] is True
    assert c.state.outbox.pending() == []
    home = c.get("/").get_data(as_text=True)
    assert 'data-testid="outcome-completed">1<' in home     # practice counts are shown


def test_training_station_without_a_study_seals_to_a_throwaway_key(tmp_path: Any) -> None:
    from fieldkit.station.app import create_app
    from station_support import FORMS_DIR

    app = create_app({"STATION_DIR": str(tmp_path / "s"), "FORMS_DIR": str(FORMS_DIR),
                      "TRAINING": True, "SECRET_KEY": "k"})
    try:
        c = StationClient(app)
        c.add_enumerator("T1")
        c.signin("T1", "1234")
        iid = c.start()
        c.consent(iid)
        c.run_full(iid)
        c.finish(iid)
        [item] = list(c.state.outbox.items(include_training=True))
        assert item.header["training"] is True and item.header["station"] == "training"
    finally:
        app.extensions["fieldkit_station"].db.close()
