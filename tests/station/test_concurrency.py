"""Many devices at once over real HTTP (threaded server, one process, like gunicorn
gthread): interviews do not mix, every one is sealed once, the home page keeps working."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server

from fieldkit.crypto import open_sealed
from station_support import Http

N = 8


def test_parallel_interviews_stay_apart(make_app: Any, study_key: Any) -> None:
    app = make_app()
    st = app.extensions["fieldkit_station"]
    for i in range(N + 1):
        st.store.add_enumerator(f"E{i:02d}")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    errors: list[BaseException] = []
    uuids: dict[str, str] = {}

    def interview(i: int) -> None:
        try:
            h = Http(server.server_port)
            code = f"E{i:02d}"
            h.get("/signin")
            h.post("/signin", {"code": code, "pin": ""})
            h.post("/signin/pin", {"code": code, "pin": "1234", "pin2": "1234"})
            for n in range(2):
                h.get("/")
                status, _, loc = h.post("/start", {"form": "st_all", "site": "nagpur",
                                                   "language": "hi", "mode": "laptop"})
                assert status == 303, status
                iid = loc.split("/")[2]
                h.get(loc)
                h.post(f"/i/{iid}/consent", {"action": "agree", "consent_mode": "verbal"})
                marker = f"device {i} interview {n}"
                for qid, data in (("age_band", {"answer": "a18_60"}),
                                  ("gender", {"answer": ("female", "male")[i % 2]}),
                                  ("years", {"number": str(i)}), ("intro", {}),
                                  ("prevalence", {"answer": "very"}),
                                  ("registration", {"answer": "true"}),
                                  ("places", {"answer": ["online"]}),
                                  ("reasons", {"rank_staff": "1"}),
                                  ("comment", {"text": marker}), ("notes", {"text": code})):
                    h.get(f"/i/{iid}/q/{qid}")
                    status, _, _ = h.post(f"/i/{iid}/q/{qid}", {"action": "next", **data})
                    assert status == 303, (qid, status)
                h.get(f"/i/{iid}/finish")
                status, _, loc = h.post(f"/i/{iid}/finish", {})
                assert status == 303 and loc == "/i/done"
                uuids[marker] = code
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def home_watcher() -> None:
        try:
            h = Http(server.server_port)
            h.get("/signin")
            h.post("/signin", {"code": f"E{N:02d}", "pin": ""})
            h.post("/signin/pin", {"code": f"E{N:02d}", "pin": "9999", "pin2": "9999"})
            for _ in range(20):
                status, body, _ = h.get("/")
                assert status == 200 and 'data-testid="outcomes"' in body
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=interview, args=(i,)) for i in range(N)]
    threads.append(threading.Thread(target=home_watcher))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    server.shutdown()
    server.server_close()
    assert errors == []
    items = list(st.outbox.items())
    assert len(items) == 2 * N and len({i.uuid for i in items}) == 2 * N
    for item in items:
        answers = open_sealed(item, study_key)["answers"]
        code = uuids[answers["comment"]]
        assert answers["notes"] == code == item.header["enumerator"]
    assert list(st.journal_dir.iterdir()) == []


def test_simultaneous_sign_ins_with_production_argon2_do_not_hang(make_app: Any,
                                                                  real_kdf: None) -> None:
    """Two concurrent Argon2id computations deadlock in this cryptography/OpenSSL build;
    the station serialises PIN hashing so that enumerators signing in together never hang
    it. Each sign-in runs in its own server thread, as under gunicorn gthread."""
    app = make_app()
    st = app.extensions["fieldkit_station"]
    codes = [f"P{i}" for i in range(4)]
    for code in codes:
        st.store.add_enumerator(code)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    results: dict[str, int] = {}

    def sign_in_twice(code: str) -> None:
        h = Http(server.server_port)
        h.get("/signin")
        h.post("/signin", {"code": code, "pin": ""})
        h.post("/signin/pin", {"code": code, "pin": "2580", "pin2": "2580"})   # hash
        h2 = Http(server.server_port)
        h2.get("/signin")
        results[code] = h2.post("/signin", {"code": code, "pin": "2580"})[0]  # verify

    threads = [threading.Thread(target=sign_in_twice, args=(c,), daemon=True) for c in codes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    hung = [t for t in threads if t.is_alive()]
    server.shutdown()
    server.server_close()
    assert not hung, "sign-ins hung (concurrent Argon2id)"
    assert results == {code: 302 for code in codes}
