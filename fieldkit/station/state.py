"""What one station app holds: its database, forms, study key, interviews and sessions.

One ``StationState`` per ``create_app`` (no global state). Sessions are server-side:
the Flask cookie carries only an opaque session id (and Flask-WTF's CSRF token), so a
lock set here cannot be undone by replaying an older cookie, and nothing about an
interview ever travels in the cookie.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldkit.i18n import DEFAULT_LANGUAGE
from fieldkit.interview import Interview, InterviewStore, seal_interview
from fieldkit.station.db import StationStore, open_station_db

TRAINING_STATION = "training"
SESSION_MAX_IDLE = 24 * 3600
UNENROLLED_STATION = "unenrolled"


@dataclass
class SessionRecord:
    """One browser's sign-in: an enumerator on the laptop, or a respondent's phone."""

    sid: str
    role: str                        # "enumerator" | "respondent"
    enumerator: str
    interview_id: str | None = None  # respondent: the one interview this phone may open
    locked: bool = False
    last_seen: float = field(default_factory=time.time)
    ui_lang: str = DEFAULT_LANGUAGE
    resume: str | None = None        # where to go back to after unlocking
    last_page: str | None = None
    done: dict[str, Any] | None = None   # the last ended interview (form id, outcome, lang)


class SessionStore:
    def __init__(self) -> None:
        self._items: dict[str, SessionRecord] = {}
        self._lock = threading.Lock()

    def create(self, role: str, enumerator: str, **kw: Any) -> SessionRecord:
        rec = SessionRecord(sid=secrets.token_urlsafe(24), role=role, enumerator=enumerator, **kw)
        with self._lock:
            cutoff = time.time() - SESSION_MAX_IDLE
            for sid in [s for s, r in self._items.items() if r.last_seen < cutoff]:
                del self._items[sid]            # forgotten sign-ins and finished phones
            self._items[rec.sid] = rec
        return rec

    def get(self, sid: Any) -> SessionRecord | None:
        if not isinstance(sid, str):
            return None
        with self._lock:
            return self._items.get(sid)

    def drop(self, sid: str) -> None:
        with self._lock:
            self._items.pop(sid, None)

    def lock_station(self, resume_for: SessionRecord | None = None) -> None:
        """Quick exit: lock every enumerator session (and the one that asked)."""
        with self._lock:
            for rec in self._items.values():
                if rec.role == "enumerator" or rec is resume_for:
                    if not rec.locked:
                        rec.resume = rec.last_page
                    rec.locked = True


class TrainingStudy:
    """A throw-away study key for a training station that has no study yet.

    The private key is dropped at once: training submissions are sealed like real ones
    (so the storage path is the same) but nobody can ever open them, and they never sync.
    """

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

        from fieldkit.study import key_id_for

        public = X25519PrivateKey.generate().public_key()
        self.study_id = "training"
        self.current_key_id = key_id_for(public)
        self.public_keys = {self.current_key_id: public}
        self.fingerprint_secret = secrets.token_bytes(32)
        self.sketch_secret = secrets.token_bytes(32)

    @property
    def public_key(self) -> Any:
        return self.public_keys[self.current_key_id]

    @property
    def key_id(self) -> str:
        return self.current_key_id


class StationState:
    def __init__(self, config: dict[str, Any]) -> None:
        from fieldkit.forms import load_forms
        from fieldkit.outbox import Outbox

        self.config = config
        self.station_dir = Path(config["STATION_DIR"])
        self.station_dir.mkdir(parents=True, exist_ok=True)
        self.journal_dir = self.station_dir / "journal"
        self.journal_dir.mkdir(parents=True, exist_ok=True)
        self.training = bool(config.get("TRAINING", False))
        self.db = open_station_db(self.station_dir)
        self.db_lock = threading.RLock()
        self.store = StationStore(self.db, self.db_lock)
        self.outbox = Outbox(self.db)
        forms_dir = config.get("FORMS_DIR")
        self.forms = dict(load_forms(forms_dir)) if forms_dir else {}
        self.interviews = InterviewStore()
        self.sessions = SessionStore()
        self.study = self._load_study()
        self.recovered = self._recover()

    # --- study and enrollment ------------------------------------------------------
    def _load_study(self) -> Any:
        from fieldkit.study import StudyConfig

        path = self.station_dir / "study.json"
        if path.exists():
            return StudyConfig.load(path)
        if self.training:
            return TrainingStudy()
        return None

    def reload_study(self) -> None:
        self.study = self._load_study()

    @property
    def station_code(self) -> str:
        code = self.store.get("station_code")
        if code:
            return str(code)
        return TRAINING_STATION if self.training else UNENROLLED_STATION

    def approved_hashes(self) -> set[str]:
        return set(self.store.get("approved_forms", []) or [])

    def form_allowed(self, form: Any) -> bool:
        return self.training or form.hash in self.approved_hashes()

    def available_forms(self) -> list[Any]:
        forms = [f for f in self.forms.values() if self.form_allowed(f)]
        return sorted(forms, key=lambda f: f.id)

    def ready(self) -> bool:
        """Can interviews be sealed? (a study key, or training mode)."""
        return self.study is not None

    # --- interviews ----------------------------------------------------------------
    def _recover(self) -> list[str]:
        """Journals left by a crash become sealed ``interrupted`` submissions."""
        if self.study is None or not any(self.journal_dir.iterdir()):
            return []
        from fieldkit.journal import recover_journals

        with self.db_lock:
            return list(recover_journals(self.journal_dir, self.outbox, self.study))

    def start_interview(self, form: Any, *, lang: str, mode: str, enumerator: str,
                        site: str | None) -> Interview:
        prefill = {}
        if site is not None and _has_question(form, "site"):
            prefill["site"] = site
        iv = Interview(form, lang=lang, mode=mode, enumerator=enumerator,
                       station=self.station_code, site=site, training=self.training,
                       prefill=prefill)
        if mode == "laptop":
            # On a phone the approach begins when the link is opened: a QR code shown and
            # never scanned leaves no record (see selfadmin.open).
            self.start_journal(iv)
        return self.interviews.add(iv)

    def start_journal(self, iv: Interview) -> None:
        from fieldkit.journal import Journal

        if iv.journal is None:
            iv.attach_journal(Journal.start(self.journal_dir, iv.pre_header(self.study.key_id),
                                            self.study))

    def seal(self, iv: Interview) -> Any:
        with self.db_lock:
            item = seal_interview(iv, study=self.study, outbox=self.outbox)
        self.interviews.remove(iv.id)
        with self.db_lock:
            self.store.drop_links(iv.id)
        return item

    def quota_full(self, iv: Interview) -> bool:
        """Is this station's allocation for the interview's quota cell spent?"""
        from fieldkit.quotas import cell_key, should_warn

        cell = iv.quota_cell()
        if cell is None or iv.training:
            return False
        status = (self.store.get("quotas", {}) or {}).get(iv.form.id, {})
        entry = status.get(cell_key(cell))
        if not entry:
            return False
        allocation = entry.get("allocation")
        if allocation is None:
            return entry.get("status") in ("full", "over")
        since = self.store.get("last_sync_at")
        with self.db_lock:
            local = self.outbox.local_completes(iv.form.id, cell, since)
        return should_warn(int(allocation), local)


def _has_question(form: Any, qid: str) -> bool:
    try:
        form.question(qid)
    except KeyError:
        return False
    return True
