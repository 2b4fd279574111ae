"""Time-based train / validation / test split: the latest period is the test set.

Rule: order the units by `decision_at`; `validation_start` is the decision time of the unit at
the 60th percentile (`quantile_disc(decision_at, 0.6)`, the lowest value with at least 60% of
the units at or below it), `test_start` the one at the 80th. A unit is

    train       if decision_at <  validation_start
    validation  if validation_start <= decision_at < test_start
    test        if decision_at >= test_start

so every boundary is a timestamp and no instant straddles two splits (units sharing a decision
time share a split; the shares are therefore about, not exactly, 60/20/20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from commercelens.errors import UserError

VALIDATION_QUANTILE = 0.6
TEST_QUANTILE = 0.8


@dataclass(frozen=True)
class SplitBoundaries:
    """The two instants that cut the units into train / validation / test."""

    validation_start: datetime
    test_start: datetime

    def case_sql(self, column: str = "decision_at") -> str:
        """A SQL CASE expression that labels `column` with its split."""
        return (
            f"case when {column} < {_literal(self.validation_start)} then 'train' "
            f"when {column} < {_literal(self.test_start)} then 'validation' else 'test' end"
        )

    @property
    def train_end_sql(self) -> str:
        """The first instant outside the training window, as a SQL timestamp literal."""
        return _literal(self.validation_start)


def _literal(value: datetime) -> str:
    return f"timestamp '{value.isoformat(sep=' ')}'"


def split_boundaries(engine: duckdb.DuckDBPyConnection, decision_times_sql: str) -> SplitBoundaries:
    """The boundaries for the units whose decision times `decision_times_sql` selects.

    `decision_times_sql` is an engine-side SELECT with one column `decision_at`.
    """
    row = engine.execute(
        f"select quantile_disc(decision_at, {VALIDATION_QUANTILE}), "
        f"quantile_disc(decision_at, {TEST_QUANTILE}) from ({decision_times_sql})"
    ).fetchall()[0]
    if row[0] is None:
        raise UserError("no units to split: the input tables are empty (run `commercelens transform` first)")
    return SplitBoundaries(validation_start=row[0], test_start=row[1])
