"""Score transactions as the stream would: the cards' history, the rules and the fraud model.

A request's transactions (one, or a batch) are parsed by the stream's own parser. Each card's
earlier transactions come from `marts.fct_transactions`, strictly before the card's earliest
second in the request, and go through the stream's own `advance` into a `CardState`, exactly as
a stream that had processed them would hold it. Then a `Processor` with that state processes the
request's transactions as one event-time step, sorted by (card, t, id) like every stream step:
the rules, the streaming features and one model call over all of them. So a batch's earlier
transactions are the later ones' history, and a day's file scored at once gets the answers a
replay gives it. Warehouse rows of a card at or after its earliest second in the request are not
history (the request says what happened from there on; same-second rows would be in the same
step). Nothing is written: the next request starts again from the warehouse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from commercelens.api.booking_features import from_epoch_us
from commercelens.api.errors import FieldError
from commercelens.ml.bundle import ModelBundle, predict_proba
from commercelens.ml.explain import EXPLAINABLE, reason_codes
from commercelens.ml.policy import DecisionPolicy, decide
from commercelens.stream.events import EVENT_SCHEMA, RAW_COLUMNS, TIME_FORMAT, parse
from commercelens.stream.features import fraud_features
from commercelens.stream.processor import LEVELS, Processor, ProcessorState
from commercelens.stream.rules import RuleConfig
from commercelens.stream.scoring import KEEP_SECONDS
from commercelens.stream.state import CardState, advance
from commercelens.warehouse.base import Warehouse

TRANSACTIONS = "marts.fct_transactions"
# Each card of the request with its cut, as two bound lists unnested side by side (the same SQL on
# DuckDB and PostgreSQL: `double precision`, not DuckDB's `double`); the card's rows before its cut.
_HISTORY_SQL = f"""
with cuts as (
    select unnest(cast(? as bigint[])) as card_id, unnest(cast(? as timestamp[])) as cut_at
)
select transactions.transaction_id, transactions.event_at, transactions.card_id,
    cast(transactions.amount as double precision) as amount, transactions.channel, transactions.merchant_id,
    transactions.merchant_state, transactions.zip, transactions.mcc, transactions.errors,
    transactions.device_id, transactions.merchant_latitude as latitude,
    transactions.merchant_longitude as longitude
from {TRANSACTIONS} as transactions
inner join cuts on transactions.card_id = cuts.card_id and transactions.event_at < cuts.cut_at
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
    history: int  # the card's transactions read from the warehouse
    history_first: datetime | None
    history_last: datetime | None
    tier: str
    decision: str


def events_frame(
    transactions: Sequence[Mapping[str, Any]], where: Sequence[str] | None = None
) -> pl.DataFrame:
    """The stream's typed events (its parser, so the same rules apply), `offset` = request index.

    A field the parser rejects is a 422 at `[*where, index, field]`, or `["body", field]` when
    `where` is None (one transaction, the whole body); so is a transaction id given twice.
    """
    raw: dict[str, list[Any]] = {name: [_text(t.get(name)) for t in transactions] for name in RAW_COLUMNS}
    raw["offset"] = list(range(len(transactions)))
    parsed = parse(pl.DataFrame(raw, schema={**dict.fromkeys(RAW_COLUMNS, pl.String), "offset": pl.Int64}))
    if parsed.dead.height:
        index, field, reason, _ = parsed.dead.sort("offset").row(0)
        raise FieldError(["body", field] if where is None else [*where, index, field], reason)
    events = parsed.events
    if where is not None and events["transaction_id"].n_unique() < events.height:
        seen = events.with_columns(pl.col("offset").first().over("transaction_id").alias("first"))
        index, first, id_ = (
            seen.filter(pl.col("offset") != pl.col("first"))
            .sort("offset")
            .select("offset", "first", "transaction_id")
            .row(0)
        )
        raise FieldError([*where, index, "id"], f"transaction id {id_} is also at index {first}")
    return events


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    return str(value)


