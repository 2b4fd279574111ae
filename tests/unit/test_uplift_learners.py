"""Meta-learners recover a planted effect; categorical encoding; input checks."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from commercelens.uplift.learners import ClassTransformation, TLearner, XLearner, make_learner
from commercelens.uplift.metrics import qini_coefficient

pytestmark = pytest.mark.unit

LEARNERS = ("t", "x", "class_transformation")
# One thread: the unit suite runs beside other jobs, and LightGBM's OpenMP threads stall when
# the cores are busy. Models do not depend on it (deterministic=True).
FAST = {"n_jobs": 1}


def planted_experiment(seed: int, n: int, treated_share: float = 0.5):
    """Randomised experiment whose effect depends on x0 only: -10 to +30 points of conversion."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, 4))
    effect = 0.4 * X[:, 0] - 0.1
    baseline = 0.10 + 0.10 * X[:, 1]
    t = (rng.random(n) < treated_share).astype(int)
    y = (rng.random(n) < baseline + t * effect).astype(int)
    return X, t, y, effect


@pytest.fixture(scope="module")
def balanced():
    X, t, y, effect = planted_experiment(20261122, 20_000)
    train, test = slice(0, 15_000), slice(15_000, None)
    predictions = {
        name: make_learner(name, **FAST).fit(X[train], t[train], y[train]).predict_uplift(X[test])
        for name in LEARNERS
    }
    return y[test], t[test], effect[test], predictions


@pytest.mark.parametrize("name", LEARNERS)
def test_learner_reaches_80_percent_of_the_true_effects_qini_on_holdout(balanced, name):
    y, t, effect, predictions = balanced
    assert qini_coefficient(y, predictions[name], t) >= 0.8 * qini_coefficient(y, effect, t)


@pytest.mark.parametrize("name", LEARNERS)
def test_learner_predictions_correlate_with_the_true_effect(balanced, name):
    _, _, effect, predictions = balanced
    assert np.corrcoef(predictions[name], effect)[0, 1] > 0.5


def test_class_transformation_reweights_an_80_20_split_to_an_unbiased_effect():
    X, t, y, effect = planted_experiment(7, 20_000, treated_share=0.8)
    uplift = ClassTransformation(**FAST).fit(X, t, y).predict_uplift(X)
    # Unweighted, 2 P(z=1|x) - 1 would average about -0.26 here instead of the true +0.10.
    assert uplift.mean() == pytest.approx(effect.mean(), abs=0.03)
    assert np.corrcoef(uplift, effect)[0, 1] > 0.5


def test_x_learner_takes_the_treated_share_as_constant_propensity():
    X, t, y, _ = planted_experiment(3, 4_000, treated_share=0.8)
    learner = XLearner(n_estimators=20, **FAST).fit(X, t, y)
    assert learner.propensity_ == pytest.approx(t.mean())
    assert XLearner(n_estimators=20, propensity=0.8, **FAST).fit(X, t, y).propensity_ == 0.8


def test_x_learner_rejects_a_propensity_outside_0_1():
    X, t, y, _ = planted_experiment(3, 2_000)
    with pytest.raises(ValueError, match="propensity"):
        XLearner(propensity=1.0).fit(X, t, y)


def test_t_learner_outcomes_differ_by_the_predicted_uplift():
    X, t, y, _ = planted_experiment(4, 4_000)
    learner = TLearner(n_estimators=30, **FAST).fit(X, t, y)
    p_control, p_treated = learner.predict_outcomes(X[:50])
    np.testing.assert_allclose(p_treated - p_control, learner.predict_uplift(X[:50]))
    assert ((p_control > 0) & (p_control < 1)).all()


def test_refitting_with_the_same_inputs_gives_identical_predictions():
    X, t, y, _ = planted_experiment(5, 3_000)
    first = make_learner("x", n_estimators=30).fit(X, t, y).predict_uplift(X)
    second = make_learner("x", n_estimators=30).fit(X, t, y).predict_uplift(X)
    np.testing.assert_array_equal(first, second)


