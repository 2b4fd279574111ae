"""Issue 4's quality targets on generated `small` data (the demo's data: seed 42), against the oracle.

Measured on this data (docs/models.md): booking AUC 0.990 x oracle, conversion 0.975 x, fraud
0.973 x with PR-AUC 0.905 x; ECE <= 0.009 everywhere. Booking and conversion meet the AUC target
(>= 0.97 x oracle) and are tested against it; fraud meets both of its targets (AUC >= 0.97 x,
PR-AUC >= 0.9 x) by less than 0.01 each (233 test frauds), so its test allows 0.01 below each.
"""

from __future__ import annotations

import pytest

from commercelens.config import load_settings
from commercelens.generate import DOMAINS, generate
from commercelens.ingest.loader import ingest_source
from commercelens.ml.tasks import train_task
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import run_dbt
from tests.conftest import PII_KEY

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("model_quality")
    data = root / "data"
    for domain in DOMAINS:
        generate(domain, data / domain, scale="small", seed=42)
    settings = load_settings(home=root / "home")
    with open_warehouse(settings) as w:
        for domain in DOMAINS:
            ingest_source(w, domain, data / domain, PII_KEY)
    run_dbt(settings, "build")
    return settings, data


@pytest.fixture(scope="module")
def evaluations(small):
    settings, data = small
    return {
        task: train_task(settings, task, data_dir=data).evaluation
        for task in ("booking", "conversion", "fraud")
    }


@pytest.mark.parametrize("task", ["booking", "conversion"])
def test_model_auc_reaches_97_percent_of_the_oracle(evaluations, task):
    result = evaluations[task]
    assert result.auc / result.oracle_auc >= 0.97


@pytest.mark.parametrize("task", ["booking", "conversion", "fraud"])
def test_calibrated_probabilities_are_within_two_points(evaluations, task):
    assert evaluations[task].ece <= 0.02


def test_fraud_model_reaches_its_targets_within_a_margin_of_one_point(evaluations):
    result = evaluations["fraud"]
    # Targets 0.97 x AUC (met: 0.973) and 0.9 x PR-AUC (met: 0.905) on 233 test frauds; the margin
    # of 0.01 absorbs a last-digit change in a feature (docs/models.md, "Fraud model settings").
    assert result.auc / result.oracle_auc >= 0.97 - 0.01
    assert result.pr_auc / result.oracle_pr_auc >= 0.9 - 0.01
