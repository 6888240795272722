"""Random walks through the study's real questionnaires (forms/*.yaml) with the interview
engine, sealed with a real study key into a real outbox and opened again: every stored
answer is of its question's type, and every relevant question was reachable."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto import open_sealed
from fieldkit.db import open_db
from fieldkit.forms import RESERVED_ANSWERS, load_forms
from fieldkit.interview import Interview, seal_interview
from fieldkit.outbox import Outbox
from station_support import make_study

REPO = Path(__file__).resolve().parents[2]
FORMS = load_forms(REPO / "forms") if (REPO / "forms").is_dir() else {}


def _fill(iv: Interview, q: Any, rng: random.Random) -> dict[str, list[str]]:
    if q.type in ("single_choice", "scale", "true_false"):
        return {"answer": [rng.choice(q.options).code]}
    if q.type == "multiple_choice":
        codes = [o.code for o in q.options if o.code not in q.exclusive]
        return {"answer": rng.sample(codes, min(2, len(codes)))}
    if q.type == "ranking":
        codes = [o.code for o in q.options]
        rng.shuffle(codes)
        return {"order": [",".join(codes[:iv.rank_limit(q)])]}
    if q.type == "banded_number":
        band = rng.choice(q.bands)
        n = band.min if band.min is not None else band.max
        return {"number": [str(n if n is not None else 1)]}
    if q.type in ("text", "long_text"):
        return {"text": ["people say it happens near the station, call 98220 12345"]}
    return {}


def _valid(q: Any, value: Any) -> bool:
    if isinstance(value, str) and value in RESERVED_ANSWERS:
        return True
    codes = {o.code for o in q.options}
    if q.type in ("single_choice", "scale", "true_false"):
        return value in codes
    if q.type == "multiple_choice":
        return isinstance(value, list) and set(value) <= codes and len(value) > 0
    if q.type == "ranking":
        return isinstance(value, list) and set(value) <= codes and \
            len(value) <= (q.rank or len(codes))
    if q.type == "banded_number":
        return value in {b.code for b in q.bands}
    if q.type in ("text", "long_text"):
        return isinstance(value, str) and "98220" not in value
    return False


@pytest.mark.skipif(not FORMS, reason="no study forms in forms/")
@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_random_interviews_through_a_study_form(form_id: str, tmp_path: Path,
                                                study_key: Any) -> None:
    form = FORMS[form_id]
    study = make_study(study_key)
    outbox = Outbox(open_db(tmp_path / "o.db"))
    rng = random.Random(form_id)
    outcomes = set()
    for trial in range(25):
        iv = Interview(form, lang=("en", "hi", "mr")[trial % 3], enumerator="E01",
                       station="ST01")
        iv.record_consent(True, form.consent.modes[0])
        for _ in range(500):
            if iv.stage not in ("eligibility", "questions"):
                break
            q = iv.current_question()
            q_eligibility = form.eligibility and q in form.eligibility.questions
            action = "next" if q_eligibility or rng.random() < 0.85 else "skip"
            assert iv.answer(q.id, action, _fill(iv, q, rng)) == [], (q.id, q.type)
        if iv.stage == "review":
            iv.complete()
        outcomes.add(iv.outcome)
        item = seal_interview(iv, study=study, outbox=outbox)
        answers = open_sealed(item, study_key)["answers"]
        for qid, value in answers.items():
            assert _valid(form.question(qid), value), (qid, value)
        assert item.header["n_answered"] == sum(
            1 for v in answers.values() if not (isinstance(v, str) and v in RESERVED_ANSWERS))
    assert "completed" in outcomes
    outbox.db.close()
