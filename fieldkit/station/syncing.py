"""Enrollment and sync for the station (web button and CLI share this).

The network part is ``aggregator.client.SyncClient``; this module only stores what the
aggregator says: station code, credential, study config, enumerator codes, approved
form hashes, quota status, last sync time.
"""

from __future__ import annotations

from typing import Any, Callable

from fieldkit.errors import FieldkitError


def apply_enrollment(st: Any, base_url: str, reply: dict[str, Any]) -> None:
    from fieldkit.study import StudyConfig

    study = StudyConfig.from_dict(reply["study"], source="enrollment")
    st.station_dir.mkdir(parents=True, exist_ok=True)
    study.save(st.station_dir / "study.json")
    with st.db_lock:
        for code in reply.get("enumerators", []) or []:
            st.store.add_enumerator(str(code))
        st.store.set(station_code=reply["station_code"], credential=reply["credential"],
                     aggregator_url=base_url,
                     approved_forms=list(reply.get("approved_forms", []) or []),
                     quotas=reply.get("quotas", {}) or {})
    st.reload_study()


def apply_status(st: Any, status: dict[str, Any]) -> None:
    values: dict[str, Any] = {"last_sync_error": None}
    if "quotas" in status:
        values["quotas"] = status["quotas"] or {}
    if "approved_forms" in status:
        values["approved_forms"] = list(status["approved_forms"] or [])
    if status.get("server_time"):
        values["last_sync_at"] = status["server_time"]
    if status.get("revoked"):
        values["revoked"] = True
    with st.db_lock:
        st.store.set(**values)


PURGE_AFTER_DAYS = 1


def run_sync(st: Any, progress: Callable[..., Any] | None = None) -> Any:
    """Push every pending submission; store the reply's status. Raises FieldkitError."""
    from aggregator.client import SyncClient

    if st.training:
        raise FieldkitError("station.training_no_sync")
    url, credential = st.store.get("aggregator_url"), st.store.get("credential")
    if not url or not credential:
        raise FieldkitError("station.not_enrolled")
    from fieldkit.db import open_db
    from fieldkit.outbox import Outbox

    client = SyncClient(url, credential)
    # Its own connection: a sync may take minutes on a slow link, and interviews keep
    # being sealed meanwhile on the app's connection (SQLite locks between the two).
    db = open_db(st.station_dir / "station.db")
    try:
        outbox = Outbox(db)
        result = client.sync(outbox, batch_size=100, progress=progress)
        # Acknowledged items are safe at the aggregator; their clear headers (enumerator,
        # site, times) should not wait on a laptop that may be seized. A day is kept so
        # the home page can still count today's outcomes.
        outbox.purge_synced(older_than_days=PURGE_AFTER_DAYS)
    finally:
        db.close()
    apply_status(st, getattr(result, "status", None) or {})
    return result


def sync_now(st: Any) -> str:
    """For the home page button: returns a message key for the page."""
    try:
        run_sync(st)
    except FieldkitError as exc:
        with st.db_lock:
            st.store.set(last_sync_error=exc.code)
        return "sync_failed" if exc.code not in ("station.not_enrolled",
                                                 "station.training_no_sync") else exc.code
    except ImportError:
        return "station.not_enrolled"
    except Exception:  # network down, aggregator unreachable: nothing is lost, say so
        with st.db_lock:
            st.store.set(last_sync_error="station.sync_failed")
        return "sync_failed"
    return "synced"
