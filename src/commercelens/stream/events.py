"""Transaction events: the Kaggle layout plus the extension columns, parsed in bulk with Polars.

Sources hand over string columns (a CSV read without inference, JSON lines, Redis stream
fields) with the event's source position in `offset`; `parse` types them and splits off the
malformed ones with a reason naming the field, so the processor never sees a bad row and no row
is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

RAW_COLUMNS = (
    "id",
    "date",
    "client_id",
    "card_id",
    "amount",
    "use_chip",
    "merchant_id",
    "merchant_city",
    "merchant_state",
    "zip",
    "mcc",
    "errors",
    "event_time",
    "device_id",
    "merchant_latitude",
    "merchant_longitude",
)
CHANNELS = {"Swipe Transaction": "swipe", "Chip Transaction": "chip", "Online Transaction": "online"}
CARD_DATA_ERRORS = ("Bad Card Number", "Bad Expiration", "Bad CVV")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# The typed event: what rules, features and sinks read.
EVENT_SCHEMA = {
    "offset": pl.Int64,
    "transaction_id": pl.Int64,
    "t": pl.Int64,  # event time, Unix seconds
    "card_id": pl.Int64,
    "amount": pl.Float64,
    "channel": pl.String,
    "merchant_id": pl.Int64,
    "merchant_state": pl.String,
    "zip": pl.String,
    "mcc": pl.Int64,
    "errors": pl.String,
    "device_id": pl.String,
    "latitude": pl.Float64,
    "longitude": pl.Float64,
}
DEAD_LETTER_SCHEMA = {"offset": pl.Int64, "field": pl.String, "reason": pl.String, "value": pl.String}


@dataclass(frozen=True)
class Parsed:
    events: pl.DataFrame  # EVENT_SCHEMA
    dead: pl.DataFrame  # DEAD_LETTER_SCHEMA: one row per rejected event (its first problem)


def empty_events() -> pl.DataFrame:
    return pl.DataFrame(schema=EVENT_SCHEMA)


def _blank(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value)


def _seconds(name: str) -> pl.Expr:
    parsed = _blank(name).str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False)
    return parsed.dt.epoch("s")


def _typed() -> list[pl.Expr]:
    amount = _blank("amount").str.replace(r"^\$", "").cast(pl.Float64, strict=False)
    return [
        pl.col("offset").cast(pl.Int64),
        _blank("id").cast(pl.Int64, strict=False).alias("transaction_id"),
        pl.coalesce(_seconds("event_time"), _seconds("date")).alias("t"),
        _seconds("event_time").alias("_event_time"),
        _blank("card_id").cast(pl.Int64, strict=False).alias("card_id"),
        amount.alias("amount"),
        _blank("use_chip").replace_strict(CHANNELS, default=None, return_dtype=pl.String).alias("channel"),
        _blank("merchant_id").cast(pl.Int64, strict=False).alias("merchant_id"),
        _blank("merchant_state").alias("merchant_state"),
        _blank("zip").cast(pl.Float64, strict=False).cast(pl.Int64).cast(pl.String).str.zfill(5).alias("zip"),
        _blank("mcc").cast(pl.Int64, strict=False).alias("mcc"),
        _blank("errors").alias("errors"),
        _blank("device_id").alias("device_id"),
        _blank("merchant_latitude").cast(pl.Float64, strict=False).alias("latitude"),
        _blank("merchant_longitude").cast(pl.Float64, strict=False).alias("longitude"),
    ]


# (field, typed column, reason): checked in order, the first failing check names the event's problem.
_CHECKS = (
    ("id", "transaction_id", "missing or not an integer transaction id"),
    ("card_id", "card_id", "missing or not an integer card id"),
    ("amount", "amount", "missing or not a dollar amount like $-77.00"),
    ("date", "t", "missing or unparseable timestamp (YYYY-MM-DD HH:MM:SS)"),
    ("use_chip", "channel", "missing or unknown channel (Swipe, Chip or Online Transaction)"),
)
_OPTIONAL_NUMBERS = (
    ("merchant_id", "merchant_id"),
    ("mcc", "mcc"),
    ("merchant_latitude", "latitude"),
    ("merchant_longitude", "longitude"),
    ("event_time", "_event_time"),
)


def parse(raw: pl.DataFrame) -> Parsed:
    """Type a frame of string columns (any subset of RAW_COLUMNS, plus `offset`)."""
    missing = [c for c in RAW_COLUMNS if c not in raw.columns]
    raw = raw.with_columns(pl.lit(None, pl.String).alias(c) for c in missing).with_columns(
        pl.col(c).cast(pl.String) for c in RAW_COLUMNS
    )
    typed = raw.select(_typed())
    problems = [
        pl.when(pl.col(column).is_null()).then(pl.lit(f"{field}\t{reason}"))
        for field, column, reason in _CHECKS
    ] + [
        pl.when(pl.col(f"_raw_{field}").is_not_null() & pl.col(column).is_null()).then(
            pl.lit(f"{field}\t{'unparseable timestamp' if field == 'event_time' else 'not a number'}")
        )
        for field, column in _OPTIONAL_NUMBERS
    ]
    with_raw = pl.concat(
        [typed, raw.select(_blank(field).alias(f"_raw_{field}") for field in RAW_COLUMNS)], how="horizontal"
    )
    checked = with_raw.with_columns(pl.coalesce(problems).alias("_problem"))
    bad = checked.filter(pl.col("_problem").is_not_null())
    dead = bad.select(
        pl.col("offset"),
        pl.col("_problem").str.split_exact("\t", 1).struct.field("field_0").alias("field"),
        pl.col("_problem").str.split_exact("\t", 1).struct.field("field_1").alias("reason"),
    ).with_columns(
        pl.Series("value", _values(bad), dtype=pl.String),
    )
    events = checked.filter(pl.col("_problem").is_null()).select(list(EVENT_SCHEMA))
    return Parsed(events=events, dead=dead.cast(DEAD_LETTER_SCHEMA))  # type: ignore[arg-type]


def _values(bad: pl.DataFrame) -> list[str | None]:
    """The offending raw value of each rejected event (what its reason is about)."""
    fields = bad["_problem"].str.split_exact("\t", 1).struct.field("field_0").to_list()
    return [bad[f"_raw_{field}"][i] for i, field in enumerate(fields)]


def dead_letter(offset: int, field: str, reason: str, value: str | None) -> pl.DataFrame:
    """One dead letter for an event that could not even be split into fields."""
    return pl.DataFrame(
        {"offset": [offset], "field": [field], "reason": [reason], "value": [value]},
        schema=DEAD_LETTER_SCHEMA,
    )