def plan_experiment(n: int = 6_000, seed: int = 11) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The effect lives in a string column: +25 points for plan 'pro', none otherwise."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(["basic", "free", "pro"], n)
    age = rng.integers(18, 70, n)
    t = rng.integers(0, 2, n)
    y = (rng.random(n) < 0.15 + 0.25 * t * (plan == "pro")).astype(int)
    return pl.DataFrame({"plan": plan, "age": age}), t, y


NEW_UNITS = pl.DataFrame({"plan": ["pro", "basic", "gold", None], "age": [40, 40, 40, 40]})


def test_string_column_is_a_categorical_feature_and_an_unseen_category_is_missing():
    X, t, y = plan_experiment()
    uplift = TLearner(n_estimators=60, **FAST).fit(X, t, y).predict_uplift(NEW_UNITS)
    pro, basic, gold, null = uplift
    assert pro > basic + 0.1
    assert gold == null  # 'gold' was never seen: it takes the missing-value branch, like a null


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.Enum(["basic", "free", "pro"])])
def test_categorical_and_enum_columns_encode_like_strings(dtype):
    X, t, y = plan_experiment(n=3_000)
    as_string = TLearner(n_estimators=20, **FAST).fit(X, t, y).predict_uplift(X)
    typed = X.with_columns(pl.col("plan").cast(dtype))
    as_typed = TLearner(n_estimators=20, **FAST).fit(typed, t, y).predict_uplift(typed)
    np.testing.assert_array_equal(as_string, as_typed)


def test_pandas_frames_are_accepted():
    X, t, y = plan_experiment(n=3_000)
    learner = ClassTransformation(n_estimators=20, **FAST).fit(X.to_pandas(), t, y)
    expected = ClassTransformation(n_estimators=20, **FAST).fit(X, t, y).predict_uplift(NEW_UNITS)
    np.testing.assert_array_equal(learner.predict_uplift(NEW_UNITS.to_pandas()), expected)


def test_predicting_without_a_fitted_column_raises():
    X, t, y = plan_experiment(n=2_000)
    learner = TLearner(n_estimators=10, **FAST).fit(X, t, y)
    with pytest.raises(ValueError, match="lacks the fitted columns"):
        learner.predict_uplift(NEW_UNITS.drop("age"))


def test_predicting_an_array_after_fitting_a_frame_raises():
    X, t, y = plan_experiment(n=2_000)
    learner = TLearner(n_estimators=10, **FAST).fit(X, t, y)
    with pytest.raises(ValueError, match="fitted on a DataFrame"):
        learner.predict_uplift(np.zeros((2, 2)))


def test_predicting_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        TLearner().predict_uplift(np.zeros((2, 4)))


def test_an_arm_with_a_single_outcome_raises():
    X, t, y, _ = planted_experiment(6, 1_000)
    with pytest.raises(ValueError, match="control arm has only y=0"):
        TLearner().fit(X, t, np.where(t == 1, y, 0))


def test_mismatched_lengths_raise():
    X, t, y, _ = planted_experiment(6, 1_000)
    with pytest.raises(ValueError, match="same length"):
        TLearner().fit(X, t[:-1], y[:-1])


def test_infinite_features_raise():
    X, t, y, _ = planted_experiment(6, 1_000)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        ClassTransformation().fit(X, t, y)


def test_make_learner_builds_each_named_learner_and_rejects_others():
    assert isinstance(make_learner("class_transformation"), ClassTransformation)
    assert make_learner("x", propensity=0.5).propensity == 0.5
    with pytest.raises(ValueError, match="unknown learner"):
        make_learner("s")


def test_learners_clone_with_their_parameters():
    assert clone(XLearner(num_leaves=15, propensity=0.3)).get_params()["propensity"] == 0.3
