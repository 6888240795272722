"""Fixtures for the fault harness: mode (quick in CI, full with FIELDKIT_FAULTS=full)
and one pre-imported process that forks the real servers (see zygote.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
for _p in (str(HERE.parent / "sync"), str(HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from harness import Zygote, make_zygote  # noqa: E402


def full_mode() -> bool:
    return os.environ.get("FIELDKIT_FAULTS", "quick").lower() == "full"


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote | None]:
    z = make_zygote()
    yield z
    if z is not None:
        z.close()
