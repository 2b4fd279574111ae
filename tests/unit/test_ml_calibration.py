"""Calibrators and their choice."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from commercelens.ml.calibration import choose_calibrator, fit_calibrator


def test_isotonic_matches_sklearn_predictions(rng):
    s = rng.random(500)
    y = (rng.random(500) < s).astype(float)
    ours = fit_calibrator(s, y, "isotonic").predict(s)
    theirs = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(s, y).predict(s)
    assert np.allclose(ours, np.clip(theirs, 1e-6, 1 - 1e-6))


def test_sigmoid_recovers_a_logit_distortion(rng):
    true = rng.uniform(0.02, 0.98, 20_000)
    y = (rng.random(true.size) < true).astype(float)
    logit = np.log(true / (1 - true))
    distorted = 1 / (1 + np.exp(-(2.0 * logit + 1.0)))  # over-confident and shifted
    calibrated = fit_calibrator(distorted, y, "sigmoid").predict(distorted)
    assert np.max(np.abs(calibrated - true)) < 0.03


def test_choice_prefers_sigmoid_when_the_distortion_is_a_logistic_one(rng):
    true = rng.uniform(0.02, 0.98, 4_000)
    y = (rng.random(true.size) < true).astype(float)
    distorted = 1 / (1 + np.exp(-2 * np.log(true / (1 - true))))
    calibrator, losses = choose_calibrator(distorted, y)
    assert calibrator.method == "sigmoid"
    assert losses["sigmoid"] < losses["isotonic"]


def test_choice_falls_back_to_sigmoid_with_too_few_positives():
    s = np.linspace(0, 1, 10)
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1.0])
    calibrator, losses = choose_calibrator(s, y)
    assert (calibrator.method, losses) == ("sigmoid", {})


def test_outputs_stay_inside_open_unit_interval():
    c = fit_calibrator(np.array([0.1, 0.9]), np.array([0.0, 1.0]), "isotonic")
    assert c.predict(np.array([0.0, 1.0])).tolist() == pytest.approx([1e-6, 1 - 1e-6])
