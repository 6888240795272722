"""The interview engine: one consent-gated interview held in process memory.

Flask-free. The station's web layer parses a request, calls one method of an
:class:`Interview` and renders what it says; everything that decides *what comes next*
lives here so that it can be tested without HTTP and behaves identically for the
laptop and for a respondent's phone.

An interview moves through stages::

    consent -> [eligibility] -> questions -> review -> ended
        \\-> ended (refused)      \\-> ended (ineligible)    (stop: ended, terminated)

* Nothing but the consent screen is reachable before consent is recorded.
* Navigation is server-side: the next question is the next one in form order for
  which ``form.is_relevant(question, answers)`` holds. Back walks a history stack.
* Every answer, language switch, consent and end is appended to the interview's crash
  journal (:mod:`fieldkit.journal`, sealed to the study key) as
  ``{"t": "answer", "q": id, "v": value}``, ``{"t": "lang", "v": lang}``,
  ``{"t": "consent", "v": mode}``, ``{"t": "eligible", "v": bool}``,
  ``{"t": "clear", "q": id}`` (an answer no longer counts after an earlier one changed),
  ``{"t": "end", "outcome": outcome, "keep_partial": bool|None}`` (the vocabulary of the
  journal's docstring).
* A banded number is stored as its band code; the typed number never leaves the
  request that carried it.
* Option order is shuffled per interview (seeded by the submission uuid and question
  id), so the order is stable across reloads, Back and language switches.

Sealing (:func:`seal_interview`) redacts free text, builds the clear header of the
contract, seals, stores in the outbox (one transaction) and discards the journal.
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

from fieldkit.envelope import new_uuid
from fieldkit.i18n import N_, normalise_language

RESERVED = ("_dk", "_pna", "_skip")
TRUE_FALSE_CODES = ("true", "false", "not_sure")
CHOICE_TYPES = ("single_choice", "scale", "true_false")
TEXT_TYPES = ("text", "long_text")
DEFAULT_MAX_LENGTH = {"text": 200, "long_text": 5000}
MAX_NUMBER_DIGITS = 9

STAGES = ("consent", "eligibility", "questions", "review", "ended")

# Messages the engine returns; the web layer translates them (domain ``station``).
MSG_CHOOSE_ONE = N_("Choose one answer, or use Skip.")
MSG_CHOOSE_SOME = N_("Choose at least one answer, or use Skip.")
MSG_EXCLUSIVE = N_("“{option}” cannot be combined with other answers.")
MSG_RANK_ORDER = N_("Give each rank only once, starting from 1 without gaps.")
MSG_RANK_TOO_MANY = N_("Rank at most {n} items.")
MSG_RANK_NONE = N_("Rank at least one item, or use Skip.")
MSG_NUMBER = N_("Type a whole number, or use Skip.")
MSG_NUMBER_RANGE = N_("This number is outside the expected range.")
MSG_TEXT_EMPTY = N_("Type an answer, or use Skip.")
MSG_TEXT_LONG = N_("This answer is too long (at most {n} characters).")
MSG_CONSTRAINT = N_("This answer is not possible. Please check it.")
MSG_NOT_OFFERED = N_("This answer is not offered for this question.")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Problem:
    """A validation problem: an English message id plus parameters (translate late)."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str | None = None      # already-localised text (a form's constraint_message)


class InterviewStateError(Exception):
    """A request that does not fit the interview's stage (stale page, URL typed by hand)."""


