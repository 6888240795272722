"""The real aggregator app, with faults injected for the fault tests (test-only code).

gunicorn loads ``fault_app:make()``; the fault plan comes from ``FK_FAULTS`` (JSON):

``{"marker_dir": DIR,
   "fail_before": [n, ...],        # the n-th POST /api/v1/sync answers 503, app not called
   "fail_after": [n, ...],         # the n-th sync is processed (committed), then answers 500
   "delay_before": {"n": s},       # sleep s seconds before processing the n-th sync
   "hang_in_transaction": n,       # n-th sync: write marker 'in-tx', sleep inside the
                                   #   ingest transaction (before commit) -> test kills us
   "hang_after_commit": n}         # n-th sync: commit, write marker 'committed', sleep
                                   #   before replying -> test kills us

Request numbers count per worker process (tests run one worker).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from aggregator import ingest
from aggregator.app import create_app_from_env

_count = {"sync": 0}


def _marker(plan: dict[str, Any], name: str) -> None:
    directory = plan.get("marker_dir")
    if directory:
        path = Path(directory) / name
        path.write_text(str(os.getpid()))


def make() -> Any:
    plan: dict[str, Any] = json.loads(os.environ.get("FK_FAULTS", "{}") or "{}")
    app = create_app_from_env()
    inner = app.wsgi_app
    original_store = ingest._store

    def store_then_hang(*args: Any, **kwargs: Any) -> Any:
        out = original_store(*args, **kwargs)
        if _count["sync"] == plan.get("hang_in_transaction"):
            _marker(plan, "in-tx")
            time.sleep(60)
        return out

    ingest._store = store_then_hang

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/api/v1/sync" or environ.get("REQUEST_METHOD") != "POST":
            return inner(environ, start_response)
        _count["sync"] += 1
        n = _count["sync"]
        _marker(plan, f"sync-{n}")
        delay = (plan.get("delay_before") or {}).get(str(n))
        if delay:
            time.sleep(float(delay))
        if n in plan.get("fail_before", []):
            environ["wsgi.input"].read()
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"unavailable"]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(inner(environ, capture))
        if n == plan.get("hang_after_commit"):
            _marker(plan, "committed")
            time.sleep(60)
        if n in plan.get("fail_after", []):
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"oops"]
        start_response(captured["status"], captured["headers"])
        return [body]

    app.wsgi_app = middleware  # type: ignore[method-assign]
    return app
