"""Fraud rules as pure functions of (card state, events in event-time order); no I/O, no clock.

Exact semantics in docs/stream.md; `rpt_rule_hits` in the warehouse is the same rules in SQL.
A step is a set of events later than everything in the state, sorted by (card, t, id); the
rules see the state and the earlier events of the step, and windows that include "t" include
every event of the card at that second (peers), as a SQL RANGE frame does.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field

from commercelens.stream.state import CardState, device_keys, merchant_keys, with_card_history

EARTH_RADIUS_KM = 6371.0088
RULES = (
    "high_amount",
    "rapid_fire",
    "velocity",
    "impossible_travel",
    "new_device",
    "new_merchant",
    "amount_zscore",
)
HIT_SCHEMA = {"transaction_id": pl.Int64, "card_id": pl.Int64, "rule": pl.String, "t": pl.Int64}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    score: float = Field(ge=0, le=1)


class HighAmount(_Rule):
    amount: float = 2000


class RapidFire(_Rule):
    count: int = Field(3, ge=1)
    seconds: int = Field(5, ge=0)


class Velocity(_Rule):
    amount: float = 1000
    seconds: int = Field(60, ge=0)


class ImpossibleTravel(_Rule):
    kmh: float = Field(900, gt=0)


class AmountZscore(_Rule):
    zscore: float = 4
    min_history: int = Field(10, ge=2)


class Levels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    MEDIUM: float = 0.3
    HIGH: float = 0.6
    CRITICAL: float = 0.85


class RuleConfig(BaseModel):
    """The rules file (stream/rules.yaml holds the defaults)."""

    model_config = ConfigDict(extra="forbid")
    high_amount: HighAmount
    rapid_fire: RapidFire
    velocity: Velocity
    impossible_travel: ImpossibleTravel
    new_device: _Rule
    new_merchant: _Rule
    amount_zscore: AmountZscore
    levels: Levels = Levels()
    model_alert_probability: float = Field(0.5, ge=0, le=1)

    @property
    def window_seconds(self) -> int:
        """How far back the windowed rules look."""
        return max(self.rapid_fire.seconds, self.velocity.seconds)

    def scores(self) -> dict[str, float]:
        return {rule: getattr(self, rule).score for rule in RULES}


def load_rules(path: Path | None = None) -> RuleConfig:
    """The rules file at `path`, else the packaged defaults."""
    text = (
        path.read_text()
        if path
        else resources.files("commercelens.stream").joinpath("rules.yaml").read_text()
    )
    return RuleConfig.model_validate(yaml.safe_load(text))


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def window_totals(
    history: pl.DataFrame, step: pl.DataFrame, seconds: int, *, include_peers: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Count and amount sum of the card's transactions in [t - seconds, t] (peers included) or
    [t - seconds, t) (peers excluded), for every event of `step`; `history` holds the earlier ones.

    One sort of (card, t) and two binary searches: no per-event loop.
    """
    both = pl.concat([history.select("card_id", "t", "amount"), step.select("card_id", "t", "amount")])
    card_rank = both["card_id"].rank("dense").cast(pl.Int64).to_numpy()
    t = both["t"].to_numpy()
    key = (card_rank << 34) + (t - t.min() + seconds + 1)  # t relative: fits 34 bits for 500+ years
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cumulative = np.concatenate([[0.0], np.cumsum(both["amount"].to_numpy()[order])])
    mine = key[len(history) :]
    high = np.searchsorted(sorted_key, mine, "right" if include_peers else "left")
    low = np.searchsorted(sorted_key, mine - seconds, "left")
    return high - low, cumulative[high] - cumulative[low]


