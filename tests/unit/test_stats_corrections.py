"""Holm and Benjamini-Hochberg adjusted p-values, cross-checked against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from commercelens.stats.corrections import adjust_p_values

P_VALUES = [0.04, 0.001, 0.03, 0.2, 0.012, 0.04, 0.9]


@pytest.mark.parametrize(("method", "sm_method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_matches_statsmodels_multipletests_in_input_order(method, sm_method):
    expected = multipletests(P_VALUES, method=sm_method)[1]
    assert np.allclose(adjust_p_values(P_VALUES, method), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method", ["holm", "bh"])
def test_adjusted_values_are_monotone_in_raw_p_and_capped_at_one(method):
    rng = np.random.default_rng(7)
    raw = rng.uniform(0, 1, 25)
    adjusted = np.array(adjust_p_values(raw, method))
    order = np.argsort(raw)
    assert np.all(np.diff(adjusted[order]) >= 0)
    assert np.all(adjusted >= raw) and np.all(adjusted <= 1.0)


def test_holm_caps_large_products_at_one():
    assert adjust_p_values([0.6, 0.7], "holm") == (1.0, 1.0)


def test_bh_is_never_more_conservative_than_holm():
    holm, bh = adjust_p_values(P_VALUES, "holm"), adjust_p_values(P_VALUES, "bh")
    assert all(b <= h for b, h in zip(bh, holm, strict=True))


def test_single_p_value_is_unchanged_and_empty_input_is_empty():
    assert adjust_p_values([0.03], "holm") == (0.03,)
    assert adjust_p_values([], "bh") == ()


@pytest.mark.parametrize("bad", [[0.1, 1.5], [-0.1], [float("nan")]])
def test_out_of_range_p_values_are_rejected(bad):
    with pytest.raises(ValueError, match="p-values"):
        adjust_p_values(bad, "bh")


def test_unknown_method_is_rejected():
    with pytest.raises(ValueError, match="unknown correction"):
        adjust_p_values([0.1], "bonferroni")  # type: ignore[arg-type]
