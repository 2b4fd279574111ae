"""`commercelens experiment power`: REFERENCE.md's sample sizes through the CLI, and clear errors."""

from __future__ import annotations

import json

import pytest

from commercelens.cli.app import run


def power_json(capsys, *flags: str) -> dict:
    assert run(["experiment", "power", *flags, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_ten_percent_baseline_twenty_percent_relative_mde_needs_about_3838_per_variant(capsys):
    # REFERENCE.md: the two-proportion formula with each arm's own variance gives about 3,838.
    out = power_json(capsys, "--baseline", "0.10", "--mde", "0.20", "--relative")
    assert out["n_per_variation"] == 3839  # 3838.1 rounded up
    assert out["n_total"] == 2 * 3839


def test_railflow_twelve_to_twelve_and_a_half_percent_needs_about_67493(capsys):
    # REFERENCE.md: 12% -> 12.5% gives about 67,493-67,497 per group with the same formula.
    out = power_json(capsys, "--baseline", "0.12", "--mde", "0.005")
    assert 67_493 <= out["n_per_variation"] <= 67_497


def test_three_variations_count_every_arm_in_the_total(capsys):
    out = power_json(capsys, "--baseline", "0.10", "--mde", "0.02", "--variations", "3")
    assert out["n_total"] == out["n_control"] + 2 * out["n_per_variation"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--baseline", "1.5", "--mde", "0.1"],
        ["--baseline", "0.1", "--mde", "0"],
        ["--baseline", "0.9", "--mde", "0.2"],
    ],
)
def test_impossible_inputs_are_user_errors(capsys, flags):
    assert run(["experiment", "power", *flags]) == 1
    assert "internal error" not in capsys.readouterr().err
