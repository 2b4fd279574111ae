"""How good the alerts are: each rule and the combined level against the generator's truth.

Two views, because they answer different questions:
- per transaction: precision and recall of a rule (or "level >= HIGH") against `is_fraud`, the
  true outcome of every transaction (the generator knows it; labels cover only some);
- per planted attack: an attack instance (a card-testing burst, a velocity spree, ...) is caught
  when its rule fires on at least one of its transactions. The first transactions of a burst
  look like any other purchase, so per-transaction recall of bursts is below 1 by design.
"""

from __future__ import annotations

import polars as pl

from commercelens.stream.processor import LEVELS

# planted pattern -> the rule written to catch it
PATTERN_RULES = {
    "card_testing": "rapid_fire",
    "velocity": "velocity",
    "impossible_travel": "impossible_travel",
    "night_high_amount": "high_amount",
}


def rule_quality(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per rule (and per level threshold): transactions flagged, precision and recall on is_fraud."""
    frauds = int(truth["is_fraud"].sum())
    flagged = alerts.select("transaction_id", "rule").unique()
    levels = alerts.group_by("transaction_id").agg(pl.col("level").first())
    by_level = [
        levels.filter(pl.col("level").is_in(LEVELS[i:])).select(
            "transaction_id", pl.lit(f"level >= {LEVELS[i]}").alias("rule")
        )
        for i in range(1, len(LEVELS))
    ]
    joined = pl.concat([flagged, *by_level]).join(
        truth.select("transaction_id", "is_fraud"), on="transaction_id"
    )
    return (
        joined.group_by("rule")
        .agg(pl.len().alias("flagged"), pl.col("is_fraud").sum().alias("frauds_flagged"))
        .with_columns(
            (pl.col("frauds_flagged") / pl.col("flagged")).alias("precision"),
            (pl.col("frauds_flagged") / frauds).alias("recall"),
        )
        .sort("rule")
    )


def pattern_recall(alerts: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Per planted pattern and its rule: recall per transaction and per attack instance."""
    rows = []
    for pattern, rule in PATTERN_RULES.items():
        planted = truth.filter(pl.col("pattern") == pattern).select("transaction_id", "pattern_instance_id")
        fired = alerts.filter(pl.col("rule") == rule).select("transaction_id").unique()
        hit = planted.join(
            fired.with_columns(pl.lit(True).alias("hit")), on="transaction_id", how="left"
        ).with_columns(pl.col("hit").fill_null(False))
        instances = hit.group_by("pattern_instance_id").agg(pl.col("hit").any())
        rows.append(
            {
                "pattern": pattern,
                "rule": rule,
                "transactions": len(hit),
                "transaction_recall": float(hit["hit"].mean()) if len(hit) else None,
                "instances": len(instances),
                "instance_recall": float(instances["hit"].mean()) if len(instances) else None,
            }
        )
    return pl.DataFrame(rows)
