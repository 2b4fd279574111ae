"""Uplift datasets: the rail discount experiment from the warehouse, or any unit-level file.

Both become one `UpliftData`: features known before treatment, a 0/1 treatment, a 0/1 outcome,
the key that keeps related units on one side of the held-out split (a rail user's searches stay
together), and, for generated data, the true per-unit uplift from `_truth/`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from commercelens.errors import UserError
from commercelens.warehouse.base import Warehouse

EXPERIMENT_SEARCHES = "marts.fct_experiment_searches"
RAIL_DISCOUNT_SHARE = 0.05  # the rail experiment's offer: 5% off every treated booking
# Known before the search's outcome and not moved by the discount (see the mart's description).
RAIL_FEATURES = (
    "search_hour",
    "search_weekday",
    "route",
    "lead_time_days",
    "passenger_count",
    "quoted_price_eur",
    "subscription_type",
    "age",
    "device_os",
    "searches_before",
    "searches_before_assignment",
    "successful_bookings_before_assignment",
)


def uplift_dir(home: Path) -> Path:
    """Where uplift models and their outputs live in a workdir."""
    return home / "uplift"


@dataclass(frozen=True, eq=False)
class UpliftData:
    """Units of one randomised comparison: treatment vs control on a binary outcome."""

    name: str  # a slug naming the comparison: where saved models and outputs go
    unit_ids: np.ndarray
    groups: np.ndarray  # split key: units sharing it are all train or all test
    features: pl.DataFrame
    treatment: np.ndarray  # 1 treated, 0 control
    outcome: np.ndarray  # 0/1
    value: np.ndarray | None = None  # money a conversion of the unit brings (before any discount)
    true_uplift: np.ndarray | None = None  # planted truth, when the data is generated

    def __len__(self) -> int:
        return len(self.unit_ids)

    def subset(self, mask: np.ndarray) -> UpliftData:
        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[mask]

        return UpliftData(
            self.name,
            self.unit_ids[mask],
            self.groups[mask],
            self.features.filter(pl.Series(mask)),
            self.treatment[mask],
            self.outcome[mask],
            pick(self.value),
            pick(self.true_uplift),
        )


def slug(*parts: str) -> str:
    """A file-name-safe name for a comparison.

    Examples
    --------
    >>> slug("hillstrom", "Mens E-Mail", "No E-Mail", "visit")
    'hillstrom-mens-e-mail-vs-no-e-mail-visit'
    """
    text = "-".join(parts[:2]) + ("-vs-" + "-".join(parts[2:]) if len(parts) > 2 else "")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def held_out_mask(groups: np.ndarray, test_share: float, seed: int) -> np.ndarray:
    """Held-out units: a keyed hash of the group, so the split is stable across runs and machines.

    Examples
    --------
    >>> groups = np.repeat([f"user{i}" for i in range(1000)], 2)  # two units per user
    >>> mask = held_out_mask(groups, 0.3, seed=0)
    >>> bool((mask[::2] == mask[1::2]).all()), round(float(mask.mean()), 2)
    (True, 0.32)
    """
    if not 0 < test_share < 1:
        raise UserError(f"--test-share must lie between 0 and 1, got {test_share}")
    unique, inverse = np.unique(groups.astype(str), return_inverse=True)
    cut = int(test_share * 2**32)
    held_out = np.array(
        [int.from_bytes(hashlib.sha256(f"{seed}:{g}".encode()).digest()[:4], "big") < cut for g in unique],
        dtype=bool,
    )
    return held_out[inverse]


def _variation_pair(found: Sequence[str], treatment: str | None, control: str, where: str) -> str:
    if control not in found:
        raise UserError(f"{where}: control {control!r} not found (variations: {', '.join(sorted(found))})")
    others = sorted(v for v in found if v != control)
    if treatment is None:
        if len(others) != 1:
            raise UserError(f"{where}: name the treatment with --treatment (one of {', '.join(others)})")
        return others[0]
    if treatment not in found:
        raise UserError(
            f"{where}: treatment {treatment!r} not found (variations: {', '.join(sorted(found))})"
        )
    return treatment


def rail_experiment(
    warehouse: Warehouse,
    experiment_id: str,
    treatment: str | None = None,
    control: str = "control",
    truth_dir: Path | None = None,
) -> UpliftData:
    """Post-assignment searches of the experiment's analysed users, with the truth if given."""
    if not warehouse.table_exists(EXPERIMENT_SEARCHES):
        raise UserError(f"{EXPERIMENT_SEARCHES} does not exist yet: run `commercelens demo` or `transform`")
    found = [
        r[0]
        for r in warehouse.fetch_all(
            f"select distinct variation from {EXPERIMENT_SEARCHES} where experiment_id = ?", [experiment_id]
        )
    ]
    if not found:
        raise UserError(f"no searches for experiment {experiment_id!r} in {EXPERIMENT_SEARCHES}")
    treatment = _variation_pair(found, treatment, control, f"experiment {experiment_id}")
    columns = ", ".join(RAIL_FEATURES)
    frame = pl.from_arrow(
        warehouse.fetch_arrow(
            f"select search_id, user_id, variation, is_converted, "
            f"cast(quoted_price_eur * passenger_count as double) as ticket_value, {columns} "
            f"from {EXPERIMENT_SEARCHES} where experiment_id = ? and variation in (?, ?) order by search_id",
            [experiment_id, treatment, control],
        )
    )
    assert isinstance(frame, pl.DataFrame)
    features = frame.select(RAIL_FEATURES).with_columns(pl.col("quoted_price_eur").cast(pl.Float64))
    truth = _rail_truth(frame["search_id"], truth_dir) if truth_dir else None
    return UpliftData(
        # Two arms (the usual case) need no arm names in the model's file name.
        name=slug("rail", experiment_id)
        if len(found) == 2
        else slug("rail", experiment_id, treatment, control),
        unit_ids=frame["search_id"].to_numpy(),
        groups=frame["user_id"].to_numpy(),
        features=features,
        treatment=(frame["variation"] == treatment).to_numpy().astype(np.int8),
        outcome=frame["is_converted"].cast(pl.Int8).to_numpy(),
        value=frame["ticket_value"].to_numpy(),
        true_uplift=truth,
    )


