"""Fixtures for the aggregator web tests: a real app on a real SQLite file with one
account per role."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import pytest

# pytest runs in importlib mode: make this folder's helper module importable by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from agg_support import ROLES, add_user, app_db, build_app, login  # noqa: E402


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return build_app(tmp_path / "aggregator.db")


@pytest.fixture
def db(app: Any) -> Any:
    return app_db(app)


@pytest.fixture
def users(db: Any) -> dict[str, int]:
    """One account per role, named after it."""
    return {role: add_user(db, role, role) for role in ROLES}


@pytest.fixture
def client_as(app: Any, users: dict[str, int]) -> Callable[[str | None], Any]:
    """A test client signed in with ``role`` (None: anonymous)."""
    def make(role: str | None) -> Any:
        client = app.test_client()
        if role is not None:
            response = login(client, role)
            assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return make
