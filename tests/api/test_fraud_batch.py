"""POST /predict/fraud/batch: a batch is scored as the stream scores it.

Parity: the test workdir has no stream replay in `ops.fraud_alerts` (the shared warehouse is only
ingested and built), so the stream's own `Processor` replays the whole generated payments file
here, with the fraud champion, in steps of 3,000 (as `stream run` would). A contiguous time slice
of several cards (every transaction of each from one instant on) is then sent as one shuffled
batch: its earlier transactions are the later ones' history, the warehouse gives each card's
history before its earliest second in the batch (the slice's own warehouse rows are ignored), and
rules, combined score, level and model probability equal the replay's for every transaction.
"""

from __future__ import annotations

import random
from datetime import datetime

import numpy as np
import polars as pl
import pytest

from commercelens.api import ApiConfig, create_app
from commercelens.api.errors import FieldError
from commercelens.api.fraud import card_history, events_frame
from commercelens.api.schemas import MAX_BATCH, TRANSACTION_EXAMPLE
from commercelens.api.security import HEADER
from commercelens.features.build import fraud_mcc_risk
from commercelens.ml.bundle import predict_proba
from commercelens.ml.tasks import champion
from commercelens.stream.events import parse
from commercelens.stream.features import fraud_features
from commercelens.stream.processor import Processor
from commercelens.stream.rules import RULES, load_rules
from commercelens.stream.scoring import KEEP_SECONDS
from commercelens.stream.sources import FileSource
from commercelens.warehouse import open_warehouse

from .conftest import TestClient

pytestmark = pytest.mark.integration

INTEGERS = ("id", "client_id", "card_id", "merchant_id", "mcc")
FLOATS = ("zip", "merchant_latitude", "merchant_longitude")
ROUTE = "/predict/fraud/batch"


def _request(row: dict) -> dict:
    """A transactions_data.csv row (strings) as the JSON the API takes."""
    body = {k: v for k, v in row.items() if v not in (None, "")}
    body |= {k: int(body[k]) for k in INTEGERS if k in body}
    return body | {k: float(body[k]) for k in FLOATS if k in body}


