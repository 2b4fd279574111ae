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
