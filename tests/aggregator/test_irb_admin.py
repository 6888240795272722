"""IRB pages show every form version with its hash and approval record; the study admin
records approvals, enrolls stations with a QR code and revokes them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest

from agg_support import csrf_from, register_example_versions

@pytest.fixture
def versions(db: Any) -> list[Any]:
    """Two versions of the example form, as registered by ``register-forms``."""
    forms = register_example_versions(db)
    assert forms[0].hash != forms[1].hash
    return forms


def _approve(client: Any, form_hash: str, **fields: str) -> Any:
    page = client.get(f"/irb/forms/{form_hash}").get_data(as_text=True)
    data = {"irb_reference": "IRB/2026/14", "approved_on": "2026-11-02",
            "approver": "Dr. Kulkarni, IRB chair", **fields, "csrf_token": csrf_from(page)}
    return client.post(f"/admin/approvals/{form_hash}", data=data)


def test_irb_sees_every_version_with_hash_and_approval(client_as: Any, db: Any,
                                                       versions: list[Any]) -> None:
    old, new = versions
    assert _approve(client_as("admin"), old.hash).status_code == 302
    html = client_as("irb").get("/irb/").get_data(as_text=True)
    for form in versions:
        assert form.hash in html
    assert "Version 1.0" in html and "Version 1.1" in html
    first, second = html.split(old.hash, 1)[1].split("</li>", 1)[0], \
        html.split(new.hash, 1)[1].split("</li>", 1)[0]
    assert "Approved" in first and "IRB/2026/14" in first and "2026-11-02" in first \
        and "Dr. Kulkarni, IRB chair" in first
    assert "Not approved" in second
    assert f"/irb/diff/{old.hash}/{new.hash}" in html

    page = client_as("irb").get(f"/irb/forms/{old.hash}").get_data(as_text=True)
    assert old.hash in page and "IRB/2026/14" in page and "Recorded by" in page
    assert "admin" in page.split("Recorded by", 1)[1]
    assert "<form" not in page.split("<main>", 1)[1]        # read-only for the IRB


def test_approval_is_what_stations_are_told(client_as: Any, db: Any, versions: list[Any]
                                            ) -> None:
    from aggregator.registry import approved_hashes

    old, new = versions
    assert approved_hashes(db) == []
    _approve(client_as("admin"), new.hash)
    assert approved_hashes(db) == [new.hash]
    row = dict(next(db.query("SELECT * FROM approvals")))
    assert row["recorded_by"] == "admin" and row["approver"] == "Dr. Kulkarni, IRB chair"
    actions = [r["action"] for r in db.query("SELECT action FROM audit_log")]
    assert "form.approve" in actions


@pytest.mark.parametrize("fields", [
    {"irb_reference": ""}, {"approver": "  "}, {"approved_on": "yesterday"},
    {"approved_on": (date.today() + timedelta(days=3)).isoformat()},
])
def test_incomplete_approval_is_refused(client_as: Any, db: Any, versions: list[Any],
                                        fields: dict[str, str]) -> None:
    response = _approve(client_as("admin"), versions[0].hash, **fields)
    assert response.status_code == 400
    assert "Give the IRB reference" in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM approvals").fetchone()[0] == 0


def test_only_the_admin_records_approvals(client_as: Any, db: Any, versions: list[Any]) -> None:
    for role in ("irb", "supervisor"):
        client = client_as(role)
        token = csrf_from(client.get("/", follow_redirects=True).get_data(as_text=True))
        response = client.post(f"/admin/approvals/{versions[0].hash}",
                               data={"irb_reference": "x", "approved_on": "2026-11-01",
                                     "approver": "y", "csrf_token": token})
        assert response.status_code == 403
    assert db.execute("SELECT COUNT(*) FROM approvals").fetchone()[0] == 0
    admin = client_as("admin")
    token = csrf_from(admin.get("/admin/").get_data(as_text=True))
    assert admin.post(f"/admin/approvals/{'0' * 64}",
                      data={"csrf_token": token}).status_code == 404


def test_review_packet_per_version(client_as: Any, versions: list[Any]) -> None:
    pytest.importorskip("fieldkit.forms.review")
    old, new = versions
    response = client_as("irb").get(f"/irb/forms/{new.hash}/packet")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert new.hash in html and "Example survey (revised)" in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    since = client_as("irb").get(f"/irb/forms/{new.hash}/packet?since={old.hash}")
    assert since.status_code == 200


def test_diff_between_versions(client_as: Any, versions: list[Any]) -> None:
    pytest.importorskip("fieldkit.forms.diff")
    old, new = versions
    response = client_as("irb").get(f"/irb/diff/{old.hash}/{new.hash}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert old.hash in html and new.hash in html
    assert "Example survey (revised)" in html


def test_unknown_versions_are_404(client_as: Any, versions: list[Any]) -> None:
    client = client_as("irb")
    assert client.get(f"/irb/forms/{'a' * 64}").status_code == 404
    assert client.get(f"/irb/forms/{'a' * 64}/packet").status_code == 404
    assert client.get(f"/irb/diff/{versions[0].hash}/{'a' * 64}").status_code == 404


# --- stations ------------------------------------------------------------------------------
def _study(db: Any) -> None:
    import secrets

    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from aggregator import registry
    from fieldkit.study import StudyConfig, key_id_for

    public = X25519PrivateKey.generate().public_key()
    registry.set_study(db, StudyConfig(
        study_id="csec", current_key_id=key_id_for(public), public_keys={key_id_for(public): public},
        fingerprint_secret=secrets.token_bytes(32), sketch_secret=secrets.token_bytes(32)).to_dict())


def test_enroll_a_station_by_qr_code(app: Any, client_as: Any, db: Any) -> None:
    _study(db)
    admin = client_as("admin")
    page = admin.get("/admin/stations").get_data(as_text=True)
    response = admin.post("/admin/stations", data={"code": "pune-1", "enumerators": "E01, E02",
                                                   "csrf_token": csrf_from(page)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg class="qr"' in html and "<?xml" not in html and "<img" not in html
    payload = json.loads(re.search(r'<textarea id="payload"[^>]*>([^<]+)</textarea>', html)
                         .group(1).replace("&#34;", '"').replace("&quot;", '"'))
    token = payload["token"]
    assert payload["url"] == app.config["PUBLIC_URL"]
    # the token is stored only as a hash, and it works exactly once
    dump = "\n".join(db.conn.iterdump())
    assert token not in dump
    first = app.test_client().post("/api/v1/enroll", json={"protocol": 1, "token": token})
    assert first.status_code == 200 and first.get_json()["enumerators"] == ["E01", "E02"]
    again = app.test_client().post("/api/v1/enroll", json={"protocol": 1, "token": token})
    assert again.status_code >= 400
    # the token is not shown again
    later = admin.get("/admin/stations").get_data(as_text=True)
    assert token not in later and "pune-1" in later


def test_bad_or_taken_station_codes(client_as: Any, db: Any) -> None:
    admin = client_as("admin")
    for code, status in (("pune-1", 200), ("pune-1", 400), ("no spaces please", 400),
                         ("", 400)):
        page = admin.get("/admin/stations").get_data(as_text=True)
        response = admin.post("/admin/stations", data={"code": code,
                                                       "csrf_token": csrf_from(page)})
        assert response.status_code == status, code
        if status == 400:
            assert 'class="alert"' in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM stations").fetchone()[0] == 1


def test_revoke_a_station(client_as: Any, db: Any) -> None:
    from aggregator import stations as station_service

    station_service.create_station(db, "thane-1")
    admin = client_as("admin")
    listing = admin.get("/admin/stations").get_data(as_text=True)
    assert 'href="/admin/stations/thane-1/revoke"' in listing     # a link, not a button
    page = admin.get("/admin/stations/thane-1/revoke").get_data(as_text=True)
    assert "Revoke station thane-1?" in page and "Nothing already received is deleted" in page
    assert db.execute("SELECT revoked_at FROM stations").fetchone()[0] is None   # not yet
    assert admin.post("/admin/stations/thane-1/revoke",
                      data={"csrf_token": csrf_from(page)}).status_code == 302
    assert db.execute("SELECT revoked_at FROM stations WHERE code = 'thane-1'").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM stations").fetchone()[0] == 1   # kept
    sup = client_as("supervisor").get("/supervisor/stations").get_data(as_text=True)
    assert 'class="badge revoked"' in sup
    assert admin.post("/admin/stations/nope/revoke",
                      data={"csrf_token": csrf_from(page)}).status_code == 404


# --- quotas --------------------------------------------------------------------------------
def test_admin_sets_quota_targets(client_as: Any, db: Any, versions: list[Any]) -> None:
    from aggregator.quota_service import targets

    admin = client_as("admin")
    page = admin.get("/admin/quotas").get_data(as_text=True)
    assert "No quota cells are set yet." in page
    response = admin.post("/admin/quotas", data={
        "form_id": "example", "cell_key": " site=pune ;gender=female", "target": "12",
        "tolerance": "2", "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    cells = targets(db)
    assert list(cells) == [("example", "gender=female;site=pune")]     # canonical key
    assert (cells[("example", "gender=female;site=pune")].target,
            cells[("example", "gender=female;site=pune")].tolerance) == (12, 2)
    # changing it again updates the one cell
    admin.post("/admin/quotas", data={"form_id": "example", "cell_key": "gender=female;site=pune",
                                      "target": "15", "csrf_token": csrf_from(page)})
    assert targets(db)[("example", "gender=female;site=pune")].target == 15
    html = admin.get("/admin/quotas").get_data(as_text=True)
    assert "0 of 15" in html
    assert "quota.set" in [r["action"] for r in db.query("SELECT action FROM audit_log")]


@pytest.mark.parametrize("fields", [
    {"form_id": "no_such_form"}, {"cell_key": "site pune"}, {"cell_key": ""},
    {"target": "-1"}, {"target": "many"}, {"tolerance": "-2"},
])
def test_bad_quota_targets_change_nothing(client_as: Any, db: Any, versions: list[Any],
                                          fields: dict[str, str]) -> None:
    admin = client_as("admin")
    page = admin.get("/admin/quotas").get_data(as_text=True)
    data = {"form_id": "example", "cell_key": "site=pune", "target": "10", "tolerance": "0",
            **fields, "csrf_token": csrf_from(page)}
    response = admin.post("/admin/quotas", data=data)
    assert response.status_code == 400
    assert db.execute("SELECT COUNT(*) FROM quota_cells").fetchone()[0] == 0


def test_audit_log_shows_who_did_what(client_as: Any, db: Any, versions: list[Any]) -> None:
    admin = client_as("admin")
    _approve(admin, versions[0].hash)
    html = admin.get("/admin/audit").get_data(as_text=True)
    actions = re.findall(r'<li data-action="([\w.]+)">', html)
    assert actions[0] == "form.approve"              # newest first
    assert "login" in actions and "form.register" in actions
    first = html.split('<li data-action="form.approve">', 1)[1].split("</li>", 1)[0]
    assert "<b>admin</b>" in first and versions[0].hash in first


def test_new_enrollment_code_for_a_replaced_laptop(app: Any, client_as: Any, db: Any) -> None:
    from aggregator import stations as station_service

    _study(db)
    first = station_service.create_station(db, "pune-2", enumerators=["E05"])
    old = app.test_client().post("/api/v1/enroll", json={"protocol": 1, "token": first})
    old_credential = old.get_json()["credential"]
    admin = client_as("admin")
    page = admin.get("/admin/stations").get_data(as_text=True)
    response = admin.post("/admin/stations/pune-2/token", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<svg class="qr"' in html
    token = json.loads(re.search(r'<textarea id="payload"[^>]*>([^<]+)</textarea>', html)
                       .group(1).replace("&#34;", '"').replace("&quot;", '"'))["token"]
    new = app.test_client().post("/api/v1/enroll", json={"protocol": 1, "token": token})
    assert new.status_code == 200
    # the old laptop's credential no longer syncs
    stale = app.test_client().post("/api/v1/sync", json={"protocol": 1, "items": []},
                                   headers={"Authorization": f"Bearer {old_credential}"})
    assert stale.status_code == 401
    # a revoked station gets no new code
    station_service.revoke_station(db, "pune-2")
    refused = admin.post("/admin/stations/pune-2/token", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 400
    assert admin.post("/admin/stations/nope/token",
                      data={"csrf_token": csrf_from(page)}).status_code == 404