def _text(value: Any, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    got = value.get(lang) if hasattr(value, "get") else None
    return got if got is not None else (value.get("en") or "")


def is_real(value: Any) -> bool:
    """A real answer: present and not one of the reserved values."""
    return value is not None and not (isinstance(value, str) and value in RESERVED)


class Interview:
    """One interview. Not thread-safe by itself: hold ``interview.lock`` while using it."""

    def __init__(self, form: Any, *, lang: str, mode: str = "laptop", enumerator: str,
                 station: str, site: str | None = None, training: bool = False,
                 prefill: Mapping[str, Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if mode not in ("laptop", "self"):
            raise ValueError(f"unknown mode {mode!r}")
        self.id = secrets.token_urlsafe(18)
        self.uuid = new_uuid()
        self.form = form
        self.lang = normalise_language(lang)
        self.start_lang = self.lang
        self.mode = mode
        self.enumerator = enumerator
        self.station = station
        self.site = site
        self.training = training
        self.lock = threading.RLock()
        self._clock = clock
        self.started_at = utc_now()
        self.ended_at: str | None = None
        self.stage = "consent"
        self.consent_mode: str | None = None
        self.outcome: str | None = None
        self.keep_partial: bool | None = None
        self.answers: dict[str, Any] = {}
        self.prefilled: dict[str, Any] = dict(prefill or {})
        self.history: list[str] = []
        self.current: str | None = None
        self.eligible: bool | None = None
        self.times: dict[str, float] = {}
        self.lang_switches: list[dict[str, Any]] = []
        self.backs = 0
        self.quota_checked = False
        self.quota_pending = False
        self.over_quota = False
        self.quota_reason: str | None = None
        self.journal: Any = None
        self._shown_at: float | None = None
        self._t0 = clock()
        self.last_activity = time.time()
        self._eligibility_ids = tuple(q.id for q in self._eligibility_questions())
        self._order_cache: dict[str, list[Any]] = {}
        self._cleared: set[str] = set()

    # --- journal ---------------------------------------------------------------------
    def attach_journal(self, journal: Any) -> None:
        """Attach a :class:`fieldkit.journal.Journal`; prefilled answers go in first."""
        self.journal = journal
        self._log({"t": "lang", "v": self.lang})
        for qid, value in self.prefilled.items():
            self._log({"t": "answer", "q": qid, "v": value})

    def _log(self, event: dict[str, Any]) -> None:
        self.last_activity = time.time()
        if self.journal is not None:
            self.journal.append(event)

    # --- form structure --------------------------------------------------------------
    def _eligibility_questions(self) -> tuple[Any, ...]:
        elig = getattr(self.form, "eligibility", None)
        return tuple(elig.questions) if elig is not None else ()

    def _sequence(self) -> tuple[Any, ...]:
        return tuple(self.form.all_questions)

    def _all_answers(self) -> dict[str, Any]:
        merged = dict(self.prefilled)
        merged.update(self.answers)
        return merged

    def _relevant(self, question: Any, answers: Mapping[str, Any]) -> bool:
        return bool(self.form.is_relevant(question, answers))

    def question(self, qid: str | None) -> Any:
        return None if qid is None else self.form.question(qid)

    def _next_after(self, qid: str | None) -> Any:
        seq = self._sequence()
        start = 0
        if qid is not None:
            ids = [q.id for q in seq]
            start = ids.index(qid) + 1
        answers = self._all_answers()
        for q in seq[start:]:
            if q.id in self.prefilled:
                continue
            if self._relevant(q, answers):
                return q
        return None

    def _check_eligibility(self) -> bool:
        elig = getattr(self.form, "eligibility", None)
        if elig is None or elig.eligible_if is None:
            return True
        return bool(elig.eligible_if.evaluate(self._all_answers()))

    # --- stage: consent --------------------------------------------------------------
    def consent_modes(self) -> tuple[str, ...]:
        return tuple(self.form.consent.modes)

    def self_consent_mode(self) -> str:
        """On the respondent's own phone, tapping "I agree" is consent given in writing
        (if the form allows written consent; otherwise the form's first mode)."""
        modes = self.consent_modes()
        return "written" if "written" in modes else modes[0]

    def record_consent(self, agreed: bool, mode: str | None = None) -> None:
        if self.stage != "consent":
            raise InterviewStateError("consent already recorded")
        if not agreed:
            self._log({"t": "consent", "v": "refused"})
            self._end("refused")
            return
        modes = self.consent_modes()
        if mode not in modes:
            raise InterviewStateError(f"consent mode {mode!r} not offered by this form")
        self.consent_mode = mode
        self._log({"t": "consent", "v": mode})
        self._move_to(self._next_after(None))

    @property
    def consented(self) -> bool:
        return self.consent_mode is not None

    # --- navigation ------------------------------------------------------------------
    def _move_to(self, question: Any) -> None:
        """Make ``question`` current (or go to eligibility end / review)."""
        if question is not None and self.stage == "consent":
            self.stage = "eligibility" if question.id in self._eligibility_ids else "questions"
        if self.stage == "eligibility" and (question is None
                                            or question.id not in self._eligibility_ids):
            self.eligible = self._check_eligibility()
            self._log({"t": "eligible", "v": self.eligible})
            if not self.eligible:
                self.current = None
                self._end("ineligible")
                return
            self.stage = "questions"
        if question is None:
            self.current = None
            self.stage = "review"
            return
        self.current = question.id
        self._shown_at = None

    def shown(self) -> None:
        """The current question was rendered: start its clock (first render only)."""
        if self._shown_at is None:
            self._shown_at = self._clock()

    def _stop_clock(self, qid: str) -> None:
        if self._shown_at is not None:
            spent = max(0.0, self._clock() - self._shown_at)
            self.times[qid] = round(self.times.get(qid, 0.0) + spent, 1)
        self._shown_at = None

    def current_question(self) -> Any:
        return self.question(self.current)

    def back(self) -> None:
        """Return to the previous question (answers are kept and shown again)."""
        if self.stage == "ended" or not self.history:
            return
        if self.current is not None:
            self._stop_clock(self.current)
        previous = self.history.pop()
        self.backs += 1
        self.stage = "eligibility" if previous in self._eligibility_ids else "questions"
        self.current = previous
        self._shown_at = None
        self.quota_pending = False

    def goto(self, qid: str) -> bool:
        """Jump back to a question already passed (the browser's own Back button)."""
        if qid == self.current:
            return True
        if self.stage == "ended" or qid not in self.history:
            return False
        while self.history and self.history[-1] != qid:
            self.history.pop()
        self.back()
        return True

    def answer(self, qid: str, action: str, form: Mapping[str, Any]) -> list[Problem]:
        """Answer the current question. ``action`` is next | skip | dk | pna.

        ``form`` maps field names to a list of submitted values (a MultiDict's
        ``to_dict(flat=False)`` or equivalent). Returns problems (nothing stored) or
        [] (stored, moved on).
        """
        if self.stage not in ("eligibility", "questions") or qid != self.current:
            raise InterviewStateError("not the current question")
        question = self.current_question()
        if action == "skip":
            value: Any = "_skip"
        elif action == "dk":
            if not question.dont_know:
                return [Problem(MSG_NOT_OFFERED)]
            value = "_dk"
        elif action == "pna":
            if not question.prefer_not_to_answer:
                return [Problem(MSG_NOT_OFFERED)]
            value = "_pna"
        elif action == "next":
            value, problems = self._parse(question, form)
            if problems:
                return problems
        else:
            raise InterviewStateError(f"unknown action {action!r}")
        self._stop_clock(qid)
        if qid in self.form.quota_fields and self.answers.get(qid) != value:
            # a changed quota answer is a new cell: check it afresh
            self.quota_checked = self.over_quota = False
            self.quota_reason = None
        if question.type == "note":
            self.answers.pop(qid, None)
        else:
            self.answers[qid] = value
            self._cleared.discard(qid)
            self._log({"t": "answer", "q": qid, "v": value})
            self._journal_clears()
        self.history.append(qid)
        self._move_to(self._next_after(qid))
        return []

    def _journal_clears(self) -> None:
        """Tell the journal about answers that no longer count (an earlier answer changed
        and their question is no longer shown), so a crash-recovered partial holds only
        what a finished interview would. Memory keeps them, in case the change is undone."""
        kept = self._kept_answers()
        for qid in self.answers:
            if qid not in kept and qid not in self._cleared:
                self._cleared.add(qid)
                self._log({"t": "clear", "q": qid})

    # --- parsing and validation ----------------------------------------------------------
    def options(self, question: Any) -> list[Any]:
        """The question's options in this interview's (possibly shuffled) order."""
        cached = self._order_cache.get(question.id)
        if cached is not None:
            return cached
        opts = list(question.options)
        if getattr(question, "randomize", False) and question.type != "true_false":
            exclusive = set(getattr(question, "exclusive", ()) or ())
            movable = [o for o in opts if o.code not in exclusive]
            fixed = [o for o in opts if o.code in exclusive]
            random.Random(f"{self.uuid}:{question.id}").shuffle(movable)
            opts = movable + fixed
        self._order_cache[question.id] = opts
        return opts

    def rank_limit(self, question: Any) -> int:
        n = len(question.options)
        return min(question.rank or n, n)

    def _parse(self, q: Any, form: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
        def values(name: str) -> list[str]:
            got = form.get(name, [])
            if isinstance(got, str):
                got = [got]
            return [v for v in got if isinstance(v, str)]

        codes = [o.code for o in q.options]
        kind = q.type
        if kind == "note":
            return None, []
        if kind in CHOICE_TYPES:
            chosen = values("answer")
            if len(chosen) != 1 or chosen[0] not in codes:
                return None, [Problem(MSG_CHOOSE_ONE)]
            value: Any = chosen[0]
        elif kind == "multiple_choice":
            chosen = set(values("answer"))
            if not chosen or not chosen <= set(codes):
                return None, [Problem(MSG_CHOOSE_SOME)]
            for code in q.exclusive or ():
                if code in chosen and len(chosen) > 1:
                    label = next(o.label for o in q.options if o.code == code)
                    return None, [Problem(MSG_EXCLUSIVE, {"option": _text(label, self.lang)})]
            value = [c for c in codes if c in chosen]
        elif kind == "ranking":
            value, problems = self._parse_ranking(q, values)
            if problems:
                return None, problems
        elif kind == "banded_number":
            raw = (values("number") or [""])[0].strip()
            raw = raw.translate(_DIGITS)
            if not raw or not raw.lstrip("-").isdigit() or len(raw) > MAX_NUMBER_DIGITS:
                return None, [Problem(MSG_NUMBER)]
            number = int(raw)
            if q.constraint is not None and not q.check(number):
                return None, [self._constraint_problem(q)]
            band = q.band_for(number)
            if band is None:
                return None, [Problem(MSG_NUMBER_RANGE)]
            return band, []
        elif kind in TEXT_TYPES:
            text = (values("text") or [""])[0].replace("\r\n", "\n").strip()
            if not text:
                return None, [Problem(MSG_TEXT_EMPTY)]
            limit = q.max_length or DEFAULT_MAX_LENGTH[kind]
            if len(text) > limit:
                return None, [Problem(MSG_TEXT_LONG, {"n": limit})]
            value = text
        else:
            raise InterviewStateError(f"unknown question type {kind!r}")
        if q.constraint is not None and not q.check(value):
            return None, [self._constraint_problem(q)]
        return value, []

    def _parse_ranking(self, q: Any, values: Callable[[str], list[str]]
                       ) -> tuple[Any, list[Problem]]:
        limit = self.rank_limit(q)
        ordered = values("order")           # the tap-to-order script sends the codes in order
        codes = [o.code for o in q.options]
        if ordered and ordered != [""]:
            seq = [c for c in ",".join(ordered).split(",") if c]
            if len(set(seq)) != len(seq) or not set(seq) <= set(codes):
                return None, [Problem(MSG_RANK_ORDER)]
        else:                                  # no-JS fallback: one rank select per item
            ranks: dict[int, str] = {}
            for code in codes:
                raw = (values(f"rank_{code}") or [""])[0].strip()
                if not raw:
                    continue
                if not raw.isdigit():
                    return None, [Problem(MSG_RANK_ORDER)]
                pos = int(raw)
                if pos in ranks:
                    return None, [Problem(MSG_RANK_ORDER)]
                ranks[pos] = code
            if sorted(ranks) != list(range(1, len(ranks) + 1)):
                return None, [Problem(MSG_RANK_ORDER)]
            seq = [ranks[p] for p in sorted(ranks)]
        if not seq:
            return None, [Problem(MSG_RANK_NONE)]
        if len(seq) > limit:
            return None, [Problem(MSG_RANK_TOO_MANY, {"n": limit})]
        return seq, []

    def _constraint_problem(self, q: Any) -> Problem:
        if q.constraint_message is not None:
            return Problem(MSG_CONSTRAINT, text=_text(q.constraint_message, self.lang))
        return Problem(MSG_CONSTRAINT)

    # --- language ------------------------------------------------------------------------
    def switch_language(self, lang: str) -> None:
        lang = normalise_language(lang)
        if lang == self.lang or lang not in self.form.languages:
            return
        self.lang_switches.append({"from": self.lang, "to": lang, "at": self.current,
                                   "stage": self.stage})
        self.lang = lang
        self._log({"t": "lang", "v": lang})

    # --- quotas ----------------------------------------------------------------------
    def quota_values(self) -> dict[str, str]:
        answers = self._all_answers()
        return {f: answers[f] for f in self.form.quota_fields
                if isinstance(answers.get(f), str) and is_real(answers.get(f))}

    def quota_cell(self) -> dict[str, str] | None:
        """The quota cell once every quota field has a real answer, else None."""
        values = self.quota_values()
        if not self.form.quota_fields or len(values) != len(self.form.quota_fields):
            return None
        return values

    def needs_quota_check(self) -> bool:
        return (not self.quota_checked and self.stage in ("questions", "review")
                and self.quota_cell() is not None)

    def quota_checked_result(self, full: bool) -> None:
        """Record the station's quota check for the (now complete) cell."""
        self.quota_checked = True
        if full and self.mode == "self":
            # Never show the enumerator's quota question to a respondent: mark and go on.
            self.over_quota = True
            self.quota_reason = "self_administered"
        elif full:
            self.quota_pending = True

    def continue_over_quota(self, reason: str) -> None:
        self.quota_pending = False
        self.over_quota = True
        self.quota_reason = reason
        self._log({"t": "paradata", "k": "over_quota_reason", "v": reason})

    # --- ending ----------------------------------------------------------------------
    def _end(self, outcome: str) -> None:
        if self.current is not None:
            self._stop_clock(self.current)
        self.outcome = outcome
        self.stage = "ended"
        self.current = None
        self.ended_at = utc_now()
        self._log({"t": "end", "outcome": outcome, "keep_partial": self.keep_partial})

    def stop(self, keep_partial: bool) -> None:
        """The respondent ends the interview; ``keep_partial``: answers so far may be kept."""
        if self.stage == "ended":
            raise InterviewStateError("already ended")
        if not self.consented:
            self._end("refused")
            return
        self.keep_partial = bool(keep_partial)
        self._end("terminated")

    def interrupt(self) -> None:
        """Abandoned (e.g. a respondent's phone never came back): a partial, marked so."""
        if self.stage != "ended":
            self._end("interrupted")

    def complete(self) -> None:
        if self.stage != "review":
            raise InterviewStateError("not at the end of the questions")
        self._end("completed")

    # --- results ---------------------------------------------------------------------
    def final_answers(self) -> dict[str, Any]:
        """The answers that go into the sealed payload.

        Only questions still relevant given the other answers (an answer left behind by
        going Back and changing an earlier answer is dropped, as if never shown), in
        form order. Refused and "do not keep" interviews keep nothing.
        """
        if self.outcome == "refused" or (self.outcome == "terminated" and not self.keep_partial):
            return {}
        kept = self._kept_answers()
        if self.outcome == "ineligible":
            return {k: v for k, v in kept.items() if k in self._eligibility_ids
                    or k in self.prefilled}
        return kept

    def _kept_answers(self) -> dict[str, Any]:
        merged = self._all_answers()
        kept: dict[str, Any] = {}
        for q in self._sequence():
            if q.id in merged and self._relevant(q, kept):
                kept[q.id] = merged[q.id]
        return kept

    def text_answers(self) -> dict[str, str]:
        out = {}
        for qid, value in self.final_answers().items():
            q = self.form.question(qid)
            if q.type in TEXT_TYPES and is_real(value):
                out[qid] = value
        return out

    def progress(self) -> tuple[int, int]:
        """(position, total) for the progress indicator: questions so far / still ahead."""
        done = len(self.history)
        answers = self._all_answers()
        ahead = 0
        seen = False
        for q in self._sequence():
            if q.id == self.current:
                seen = True
            if seen and q.id not in self.prefilled and self._relevant(q, answers):
                ahead += 1
        return done + 1, done + max(ahead, 1)

    def paradata(self, redactions: Mapping[str, int] | None = None) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "consent_mode": self.consent_mode,
            "start_language": self.start_lang,
            "language": self.lang,
            "language_switches": list(self.lang_switches),
            "seconds_per_question": dict(self.times),
            "seconds_total": round(self._clock() - self._t0, 1),
            "back_count": self.backs,
            "over_quota_reason": self.quota_reason,
            "redactions": dict(redactions or {}),
        }

    def header(self, *, key_id: str, answers: Mapping[str, Any],
               fingerprint: str | None = None, sketch: list[int] | None = None
               ) -> dict[str, Any]:
        """The clear header of the contract (nothing else is readable)."""
        return {
            "v": 1, "uuid": self.uuid, "form_id": self.form.id, "form_hash": self.form.hash,
            "key_id": key_id, "station": self.station, "enumerator": self.enumerator,
            "site": self.site, "quota": self._header_quota(),
            "outcome": self.outcome or "interrupted",
            "keep_partial": self.keep_partial if self.outcome == "terminated" else None,
            "started_at": self.started_at, "ended_at": self.ended_at or utc_now(),
            "n_answered": sum(1 for v in answers.values() if is_real(v)),
            "fingerprint": fingerprint, "sketch": sketch,
            "over_quota": self.over_quota, "training": self.training, "payload": "hpke",
        }

    def _header_quota(self) -> dict[str, str]:
        """Quota values for the clear header. When the respondent's answers are not kept
        (refused, or ended with "delete my answers"), only what the station itself set
        (the site) is shown: a deleted answer must not survive in the clear part."""
        values = self.quota_values()
        if self.outcome == "refused" or (self.outcome == "terminated" and not self.keep_partial):
            return {k: v for k, v in values.items() if k in self.prefilled}
        return values

    def pre_header(self, key_id: str) -> dict[str, Any]:
        """What the crash journal needs to make an ``interrupted`` submission later."""
        return {
            "v": 1, "uuid": self.uuid, "form_id": self.form.id, "form_hash": self.form.hash,
            "key_id": key_id, "station": self.station, "enumerator": self.enumerator,
            "site": self.site, "quota": self.quota_values(), "started_at": self.started_at,
            "training": self.training,
        }


_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")


@dataclass
class Redacted:
    answers: dict[str, Any]
    counts: dict[str, int]
    by_question: dict[str, Any]          # qid -> Redaction (for the review page)


def redact_answers(interview: Interview, redact: Callable[[str], Any]) -> Redacted:
    """Run every free-text answer through the PII redactor."""
    answers = interview.final_answers()
    counts: dict[str, int] = {}
    by_question: dict[str, Any] = {}
    for qid, text in interview.text_answers().items():
        result = redact(text)
        answers[qid] = result.text
        by_question[qid] = result
        for kind, n in result.counts.items():
            counts[kind] = counts.get(kind, 0) + n
    return Redacted(answers, counts, by_question)


def seal_interview(interview: Interview, *, study: Any, outbox: Any,
                   redact: Callable[[str], Any] | None = None,
                   fingerprint: Callable[..., str] | None = None,
                   sketch: Callable[..., list[int]] | None = None) -> Any:
    """Seal an ended interview and store it in the outbox; discard its journal.

    Free text is redacted first; the fingerprint and sketch (fieldkit.dedup) are
    computed over the redacted answers with the study's secrets. Returns the SealedItem.
    """
    from fieldkit.crypto import seal

    if interview.stage != "ended":
        raise InterviewStateError("interview has not ended")
    if redact is None:
        from fieldkit.privacy import redact as redact_fn
        redact = redact_fn
    red = redact_answers(interview, redact)
    answers = red.answers
    fp = sk = None
    if answers and interview.outcome in ("completed", "terminated"):
        if fingerprint is None or sketch is None:
            from fieldkit import dedup
            fingerprint, sketch = dedup.fingerprint, dedup.sketch
        fp = fingerprint(interview.form.hash, answers, study.fingerprint_secret)
        sk = list(sketch(answers, study.sketch_secret))
    key_id = study.current_key_id
    header = interview.header(key_id=key_id, answers=answers, fingerprint=fp, sketch=sk)
    payload = {"answers": answers, "paradata": interview.paradata(red.counts)}
    item = seal(header, payload, study.public_keys[key_id], key_id)
    outbox.store(item)
    if interview.journal is not None:
        interview.journal.close_and_discard()
        interview.journal = None
    return item


class InterviewStore:
    """The interviews this station process holds, by opaque id."""

    def __init__(self) -> None:
        self._items: dict[str, Interview] = {}
        self._lock = threading.Lock()

    def add(self, interview: Interview) -> Interview:
        with self._lock:
            self._items[interview.id] = interview
        return interview

    def get(self, interview_id: str | None) -> Interview | None:
        if not interview_id:
            return None
        with self._lock:
            return self._items.get(interview_id)

    def remove(self, interview_id: str) -> None:
        with self._lock:
            self._items.pop(interview_id, None)

    def open_for(self, enumerator: str) -> list[Interview]:
        with self._lock:
            items = list(self._items.values())
        return [i for i in items if i.enumerator == enumerator and i.stage != "ended"]

    def __iter__(self) -> Iterable[Interview]:
        with self._lock:
            return iter(list(self._items.values()))