@pytest.fixture(scope="module")
def replay(api_settings, built_duckdb) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(every transaction's model probability, the alerts) of a stream replay of the whole file."""
    _, data_dir, _ = built_duckdb
    bundle = champion(api_settings, "fraud")
    with open_warehouse(api_settings, read_only=True) as w:
        mcc_risk = fraud_mcc_risk(w)
    scored: list[pl.DataFrame] = []

    def scorer(state, step):
        features = fraud_features(state, step, mcc_risk)
        probability = predict_proba(bundle, features.drop("transaction_id", "decision_at"))
        scored.append(
            pl.DataFrame({"transaction_id": features["transaction_id"], "probability": probability})
        )
        return probability

    processor = Processor(load_rules(), scorer=scorer, keep_seconds=KEEP_SECONDS)
    source = FileSource(data_dir / "payments" / "transactions_data.csv")
    alerts = []
    while (raw := source.read(3_000)) is not None:
        alerts.append(processor.process(parse(raw.frame).events).alerts)
    alerts.append(processor.finish().alerts)
    return pl.concat(scored), pl.concat(alerts)


@pytest.fixture(scope="module")
def expected(replay) -> pl.DataFrame:
    """Per transaction what the stream gave it: probability, score, level, rules fired."""
    scored, alerts = replay
    per_transaction = alerts.group_by("transaction_id").agg(
        pl.col("score").first(),
        pl.col("level").first(),
        pl.col("rule").filter(pl.col("rule") != "model").sort().alias("rules_fired"),
    )
    return scored.join(per_transaction, on="transaction_id", how="left")


@pytest.fixture(scope="module")
def batch(built_duckdb, replay) -> list[dict]:
    """A contiguous slice: from the latest instant at which every rule still fires at least once
    later, every transaction of one card per rule (and the two busiest); shuffled."""
    _, data_dir, _ = built_duckdb
    _, alerts = replay
    last_hits = alerts.filter(pl.col("rule") != "model").group_by("rule").agg(pl.col("event_time").max())
    start = last_hits["event_time"].dt.truncate("1d").min()
    after = alerts.filter(pl.col("event_time") >= start)
    cards = set(after.group_by("rule").agg(pl.col("card_id").min())["card_id"].to_list())
    cards |= set(after["card_id"].value_counts(sort=True)["card_id"].head(2).to_list())
    raw = pl.read_csv(data_dir / "payments" / "transactions_data.csv", infer_schema=False)
    events = parse(raw.with_row_index("offset").with_columns(pl.col("offset").cast(pl.Int64))).events
    since = pl.lit(start).dt.epoch("s")
    ids = events.filter(pl.col("card_id").is_in(list(cards)) & (pl.col("t") >= since))["transaction_id"]
    rows = [_request(r) for r in raw.filter(pl.col("id").cast(pl.Int64).is_in(ids.to_list())).to_dicts()]
    assert len(cards) >= 5 and 200 <= len(rows) <= 2_000, (len(cards), len(rows))
    random.Random(7).shuffle(rows)
    return rows


def _post(client, headers, transactions, query=""):
    response = client.post(f"{ROUTE}{query}", json={"transactions": transactions}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_slice_scored_at_once_gets_what_the_stream_gave_it(client, headers, batch, expected):
    body = _post(client, headers, batch)
    got = pl.DataFrame(body["predictions"])
    joined = got.join(expected, on="transaction_id", how="left", suffix="_stream")
    assert joined.height == len(batch) and joined["probability_stream"].null_count() == 0
    stream_rules = joined["rules_fired_stream"].fill_null([]).to_list()
    assert joined["rules_fired"].to_list() == stream_rules
    assert set(joined["rules_fired"].explode().drop_nulls()) == set(RULES)  # every rule, in one batch
    np.testing.assert_allclose(joined["probability"], joined["probability_stream"], rtol=0, atol=1e-9)
    # the stream alerts only when something fired; otherwise the score is the model's
    score = joined["score_stream"].fill_null(joined["probability_stream"])
    np.testing.assert_allclose(joined["score"], score, rtol=0, atol=1e-9)
    alerted = joined.filter(pl.col("level_stream").is_not_null())
    assert alerted.height > 0 and alerted["level"].to_list() == alerted["level_stream"].to_list()
    assert body["model"]["task"] == "fraud"
    assert all(p["reasons"] == [] for p in body["predictions"])  # none unless asked for


def test_each_cards_first_transaction_has_the_probability_of_fraud_score(client, headers, batch):
    predictions = {p["transaction_id"]: p for p in _post(client, headers, batch)["predictions"]}
    first: dict[int, dict] = {}
    for row in sorted(batch, key=lambda r: (r.get("event_time") or r["date"], r["id"])):
        first.setdefault(row["card_id"], row)
    for row in first.values():
        single = client.post("/fraud/score", json=row, headers=headers).json()
        assert single["card_history"]["transactions"] > 0
        assert predictions[row["id"]]["probability"] == pytest.approx(single["model_probability"], abs=1e-9)


def test_results_come_in_the_request_order_and_do_not_depend_on_it(client, headers, batch):
    reordered = sorted(batch, key=lambda r: -r["id"])
    one = _post(client, headers, batch, "?reasons=2")["predictions"]
    two = _post(client, headers, reordered, "?reasons=2")["predictions"]
    assert [p["transaction_id"] for p in one] == [r["id"] for r in batch]
    assert [p["transaction_id"] for p in two] == [r["id"] for r in reordered]
    assert sorted(one, key=lambda p: -p["transaction_id"]) == two
    assert all(len(p["reasons"]) == 2 for p in one)


def test_a_duplicate_transaction_id_is_422_naming_the_second_index(client, headers):
    rows = [TRANSACTION_EXAMPLE, {**TRANSACTION_EXAMPLE, "id": 1}, {**TRANSACTION_EXAMPLE, "card_id": 5}]
    response = client.post(ROUTE, json={"transactions": rows}, headers=headers)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "transactions", 2, "id"] and "index 0" in error["msg"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "12 dollars"}, "amount"),
        ({"use_chip": "Tap Transaction"}, "use_chip"),
        ({"card_id": -1}, "card_id"),
        ({"date": "yesterday"}, "date"),
        ({"cvv": "123"}, "cvv"),
    ],
)
def test_a_bad_transaction_is_422_naming_its_index_and_field(client, headers, change, field):
    rows = [TRANSACTION_EXAMPLE, {**TRANSACTION_EXAMPLE, "id": 2}, {**TRANSACTION_EXAMPLE, "id": 3, **change}]
    response = client.post(ROUTE, json={"transactions": rows}, headers=headers)
    assert response.status_code == 422
    assert ["body", "transactions", 2, field] in [e["loc"][:4] for e in response.json()["detail"]]


def test_a_field_only_the_stream_parser_refuses_names_index_and_field():
    rows = [TRANSACTION_EXAMPLE, {**TRANSACTION_EXAMPLE, "id": 2, "amount": "12 dollars"}]
    with pytest.raises(FieldError) as refused:
        events_frame(rows, ("body", "transactions"))
    assert refused.value.loc == ["body", "transactions", 1, "amount"]
    with pytest.raises(FieldError) as single:
        events_frame(rows[1:])
    assert single.value.loc == ["body", "amount"]


@pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
def test_an_empty_or_too_large_batch_is_422(client, headers, size):
    row = {"date": "2019-11-01 09:15:00", "card_id": 1, "amount": 1.0, "use_chip": "Chip Transaction"}
    rows = [{"id": i, **row} for i in range(size)]
    response = client.post(ROUTE, json={"transactions": rows}, headers=headers)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "transactions"]]


def test_an_unknown_query_parameter_is_422_naming_it(client, headers):
    response = client.post(f"{ROUTE}?reason=3", json={"transactions": [TRANSACTION_EXAMPLE]}, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "reason"]