def rule_hits(state: CardState, step: pl.DataFrame, config: RuleConfig) -> pl.DataFrame:
    """(transaction_id, card_id, rule, t) for every rule that fires on an event of `step`.

    `step` is sorted by (card_id, t, transaction_id), has `is_card_present`, and is later than
    everything in `state`.
    """
    s = with_card_history(state, step).with_columns(
        (pl.col("n") + pl.int_range(pl.len()).over("card_id")).alias("n_before")
    )
    fired: dict[str, np.ndarray] = {}
    amount = s["amount"].to_numpy()
    if config.high_amount.enabled:
        fired["high_amount"] = amount > config.high_amount.amount
    if config.rapid_fire.enabled:
        count, _ = window_totals(state.recent, s, config.rapid_fire.seconds, include_peers=True)
        fired["rapid_fire"] = count >= config.rapid_fire.count
    if config.velocity.enabled:
        positive = state.recent.with_columns(pl.col("amount").clip(lower_bound=0))
        _, total = window_totals(
            positive,
            s.with_columns(pl.col("amount").clip(lower_bound=0)),
            config.velocity.seconds,
            include_peers=True,
        )
        # amounts are cents: round the float sum back to cents so a sum of exactly 1000 never fires
        fired["velocity"] = np.round(total, 2) > config.velocity.amount
    if config.impossible_travel.enabled:
        fired["impossible_travel"] = _impossible_travel(s, config.impossible_travel.kmh)
    has_history = s["n_before"].to_numpy() > 0
    if config.new_merchant.enabled:
        fired["new_merchant"] = has_history & _first_unseen(merchant_keys(s), state.seen_merchants)
    if config.new_device.enabled:
        fired["new_device"] = has_history & _first_unseen(device_keys(s), state.seen_devices)
    if config.amount_zscore.enabled:
        fired["amount_zscore"] = _zscore_fires(s, config.amount_zscore)
    frames = [
        s.filter(pl.Series(mask)).select("transaction_id", "card_id", pl.lit(rule).alias("rule"), "t")
        for rule, mask in fired.items()
        if mask.any()
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema=HIT_SCHEMA)


def _impossible_travel(s: pl.DataFrame, kmh: float) -> np.ndarray:
    """Card-present events whose speed from the card's previous card-present one exceeds kmh."""
    present = s.with_row_index("_row").filter(pl.col("is_card_present"))
    previous = present.with_columns(
        pl.col(c).shift(1).over("card_id").fill_null(pl.col(f"present_{name}")).alias(f"_previous_{name}")
        for c, name in (("t", "t"), ("latitude", "latitude"), ("longitude", "longitude"))
    ).filter(pl.col("_previous_t").is_not_null())
    km = haversine_km(
        previous["_previous_latitude"].to_numpy(),
        previous["_previous_longitude"].to_numpy(),
        previous["latitude"].to_numpy(),
        previous["longitude"].to_numpy(),
    )
    hours = (previous["t"] - previous["_previous_t"]).to_numpy() / 3600
    with np.errstate(divide="ignore", invalid="ignore"):
        fires = np.where(hours > 0, km / hours > kmh, km > 0)
    out = np.zeros(len(s), dtype=bool)
    out[previous["_row"].to_numpy()[fires]] = True
    return out


def _first_unseen(keys: pl.Series, seen: set[str]) -> np.ndarray:
    """True on the first event of each key in the step whose key the state has not seen."""
    first = keys.is_first_distinct().to_numpy() & keys.is_not_null().to_numpy()
    unseen = np.fromiter((k not in seen for k in keys.to_list()), dtype=bool, count=len(keys))
    return first & unseen


def _zscore_fires(s: pl.DataFrame, rule: AmountZscore) -> np.ndarray:
    """(amount - mean) / sd of the card's earlier amounts (sample sd) above the threshold."""
    offset = pl.col("amount") - pl.col("reference")
    stats = s.select(
        pl.col("n_before"),
        pl.col("amount"),
        pl.col("reference"),
        (pl.col("sum_offset") + offset.cum_sum().over("card_id") - offset).alias("sum_before"),
        (pl.col("sum_offset_squared") + (offset**2).cum_sum().over("card_id") - offset**2).alias(
            "squares_before"
        ),
    )
    n = stats["n_before"].to_numpy().astype(float)
    total, squares = stats["sum_before"].to_numpy(), stats["squares_before"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = stats["reference"].to_numpy() + total / n
        variance = np.maximum(squares - total * total / n, 0) / (n - 1)
        sd = np.sqrt(variance)
        z = (stats["amount"].to_numpy() - mean) / sd
    return (n >= rule.min_history) & (sd > 1e-9) & (z > rule.zscore)
