"""Fixtures for the browser tests: real Chromium (Debian package) driven by Playwright at a
360x740 phone viewport, against a real station server on 127.0.0.1."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# pytest runs in importlib mode: make this folder's helper module importable by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_support import (  # noqa: E402
    BROWSER_FORMS,
    PHONE,
    SHOTS_DIR,
    PIN,
    LiveServer,
    Station,
    make_study,
)

# `chromium` (one Playwright driver, one browser) comes from tests/conftest.py.


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def new_page(chromium: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Factory: a fresh phone-sized page in its own context (own cookies = own device)."""
    contexts: list[Any] = []

    def make(**context_args: Any) -> Any:
        args = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True,
                "has_touch": True, **context_args}
        ctx = chromium.new_context(**args)
        ctx.set_default_timeout(15000)   # generous: CI machines can be loaded
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    if request.node.stash.get(_FAILED, False):
        # Leave what the phone showed for whoever reads the failure.
        SHOTS_DIR.mkdir(parents=True, exist_ok=True)
        for n, ctx in enumerate(contexts):
            for m, pg in enumerate(ctx.pages):
                name = f"FAILED-{request.node.name}-{n}-{m}.png".replace("/", "_")
                try:
                    pg.screenshot(path=str(SHOTS_DIR / name), full_page=True)
                except Exception:  # noqa: BLE001 - a closed page: nothing to keep
                    pass
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture
def shots() -> Path:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    return SHOTS_DIR


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], LiveServer]]:
    """Factory: serve any WSGI app on 127.0.0.1:<free port> for the test's duration."""
    servers: list[LiveServer] = []

    def serve(app: Any) -> LiveServer:
        server = LiveServer(app)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.close()


@pytest.fixture
def browser_forms() -> Path:
    return BROWSER_FORMS


@pytest.fixture
def make_station(tmp_path: Path, live_server: Callable[[Any], LiveServer]
                 ) -> Callable[..., Station]:
    """Factory: a real station (app factory, temp STATION_DIR, the browser-test forms)
    served on 127.0.0.1, with enumerator E01 (PIN already set unless ``pin_set=False``:
    then the first sign-in asks for it).

    ``training=False`` writes a real study key and approves every form's hash, as an
    enrolled station would have after a sync."""
    from fieldkit.station.app import create_app

    count = 0

    def make(*, training: bool = True, forms_dir: Path = BROWSER_FORMS,
             pin_set: bool = True, **config: Any) -> Station:
        nonlocal count
        count += 1
        station_dir = tmp_path / f"station{count}"
        private_key = make_study(station_dir) if not training else None
        app = create_app({
            "STATION_DIR": str(station_dir),
            "FORMS_DIR": str(forms_dir),
            "TRAINING": training,
            "IDLE_LOCK_SECONDS": 300,
            "SECRET_KEY": "browser-tests-" + "x" * 32,
            **config,
        })
        server = live_server(app)
        app.config["PUBLIC_URL"] = server.url
        station = Station(app, server, station_dir)
        station.private_key = private_key
        station.add_enumerator(pin=PIN if pin_set else None)
        if not training:
            station.set(approved_forms=[f.hash for f in station.state.forms.values()],
                        station_code="ST01")
        return station

    return make


@pytest.fixture
def station(make_station: Callable[..., Station]) -> Station:
    """A training station with the browser-test forms."""
    return make_station()
