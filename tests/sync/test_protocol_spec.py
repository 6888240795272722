"""sync/openapi.yaml describes the API the app really serves."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from aggregator.app import create_app
from aggregator.db import open_aggregator_db
from fieldkit.errors import CATALOGUE

from synctools import ROOT, Study, make_item, prepare_aggregator

SPEC = yaml.safe_load((ROOT / "sync" / "openapi.yaml").read_text(encoding="utf-8"))


def _required(name: str) -> set[str]:
    return set(SPEC["components"]["schemas"][name]["required"])


def test_spec_paths_and_codes_exist(tmp_path: Path) -> None:
    assert SPEC["openapi"].startswith("3.1") and SPEC["info"]["version"] == "1"
    app = create_app({"AGGREGATOR_DB": str(tmp_path / "agg.db"), "WEB": False})
    served = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert set(SPEC["paths"]) == served
    text = (ROOT / "sync" / "openapi.yaml").read_text(encoding="utf-8")
    for code in set(re.findall(r"\b(?:sync|crypto)\.[a-z_]+\b", text)):
        assert code in CATALOGUE, code


def test_real_replies_have_the_specified_fields(tmp_path: Path, study: Study) -> None:
    path = tmp_path / "agg.db"
    tokens = prepare_aggregator(path, study, stations=("st1",))
    client = create_app({"AGGREGATOR_DB": str(path), "WEB": False}).test_client()
    enrolled: Any = client.post("/api/v1/enroll", json={"protocol": 1,
                                                        "token": tokens["st1"]}).json
    assert _required("EnrollReply") <= set(enrolled)
    item = make_item(study, station="st1").to_wire()
    reply: Any = client.post("/api/v1/sync", json={"protocol": 1, "items": [item, {}]},
                             headers={"Authorization": "Bearer " + enrolled["credential"]}).json
    assert _required("SyncReply") <= set(reply)
    assert _required("Status") <= set(reply["status"])
    for result in reply["results"]:
        assert _required("ItemResult") <= set(result)
    error: Any = client.post("/api/v1/sync", data=b"{", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + enrolled["credential"]
    }).json
    assert set(error["error"]) == set(SPEC["components"]["schemas"]["Error"]["properties"]
                                      ["error"]["required"])
    open_aggregator_db(path).conn.close()


def test_api_errors_stay_json_with_the_web_side_installed(tmp_path: Path) -> None:
    client = create_app({"AGGREGATOR_DB": str(tmp_path / "agg.db")}).test_client()
    for response in (client.post("/api/v1/sync", json={"protocol": 1, "items": []}),
                     client.get("/api/v1/nothing-here"),
                     client.post("/api/v1/enroll", data=b"{", content_type="application/json")):
        assert response.is_json and set(response.json["error"]) == {"code", "message", "fix",
                                                                     "details"}
    # no CSRF token is needed by the Bearer-authenticated API
    assert client.post("/api/v1/sync", json={"protocol": 1, "items": []}).status_code == 401


def test_out_of_range_station_status_is_a_400_not_a_crash(tmp_path: Path, study: Study) -> None:
    path = tmp_path / "agg.db"
    tokens = prepare_aggregator(path, study, stations=("st1",))
    client = create_app({"AGGREGATOR_DB": str(path), "WEB": False}).test_client()
    credential = client.post("/api/v1/enroll", json={"protocol": 1,
                                                     "token": tokens["st1"]}).json["credential"]
    for pending in (2 ** 63, 2 ** 70, 10 ** 9 + 1):
        response = client.post("/api/v1/sync", json={"protocol": 1, "items": [],
                                                     "station_status": {"pending": pending}},
                               headers={"Authorization": "Bearer " + credential})
        assert response.status_code == 400
        assert response.json["error"]["code"] == "sync.bad_request"