def test_without_a_key_it_is_401(client):
    response = client.post(ROUTE, json={"transactions": [TRANSACTION_EXAMPLE]})
    assert response.status_code == 401


def test_history_is_cut_at_each_cards_earliest_second_in_the_batch(api_settings):
    with open_warehouse(api_settings, read_only=True) as w:
        a, b = w.fetch_all(
            "select card_id, event_at from marts.fct_transactions qualify row_number() over "
            "(partition by card_id order by event_at, transaction_id) = 50 order by card_id limit 2"
        )
        rows = [
            {**TRANSACTION_EXAMPLE, "id": 1, "card_id": a[0], "event_time": a[1]},
            {**TRANSACTION_EXAMPLE, "id": 2, "card_id": b[0], "event_time": b[1]},
            # a later transaction of the first card does not move its cut
            {**TRANSACTION_EXAMPLE, "id": 3, "card_id": a[0], "event_time": datetime(2199, 1, 1)},
        ]
        history = card_history(w, events_frame(rows, ("body", "transactions")))
        before = "select count(*) from marts.fct_transactions where card_id = ? and event_at < ?"
        counts = {card: w.fetch_all(before, [card, at])[0][0] for card, at in (a, b)}
    assert dict(history.group_by("card_id").len().iter_rows()) == counts
    assert all(40 <= n < 50 for n in counts.values())  # the 50th and later rows are not history


def test_cards_with_more_history_than_the_limit_are_422(api_settings, api_key, batch):
    limit = 100  # the batch's cards have thousands of earlier transactions
    with TestClient(create_app(api_settings, ApiConfig(max_history_rows=limit))) as small:
        response = small.post(ROUTE, json={"transactions": batch}, headers={HEADER: api_key})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "transactions"] and "over 100 earlier transactions" in error["msg"]


def test_without_a_model_it_is_503_with_the_reason(empty_client):
    client, headers = empty_client
    response = client.post(ROUTE, json={"transactions": [TRANSACTION_EXAMPLE]}, headers=headers)
    assert response.status_code == 503 and "fraud model not available" in response.json()["detail"]


HISTORY_COLUMNS = [
    ("transaction_id", "BIGINT"),
    ("event_at", "TIMESTAMP"),
    ("card_id", "BIGINT"),
    ("amount", "DECIMAL"),
    ("channel", "VARCHAR"),
    ("merchant_id", "BIGINT"),
    ("merchant_state", "VARCHAR"),
    ("zip", "VARCHAR"),
    ("mcc", "BIGINT"),
    ("errors", "VARCHAR"),
    ("device_id", "VARCHAR"),
    ("merchant_latitude", "DOUBLE"),
    ("merchant_longitude", "DOUBLE"),
]
HISTORY_ROWS = [
    (1, datetime(2019, 1, 1, 9, 0, 0), 7, "12.50", "chip", 10, "ND", "58523", 5499, None, None, 47.2, -101.7),
    (
        2,
        datetime(2019, 1, 2, 9, 0, 0),
        7,
        "-3.00",
        "online",
        11,
        None,
        None,
        5311,
        "Bad PIN",
        "d1",
        None,
        None,
    ),
    (
        3,
        datetime(2019, 1, 3, 9, 0, 0),
        7,
        "99.99",
        "swipe",
        10,
        "ND",
        "58523",
        5499,
        None,
        None,
        47.2,
        -101.7,
    ),
    (4, datetime(2019, 1, 1, 9, 0, 0), 8, "5.00", "chip", 12, "TX", "77018", 5812, None, None, 29.7, -95.3),
    (5, datetime(2019, 1, 1, 9, 0, 0), 9, "5.00", "chip", 12, "TX", "77018", 5812, None, None, 29.7, -95.3),
]


@pytest.mark.postgres
def test_card_history_is_the_same_on_duckdb_and_postgresql(warehouse, postgres_dsn):
    from commercelens.warehouse.postgres import PostgresWarehouse

    rows = [  # card 7 cut at its third transaction, card 8 after its only one, card 9 not asked
        {**TRANSACTION_EXAMPLE, "id": 100, "card_id": 7, "event_time": "2019-01-03 09:00:00"},
        {**TRANSACTION_EXAMPLE, "id": 101, "card_id": 7, "event_time": "2019-02-01 00:00:00"},
        {**TRANSACTION_EXAMPLE, "id": 102, "card_id": 8, "event_time": "2019-01-05 00:00:00"},
    ]
    events = events_frame(rows, ("body", "transactions"))
    postgres = PostgresWarehouse(postgres_dsn)
    try:
        histories = []
        for w in (warehouse, postgres):
            w.ensure_schemas()
            w.create_table("marts.fct_transactions", HISTORY_COLUMNS)
            marks = ", ".join("?" for _ in HISTORY_COLUMNS)
            for row in HISTORY_ROWS:
                w.execute(f"insert into marts.fct_transactions values ({marks})", list(row))
            histories.append(card_history(w, events))
    finally:
        postgres.close()
    duck, pg = histories
    assert duck["transaction_id"].to_list() == [1, 2, 4]
    assert duck.equals(pg), (duck, pg)
