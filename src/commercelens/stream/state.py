"""Per-card keyed state: what rules and streaming features know about each card's past.

Events reach the state in event-time steps: every event of a step is later than every event
already in it (the watermark guarantees that; late events never enter). So "earlier" than an
event is "in the state, or earlier in its own step", and a step is computed column-wise.

- `cards`: one row per card: count, a reference amount and the sums of (amount - reference)
  and its square (mean and variance without cancellation), the last second, and the last
  card-present transaction (time, id, coordinates).
- `recent`: the card transactions of the last `keep_seconds` before the watermark, for windows.
- `seen`: the (card, merchant) and (card, device) pairs already used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

CARD_SCHEMA = {
    "card_id": pl.Int64,
    "n": pl.Int64,
    "reference": pl.Float64,
    "sum_offset": pl.Float64,
    "sum_offset_squared": pl.Float64,
    "last_t": pl.Int64,
    "present_t": pl.Int64,
    "present_id": pl.Int64,
    "present_latitude": pl.Float64,
    "present_longitude": pl.Float64,
}
RECENT_SCHEMA = {"card_id": pl.Int64, "t": pl.Int64, "amount": pl.Float64}


@dataclass
class CardState:
    keep_seconds: int
    cards: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CARD_SCHEMA))
    recent: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=RECENT_SCHEMA))
    seen_merchants: set[str] = field(default_factory=set)
    seen_devices: set[str] = field(default_factory=set)


def merchant_keys(events: pl.DataFrame) -> pl.Series:
    return events.select(
        pl.concat_str(pl.col("card_id"), pl.col("merchant_id").cast(pl.String).fill_null(""), separator="|")
    ).to_series()


def device_keys(events: pl.DataFrame) -> pl.Series:
    """(card, device) keys; null where the event has no device."""
    return events.select(pl.concat_str(pl.col("card_id"), pl.col("device_id"), separator="|")).to_series()


def with_card_history(state: CardState, step: pl.DataFrame) -> pl.DataFrame:
    """The step (sorted by card, t, id) joined to its cards' state (zeros for new cards)."""
    return step.join(state.cards, on="card_id", how="left").with_columns(
        pl.col("n").fill_null(0),
        pl.col("sum_offset").fill_null(0.0),
        pl.col("sum_offset_squared").fill_null(0.0),
        # a new card's reference amount is its first amount (the step is in card order)
        pl.col("reference").fill_null(pl.col("amount").first().over("card_id")),
    )


def advance(state: CardState, step: pl.DataFrame, watermark: int) -> CardState:
    """The state after `step` (sorted by card, t, id; all later than the state) up to `watermark`."""
    joined = with_card_history(state, step)
    present = step.filter(pl.col("is_card_present"))
    updated = joined.group_by("card_id", maintain_order=True).agg(
        (pl.col("n").first() + pl.len()).alias("n"),
        pl.col("reference").first(),
        (pl.col("sum_offset").first() + (pl.col("amount") - pl.col("reference")).sum()).alias("sum_offset"),
        (pl.col("sum_offset_squared").first() + ((pl.col("amount") - pl.col("reference")) ** 2).sum()).alias(
            "sum_offset_squared"
        ),
        pl.col("t").last().alias("last_t"),
    )
    last_present = present.group_by("card_id", maintain_order=True).agg(
        pl.col("t").last().alias("present_t"),
        pl.col("transaction_id").last().alias("present_id"),
        pl.col("latitude").last().alias("present_latitude"),
        pl.col("longitude").last().alias("present_longitude"),
    )
    old = state.cards.join(updated.select("card_id"), on="card_id", how="anti")
    previous_present = state.cards.select(
        "card_id", "present_t", "present_id", "present_latitude", "present_longitude"
    ).join(last_present.select("card_id"), on="card_id", how="anti")
    changed = updated.join(pl.concat([previous_present, last_present]), on="card_id", how="left")
    state.cards = pl.concat([old, changed.select(list(CARD_SCHEMA))])
    state.recent = pl.concat([state.recent, step.select(list(RECENT_SCHEMA))]).filter(
        pl.col("t") > watermark - state.keep_seconds
    )
    state.seen_merchants.update(merchant_keys(step).to_list())
    state.seen_devices.update(device_keys(step).drop_nulls().to_list())
    return state