def _rail_truth(search_ids: pl.Series, truth_dir: Path) -> np.ndarray | None:
    """True uplift per search: P(book | discount) - P(book | no discount), from the generator."""
    path = truth_dir / "search_truth.parquet"
    if not path.is_file():
        return None
    truth = pl.read_parquet(path, columns=["search_id", "p_control", "p_treated"])
    joined = pl.DataFrame({"search_id": search_ids}).join(truth, on="search_id", how="left")
    if joined["p_control"].null_count():
        return None  # another dataset's truth: no oracle rather than a wrong one
    return (joined["p_treated"] - joined["p_control"]).to_numpy()


def unit_file(
    path: Path,
    treatment_col: str,
    treatment: str,
    control: str,
    outcome: str,
    features: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> UpliftData:
    """Rows of a CSV/Parquet file: `features` (default: every other column but `exclude`)."""
    from commercelens.experiments.sources import read_unit_file

    frame = read_unit_file(path)
    where = str(path)
    needed = [treatment_col, outcome, *features, *exclude]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        names = ", ".join(map(repr, missing))
        raise UserError(f"{where}: no column {names} (columns: {', '.join(frame.columns)})")
    arms = frame[treatment_col].cast(pl.String)
    _variation_pair(arms.unique().drop_nulls().to_list(), treatment, control, where)
    frame = frame.filter(arms.is_in([treatment, control]))
    y = frame[outcome]
    if y.null_count() or not y.cast(pl.Float64, strict=False).is_in([0.0, 1.0]).all():
        raise UserError(f"{where}: outcome {outcome!r} must be 0/1 with no empty values")
    chosen = list(features) or [c for c in frame.columns if c not in (treatment_col, outcome, *exclude)]
    if not chosen:
        raise UserError(f"{where}: no feature columns left besides the treatment and the outcome")
    unusable = [
        c for c in chosen if not (frame.schema[c].is_numeric() or frame.schema[c] in (pl.String, pl.Boolean))
    ]
    if unusable:
        raise UserError(f"{where}: feature columns must be numbers, booleans or text: {', '.join(unusable)}")
    return UpliftData(
        name=slug(path.name.split(".")[0], treatment, control, outcome),
        unit_ids=np.arange(frame.height),
        groups=np.arange(frame.height),
        features=frame.select(chosen),
        treatment=(frame[treatment_col].cast(pl.String) == treatment).to_numpy().astype(np.int8),
        outcome=y.cast(pl.Int8).to_numpy(),
    )
