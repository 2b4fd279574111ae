"""Score one transaction as the stream would: the card's history, the rules and the fraud model.

The card's earlier transactions (event time strictly before the transaction's second) come from
`marts.fct_transactions` and go through the stream's own `advance` into a `CardState`, exactly as
a stream that had processed them would hold it; then a `Processor` with that state processes the
one event (rules, streaming features, model) and returns its alerts. Same-second transactions of
the card are not history (the stream would see them in the same step). Nothing is written: the
next request starts again from the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from commercelens.api.booking_features import from_epoch_us
from commercelens.api.errors import FieldError
from commercelens.ml.bundle import ModelBundle, predict_proba
from commercelens.ml.explain import EXPLAINABLE, reason_codes
from commercelens.ml.policy import Decided, DecisionPolicy, decide
from commercelens.stream.events import EVENT_SCHEMA, RAW_COLUMNS, TIME_FORMAT, parse
from commercelens.stream.features import fraud_features
from commercelens.stream.processor import LEVELS, Processor, ProcessorState
from commercelens.stream.rules import RuleConfig
from commercelens.stream.scoring import KEEP_SECONDS
from commercelens.stream.state import CardState, advance
from commercelens.warehouse.base import Warehouse

TRANSACTIONS = "marts.fct_transactions"
_HISTORY_SQL = f"""
select transaction_id, event_at, card_id, cast(amount as double) as amount, channel, merchant_id,
    merchant_state, zip, mcc, errors, device_id,
    merchant_latitude as latitude, merchant_longitude as longitude
from {TRANSACTIONS}
where card_id = ? and event_at < ?
"""


@dataclass(frozen=True)
class FraudResult:
    transaction_id: int
    card_id: int
    event_time: datetime
    probability: float
    score: float
    level: str
    rules_fired: list[str]
    alerts: list[tuple[str, str]]  # alert id, rule
    reasons: list[tuple[str, Any, float]]
    history: int
    history_first: datetime | None
    history_last: datetime | None
    decided: Decided


def event_frame(transaction: Mapping[str, Any]) -> pl.DataFrame:
    """The stream's typed event for one transaction (its parser, so the same rules apply)."""
    raw = {name: [_text(transaction.get(name))] for name in RAW_COLUMNS}
    raw["offset"] = [0]
    parsed = parse(pl.DataFrame(raw, schema={**dict.fromkeys(RAW_COLUMNS, pl.String), "offset": pl.Int64}))
    if parsed.dead.height:
        field, reason = parsed.dead["field"][0], parsed.dead["reason"][0]
        raise FieldError(["body", field], reason)
    return parsed.events


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    return str(value)


def card_history(warehouse: Warehouse, event: pl.DataFrame) -> pl.DataFrame:
    """The card's transactions before the event's second as stream events, in (card, t, id) order."""
    before = _utc_from_epoch(int(event["t"][0]))
    frame = pl.from_arrow(warehouse.fetch_arrow(_HISTORY_SQL, [int(event["card_id"][0]), before]))
    assert isinstance(frame, pl.DataFrame)
    if frame.is_empty():
        return pl.DataFrame(schema=EVENT_SCHEMA)
    return (
        frame.with_columns(
            pl.lit(0, pl.Int64).alias("offset"),
            pl.col("event_at").cast(pl.Datetime("us")).dt.epoch("s").alias("t"),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items()])
        .sort("card_id", "t", "transaction_id")
    )


def card_state(history: pl.DataFrame, watermark: int) -> CardState:
    """The state a stream holds for the card after `history` (all before `watermark`)."""
    state = CardState(KEEP_SECONDS)
    if history.height:
        step = history.with_columns(
            (
                (pl.col("channel") != "online")
                & pl.col("latitude").is_not_null()
                & pl.col("longitude").is_not_null()
            ).alias("is_card_present")
        )
        advance(state, step, watermark)
    return state


@dataclass
class _Capture:
    """The processor's scorer: the fraud features and probability, kept for the reasons."""

    bundle: ModelBundle
    mcc_risk: Mapping[int, float]
    features: pl.DataFrame | None = None
    probability: np.ndarray | None = None

    def __call__(self, state: CardState, step: pl.DataFrame) -> np.ndarray:
        self.features = fraud_features(state, step, self.mcc_risk).drop("transaction_id", "decision_at")
        self.probability = predict_proba(self.bundle, self.features)
        return self.probability


def _level(score: float, rules: RuleConfig) -> str:
    level = LEVELS[0]
    for name in LEVELS[1:]:
        if score >= getattr(rules.levels, name):
            level = name
    return level


@dataclass(frozen=True)
class FraudScorer:
    bundle: ModelBundle
    mcc_risk: Mapping[int, float]
    rules: RuleConfig
    reasons: int = 3

    def score(self, event: pl.DataFrame, history: pl.DataFrame) -> FraudResult:
        """Rules and model for one parsed event (`event_frame`) after its card's `history`."""
        t = int(event["t"][0])
        card_id = int(event["card_id"][0])
        moment = _utc_from_epoch(t)
        capture = _Capture(self.bundle, self.mcc_risk)
        processor = Processor(self.rules, scorer=capture, state=ProcessorState(card_state(history, t)))
        outputs = [processor.process(event), processor.finish()]
        alerts = pl.concat([o.alerts for o in outputs])
        assert capture.probability is not None and capture.features is not None
        probability = float(capture.probability[0])
        if alerts.height:
            score, level = float(alerts["score"][0]), str(alerts["level"][0])
        else:  # nothing fired: the combined score is the model's alone
            score, level = probability, _level(probability, self.rules)
        explained = (
            reason_codes(self.bundle, capture.features, self.reasons)[0]
            if self.reasons > 0 and self.bundle.family in EXPLAINABLE
            else []
        )
        values = capture.features.row(0, named=True)
        times = history["t"]
        return FraudResult(
            transaction_id=int(event["transaction_id"][0]),
            card_id=card_id,
            event_time=moment,
            probability=probability,
            score=score,
            level=level,
            rules_fired=sorted(r for r in alerts["rule"].to_list() if r != "model"),
            alerts=list(zip(alerts["alert_id"].to_list(), alerts["rule"].to_list(), strict=True)),
            reasons=[(name, values[name], value) for name, value in explained],
            history=history.height,
            history_first=_utc_from_epoch(int(times.min())) if history.height else None,  # type: ignore[arg-type]
            history_last=_utc_from_epoch(int(times.max())) if history.height else None,  # type: ignore[arg-type]
            decided=decide("fraud", capture.probability, DecisionPolicy(), self.bundle.thresholds),
        )


def _utc_from_epoch(seconds: int) -> datetime:
    return from_epoch_us(seconds * 1_000_000)
