"""Fixtures for the browser tests: real Chromium (Debian package) driven by Playwright at a
360x740 phone viewport, against a real station server on 127.0.0.1."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# pytest runs in importlib mode: make this folder's helper module importable by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_support import (  # noqa: E402
    BROWSER_FORMS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    SHOTS_DIR,
    LiveServer,
)

@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Callable[..., Any]]:
    """Factory: a fresh phone-sized page in its own context (own cookies = own device)."""
    contexts: list[Any] = []

    def make(**context_args: Any) -> Any:
        args = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True,
                "has_touch": True, **context_args}
        ctx = chromium.new_context(**args)
        ctx.set_default_timeout(8000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
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
