"""Fixtures for the station route tests: a real station (real SQLite files in tmp_path,
real study key, real sealing) driven through Flask's test client."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parent))

from station_support import FORMS_DIR, StationClient, make_study  # noqa: E402


@pytest.fixture
def study_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


@pytest.fixture
def station_dir(tmp_path: Path, study_key: X25519PrivateKey) -> Path:
    d = tmp_path / "station"
    make_study(study_key).save(d)
    return d


@pytest.fixture
def make_app(station_dir: Path) -> Iterator[Any]:
    from fieldkit.station.app import create_app

    apps: list[Any] = []

    def make(**config: Any) -> Any:
        approve = config.pop("approve", True)
        cfg = {"STATION_DIR": str(station_dir), "FORMS_DIR": str(FORMS_DIR),
               "SECRET_KEY": secrets.token_hex(16), "IDLE_LOCK_SECONDS": 300,
               "TESTING": False}
        cfg.update(config)
        app = create_app(cfg)
        st = app.extensions["fieldkit_station"]
        if approve:
            st.store.set(approved_forms=[f.hash for f in st.forms.values()],
                         station_code="ST01")
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["fieldkit_station"].db.close()


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> StationClient:
    return StationClient(app)


@pytest.fixture
def signed_in(client: StationClient) -> StationClient:
    client.add_enumerator("E01")
    client.signin("E01", "2468")
    return client


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def real_kdf() -> None:
    """Ask for this fixture to hash PINs with the production Argon2id cost."""


@pytest.fixture(autouse=True)
def cheap_pin_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at a small cost for the many sign-ins (the stored string names its own
    parameters, so verification is the real code path)."""
    if "real_kdf" in request.fixturenames:
        return
    import fieldkit.crypto as crypto

    monkeypatch.setattr(crypto, "ARGON2_MEMORY_KIB", 1024)
    monkeypatch.setattr(crypto, "ARGON2_ITERATIONS", 1)
    monkeypatch.setattr(crypto, "SCRYPT_LOG_N", 10)
