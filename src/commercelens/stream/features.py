"""Streaming fraud features: the batch point-in-time features (features/fraud.py), from state.

Same definitions, computed from the card state and the step instead of a window over the whole
table: card history is strict ([t - w, t), never the same second), MCC risk is the training
window's (frozen: the stream runs after it). tests/integration/test_stream_skew.py compares
these with `ml.fraud_features` row by row.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from commercelens.features.fraud import PRIOR_RATE, WINDOWS
from commercelens.stream.events import CARD_DATA_ERRORS
from commercelens.stream.rules import haversine_km, window_totals
from commercelens.stream.state import CardState, device_keys, merchant_keys, with_card_history

ERROR_KINDS = (
    "Insufficient Balance",
    "Bad PIN",
    "Technical Glitch",
    "Bad Card Number",
    "Bad Expiration",
    "Bad CVV",
    "Bad Zipcode",
)


def _has_error(kind: str) -> pl.Expr:
    padded = pl.concat_str(
        pl.lit(","), pl.col("errors").str.replace_all(", ", ",", literal=True), pl.lit(",")
    )
    return padded.str.contains(f",{kind},", literal=True).fill_null(False)


def fraud_features(state: CardState, step: pl.DataFrame, mcc_risk: Mapping[int, float]) -> pl.DataFrame:
    """One row per event of `step` (same order) with the fraud model's feature columns."""
    s = with_card_history(state, step).with_columns(
        pl.int_range(pl.len()).over("card_id").alias("_k"),
    )
    s = s.with_columns(pl.col("_k").min().over("card_id", "t").alias("_k0"))  # step rows before the second
    n_before = (s["n"] + s["_k0"]).to_numpy()

    # previous second of the card, and its previous card-present second (last by id within it)
    seconds = s.group_by("card_id", "t", maintain_order=True).agg(
        pl.col("is_card_present").any().alias("_any_present"),
        pl.col("latitude").filter(pl.col("is_card_present")).last().alias("_lat"),
        pl.col("longitude").filter(pl.col("is_card_present")).last().alias("_lon"),
        pl.col("last_t").first(),
        pl.col("present_t").first(),
        pl.col("present_latitude").first(),
        pl.col("present_longitude").first(),
    )
    present_t = pl.when(pl.col("_any_present")).then(pl.col("t"))
    seconds = seconds.with_columns(
        pl.col("t").shift(1).over("card_id").fill_null(pl.col("last_t")).alias("_previous_t"),
        present_t.shift(1).forward_fill().over("card_id").alias("_pt"),
        pl.col("_lat").shift(1).forward_fill().over("card_id").alias("_plat"),
        pl.col("_lon").shift(1).forward_fill().over("card_id").alias("_plon"),
    ).with_columns(
        # no earlier card-present second in the step: the state's last one
        pl.when(pl.col("_pt").is_null()).then(pl.col("present_t")).otherwise(pl.col("_pt")).alias("_pt"),
        pl.when(pl.col("_pt").is_null())
        .then(pl.col("present_latitude"))
        .otherwise(pl.col("_plat"))
        .alias("_plat"),
        pl.when(pl.col("_pt").is_null())
        .then(pl.col("present_longitude"))
        .otherwise(pl.col("_plon"))
        .alias("_plon"),
    )
    s = s.join(
        seconds.select("card_id", "t", "_previous_t", "_pt", "_plat", "_plon"),
        on=["card_id", "t"],
        how="left",
    )

    # mean and sample sd of the amounts before the second, from the state's and the step's sums
    offset = pl.col("amount") - pl.col("reference")
    cum = s.select(
        (offset.cum_sum().over("card_id") - offset).alias("_sum"),
        ((offset**2).cum_sum().over("card_id") - offset**2).alias("_squares"),
        "_k",
        "_k0",
        "card_id",
    )
    # the sums up to the first row of the second: take them at row _k0 of the card
    first_of_second = cum.with_columns(
        pl.col("_sum").gather(pl.col("_k0")).over("card_id").alias("_sum0"),
        pl.col("_squares").gather(pl.col("_k0")).over("card_id").alias("_squares0"),
    )
    n = n_before.astype(float)
    total = s["sum_offset"].to_numpy() + first_of_second["_sum0"].to_numpy()
    squares = s["sum_offset_squared"].to_numpy() + first_of_second["_squares0"].to_numpy()
    amount = s["amount"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s["reference"].to_numpy() + total / n
        sd = np.sqrt(np.maximum(squares - total * total / n, 0) / (n - 1))
        zscore = np.where((n >= 2) & (sd > 0), (amount - mean) / sd, np.nan)

    windows = {}
    for name, width in WINDOWS.items():
        count, total_w = window_totals(state.recent, s, width, include_peers=False)
        windows[f"card_count_{name}"] = pl.Series(count, dtype=pl.Int32)
        windows[f"card_amount_{name}"] = pl.Series(total_w, dtype=pl.Float64)

    present = s["is_card_present"].to_numpy()
    km = haversine_km(
        s["_plat"].to_numpy(), s["_plon"].to_numpy(), s["latitude"].to_numpy(), s["longitude"].to_numpy()
    )
    since_present = (s["t"] - s["_pt"]).to_numpy().astype(float)
    km = np.where(present, km, np.nan)
    since_present = np.where(present, since_present, np.nan)

    merchant_first = _first_second_unseen(s, merchant_keys(s), state.seen_merchants)
    device_first = _first_second_unseen(s, device_keys(s), state.seen_devices)
    card_data_error = pl.any_horizontal(_has_error(kind) for kind in CARD_DATA_ERRORS)
    return s.select(
        "transaction_id",
        pl.from_epoch("t", time_unit="s").alias("decision_at"),
        "amount",
        (pl.col("amount") < 0).cast(pl.Int32).alias("is_refund"),
        "channel",
        pl.from_epoch("t", time_unit="s").dt.hour().cast(pl.Int32).alias("transaction_hour"),
        pl.col("errors").is_not_null().cast(pl.Int32).alias("has_error"),
        pl.sum_horizontal(_has_error(kind).cast(pl.Int32) for kind in ERROR_KINDS).alias("error_count"),
        card_data_error.cast(pl.Int32).alias("has_card_data_error"),
        ((pl.col("channel") != "online") & pl.col("zip").is_null() & pl.col("merchant_state").is_not_null())
        .cast(pl.Int32)
        .alias("is_foreign_merchant"),
        pl.col("mcc")
        .replace_strict(dict(mcc_risk), default=PRIOR_RATE, return_dtype=pl.Float64)
        .alias("mcc_fraud_rate"),
        pl.Series("is_new_device", device_first, dtype=pl.Int32),
        pl.Series("is_new_merchant", merchant_first, dtype=pl.Int32),
        pl.Series("card_transactions_before", n_before, dtype=pl.Int32),
        (pl.col("t") - pl.col("_previous_t")).alias("seconds_since_card_previous"),
        *[
            windows[f"card_{kind}_{name}"].alias(f"card_{kind}_{name}")
            for name in WINDOWS
            for kind in ("count", "amount")
        ],
        pl.Series("amount_zscore_card", zscore).fill_nan(None),
        pl.Series("km_since_previous_present", km).fill_nan(None),
        pl.Series("seconds_since_previous_present", since_present).fill_nan(None).cast(pl.Int64),
    ).with_columns(
        (
            pl.col("km_since_previous_present")
            / (pl.max_horizontal(pl.col("seconds_since_previous_present"), 1) / 3600.0)
        ).alias("kmh_since_previous_present")
    )


def _first_second_unseen(s: pl.DataFrame, keys: pl.Series, seen: set[str]) -> np.ndarray:
    """True on every event at the first second of its key when the state has not seen the key."""
    frame = pl.DataFrame({"key": keys, "t": s["t"]})
    first_t = frame.select(pl.col("t").min().over("key")).to_series()
    at_first = (frame["t"] == first_t).to_numpy() & keys.is_not_null().to_numpy()
    unseen = np.fromiter((k not in seen for k in keys.to_list()), dtype=bool, count=len(keys))
    return at_first & unseen
