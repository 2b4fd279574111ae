"""The input contract: one frame per task, split by time, plus the names that describe it.

A :class:`TrainingFrame` holds a polars DataFrame with the entity id, ``decision_at``, ``label``
(0/1, null = unlabelled), ``split`` (``train`` / ``validation`` / ``test``; the test split is the
latest period) and the whitelisted feature columns; optionally a column of true probabilities
(``truth``) that the generator planted, used only to score the oracle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import polars as pl

Split = Literal["train", "validation", "test"]
SPLITS: tuple[Split, ...] = ("train", "validation", "test")
META_COLUMNS = ("decision_at", "label", "split")


@dataclass(frozen=True)
class TrainingFrame:
    """A task's feature table and the names that describe it.

    Parameters
    ----------
    frame
        One row per unit: ``entity_id``, ``decision_at``, ``label``, ``split``, the features.
    feature_columns
        The whitelist, in model order.
    categorical
        The subset of ``feature_columns`` that are categories (strings).
    entity_id
        Name of the unit's id column (``search_id``, ``session_id``, ``transaction_id``).
    truth
        Optional column with the true probability of ``label = 1`` (the oracle).

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"id": [1, 2], "decision_at": [1, 2], "label": [0, 1],
    ...                   "split": ["train", "validation"], "x": [0.5, 1.5]})
    >>> TrainingFrame(f, ("x",), (), "id").labelled("validation").height
    1
    """

    frame: pl.DataFrame
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    entity_id: str
    truth: str | None = None

    def __post_init__(self) -> None:
        required = (self.entity_id, *META_COLUMNS, *self.feature_columns)
        if self.truth is not None:
            required += (self.truth,)
        missing = [c for c in required if c not in self.frame.columns]
        if missing:
            raise ValueError(f"training frame is missing columns: {', '.join(missing)}")
        stray = [c for c in self.categorical if c not in self.feature_columns]
        if stray:
            raise ValueError(f"categorical columns not in feature_columns: {', '.join(stray)}")
        splits = set(self.frame.get_column("split").unique().drop_nulls().to_list())
        if not splits <= set(SPLITS):
            raise ValueError(f"unknown split values: {sorted(splits - set(SPLITS))}")
        labels = set(self.frame.get_column("label").drop_nulls().unique().to_list())
        if not labels <= {0, 1}:  # True == 1 and False == 0 in a set
            raise ValueError(f"label must be 0/1 or null, found {sorted(labels)}")

    def labelled(self, split: Split) -> pl.DataFrame:
        """Labelled rows of one split, ordered by ``decision_at`` then entity id."""
        rows = self.frame.filter((pl.col("split") == split) & pl.col("label").is_not_null())
        return rows.sort("decision_at", self.entity_id)

    def data_window(self) -> dict[str, tuple[datetime | None, datetime | None]]:
        """Earliest and latest ``decision_at`` per split (``None`` for an empty split)."""
        window = {}
        for split in SPLITS:
            times = self.frame.filter(pl.col("split") == split).get_column("decision_at")
            window[split] = (times.min(), times.max()) if times.len() else (None, None)
        return window

    def training_hash(self) -> str:
        """SHA-256 of the training rows (id, time, label, features) as CSV, sorted by time and id.

        CSV text rather than a binary layout, so the hash does not change with the polars version.
        """
        columns = [self.entity_id, "decision_at", "label", *self.feature_columns]
        rows = self.labelled("train").select(columns)
        return hashlib.sha256(rows.write_csv().encode("utf-8")).hexdigest()
