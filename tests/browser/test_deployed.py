"""The station as an enumerator really starts it: `fieldkit station serve` (gunicorn, one
process, threads) on 127.0.0.1, driven by Chromium at 360x740."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import (
    BROWSER_FORMS,
    ENUMERATOR,
    PIN,
    answer,
    assert_shipped_devanagari,
    consent,
    on_question,
    sign_in,
    start_interview,
    tid,
)

pytestmark = pytest.mark.browser

FIELDKIT = str(Path(sys.executable).with_name("fieldkit"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"station exited early: {proc.stdout.read().decode()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)         # waiting for a port to open, not for the page
    raise AssertionError("station did not start listening")


@pytest.fixture
def served_station(tmp_path: Path) -> Iterator[str]:
    station_dir = tmp_path / "station"
    subprocess.run([FIELDKIT, "station", "add-enumerator", ENUMERATOR, "--dir",
                    str(station_dir)], check=True, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [FIELDKIT, "station", "serve", "--dir", str(station_dir), "--forms",
         str(BROWSER_FORMS), "--host", "127.0.0.1", "--port", str(port), "--training"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_served_station_interview_quick_exit_and_resume(served_station: str, page) -> None:
    base = served_station
    sign_in(page, base)                     # first sign-in: chooses the PIN
    assert tid(page, "training-banner").is_visible()
    start_interview(page, base, lang="mr")
    consent(page)
    answer(page, "age_band", "a18_30")
    on_question(page, "gender")
    assert_shipped_devanagari(page, "[data-testid=label]")

    # Headers as served by gunicorn: pages never cached, assets cacheable, a CSP.
    html = page.request.get(page.url)
    assert "no-store" in html.headers["cache-control"]
    assert "script-src 'self'" in html.headers["content-security-policy"]
    font = page.request.get(base + "/fonts/NotoSansDevanagari-subset.woff2")
    assert font.status == 200 and font.headers["content-type"] == "font/woff2"
    assert "public" in font.headers["cache-control"]

    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.locator("body[data-testid=neutral]").wait_for()
    page.goto(base + "/")
    tid(page, "pin").fill(PIN)
    tid(page, "unlock").click()
    on_question(page, "gender")             # the interview survived in the server process
    answer(page, "gender", "female")
    on_question(page, "experience")
