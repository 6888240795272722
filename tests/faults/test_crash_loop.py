"""Crash loop: kill -9 the station and the aggregator at random points during finish,
store, sync and journal recovery; restart; sync to completion; then every interview is
at the aggregator exactly once with the outcome the ledger allows.

What it proves (see crashloop.py for the scenarios and harness.check_field for the
checks): no acknowledged interview is lost or duplicated; an interview killed while
being finished arrives exactly once (completed, or interrupted from its journal); an
interview in progress at a kill had its encrypted journal on disk and arrives exactly
once as interrupted; quota counts equal the completed rows; the aggregator holds the
station's exact ciphertexts, and a sample of them opens with the study key to the
answers typed into that very interview; no journal and nothing unsynced is left.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import full_mode
from crashloop import run_crash_loop

pytestmark = pytest.mark.slow


def test_crash_loop(tmp_path: Path, zygote: object) -> None:
    kills = 1000 if full_mode() else 40
    result = run_crash_loop(tmp_path, kills=kills, seed=11, zygote=zygote)  # type: ignore[arg-type]
    print(json.dumps(result, indent=1))
    assert result["errors"] == [], result["errors"]
    assert result["problems"] == [], result["problems"]
    assert result["kills"] >= kills
    # the loop really exercised what it claims to
    assert result["acked"] > 0 and result["in_progress_at_kill"] > 0
    assert result["outcomes"].get("interrupted", 0) >= result["in_progress_at_kill"]
    assert result["kills_aggregator"] > 0 and result["kills_station"] > 0


CONCURRENT_PINS = textwrap.dedent("""
    import threading
    from fieldkit.crypto import hash_secret, verify_secret
    stored = hash_secret("1357")
    threads = [threading.Thread(target=verify_secret, args=("1357", stored)) for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    print("ok")
""")


def test_concurrent_pin_checks() -> None:
    """Two enumerators signing in at the same moment must not hang the station.

    Found by the crash loop: with cryptography 50 / OpenSSL 4.0 two concurrent Argon2id
    computations (lanes=4) deadlocked, hanging every station thread that checked a PIN
    (fixed in fe43789 by serialising Argon2id in fieldkit.crypto)."""
    try:
        out = subprocess.run([sys.executable, "-c", CONCURRENT_PINS], capture_output=True,
                             text=True, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail("two concurrent PIN checks did not finish in 15 s (deadlock)")
    assert out.stdout.strip() == "ok", out.stderr
