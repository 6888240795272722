"""Fixtures for the sync tests: a study, a prepared aggregator database, processes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synctools import (AggregatorProcess, Study, fixed_sketch_key, make_study,  # noqa: E402
                       prepare_aggregator)


@pytest.fixture
def study() -> Study:
    return make_study()


@pytest.fixture
def fixed_study(study: Study) -> Study:
    """The study with a fixed sketch key, for tests that expect a near-copy flagged."""
    return fixed_sketch_key(study)


@pytest.fixture
def agg_db(tmp_path: Path, study: Study) -> tuple[Path, dict[str, str]]:
    """A prepared aggregator database and the one-time tokens of stations st1, st2, st3."""
    path = tmp_path / "agg" / "aggregator.db"
    tokens = prepare_aggregator(path, study, stations=("st1", "st2", "st3"))
    return path, tokens


@pytest.fixture
def aggregator_process(agg_db: tuple[Path, dict[str, str]]
                       ) -> Iterator[Callable[..., AggregatorProcess]]:
    started: list[AggregatorProcess] = []

    def start(faults: dict[str, Any] | None = None, **kwargs: Any) -> AggregatorProcess:
        proc = AggregatorProcess(agg_db[0], faults=faults, **kwargs).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()
