"""Enroll a station with the CLI and sync from its home page, against a real aggregator
served over loopback HTTP."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from fieldkit.cli import main
from station_support import FORMS_DIR, StationClient, make_study


@pytest.fixture
def aggregator(tmp_path: Path, study_key: Any) -> Iterator[tuple[str, str, Any]]:
    from aggregator import registry, stations
    from aggregator.app import create_app as create_aggregator
    from aggregator.db import open_aggregator_db
    from aggregator.quota_service import set_target
    from fieldkit.forms import load_form

    study = make_study(study_key)
    db_path = tmp_path / "aggregator.db"
    db = open_aggregator_db(db_path)
    registry.set_study(db, study.to_dict())
    form = load_form(FORMS_DIR / "st_all.yaml")
    registry.register_form(db, form_id=form.id, form_hash=form.hash, version=form.version,
                           source=Path(form.source).read_text(encoding="utf-8"))
    registry.approve_form(db, form.hash, irb_reference="IRB/1", approved_on="2026-11-01",
                          approver="chair", recorded_by="admin")
    with db.conn:
        set_target(db, "st_all", "gender=female;site=pune", 3)
    token = stations.create_station(db, "ST09", enumerators=["E01", "E02"])
    db.conn.close()
    app = create_aggregator({"AGGREGATOR_DB": str(db_path), "SECRET_KEY": "k"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token, form
    finally:
        server.shutdown()
        server.server_close()


def test_enroll_then_sync_from_home_and_cli(tmp_path: Path, aggregator: Any) -> None:
    from fieldkit.station.app import create_app

    url, token, form = aggregator
    station_dir = tmp_path / "enrolled"
    runner = CliRunner()
    from aggregator.stations import enrollment_code

    code = enrollment_code(url, token)               # what the admin's QR code holds
    r = runner.invoke(main, ["station", "enroll", code, "--dir", str(station_dir)])
    assert r.exit_code == 0, r.output
    assert "ST09" in r.output
    r = runner.invoke(main, ["station", "enroll", url, token, "--dir", str(station_dir)])
    assert r.exit_code != 0                                    # a token works once

    app = create_app({"STATION_DIR": str(station_dir), "FORMS_DIR": str(FORMS_DIR),
                      "SECRET_KEY": "s"})
    try:
        c = StationClient(app)
        c.signin("E02", "8642")                                 # code came with enrollment
        assert form.hash in c.state.approved_hashes()
        home = c.get("/").get_data(as_text=True)
        assert 'data-testid="quota-gender=female;site=pune"' in home   # before any sync
        for i in range(2):
            iid = c.start()
            c.consent(iid)
            c.run_full(iid, comment=f"respondent {i}")   # same answers = duplicate content
            c.finish(iid)
        assert c.state.outbox.stats()["pending"] == 2
        r = c.post("/sync")
        assert r.status_code == 303 and r.headers["Location"].endswith("?m=synced")
        home = c.get("/").get_data(as_text=True)
        assert 'data-testid="pending">Waiting to sync: 0' in home
        assert "Not synced yet." not in home
        quotas = c.state.store.get("quotas")["st_all"]["gender=female;site=pune"]
        assert quotas["count"] == 2 and quotas["target"] == 3
        # one more through the CLI, with its progress bar
        iid = c.start()
        c.consent(iid)
        c.post(f"/i/{iid}/consent")
        c.post(f"/i/{iid}/stop", {"keep": "no"})
    finally:
        app.extensions["fieldkit_station"].db.close()
    r = runner.invoke(main, ["sync", "--dir", str(station_dir)])
    assert r.exit_code == 0, r.output
    assert "Accepted 1" in r.output


def test_sync_without_enrollment_says_so(signed_in: Any) -> None:
    r = signed_in.post("/sync")
    assert r.headers["Location"].endswith("?m=station.not_enrolled")
    page = signed_in.get("/?m=station.not_enrolled").get_data(as_text=True)
    assert "This station is not enrolled in a study yet." in page


def test_revoked_station_starts_no_interview(signed_in: Any) -> None:
    c = signed_in
    c.state.store.set(revoked=True)
    assert 'data-testid="revoked"' in c.get("/").get_data(as_text=True)
    r = c.post("/start", {"form": "st_all", "site": "pune", "language": "en",
                          "mode": "laptop"})
    assert r.status_code == 403 and list(c.state.interviews) == []


def test_setup_page_enrolls_a_new_station_from_the_laptop_only(tmp_path: Path,
                                                                aggregator: Any) -> None:
    from aggregator.stations import enrollment_code

    from fieldkit.station.app import create_app

    url, token, form = aggregator
    app = create_app({"STATION_DIR": str(tmp_path / "fresh"), "FORMS_DIR": str(FORMS_DIR),
                      "SECRET_KEY": "s"})
    try:
        phone = app.test_client()
        r = phone.get("/setup", environ_base={"REMOTE_ADDR": "10.42.0.7"})
        assert r.status_code == 302 and r.headers["Location"].endswith("/signin")
        c = StationClient(app)
        page = c.get("/signin").get_data(as_text=True)
        assert 'data-testid="setup"' in page
        c.get("/setup")
        r = c.post("/setup", {"code": "not a code"})
        assert r.status_code == 400 and 'data-testid="setup-error"' in r.get_data(as_text=True)
        r = c.post("/setup", {"code": enrollment_code(url, token)})
        assert r.status_code == 303
        st = c.state
        assert st.station_code == "ST09" and st.study is not None
        assert form.hash in st.approved_hashes()
        # enrolled: the setup page is gone
        assert c.get("/setup").status_code == 302
        assert 'data-testid="setup"' not in c.get("/signin").get_data(as_text=True)
        c.signin("E01", "1470")
        iid = c.start()
        assert c.state.interviews.get(iid).station == "ST09"
    finally:
        app.extensions["fieldkit_station"].db.close()
