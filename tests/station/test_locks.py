"""PIN lockout persisted across restarts, idle lock, quick exit: lock, resume after PIN."""

from __future__ import annotations

from typing import Any

from station_support import StationClient


def test_first_sign_in_sets_the_pin_and_it_is_stored_hashed(make_app: Any,
                                                            real_kdf: None) -> None:
    from fieldkit import crypto

    app = make_app()
    c = StationClient(app)
    c.add_enumerator("E07")
    c.get("/signin")
    r = c.post("/signin", {"code": "E07", "pin": ""})
    assert 'data-testid="new-pin"' in r.get_data(as_text=True)
    r = c.post("/signin/pin", {"code": "E07", "pin": "12", "pin2": "12"})
    assert r.status_code == 400                                  # too short
    r = c.post("/signin/pin", {"code": "E07", "pin": "4321", "pin2": "4322"})
    assert r.status_code == 400                                  # not the same
    r = c.post("/signin/pin", {"code": "E07", "pin": "482915", "pin2": "482915"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    stored = c.state.store.enumerator("E07")["pin_hash"]
    assert "482915" not in stored and stored.startswith("$")
    if stored.startswith("$argon2id$"):
        assert f"m={crypto.ARGON2_MEMORY_KIB}" in stored      # the production cost
    # the PIN cannot be set again through the first-PIN form
    r = StationClient(app).post("/signin/pin", {"code": "E07", "pin": "1111", "pin2": "1111"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/signin?lang=en")
    assert c.state.store.enumerator("E07")["pin_hash"] == stored


def test_unknown_code_and_wrong_pin_look_the_same(make_app: Any) -> None:
    app = make_app()
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    other = StationClient(app)
    a = other.post("/signin", {"code": "E01", "pin": "0000"})
    b = other.post("/signin", {"code": "NOPE", "pin": "0000"})
    assert a.status_code == b.status_code == 401
    assert "That code and PIN do not match." in a.get_data(as_text=True)
    assert "That code and PIN do not match." in b.get_data(as_text=True)


def test_lockout_after_five_failures_survives_a_restart(make_app: Any) -> None:
    app = make_app()
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    attacker = StationClient(app)
    for _ in range(5):
        r = attacker.post("/signin", {"code": "E01", "pin": "0000"})
        assert r.status_code == 401
    assert "Too many wrong PINs" in r.get_data(as_text=True)
    r = attacker.post("/signin", {"code": "E01", "pin": "2468"})    # right PIN, still locked
    assert r.status_code == 401 and "Too many wrong PINs" in r.get_data(as_text=True)
    # a new server process on the same station directory keeps the lock
    app.extensions["fieldkit_station"].db.close()
    app2 = make_app()
    r = StationClient(app2).post("/signin", {"code": "E01", "pin": "2468"})
    assert r.status_code == 401 and "Too many wrong PINs" in r.get_data(as_text=True)
    # when the lock has passed, the right PIN works and resets the count
    st = app2.extensions["fieldkit_station"]
    st.db.execute("UPDATE enumerators SET locked_until = 1 WHERE code = 'E01'")
    fresh = StationClient(app2)
    fresh.signin("E01", "2468")
    assert st.store.enumerator("E01")["failures"] == 0


def _at_question(c: StationClient) -> str:
    iid = c.start()
    c.consent(iid)
    c.answer(iid, "age_band", {"answer": "a18_60"})
    c.get(f"/i/{iid}/q/gender")
    return iid


def _record(c: StationClient) -> Any:
    return c.state.sessions.get(c.http.get_cookie("s") and
                                c.app.session_interface.get_signing_serializer(c.app).loads(
                                    c.http.get_cookie("s").value)["sid"])


def test_idle_lock_returns_to_the_same_question_after_pin(signed_in: Any) -> None:
    c = signed_in
    iid = _at_question(c)
    rec = _record(c)
    rec.last_seen -= 10_000                                     # idle for a long time
    r = c.get(f"/i/{iid}/q/gender")
    assert r.status_code == 302 and r.headers["Location"].endswith("/unlock")
    for url in ("/", f"/i/{iid}/stop", "/start"):
        assert c.get(url).headers["Location"].endswith("/unlock")
    r = c.post(f"/i/{iid}/q/gender", {"action": "next", "answer": "male"})
    assert r.headers["Location"].endswith("/unlock")
    assert "gender" not in c.state.interviews.get(iid).answers
    r = c.post("/unlock", {"pin": "9999"})
    assert r.status_code == 401
    r = c.post("/unlock", {"pin": "2468"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/i/{iid}/q/gender")
    assert c.state.interviews.get(iid).answers["age_band"] == "a18_60"


def test_quick_exit_locks_the_station_and_keeps_the_interview(make_app: Any) -> None:
    app = make_app()
    c = StationClient(app)
    c.add_enumerator("E01")
    c.signin("E01", "2468")
    iid = _at_question(c)
    # the JS path: location.replace("/n") -- the neutral page locks
    r = c.get("/n")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Weather" in body and "st_all" not in body
    assert c.get(f"/i/{iid}/q/gender").headers["Location"].endswith("/unlock")
    c.get("/unlock")
    r = c.post("/unlock", {"pin": "2468"})
    assert r.headers["Location"].endswith(f"/i/{iid}/q/gender")
    # the no-JS path: POST /exit (no CSRF token needed: it only locks)
    r = c.post("/exit", csrf=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/n")
    assert c.get("/").headers["Location"].endswith("/unlock")
    c.get("/unlock")
    c.post("/unlock", {"pin": "2468"})
    c.answer(iid, "gender", {"answer": "female"})
    assert c.state.interviews.get(iid).answers["gender"] == "female"


def test_quick_exit_locks_every_enumerator_session(make_app: Any) -> None:
    app = make_app()
    a, b = StationClient(app), StationClient(app)
    a.add_enumerator("E01")
    a.add_enumerator("E02")
    a.signin("E01", "1111")
    b.signin("E02", "2222")
    a.post("/exit", csrf=False)
    assert b.get("/").headers["Location"].endswith("/unlock")


def test_five_wrong_pins_at_unlock_sign_out(signed_in: Any) -> None:
    c = signed_in
    c.get("/n")
    c.get("/unlock")
    for _ in range(5):
        c.post("/unlock", {"pin": "0000"})
    r = c.get("/")
    assert r.headers["Location"].endswith("/signin")
