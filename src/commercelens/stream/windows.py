"""Sliding KPI windows: 1 minute long, every 30 s, per channel and MCC group, in event time.

Window k covers [k x slide, k x slide + size). A window is emitted once the watermark passes its
end (every event in it is final), so each window is emitted exactly once, complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

SIZE_SECONDS = 60
SLIDE_SECONDS = 30

# Card-network MCC ranges (ISO 18245 blocks), coarse enough for a live dashboard.
MCC_GROUPS = (
    (0, 3999, "travel"),  # airlines, car rental, lodging
    (4000, 4799, "transport"),
    (4800, 4999, "utilities_telecom"),
    (5000, 5599, "retail"),
    (5600, 5699, "clothing"),
    (5700, 7299, "stores_services"),
    (7300, 7999, "business_entertainment"),
    (8000, 8999, "professional_health"),
    (9000, 9999, "government"),
)
KPI_SCHEMA = {
    "window_start": pl.Int64,
    "window_end": pl.Int64,
    "channel": pl.String,
    "mcc_group": pl.String,
    "transactions": pl.Int64,
    "revenue": pl.Float64,
    "average_ticket": pl.Float64,
    "alerted": pl.Int64,
    "alert_rate": pl.Float64,
}
_PARTIAL = {
    "window_start": pl.Int64,
    "channel": pl.String,
    "mcc_group": pl.String,
    "transactions": pl.Int64,
    "revenue": pl.Float64,
    "alerted": pl.Int64,
}


def mcc_group() -> pl.Expr:
    expr = pl.lit("unknown")
    for low, high, name in reversed(MCC_GROUPS):
        expr = pl.when(pl.col("mcc").is_between(low, high)).then(pl.lit(name)).otherwise(expr)
    return expr


@dataclass
class KpiWindows:
    """Open windows' partial sums (state, checkpointed with the rest)."""

    open: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_PARTIAL))


def add(windows: KpiWindows, step: pl.DataFrame) -> None:
    """Add events (`t`, `channel`, `mcc`, `amount`, `is_alerted`) to every window they fall in."""
    if step.is_empty():
        return
    # aggregate per slide first (a step holds many events per slide), then spread to the windows
    per_slide = (
        step.group_by((pl.col("t") // SLIDE_SECONDS * SLIDE_SECONDS).alias("slide_start"), "channel", "mcc")
        .agg(
            pl.len().cast(pl.Int64).alias("transactions"),
            pl.col("amount").sum().alias("revenue"),
            pl.col("is_alerted").sum().cast(pl.Int64).alias("alerted"),
        )
        .with_columns(mcc_group().alias("mcc_group"))
    )
    partial = pl.concat(
        [
            per_slide.select(
                (pl.col("slide_start") - shift * SLIDE_SECONDS).alias("window_start"),
                "channel",
                "mcc_group",
                "transactions",
                "revenue",
                "alerted",
            )
            for shift in range(SIZE_SECONDS // SLIDE_SECONDS)
        ]
    )
    windows.open = (
        pl.concat([windows.open, partial.select(list(_PARTIAL))])
        .group_by("window_start", "channel", "mcc_group")
        .agg(pl.col("transactions", "revenue", "alerted").sum())
        .select(list(_PARTIAL))
    )


def close(windows: KpiWindows, watermark: int | None) -> pl.DataFrame:
    """Emit (and forget) every window ending at or before `watermark` (None: all of them)."""
    ends = pl.col("window_start") + SIZE_SECONDS
    done = windows.open if watermark is None else windows.open.filter(ends <= watermark)
    windows.open = windows.open.clear() if watermark is None else windows.open.filter(ends > watermark)
    return done.sort("window_start", "channel", "mcc_group").select(
        "window_start",
        ends.alias("window_end"),
        "channel",
        "mcc_group",
        "transactions",
        "revenue",
        (pl.col("revenue") / pl.col("transactions")).alias("average_ticket"),
        "alerted",
        (pl.col("alerted") / pl.col("transactions")).alias("alert_rate"),
    )
