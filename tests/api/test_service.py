"""/health, /ready, /model/metadata, /metrics, /experiments and /segments."""

from __future__ import annotations

import pytest

from commercelens.experiments.readout import analyze
from commercelens.experiments.sources import warehouse_metric_stats
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration


def test_health_needs_no_key(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_ready_when_models_and_warehouse_are_there(client, headers):
    response = client.get("/ready", headers=headers)
    assert response.status_code == 200, response.json()
    checks = response.json()["checks"]
    assert set(checks) == {"warehouse", "booking_model", "fraud_model", "conversion_model"}
    assert all(c["ok"] for c in checks.values())


def test_not_ready_without_models_names_the_reason(empty_client):
    client, headers = empty_client
    response = client.get("/ready", headers=headers)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["warehouse"]["ok"] and "run `commercelens demo`" in checks["warehouse"]["detail"]
    assert "commercelens train booking" in checks["booking_model"]["detail"]
    assert "commercelens train conversion" in checks["conversion_model"]["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/predict/booking", "booking"),
        ("/predict/booking/batch", "batch"),
        ("/fraud/score", "transaction"),
        ("/predict/fraud", "transaction"),
        ("/predict/conversion", "session"),
        ("/predict/conversion/batch", "sessions"),
    ],
)
def test_predictions_without_a_model_are_503_with_the_reason(empty_client, path, body):
    from commercelens.api.schemas import BOOKING_EXAMPLE, SHOP_EVENTS_EXAMPLE, TRANSACTION_EXAMPLE

    client, headers = empty_client
    payload = {
        "booking": BOOKING_EXAMPLE,
        "batch": {"searches": [BOOKING_EXAMPLE]},
        "transaction": TRANSACTION_EXAMPLE,
        "session": {"events": SHOP_EVENTS_EXAMPLE},
        "sessions": {"sessions": [{"events": SHOP_EVENTS_EXAMPLE}]},
    }[body]
    response = client.post(path, json=payload, headers=headers)
    assert response.status_code == 503
    assert (
        "model not available" in response.json()["detail"]
        and "commercelens train" in response.json()["detail"]
    )


def test_model_metadata_has_every_task_with_metrics_against_the_oracle(client, headers, api_settings):
    models = client.get("/model/metadata", headers=headers).json()["models"]
    assert set(models) == {"booking", "conversion", "fraud"}
    booking = models["booking"]
    assert booking["available"] and booking["version"] == 1 and booking["family"] == "lightgbm"
    assert booking["features"][:2] == ["route", "lead_time_days"] and len(booking["training_data_hash"]) == 64
    assert set(booking["data_window"]) == {"train", "validation", "test"}
    assert 0.5 < booking["metrics"]["test"]["roc_auc"] <= 1 and booking["metrics"]["test_oracle"]["roc_auc"]
    assert booking["vs_oracle"]["roc_auc_ratio"] == pytest.approx(
        booking["metrics"]["test"]["roc_auc"] / booking["metrics"]["test_oracle"]["roc_auc"]
    )
    assert booking["online_state"]["users"] > 0 and booking["online_state"]["searches"] > 0
    assert models["fraud"]["served_by"] == ["/fraud/score", "/predict/fraud", "/predict/fraud/batch"]
    conversion = models["conversion"]
    assert conversion["available"] and conversion["served_by"] == [
        "/predict/conversion",
        "/predict/conversion/batch",
    ]
    assert conversion["online_state"]["sessions"] > 0 and conversion["online_state"]["events"] > 0


def test_metrics_count_requests_per_route_template(client, headers):
    client.get("/segments/anything", headers=headers)
    client.get("/segments/anything")  # 401: refused before routing, still labelled by its route
    text = client.get("/metrics", headers=headers).text
    assert 'commercelens_api_requests_total{method="GET",route="/segments/{name}",status="404"}' in text
    assert 'commercelens_api_requests_total{method="GET",route="/segments/{name}",status="401"}' in text
    assert (
        'commercelens_api_request_duration_seconds_bucket{le="0.005",method="GET",route="/segments/{name}"}'
        in text
    )


def test_experiment_readout_is_the_library_readout(client, headers, api_settings):
    response = client.get("/experiments/discount_5pct", headers=headers)
    assert response.status_code == 200
    with open_warehouse(api_settings, read_only=True) as warehouse:
        expected = analyze("discount_5pct", warehouse_metric_stats(warehouse, "discount_5pct")).to_dict()
    got = response.json()
    assert got["units"] == expected["units"] and got["srm_ok"] == expected["srm_ok"]
    assert [r["metric"] for r in got["results"]] == [r["metric"] for r in expected["results"]]
    assert [r["p_value"] for r in got["results"]] == pytest.approx(
        [r["p_value"] for r in expected["results"]]
    )
    bayesian = client.get("/experiments/discount_5pct?engine=bayesian", headers=headers).json()
    assert bayesian["engine"] == "bayesian" and all(r["p_value"] is None for r in bayesian["results"])


def test_unknown_experiment_is_404_and_a_bad_control_a_422(client, headers):
    response = client.get("/experiments/no_such_experiment", headers=headers)
    assert response.status_code == 404 and "discount_5pct" in response.json()["detail"]
    response = client.get("/experiments/discount_5pct?control=nobody", headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "control"]
    response = client.get("/experiments/discount_5pct?alpha=2", headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "alpha"]
