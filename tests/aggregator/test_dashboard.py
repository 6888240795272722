"""The supervisor dashboard shows the right numbers from seeded submission headers, and
review decisions are logged with who and when while nothing is deleted."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from agg_support import add_review_item, add_station, csrf_from, insert_header, now


def _outcomes(html: str, section: str) -> dict[str, dict[str, int]]:
    """{key: {outcome: n}} from the outcome list of ``section`` (by-site / by-enumerator)."""
    body = html.split(f'id="by-{section}"', 1)[1].split("</section>", 1)[0]
    out: dict[str, dict[str, int]] = {}
    for chunk in body.split('class="outcome-line')[1:]:
        key = re.search(r'data-key="([^"]*)"', chunk).group(1)
        counts = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'data-outcome="(\w+)">.*?<b>(\d+)</b>', chunk, re.S)}
        total = int(re.search(r"(\d+) approached", chunk).group(1))
        out[key] = {**counts, "total": total}
    return out


def _seed_outcomes(db: Any) -> None:
    day = now().replace(hour=6, minute=0, second=0) - timedelta(days=1)
    for enumerator, site, outcome in (
            ("e01", "pune", "completed"), ("e01", "pune", "completed"),
            ("e01", "pune", "refused"), ("e01", "pune", "terminated"),
            ("e02", "pune", "ineligible"), ("e02", "pune", "interrupted"),
            ("e03", "thane", "completed"), ("e03", "thane", "refused"),
            ("e03", "thane", "refused")):
        insert_header(db, enumerator=enumerator, site=site, outcome=outcome, started=day,
                      n_answered=30 if outcome == "completed" else 0)
    # not approaches of their own: a conflicting resend, the same answers under another
    # UUID, and a training interview
    insert_header(db, enumerator="e01", site="pune", status="conflict")
    insert_header(db, enumerator="e01", site="pune", status="duplicate_content")
    insert_header(db, enumerator="e01", site="pune", training=True)


def test_outcomes_per_site_and_enumerator(client_as: Any, db: Any) -> None:
    _seed_outcomes(db)
    html = client_as("supervisor").get("/supervisor/outcomes").get_data(as_text=True)
    by_site = _outcomes(html, "site")
    assert by_site["pune"] == {"completed": 2, "terminated": 1, "interrupted": 1, "refused": 1,
                               "ineligible": 1, "total": 6}
    assert by_site["thane"] == {"completed": 1, "terminated": 0, "interrupted": 0, "refused": 2,
                                "ineligible": 0, "total": 3}
    assert by_site["*"]["total"] == 9
    by_enum = _outcomes(html, "enumerator")
    assert by_enum["e01"] == {"completed": 2, "terminated": 1, "interrupted": 0, "refused": 1,
                              "ineligible": 0, "total": 4}
    assert by_enum["e02"]["total"] == 2 and by_enum["e02"]["interrupted"] == 1
    assert by_enum["e03"]["refused"] == 2
    assert "Ended midway" in html     # "terminated" in the words a supervisor uses


def test_outcomes_filtered_by_form(client_as: Any, db: Any) -> None:
    _seed_outcomes(db)
    insert_header(db, form_id="general_population", enumerator="e09", site="nagpur",
                  outcome="refused", quota={"site": "nagpur", "gender": "female"})
    client = client_as("supervisor")
    all_forms = _outcomes(client.get("/supervisor/outcomes").get_data(as_text=True), "site")
    assert all_forms["nagpur"]["refused"] == 1
    only = _outcomes(client.get("/supervisor/outcomes?form=general_population")
                     .get_data(as_text=True), "site")
    assert set(only) == {"nagpur", "*"}
    # an unknown form name shows everything rather than failing
    assert client.get("/supervisor/outcomes?form=<script>").status_code == 200


def test_completes_per_day_and_totals(client_as: Any, db: Any) -> None:
    today = now().replace(hour=6, minute=0, second=0)     # 11:30 in India: same date
    for days_ago, n in ((0, 3), (1, 1), (4, 2)):
        for _ in range(n):
            insert_header(db, started=today - timedelta(days=days_ago), minutes=20)
    insert_header(db, outcome="refused", started=today, n_answered=0)
    html = client_as("supervisor").get("/supervisor/").get_data(as_text=True)
    for days_ago, n in ((0, 3), (1, 1), (4, 2), (2, 0)):
        day = (today - timedelta(days=days_ago)).date().isoformat()
        assert f"<title>{day}: {n}</title>" in html
    tiles = dict((label, int(n)) for n, label in
                 re.findall(r"<b>(\d+)</b> (completed|approached)", html))
    assert tiles == {"completed": 6, "approached": 7}


def test_quota_progress_with_target_tolerance_and_allocations(client_as: Any, db: Any) -> None:
    from aggregator import quota_service
    from aggregator.db import transaction

    add_station(db, "pune-1", last_sync=now())
    add_station(db, "pune-2", last_sync=now())
    with transaction(db):
        quota_service.set_target(db, "police", "site=pune", 10, 2)
        quota_service.set_target(db, "police", "site=thane", 5, 0)
    for _ in range(6):
        insert_header(db, site="pune")
    for _ in range(6):
        insert_header(db, site="thane")
    db.execute("INSERT INTO quota_counts (form_id, cell_key, count) SELECT form_id, cell_key, "
               "COUNT(*) FROM submissions WHERE counted GROUP BY form_id, cell_key")
    for station, n in (("pune-1", 3), ("pune-2", 1)):
        db.execute("INSERT INTO allocations VALUES ('police', 'site=pune', ?, ?, ?)",
                   [station, n, now().isoformat()])
    html = client_as("supervisor").get("/supervisor/").get_data(as_text=True)
    pune = html.split("site=pune</span>", 1)[1].split("</li>", 1)[0]
    assert "6 of 10" in pune and "±2" in pune and "open" in pune
    assert "pune-1 3" in pune and "pune-2 1" in pune
    assert pune.count('class="q-alloc"') == 2                  # one segment per station
    assert 'class="q-target"' in pune and 'class="q-tolerance"' in pune
    thane = html.split("site=thane</span>", 1)[1].split("</li>", 1)[0]
    assert "6 of 5" in thane and "over target" in thane


def test_station_freshness(client_as: Any, db: Any) -> None:
    add_station(db, "fresh-1", last_sync=now() - timedelta(hours=2), pending=3)
    add_station(db, "stale-1", last_sync=now() - timedelta(hours=30), pending=17)
    add_station(db, "silent-1", last_sync=now() - timedelta(days=5))
    add_station(db, "new-1")
    add_station(db, "gone-1", last_sync=now() - timedelta(days=9), revoked=True)
    html = client_as("supervisor").get("/supervisor/stations").get_data(as_text=True)
    rows = {m.group(2): m.group(1) for m in re.finditer(
        r'<li class="state-(\w+)" data-station="([\w-]+)">', html)}
    assert rows == {"fresh-1": "fresh", "stale-1": "stale", "silent-1": "silent",
                    "new-1": "never", "gone-1": "revoked"}
    stale = html.split('data-station="stale-1"', 1)[1].split("</li>", 1)[0]
    assert 'data-pending="17"' in stale and "30.0 h ago" in stale
    new = html.split('data-station="new-1"', 1)[1].split("</li>", 1)[0]
    assert "never" in new and "not reported" in new
    # the never-synced station is listed first: it needs attention most
    assert html.index("new-1") < html.index("silent-1") < html.index("stale-1") \
        < html.index("fresh-1")


def test_speed_flags(client_as: Any, db: Any) -> None:
    start = now() - timedelta(hours=5)
    for i in range(8):                                    # about 40 s per answer
        insert_header(db, enumerator="e01", started=start, minutes=20 + i, n_answered=30)
    fast_abs = insert_header(db, enumerator="e02", started=start, minutes=1.5, n_answered=30)
    fast_rel = insert_header(db, enumerator="e02", started=start, minutes=5, n_answered=30)
    short = insert_header(db, enumerator="e03", started=start, minutes=0.5, n_answered=3)
    refused = insert_header(db, enumerator="e03", outcome="refused", minutes=0.2, n_answered=0)
    uuids = {sid: r["uuid"] for sid, r in
             ((sid, next(db.query("SELECT uuid FROM submissions WHERE id = ?", [sid])))
              for sid in (fast_abs, fast_rel, short, refused))}
    html = client_as("supervisor").get("/supervisor/speed").get_data(as_text=True)
    flagged = re.findall(r'<li class="flag-(\w+)" data-uuid="([^"]+)"', html)
    assert flagged == [("absolute", uuids[fast_abs]), ("relative", uuids[fast_rel])]
    assert '<li data-enumerator="e02"><span>e02</span> <b>2</b></li>' in html
    assert "30 answers in 1.5 min" in html and "3.0 s per answer" in html
    overview = client_as("supervisor").get("/supervisor/").get_data(as_text=True)
    assert "<b>2</b> too fast" in overview


def _review_setup(db: Any) -> tuple[int, int, int]:
    first = insert_header(db, enumerator="e01")
    twin = insert_header(db, enumerator="e02", status="duplicate_content")
    near_a, near_b = insert_header(db, enumerator="e03"), insert_header(db, enumerator="e03")
    dup_item = add_review_item(db, "duplicate_content", first, twin)
    near_item = add_review_item(db, "near_duplicate", near_a, near_b, score=0.91)
    return dup_item, near_item, near_b


def test_review_decisions_are_logged_and_nothing_is_deleted(client_as: Any, db: Any) -> None:
    dup_item, near_item, near_b = _review_setup(db)
    before = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("submissions", "ciphertexts", "review_items")}
    client = client_as("supervisor")
    queue = client.get("/supervisor/reviews").get_data(as_text=True)
    assert "Very similar answers" in queue and "Same answers under another ID" in queue
    assert "similarity 0.91" in queue

    page = client.get(f"/supervisor/reviews/{near_item}").get_data(as_text=True)
    assert "Only the clear headers are shown" in page
    response = client.post(f"/supervisor/reviews/{near_item}",
                           data={"decision": "duplicate", "note": "same hour, same enumerator",
                                 "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    log = [dict(r) for r in db.query("SELECT * FROM review_decisions WHERE item_id = ?",
                                     [near_item])]
    assert len(log) == 1
    assert log[0]["decision"] == "duplicate" and log[0]["decided_by"] == "supervisor"
    decided_at = datetime.fromisoformat(log[0]["decided_at"].replace("Z", "+00:00"))
    assert abs(decided_at - datetime.now(timezone.utc)) < timedelta(minutes=5)
    item = dict(next(db.query("SELECT * FROM review_items WHERE id = ?", [near_item])))
    assert item["status"] == "duplicate" and item["decided_by"] == "supervisor"
    # the later copy stops counting toward the quota; it is still stored
    assert db.execute("SELECT counted FROM submissions WHERE id = ?", [near_b]).fetchone()[0] == 0

    # a second opinion is appended, not overwritten
    page = client.get(f"/supervisor/reviews/{near_item}").get_data(as_text=True)
    assert "same hour, same enumerator" in page
    client.post(f"/supervisor/reviews/{near_item}",
                data={"decision": "distinct", "csrf_token": csrf_from(page)})
    assert db.execute("SELECT COUNT(*) FROM review_decisions WHERE item_id = ?",
                      [near_item]).fetchone()[0] == 2
    assert db.execute("SELECT counted FROM submissions WHERE id = ?", [near_b]).fetchone()[0] == 1

    after = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in before}
    assert after == before
    open_now = client.get("/supervisor/reviews").get_data(as_text=True)
    assert f"/supervisor/reviews/{near_item}" not in open_now
    assert f"/supervisor/reviews/{near_item}" in client.get("/supervisor/reviews?show=all") \
        .get_data(as_text=True)
    actions = [r["action"] for r in db.query("SELECT action FROM audit_log")]
    assert actions.count("review.decide") == 2


def test_a_bad_decision_changes_nothing(client_as: Any, db: Any) -> None:
    dup_item, _near, _b = _review_setup(db)
    client = client_as("admin")
    page = client.get(f"/supervisor/reviews/{dup_item}").get_data(as_text=True)
    response = client.post(f"/supervisor/reviews/{dup_item}",
                           data={"decision": "delete", "csrf_token": csrf_from(page)})
    assert response.status_code == 400
    assert "Choose distinct or duplicate" in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM review_decisions").fetchone()[0] == 0
    assert client.get("/supervisor/reviews/424242").status_code == 404


def test_days_are_local_days_in_the_study_time_zone(client_as: Any, db: Any) -> None:
    """An interview that ends at 19:00 UTC ends at 00:30 in India: it counts for the
    next day there, as the supervisor lived it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo("Asia/Kolkata")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database (Debian package tzdata)")
    ist_today = datetime.now(ZoneInfo("Asia/Kolkata")).date()
    midnight = datetime(ist_today.year, ist_today.month, ist_today.day,
                        tzinfo=ZoneInfo("Asia/Kolkata")).astimezone(timezone.utc)
    insert_header(db, started=midnight + timedelta(minutes=10), minutes=20)   # 00:30 IST
    insert_header(db, started=midnight - timedelta(minutes=40), minutes=20)   # 23:50 IST
    html = client_as("supervisor").get("/supervisor/").get_data(as_text=True)
    yesterday = ist_today - timedelta(days=1)
    assert f"<title>{ist_today.isoformat()}: 1</title>" in html
    assert f"<title>{yesterday.isoformat()}: 1</title>" in html
    assert "Asia/Kolkata" in html


def test_what_people_type_is_shown_as_text(client_as: Any, db: Any) -> None:
    """A note (or a code sent by a station) never becomes markup on someone's page."""
    dup_item, _near, _b = _review_setup(db)
    insert_header(db, enumerator="<img src=x onerror=alert(1)>", site="<b>pune</b>", quota={})
    client = client_as("supervisor")
    page = client.get(f"/supervisor/reviews/{dup_item}").get_data(as_text=True)
    client.post(f"/supervisor/reviews/{dup_item}",
                data={"decision": "distinct", "note": "<script>alert(1)</script>",
                      "csrf_token": csrf_from(page)})
    page = client.get(f"/supervisor/reviews/{dup_item}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    outcomes = client.get("/supervisor/outcomes").get_data(as_text=True)
    assert "<img src=x" not in outcomes
    assert "&lt;img src=x onerror=alert(1)&gt;" in outcomes
    assert "&lt;b&gt;pune&lt;/b&gt;" in outcomes
