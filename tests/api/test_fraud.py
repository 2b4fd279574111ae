"""POST /fraud/score and /predict/fraud: the stream's rules and model, with the card's history.

Parity: for transactions with no other transaction of their card in the same second (up to six
per rule, and ten no rule fires on), the rules the API fires equal the warehouse's
`rpt_rule_hits` (the batch side of the stream's own parity test), and outside the training window
(where the batch MCC risk uses only earlier labels, by design) the model probability equals the
bundle's on the batch features of `ml.fraud_features`: the card's history is rebuilt exactly.
"""

from __future__ import annotations

import polars as pl
import pytest

from commercelens.api.schemas import TRANSACTION_EXAMPLE
from commercelens.features import TASKS
from commercelens.ml.bundle import predict_proba
from commercelens.ml.tasks import champion
from commercelens.stream.rules import RULES, load_rules
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration

CANDIDATES = """
with alone as (
    select transaction_id from marts.fct_transactions
    qualify count(*) over (partition by card_id, event_at) = 1
),
hits as (
    select transaction_id, string_agg(rule, ',' order by rule) as rules from marts.rpt_rule_hits group by 1
)
select features.transaction_id, features.split, coalesce(hits.rules, '') as rules
from ml.fraud_features as features
inner join alone using (transaction_id)
left join hits using (transaction_id)
order by features.transaction_id
"""
INTEGERS = ("id", "client_id", "card_id", "merchant_id", "mcc")
FLOATS = ("zip", "merchant_latitude", "merchant_longitude")


def _request(row: dict) -> dict:
    """A transactions_data.csv row (strings) as the JSON the API takes."""
    body = {k: v for k, v in row.items() if v not in (None, "") and k not in ("rules", "split")}
    body |= {k: int(body[k]) for k in INTEGERS if k in body}
    return body | {k: float(body[k]) for k in FLOATS if k in body}


@pytest.fixture(scope="module")
def sample(api_settings, built_duckdb):
    _, data_dir, _ = built_duckdb
    with open_warehouse(api_settings, read_only=True) as w:
        candidates = pl.from_arrow(w.fetch_arrow(CANDIDATES))
        features = pl.from_arrow(w.fetch_arrow("select * from ml.fraud_features where split <> 'train'"))
    per_rule = [candidates.filter(pl.col("rules").str.contains(rule)).tail(6) for rule in RULES]
    quiet = candidates.filter((pl.col("rules") == "") & (pl.col("split") == "test")).head(10)
    picked = pl.concat([*per_rule, quiet]).unique("transaction_id")
    raw = pl.read_csv(data_dir / "payments" / "transactions_data.csv", infer_schema=False)
    raw = raw.with_columns(pl.col("id").cast(pl.Int64)).join(
        picked.rename({"transaction_id": "id"}), on="id", how="inner"
    )
    return raw, features


def test_rules_and_probability_equal_the_batch_side(client, headers, sample, api_settings):
    raw, features = sample
    assert set(raw["rules"].str.split(",").explode()) == {*RULES, ""}  # every rule, and none
    bundle = champion(api_settings, "fraud")
    rows = features.filter(pl.col("transaction_id").is_in(raw["id"].to_list())).sort("transaction_id")
    assert rows.height >= 20
    expected = dict(
        zip(rows["transaction_id"], predict_proba(bundle, rows.select(TASKS["fraud"].features)), strict=True)
    )
    levels = load_rules().levels
    for row in raw.iter_rows(named=True):
        response = client.post("/fraud/score", json=_request(row), headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert ",".join(body["rules_fired"]) == row["rules"], (row["id"], body["rules_fired"])
        if row["split"] != "train":
            assert body["model_probability"] == pytest.approx(expected[row["id"]], abs=1e-9), row["id"]
        assert body["card_history"]["transactions"] > 0 and body["event_time"].endswith("Z")
        assert {a["rule"] for a in body["alerts"]} - {"model"} == set(body["rules_fired"])
        assert body["score"] >= body["model_probability"] - 1e-12
        level = (
            "CRITICAL"
            if body["score"] >= levels.CRITICAL
            else "HIGH"
            if body["score"] >= levels.HIGH
            else None
        )
        if level:
            assert body["level"] == level


def test_predict_fraud_gives_tier_decision_and_reasons(client, headers, sample):
    raw, _ = sample
    row = _request(raw.row(0, named=True))
    scored = client.post("/fraud/score", json=row, headers=headers).json()
    predicted = client.post("/predict/fraud", json=row, headers=headers).json()
    assert predicted["probability"] == scored["model_probability"]
    assert predicted["decision"] in {"approve", "step_up_authentication", "manual_review"}
    assert len(predicted["reasons"]) == 3 and predicted["model"]["task"] == "fraud"


def test_a_new_card_has_no_history(client, headers):
    body = client.post(
        "/fraud/score", json={**TRANSACTION_EXAMPLE, "card_id": 987654321}, headers=headers
    ).json()
    assert body["card_history"] == {"transactions": 0, "first_at": None, "last_at": None}
    assert "new_merchant" not in body["rules_fired"]  # needs an earlier transaction


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"amount": "12 dollars"}, ["body", "amount"]),
        ({"use_chip": "Tap Transaction"}, ["body", "use_chip"]),
        ({"card_id": -1}, ["body", "card_id"]),
        ({"date": "yesterday"}, ["body", "date"]),
        ({"merchant_latitude": 91}, ["body", "merchant_latitude"]),
        ({"cvv": "123"}, ["body", "cvv"]),
    ],
)
def test_bad_transactions_are_422_naming_the_field(client, headers, change, loc):
    response = client.post("/fraud/score", json={**TRANSACTION_EXAMPLE, **change}, headers=headers)
    assert response.status_code == 422
    assert loc in [e["loc"][:2] for e in response.json()["detail"]], response.json()
