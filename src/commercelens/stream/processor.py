"""The event-time processor: watermark, keyed state, rules, model score, alerts and KPI windows.

Events arrive in any order. The watermark is the latest event time seen minus the allowed
lateness; every buffered event before the watermark is released as one step, in (card, t, id)
order, so results do not depend on arrival order or on how the source cut its batches. An event
older than the released watermark is late: counted and handed back (the runner dead-letters it
with the reason), never silently dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from commercelens.stream import windows
from commercelens.stream.events import EVENT_SCHEMA
from commercelens.stream.rules import RuleConfig, rule_hits
from commercelens.stream.state import CardState, advance

# Scores events of a step (sorted, with the state before it): the model's fraud probability.
Scorer = Callable[[CardState, pl.DataFrame], np.ndarray]
LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
ALERT_SCHEMA = {
    "alert_id": pl.String,
    "transaction_id": pl.Int64,
    "card_id": pl.Int64,
    "rule": pl.String,
    "score": pl.Float64,
    "level": pl.String,
    "event_time": pl.Datetime("us"),
    "model_probability": pl.Float64,
    "rules_fired": pl.String,
}


def alert_id(transaction_id: int, rule: str) -> str:
    """Deterministic: the same transaction and rule give the same id in every run."""
    return hashlib.sha256(f"{transaction_id}:{rule}".encode()).hexdigest()[:24]


@dataclass
class Counts:
    processed: int = 0
    alerted: int = 0
    alerts: int = 0
    late: int = 0
    dead_lettered: int = 0


@dataclass
class ProcessorState:
    """Everything a checkpoint holds besides the source offset."""

    cards: CardState
    kpis: windows.KpiWindows = field(default_factory=windows.KpiWindows)
    buffer: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=EVENT_SCHEMA))
    released_watermark: int | None = None
    max_event_time: int | None = None
    counts: Counts = field(default_factory=Counts)


@dataclass(frozen=True)
class StepOutput:
    alerts: pl.DataFrame  # ALERT_SCHEMA
    late: pl.DataFrame  # EVENT_SCHEMA: events older than the released watermark
    kpis: pl.DataFrame  # windows.KPI_SCHEMA: windows closed by this step
    released: int  # events processed in this step


class Processor:
    def __init__(
        self,
        config: RuleConfig,
        *,
        allowed_lateness: int = 0,
        scorer: Scorer | None = None,
        keep_seconds: int | None = None,
        state: ProcessorState | None = None,
    ) -> None:
        self.config = config
        self.allowed_lateness = allowed_lateness
        self.scorer = scorer
        self.state = state or ProcessorState(CardState(keep_seconds or config.window_seconds + 1))

    def process(self, events: pl.DataFrame) -> StepOutput:
        """Take parsed events (events.EVENT_SCHEMA); release and process what the watermark allows."""
        s = self.state
        late = (
            events.filter(pl.col("t") < s.released_watermark)
            if s.released_watermark is not None
            else events.clear()
        )
        on_time = (
            events.filter(pl.col("t") >= s.released_watermark) if s.released_watermark is not None else events
        )
        s.counts.late += len(late)
        s.buffer = pl.concat([s.buffer, on_time]) if len(on_time) else s.buffer
        if len(on_time):
            newest = int(on_time["t"].max())  # type: ignore[arg-type]
            s.max_event_time = newest if s.max_event_time is None else max(s.max_event_time, newest)
        if s.max_event_time is None:
            return StepOutput(pl.DataFrame(schema=ALERT_SCHEMA), late, windows.close(s.kpis, -1), 0)
        return self._release(s.max_event_time - self.allowed_lateness, late)

    def finish(self, *, end_of_input: bool = True) -> StepOutput:
        """Release everything buffered (the watermark moves past the newest event). At the end of
        a file every window closes too; an idle live stream keeps the open ones for its next run."""
        out = self._release(None, pl.DataFrame(schema=EVENT_SCHEMA))
        if not end_of_input:
            return out
        return StepOutput(
            out.alerts, out.late, pl.concat([out.kpis, windows.close(self.state.kpis, None)]), out.released
        )

    def _release(self, watermark: int | None, late: pl.DataFrame) -> StepOutput:
        s = self.state
        ready = s.buffer if watermark is None else s.buffer.filter(pl.col("t") < watermark)
        s.buffer = s.buffer.clear() if watermark is None else s.buffer.filter(pl.col("t") >= watermark)
        step = ready.sort("card_id", "t", "transaction_id").with_columns(
            (
                (pl.col("channel") != "online")
                & pl.col("latitude").is_not_null()
                & pl.col("longitude").is_not_null()
            ).alias("is_card_present")
        )
        new_watermark = watermark if watermark is not None else (s.max_event_time or 0) + 1
        if step.is_empty():
            if watermark is not None:
                s.released_watermark = max(s.released_watermark or watermark, watermark)
            return StepOutput(
                pl.DataFrame(schema=ALERT_SCHEMA), late, windows.close(s.kpis, s.released_watermark), 0
            )
        hits = rule_hits(s.cards, step, self.config)
        probability = self.scorer(s.cards, step) if self.scorer else None
        alerts, alerted = self._alerts(step, hits, probability)
        windows.add(s.kpis, step.with_columns(pl.Series("is_alerted", alerted)))
        advance(s.cards, step, new_watermark)
        s.released_watermark = new_watermark
        s.counts.processed += len(step)
        s.counts.alerts += len(alerts)
        s.counts.alerted += int(alerted.sum())
        return StepOutput(alerts, late, windows.close(s.kpis, new_watermark), len(step))

    def _alerts(
        self, step: pl.DataFrame, hits: pl.DataFrame, probability: np.ndarray | None
    ) -> tuple[pl.DataFrame, np.ndarray]:
        """One alert per (transaction, rule), each with its transaction's combined score and level."""
        cfg = self.config
        scored = step.select("transaction_id", "card_id", "t").with_columns(
            pl.Series("model_probability", probability, dtype=pl.Float64)
            if probability is not None
            else pl.lit(None, pl.Float64).alias("model_probability")
        )
        if probability is not None:
            model_hits = scored.filter(pl.col("model_probability") >= cfg.model_alert_probability).select(
                "transaction_id", "card_id", pl.lit("model").alias("rule"), "t"
            )
            hits = pl.concat([hits, model_hits])
        weights = cfg.scores()
        per_transaction = hits.group_by("transaction_id").agg(
            (1 - pl.col("rule").replace_strict(weights, default=0.0, return_dtype=pl.Float64))
            .product()
            .alias("keep"),
            pl.col("rule").filter(pl.col("rule") != "model").sort().str.join(",").alias("rules_fired"),
        )
        combined = scored.join(per_transaction, on="transaction_id", how="left").with_columns(
            (1 - (1 - pl.col("model_probability").fill_null(0.0)) * pl.col("keep").fill_null(1.0)).alias(
                "score"
            )
        )
        level = pl.lit("LOW")
        for name in LEVELS[1:]:
            level = pl.when(pl.col("score") >= getattr(cfg.levels, name)).then(pl.lit(name)).otherwise(level)
        combined = combined.with_columns(level.alias("level"))
        alerted = combined["keep"].is_not_null().to_numpy()
        alerts = (
            hits.join(
                combined.select("transaction_id", "score", "level", "model_probability", "rules_fired"),
                on="transaction_id",
            )
            .with_columns(
                pl.struct("transaction_id", "rule")
                .map_elements(lambda r: alert_id(r["transaction_id"], r["rule"]), return_dtype=pl.String)
                .alias("alert_id"),
                pl.from_epoch("t", time_unit="s").cast(pl.Datetime("us")).alias("event_time"),
            )
            .sort("transaction_id", "rule")
            .select(list(ALERT_SCHEMA))
        )
        return alerts, alerted
