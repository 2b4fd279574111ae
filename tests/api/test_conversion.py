"""POST /predict/conversion and /predict/conversion/batch: a live session in, a nudge decision out."""

from __future__ import annotations

import polars as pl
import pytest

from commercelens.api.conversion_features import FEATURE_SCHEMA
from commercelens.api.schemas import MAX_BATCH, SHOP_EVENTS_EXAMPLE
from commercelens.ml.bundle import predict_proba
from commercelens.ml.tasks import champion
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration

POLICY = {"low": "no_action", "medium": "nudge", "high": "leave_alone"}
EVENTS = """
select event_ms as timestamp, visitor_id as visitorid, event_type as event, item_id as itemid,
    transaction_id as transactionid
from intermediate.int_events_sessionised
where session_id = ?
order by event_ms
"""


@pytest.fixture(scope="module")
def known_session(api_settings):
    """The test-split session with the most events before its decision, its raw rows and batch row."""
    with open_warehouse(api_settings, read_only=True) as w:
        batch = w.fetch_arrow(
            "select * from ml.conversion_features where split = 'test' "
            "order by events_before_decision desc, session_id limit 1"
        )
        row = pl.from_arrow(batch).row(0, named=True)
        events = pl.from_arrow(w.fetch_arrow(EVENTS, [row["session_id"]])).to_dicts()
    return row, events


def test_a_session_gets_probability_tier_decision_and_the_batch_features(
    client, headers, known_session, api_settings
):
    row, events = known_session
    response = client.post(
        "/predict/conversion?include_features=true",
        json={"session_ref": "r1", "events": events},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["session_ref"] == "r1" and body["session_id"] == row["session_id"] and body["known_visitor"]
    assert body["decision_at"].replace("T", " ").rstrip("Z") == str(row["decision_at"])
    assert body["events_used"] == row["events_before_decision"]
    assert 0 <= body["probability"] <= 1 and POLICY[body["tier"]] == body["decision"]
    assert len(body["reasons"]) == 3 and all(r["feature"] in FEATURE_SCHEMA for r in body["reasons"])
    assert body["model"]["task"] == "conversion"
    for name, value in body["features"].items():
        assert value == (None if row[name] is None else pytest.approx(row[name], rel=1e-9, abs=1e-12)), name
    bundle = champion(api_settings, "conversion")
    expected = predict_proba(bundle, pl.DataFrame([body["features"]], schema=FEATURE_SCHEMA))[0]
    assert body["probability"] == pytest.approx(expected, abs=1e-12)


def test_a_batch_scores_like_single_sessions_in_order(client, headers, known_session):
    _, events = known_session
    sessions = [
        {"session_ref": "known", "events": events},
        {"session_ref": "new", "events": SHOP_EVENTS_EXAMPLE},
        {"session_ref": "shuffled", "events": list(reversed(events))},
    ]
    batch = client.post("/predict/conversion/batch?reasons=3", json={"sessions": sessions}, headers=headers)
    assert batch.status_code == 200, batch.text
    predictions = batch.json()["predictions"]
    assert [p["session_ref"] for p in predictions] == ["known", "new", "shuffled"]
    assert predictions[0]["probability"] == predictions[2]["probability"]  # order of events is irrelevant
    for session, got in zip(sessions, predictions, strict=True):
        single = client.post("/predict/conversion", json=session, headers=headers).json()
        assert got["probability"] == pytest.approx(single["probability"], abs=1e-12)
        assert got["reasons"] == single["reasons"]
    quick = client.post("/predict/conversion/batch", json={"sessions": sessions}, headers=headers).json()
    assert all(p["reasons"] == [] for p in quick["predictions"])


EVENT = SHOP_EVENTS_EXAMPLE[0]


@pytest.mark.parametrize(
    ("events", "loc", "says"),
    [
        ([EVENT, {**EVENT, "timestamp": EVENT["timestamp"] + 1, "event": "transaction", "transactionid": 5}],
         ["body", "events", 1, "event"], "purchase before the decision"),
        ([EVENT, {**EVENT, "visitorid": 7}], ["body", "events", 1, "visitorid"], "one visitorid"),
        ([{**EVENT, "event": "click"}], ["body", "events", 0, "event"], ""),
        ([{**EVENT, "timestamp": -1}], ["body", "events", 0, "timestamp"], ""),
        ([{**EVENT, "colour": "red"}], ["body", "events", 0, "colour"], ""),
        ([], ["body", "events"], ""),
    ],
)  # fmt: skip
def test_bad_sessions_are_a_422_naming_the_event_and_field(client, headers, events, loc, says):
    response = client.post("/predict/conversion", json={"events": events}, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == loc and says in error["msg"]


def test_batch_errors_name_the_session(client, headers):
    bad = [EVENT, {**EVENT, "visitorid": 7}]
    sessions = [{"events": SHOP_EVENTS_EXAMPLE}, {"events": bad}]
    response = client.post("/predict/conversion/batch", json={"sessions": sessions}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "sessions", 1, "events", 1, "visitorid"]


def test_batch_size_is_capped_and_a_key_is_required(client, headers):
    sessions = [{"events": [EVENT]}] * (MAX_BATCH + 1)
    response = client.post("/predict/conversion/batch", json={"sessions": sessions}, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "sessions"]
    assert client.post("/predict/conversion", json={"events": [EVENT]}).status_code == 401


def test_a_session_the_warehouse_shows_started_earlier_names_its_first_event(client, headers, known_session):
    _, events = known_session
    continued = [{**e, "timestamp": events[-1]["timestamp"] + 60_000 + i} for i, e in enumerate(events[:3])]
    response = client.post("/predict/conversion", json={"events": continued[::-1]}, headers=headers)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "events", 2, "timestamp"] and "started earlier" in error["msg"]


def test_a_new_session_of_a_known_visitor_counts_its_earlier_sessions(client, headers, api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        visitor, sessions, purchases, last_start = w.fetch_all(
            "select visitor_id, count(*), count(*) filter (where has_transaction), max(session_start_ms) "
            "from (select visitor_id, session_start_ms, bool_or(event_type = 'transaction') as has_transaction "
            "from intermediate.int_events_sessionised group by all) group by visitor_id "
            "having count(*) filter (where has_transaction) > 0 order by count(*) desc, visitor_id limit 1"
        )[0]
        newest = w.fetch_all("select max(event_ms) from intermediate.int_events_sessionised")[0][0]
    start = newest + 86_400_000  # a day after the warehouse ends: a live session
    events = [
        {**EVENT, "visitorid": visitor, "timestamp": start},
        {**EVENT, "visitorid": visitor, "timestamp": start + 9},
    ]
    body = client.post(
        "/predict/conversion?include_features=true", json={"events": events}, headers=headers
    ).json()
    features = body["features"]
    assert body["known_visitor"] and body["session_id"] == f"{visitor}-{start}"
    assert (features["visitor_prior_sessions"], features["visitor_prior_purchase_sessions"]) == (
        sessions,
        purchases,
    )
    assert features["hours_since_previous_session"] == pytest.approx((start - last_start) / 3_600_000)
    assert features["views_before_decision"] == 2 and features["distinct_items_before_decision"] == 1


def test_the_session_gap_is_the_warehouse_sessionisation_gap():
    from pathlib import Path

    import commercelens
    from commercelens.api.conversion_features import SESSION_GAP_MS

    sql = next(
        Path(commercelens.__file__).parent.glob("dbt/models/**/int_events_sessionised.sql")
    ).read_text()
    assert f"session_gap_ms = {SESSION_GAP_MS // 1000} * 1000" in sql
