"""Issue 5's uplift target on generated rail data at full scale: Qini near the oracle's.

The oracle ranks held-out searches by the planted true uplift (P(book | discount) - P(book | no
discount), from `_truth/`); both Qini coefficients use the same observed outcomes. The target is
model >= 0.9 x oracle; benchmarks/uplift.py records the exact figure (0.91 on this data and split),
and this test keeps a margin for LightGBM or platform drift.
"""

from __future__ import annotations

import numpy as np
import pytest

from commercelens.config import load_settings
from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.uplift.data import held_out_mask, rail_experiment
from commercelens.uplift.evaluation import Economics, fit
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import run_dbt
from tests.conftest import PII_KEY

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def rail_units(tmp_path_factory):
    root = tmp_path_factory.mktemp("uplift_rail")
    generate("rail", root / "rail", scale="full", seed=42)
    settings = load_settings(home=root / "home")
    with open_warehouse(settings) as w:
        ingest_source(w, "rail", root / "rail", PII_KEY)
    run_dbt(settings, "build", select="+fct_experiment_searches")
    with open_warehouse(settings) as w:
        return rail_experiment(w, "discount_5pct", truth_dir=root / "rail" / "_truth")


@pytest.fixture(scope="module")
def fitted(rail_units):
    return fit(rail_units, "x", economics=Economics(cost_share=0.05))


def test_x_learner_qini_reaches_the_oracles_on_held_out_users(fitted):
    report = fitted.report
    assert report.n_test > 300_000
    assert report.oracle_qini > 0
    assert report.qini_vs_oracle >= 0.85  # target 0.9; measured 0.91 (docs/uplift.md)


def test_predicted_uplift_tracks_the_planted_uplift_on_held_out_users(rail_units, fitted):
    held_out = rail_units.subset(held_out_mask(rail_units.groups, fitted.test_share, fitted.seed))
    predicted = fitted.learner.predict_uplift(held_out.features)
    assert np.corrcoef(predicted, held_out.true_uplift)[0, 1] > 0.7
    assert predicted.mean() == pytest.approx(held_out.true_uplift.mean(), abs=0.005)


def test_targeting_policy_expects_what_the_held_out_data_realises(fitted):
    report = fitted.report
    assert 0 < report.target_share < 1  # the 5% discount does not pay on every search
    assert report.realised_profit == pytest.approx(report.expected_profit, rel=0.2)
