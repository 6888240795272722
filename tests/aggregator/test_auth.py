"""Signing in: passwords, lockout kept in the database, CSRF, sessions, safe redirects."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from agg_support import PASSWORD, add_user, app_db, build_app, csrf_from, login


def _user(db: Any, name: str) -> dict[str, Any]:
    return dict(next(db.query("SELECT * FROM users WHERE username = ?", [name])))


def test_sign_in_lands_on_the_role_start_page(client_as: Any) -> None:
    for role, start in (("supervisor", "/supervisor/"), ("irb", "/irb/"), ("admin", "/admin/")):
        client = client_as(role)
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"] == start
        page = client.get(start).get_data(as_text=True)
        assert f"{role} ·" in page


def test_account_made_by_the_cli_signs_in(app: Any, db: Any) -> None:
    """``fieldkit aggregator create-user`` stores an Argon2id/scrypt hash that signs in."""
    from click.testing import CliRunner

    from fieldkit.cli import main

    result = CliRunner().invoke(main, ["aggregator", "--db", app.config["AGGREGATOR_DB"],
                                       "create-user", "meera", "--role", "irb"],
                                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    stored = _user(db, "meera")["password_hash"]
    assert stored.startswith(("$argon2id$", "$scrypt$")) and PASSWORD not in stored
    client = app.test_client()
    assert login(client, "meera", "not it").status_code == 401
    response = login(client, "meera")
    assert response.status_code == 302
    assert client.get("/irb/").status_code == 200


def test_wrong_password_is_refused_and_counted(app: Any, db: Any, users: Any) -> None:
    client = app.test_client()
    response = login(client, "supervisor", "wrong password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert _user(db, "supervisor")["failed_logins"] == 1
    # an unknown name gets the very same answer
    response = login(client, "nobody", PASSWORD)
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    # a success clears the count
    assert login(client, "supervisor").status_code == 302
    assert _user(db, "supervisor")["failed_logins"] == 0
    assert _user(db, "supervisor")["last_login_at"]


def test_lockout_after_five_failures_survives_a_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "aggregator.db"
    app = build_app(db_path)
    add_user(app_db(app), "asha", "supervisor")
    client = app.test_client()
    for _ in range(4):
        assert login(client, "asha", "guess").status_code == 401
    response = login(client, "asha", "guess")
    assert response.status_code == 429
    assert "locked" in response.get_data(as_text=True)

    # a new process (another gunicorn worker, or a restart) sees the same lock
    app2 = build_app(db_path)
    row = _user(app_db(app2), "asha")
    assert row["locked_until"] > datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    client2 = app2.test_client()
    response = login(client2, "asha", PASSWORD)       # even the right password
    assert response.status_code == 429
    assert client2.get("/supervisor/").status_code == 302   # not signed in

    # the lock is written to the audit log
    actions = [r["action"] for r in app_db(app2).query("SELECT action FROM audit_log")]
    assert "login.locked" in actions


def test_lock_expires(tmp_path: Path) -> None:
    later = {"now": datetime.now(timezone.utc)}
    app = build_app(tmp_path / "aggregator.db", CLOCK=lambda: later["now"],
                    LOGIN_MAX_FAILURES=3, LOGIN_LOCK_SECONDS=600)
    add_user(app_db(app), "ravi", "irb")
    client = app.test_client()
    for _ in range(3):
        login(client, "ravi", "guess")
    assert login(client, "ravi", PASSWORD).status_code == 429
    later["now"] += timedelta(seconds=601)
    assert login(client, "ravi", PASSWORD).status_code == 302


def test_admin_can_unlock_an_account(client_as: Any, db: Any, app: Any) -> None:
    other = app.test_client()
    for _ in range(5):
        login(other, "irb", "guess")
    assert _user(db, "irb")["locked_until"]
    admin = client_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    user_id = _user(db, "irb")["id"]
    response = admin.post(f"/admin/users/{user_id}/unlock", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert _user(db, "irb")["locked_until"] is None
    assert login(other, "irb").status_code == 302


def test_post_without_csrf_token_is_refused(client_as: Any, app: Any, users: Any) -> None:
    # signing in itself needs the token
    anonymous = app.test_client()
    anonymous.get("/login")
    response = anonymous.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    # and so does every change made by a signed-in user
    admin = client_as("admin")
    response = admin.post("/admin/stations", data={"code": "pune-9"})
    assert response.status_code == 400
    response = admin.post("/admin/stations", data={"code": "pune-9", "csrf_token": "forged"})
    assert response.status_code == 400


def test_sign_out_needs_post_with_token(client_as: Any) -> None:
    client = client_as("supervisor")
    assert client.get("/logout").status_code == 405
    page = client.get("/supervisor/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert client.get("/supervisor/").status_code == 302


def test_session_cookie_holds_no_secret(app: Any, users: Any) -> None:
    client = app.test_client()
    login(client, "admin")
    cookie = client.get_cookie("fieldkit_aggregator")
    assert cookie is not None and cookie.http_only
    payload = cookie.value.split(".")[0]
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(data) <= {"uid", "pw", "lang", "csrf_token", "_permanent"}
    text = json.dumps(data)
    assert PASSWORD not in text and "$argon2" not in text and "$scrypt" not in text


def test_cookie_is_secure_behind_tls(tmp_path: Path) -> None:
    app = build_app(tmp_path / "aggregator.db", PUBLIC_URL="https://agg.example.org")
    add_user(app_db(app), "admin", "admin")
    client = app.test_client()
    page = client.get("/login", base_url="https://agg.example.org")
    token = csrf_from(page.get_data(as_text=True))
    form = {"username": "admin", "password": PASSWORD, "csrf_token": token}
    # over https a POST must come from this site: the browser's Referer says so
    # (the pages send Referrer-Policy: same-origin, so it does, and only here)
    refused = client.post("/login", base_url="https://agg.example.org", data=form)
    assert refused.status_code == 400
    response = client.post("/login", base_url="https://agg.example.org", data=form,
                           headers={"Referer": "https://agg.example.org/login"})
    assert response.status_code == 302
    assert page.headers["Referrer-Policy"] == "same-origin"
    cookie = client.get_cookie("fieldkit_aggregator", domain="agg.example.org")
    assert cookie is not None and cookie.secure and cookie.http_only
    assert cookie.same_site == "Lax"
    assert cookie.expires is not None     # signed-in for a working day, not for a month


def test_password_change_ends_old_sessions(client_as: Any, db: Any) -> None:
    from fieldkit.crypto import hash_secret

    client = client_as("supervisor")
    assert client.get("/supervisor/").status_code == 200
    db.execute("UPDATE users SET password_hash = ? WHERE username = 'supervisor'",
               [hash_secret("a new password")])
    assert client.get("/supervisor/").status_code == 302


def test_next_only_goes_to_this_site(app: Any, users: Any) -> None:
    for target, expected in (("/irb/", "/irb/"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/"), ("/\\evil.example", "/")):
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": "admin", "password": PASSWORD,
                                               "csrf_token": token, "next": target})
        assert response.headers["Location"] == expected, target


def test_pages_are_not_cached_and_run_no_inline_script(client_as: Any) -> None:
    client = client_as("admin")
    for path in ("/login", "/supervisor/", "/irb/", "/admin/"):
        response = client.get(path)
        assert response.headers["Cache-Control"] == "no-store"
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        html = response.get_data(as_text=True)
        assert "<script" not in html and " style=" not in html and "http://" not in html \
            and "https://" not in html
