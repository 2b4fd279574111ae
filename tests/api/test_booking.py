"""POST /predict/booking and /predict/booking/batch: a search in, a decision out; bad input is 422."""

from __future__ import annotations

import polars as pl
import pytest

from commercelens.api import ApiConfig, create_app
from commercelens.api.booking_features import FEATURE_SCHEMA
from commercelens.api.schemas import BOOKING_EXAMPLE, MAX_BATCH
from commercelens.api.security import HEADER
from commercelens.ml.bundle import predict_proba
from commercelens.ml.tasks import champion

from .conftest import TestClient

pytestmark = pytest.mark.integration

SEARCH = {**BOOKING_EXAMPLE, "searched_at": "2025-07-02T18:30:00"}
POLICY = {"low": "no_offer", "medium": "discount_5pct", "high": "no_discount"}


@pytest.fixture(scope="module")
def known_user(api_settings):
    from commercelens.warehouse import open_warehouse

    with open_warehouse(api_settings, read_only=True) as w:
        return w.fetch_all(
            "select user_id from marts.fct_searches group by 1 order by count(*) desc limit 1"
        )[0][0]


def test_one_search_gets_probability_tier_decision_and_reasons(client, headers, known_user, api_settings):
    response = client.post(
        "/predict/booking?include_features=true", json={**SEARCH, "user_id": known_user}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["search_id"] == SEARCH["search_id"] and body["known_user"]
    assert 0 <= body["probability"] <= 1 and POLICY[body["tier"]] == body["decision"]
    assert len(body["reasons"]) == 3 and all(r["feature"] in FEATURE_SCHEMA for r in body["reasons"])
    assert body["model"]["task"] == "booking" and body["model"]["version"] == 1
    features = body["features"]
    assert list(features) == list(FEATURE_SCHEMA)
    assert features["route"] == "Paris -> Lyon" and features["lead_time_days"] == 8
    assert features["search_hour"] == 18 and features["search_weekday"] == 3  # a Wednesday
    assert features["user_searches_before"] > 0
    # the probability is the bundle's on exactly these features
    bundle = champion(api_settings, "booking")
    expected = predict_proba(bundle, pl.DataFrame([features], schema=FEATURE_SCHEMA))[0]
    assert body["probability"] == pytest.approx(expected, abs=1e-12)


def test_a_batch_scores_like_single_searches_in_order(client, headers, known_user):
    searches = [
        {**SEARCH, "search_id": f"S{i}", "user_id": user, "quoted_price_eur": price}
        for i, (user, price) in enumerate([(known_user, 30.0), ("U-new", 80.5), (known_user, None)])
    ]
    batch = client.post(
        "/predict/booking/batch?reasons=3", json={"searches": searches}, headers=headers
    ).json()
    assert [p["search_id"] for p in batch["predictions"]] == ["S0", "S1", "S2"]
    assert [p["known_user"] for p in batch["predictions"]] == [True, False, True]
    for search, got in zip(searches, batch["predictions"], strict=True):
        single = client.post("/predict/booking", json=search, headers=headers).json()
        assert got["probability"] == pytest.approx(single["probability"], abs=1e-12)
        assert got["reasons"] == single["reasons"]
    quick = client.post(
        "/predict/booking/batch?reasons=0", json={"searches": searches}, headers=headers
    ).json()
    assert all(p["reasons"] == [] for p in quick["predictions"])


def test_a_time_zone_offset_is_converted_to_utc(client, headers):
    utc = client.post("/predict/booking?include_features=true", json=SEARCH, headers=headers).json()
    paris = {**SEARCH, "searched_at": "2025-07-02T20:30:00+02:00"}
    shifted = client.post("/predict/booking?include_features=true", json=paris, headers=headers).json()
    assert shifted["features"] == utc["features"] and shifted["probability"] == utc["probability"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"user_id": None}, ["body", "user_id"]),
        ({"quoted_price_eur": -5}, ["body", "quoted_price_eur"]),
        ({"quoted_price_eur": "cheap"}, ["body", "quoted_price_eur"]),
        ({"passenger_count": 0}, ["body", "passenger_count"]),
        ({"departure_date": "2025-07-01"}, ["body", "departure_date"]),  # before the search date
        ({"departure_date": "next week"}, ["body", "departure_date"]),
        ({"searched_at": "2025-03-01T10:00:00"}, ["body", "searched_at"]),  # inside the loaded history
        ({"searched_at": "1900-01-01T00:00:00"}, ["body", "searched_at"]),
        ({"quoted_price": 45.5}, ["body", "quoted_price"]),  # a misspelt column is not ignored
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, headers, change, loc):
    search = {k: v for k, v in {**SEARCH, **change}.items() if v is not None}
    response = client.post("/predict/booking", json=search, headers=headers)
    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["detail"]], response.json()


def test_a_search_inside_the_history_says_where_the_history_ends(client, headers):
    response = client.post(
        "/predict/booking", json={**SEARCH, "searched_at": "2025-03-01T10:00:00"}, headers=headers
    )
    message = response.json()["detail"][0]["msg"]
    assert "must be at or after 2025-0" in message and "history" in message


def test_batch_errors_name_the_row(client, headers):
    searches = [
        SEARCH,
        SEARCH,
        {**SEARCH, "searched_at": "2025-01-05T00:00:00", "departure_date": "2025-01-06"},
    ]
    response = client.post("/predict/booking/batch", json={"searches": searches}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "searches", 2, "searched_at"]
    response = client.post("/predict/booking/batch", json={"searches": []}, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "searches"]


def test_batch_size_is_capped(client, headers):
    response = client.post(
        "/predict/booking/batch", json={"searches": [SEARCH] * (MAX_BATCH + 1)}, headers=headers
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "searches"]


def test_malformed_json_is_a_422(client, headers):
    for content in (b"{not json", b"\xff\xfe\x00garbage"):
        response = client.post(
            "/predict/booking", content=content, headers={**headers, "content-type": "application/json"}
        )
        assert response.status_code == 422, response.text


def test_an_oversized_body_is_a_413(client, headers, api_settings, api_key):
    big = {"searches": [SEARCH] * 25_000}  # about 5 MB: over the default 4 MiB
    assert client.post("/predict/booking/batch", json=big, headers=headers).status_code == 413
    small = TestClient(create_app(api_settings, ApiConfig(max_body_bytes=1_000)))
    response = small.post(
        "/predict/booking", json={**SEARCH, "search_id": "x" * 2_000}, headers={HEADER: api_key}
    )
    assert response.status_code == 413 and "1,000 bytes" in response.json()["detail"]
    # streamed without a Content-Length: counted while reading
    chunks = (b"x" * 600 for _ in range(3))
    response = small.post("/predict/booking", content=chunks, headers={HEADER: api_key})
    assert response.status_code == 413