def card_history(
    warehouse: Warehouse,
    events: pl.DataFrame,
    max_rows: int | None = None,
    where: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Each card's transactions before its earliest second in `events`, as stream events in
    (card, t, id) order: one query for all the cards.

    More than `max_rows` of them is a 422 on the request's transactions (`where`): the request's
    cards hold too much history to rebuild their state per request.
    """
    cuts = events.group_by("card_id").agg(pl.col("t").min())
    params = [cuts["card_id"].to_list(), [_utc_from_epoch(t) for t in cuts["t"].to_list()]]
    sql = _HISTORY_SQL if max_rows is None else f"{_HISTORY_SQL} limit {int(max_rows) + 1}"
    frame = pl.from_arrow(warehouse.fetch_arrow(sql, params))
    assert isinstance(frame, pl.DataFrame)
    if max_rows is not None and frame.height > max_rows:
        raise FieldError(
            list(where or ["body"]),
            f"the {cuts.height:,} cards of this request have over {max_rows:,} earlier transactions in the "
            "warehouse, the limit one request may read to rebuild their state: send fewer cards per request",
        )
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
    """The state a stream holds for the cards after `history` (all before `watermark`)."""
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
    """The processor's scorer: the fraud features and probabilities, kept for the response."""

    bundle: ModelBundle
    mcc_risk: Mapping[int, float]
    features: pl.DataFrame | None = None  # step order, with transaction_id

    def __call__(self, state: CardState, step: pl.DataFrame) -> np.ndarray:
        self.features = fraud_features(state, step, self.mcc_risk).drop("decision_at")
        probability = predict_proba(self.bundle, self.features.drop("transaction_id"))
        self.features = self.features.with_columns(pl.Series("_probability", probability))
        return probability


def _level(score: pl.Expr, rules: RuleConfig) -> pl.Expr:
    level = pl.lit(LEVELS[0])
    for name in LEVELS[1:]:
        level = pl.when(score >= getattr(rules.levels, name)).then(pl.lit(name)).otherwise(level)
    return level


@dataclass(frozen=True)
class FraudScorer:
    bundle: ModelBundle
    mcc_risk: Mapping[int, float]
    rules: RuleConfig
    reasons: int = 3

    def score_batch(self, events: pl.DataFrame, history: pl.DataFrame, reasons: int = 0) -> list[FraudResult]:
        """Rules and model for parsed events (`events_frame`, unique ids) after their cards'
        `history` (`card_history`), as one stream step; results in the order of `events`."""
        start, end = int(events["t"].min()), int(events["t"].max())  # type: ignore[arg-type]
        capture = _Capture(self.bundle, self.mcc_risk)
        # lateness past the whole request: nothing is released before `finish`, which releases
        # everything as one step (one model call)
        processor = Processor(
            self.rules,
            allowed_lateness=end - start + 1,
            scorer=capture,
            state=ProcessorState(card_state(history, start)),
        )
        alerts = pl.concat([processor.process(events).alerts, processor.finish().alerts])
        assert capture.features is not None
        features = events.select("transaction_id").join(  # in the order of `events`
            capture.features, on="transaction_id", how="left", maintain_order="left"
        )
        scored = self._scored(events, history, alerts, features["_probability"])
        probability = scored["probability"].to_numpy()
        decided = decide("fraud", probability, DecisionPolicy(), self.bundle.thresholds)
        explained = self._reasons(features.drop("_probability"), reasons)
        return [
            FraudResult(
                transaction_id=row["transaction_id"],
                card_id=row["card_id"],
                event_time=_utc_from_epoch(row["t"]),
                probability=row["probability"],
                score=row["score"],
                level=row["level"],
                rules_fired=sorted(r for r in row["rules"] if r != "model"),
                alerts=list(zip(row["alert_ids"], row["rules"], strict=True)),
                reasons=explained[i],
                history=row["history"],
                history_first=None if row["first_t"] is None else _utc_from_epoch(row["first_t"]),
                history_last=None if row["last_t"] is None else _utc_from_epoch(row["last_t"]),
                tier=decided.tier[i],
                decision=decided.decision[i],
            )
            for i, row in enumerate(scored.iter_rows(named=True))
        ]

    def _scored(
        self, events: pl.DataFrame, history: pl.DataFrame, alerts: pl.DataFrame, probability: pl.Series
    ) -> pl.DataFrame:
        """One row per event, in the order of `events`: probability, score, level, alerts, history."""
        per_transaction = alerts.group_by("transaction_id").agg(
            pl.col("score").first(),
            pl.col("level").first(),
            pl.col("alert_id").alias("alert_ids"),  # alerts come sorted by (transaction, rule)
            pl.col("rule").alias("rules"),
        )
        per_card = history.group_by("card_id").agg(
            pl.len().cast(pl.Int64).alias("history"),
            pl.col("t").min().alias("first_t"),
            pl.col("t").max().alias("last_t"),
        )
        return (
            events.select("transaction_id", "card_id", "t", probability.alias("probability"))
            .join(per_transaction, on="transaction_id", how="left", maintain_order="left")
            .join(per_card, on="card_id", how="left", maintain_order="left")
            .with_columns(
                # nothing fired: the combined score is the model's alone
                pl.col("score").fill_null(pl.col("probability")),
                pl.col("level").fill_null(_level(pl.col("probability"), self.rules)),
                pl.col("alert_ids").fill_null([]),
                pl.col("rules").fill_null([]),
                pl.col("history").fill_null(0),
            )
        )

    def _reasons(self, features: pl.DataFrame, k: int) -> list[list[tuple[str, Any, float]]]:
        """The top `k` TreeSHAP reasons of each row of `features` (none when k is 0)."""
        if k <= 0 or self.bundle.family not in EXPLAINABLE:
            return [[] for _ in range(features.height)]
        explained = reason_codes(self.bundle, features.drop("transaction_id"), k)
        values = features.to_dict(as_series=False)
        return [[(name, values[name][i], value) for name, value in row] for i, row in enumerate(explained)]


def _utc_from_epoch(seconds: int) -> datetime:
    return from_epoch_us(seconds * 1_000_000)
