"""Every route of the aggregator, walked from ``app.url_map``: without its role it is denied.

Anonymous: a page (GET) sends you to sign in, anything else is 401. Signed in with
another role: 403. With the right role you get through. A route added later without a
role guard fails ``test_every_page_route_declares_its_roles``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from agg_support import ROLES, build_app, csrf_from

_TMP = tempfile.TemporaryDirectory(prefix="fieldkit-routes-")
_APP = build_app(Path(_TMP.name) / "routes.db")

# Routes anyone may open (signing in, the stylesheet and font, the language switch).
PUBLIC = {"auth.login", "auth.logout", "static", "web_font", "web_language"}


def _url(rule: Any) -> str:
    from werkzeug.routing import IntegerConverter

    values = {name: 999999 if isinstance(conv, IntegerConverter) else "nothing-here"
              for name, conv in rule._converters.items()}
    with _APP.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def _cases() -> list[tuple[str, str, str, frozenset[str]]]:
    cases = []
    for rule in _APP.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.rule.startswith("/api/"):
            continue
        view = _APP.view_functions[rule.endpoint]
        roles = getattr(view, "allowed_roles", frozenset())
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            cases.append((rule.endpoint, method, _url(rule), roles))
    return cases


CASES = _cases()
API_RULES = sorted({(r.rule, m) for r in _APP.url_map.iter_rules() if r.rule.startswith("/api/")
                    for m in (r.methods or set()) - {"HEAD", "OPTIONS"}})


def _ids(case: tuple[str, str, str, frozenset[str]]) -> str:
    return f"{case[1]} {case[0]}"


def test_the_walk_covers_every_web_blueprint() -> None:
    endpoints = {c[0] for c in CASES}
    for prefix in ("dashboard.", "irb.", "admin."):
        assert any(e.startswith(prefix) for e in endpoints), prefix
    assert len(CASES) >= 15


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_every_page_route_declares_its_roles(case: tuple[str, str, str, frozenset[str]]) -> None:
    endpoint, _method, _url_, roles = case
    assert roles, f"{endpoint} has no role_required guard"
    assert roles <= set(ROLES)


def _token(client: Any, path: str = "/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_anonymous_is_sent_to_sign_in(app: Any, case: tuple[str, str, str, frozenset[str]]
                                      ) -> None:
    endpoint, method, url, _roles = case
    client = app.test_client()
    if method == "GET":
        response = client.get(url)
        assert response.status_code == 302, endpoint
        assert response.headers["Location"].startswith("/login?next=")
    else:
        response = client.open(url, method=method, data={"csrf_token": _token(client)})
        assert response.status_code == 401, endpoint
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_wrong_role_is_forbidden(client_as: Any, case: tuple[str, str, str, frozenset[str]]
                                 ) -> None:
    endpoint, method, url, roles = case
    wrong = [r for r in ROLES if r not in roles]
    if not wrong:
        pytest.skip(f"{endpoint} is open to every role")
    for role in wrong:
        client = client_as(role)
        data = None
        if method != "GET":  # a real CSRF token, so that only the role can stop it
            home = client.get("/", follow_redirects=True).get_data(as_text=True)
            data = {"csrf_token": csrf_from(home)}
        response = client.open(url, method=method, data=data)
        assert response.status_code == 403, f"{role} reached {method} {endpoint}"
        assert "not allowed" in response.get_data(as_text=True)


@pytest.mark.parametrize("case", [c for c in CASES if c[1] == "GET"], ids=_ids)
def test_right_role_gets_through(client_as: Any, case: tuple[str, str, str, frozenset[str]]
                                 ) -> None:
    endpoint, _method, url, roles = case
    for role in roles:
        response = client_as(role).get(url)
        # dummy ids: the page exists (200) or the object does not (404) -- never 401/403
        assert response.status_code in (200, 302, 404), (role, endpoint, response.status_code)


@pytest.mark.parametrize("rule,method", API_RULES)
def test_api_routes_refuse_page_sessions(client_as: Any, rule: str, method: str) -> None:
    """The sync API answers stations with credentials, never a signed-in person."""
    if method == "GET":
        pytest.skip("read-only ping")
    for role in ROLES:
        response = client_as(role).open(rule, method=method, json={})
        assert 400 <= response.status_code < 500, (role, rule)
        assert "error" in response.get_json()


def test_supervisor_and_irb_routes_are_disjoint() -> None:
    """No page is shared by supervisors and IRB reviewers: they see different things."""
    for endpoint, _method, _url_, roles in CASES:
        if endpoint == "web_home":   # "/" only redirects each role to its own start page
            continue
        assert not {"supervisor", "irb"} <= roles, endpoint
