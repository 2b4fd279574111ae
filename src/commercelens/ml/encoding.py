"""``FrameEncoder``: a polars/pandas frame -> float64 matrix, the first step of every Pipeline.

Numeric and boolean columns become float64 (null -> NaN). Categorical columns become ordinal
codes into the vocabulary seen at fit (sorted, so codes do not depend on row order); a category
unseen at fit, or a null, becomes NaN, which every tree family treats as missing. The models are
fitted on plain arrays, never frames, so LightGBM's "X does not have valid feature names"
mismatch cannot arise. ``encode_row`` is the single-row fast path: dictionary look-ups only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted


def as_polars(frame: Any) -> pl.DataFrame:
    """A polars DataFrame from a polars or pandas one."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if hasattr(frame, "columns") and hasattr(frame, "dtypes"):
        return pl.from_pandas(frame)
    raise TypeError(f"expected a polars or pandas DataFrame, got {type(frame).__name__}")


class FrameEncoder(TransformerMixin, BaseEstimator):
    """Encode named columns of a frame into a float64 matrix in a fixed order.

    Parameters
    ----------
    columns
        Feature columns, in model order.
    categorical
        The subset encoded as ordinal codes.

    Attributes
    ----------
    vocabularies_ : dict[str, list[str]]
        Sorted categories seen at fit, per categorical column.

    Examples
    --------
    >>> import polars as pl
    >>> enc = FrameEncoder(("x", "c"), ("c",)).fit(pl.DataFrame({"x": [1, 2], "c": ["b", "a"]}))
    >>> enc.transform(pl.DataFrame({"x": [3], "c": ["zz"]})).tolist()
    [[3.0, nan]]
    >>> enc.encode_row({"x": 1.5, "c": "b"}).tolist()
    [[1.5, 1.0]]
    """

    def __init__(self, columns: tuple[str, ...] = (), categorical: tuple[str, ...] = ()) -> None:
        self.columns = columns
        self.categorical = categorical

    def fit(self, X: Any, y: Any = None) -> Self:
        frame = as_polars(X)
        self.vocabularies_ = {
            c: sorted(str(v) for v in frame.get_column(c).drop_nulls().unique().to_list())
            for c in self.categorical
        }
        self.codes_ = {c: {v: float(i) for i, v in enumerate(vs)} for c, vs in self.vocabularies_.items()}
        self.n_features_in_ = len(self.columns)
        return self

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, c in enumerate(self.columns) if c in self.categorical]

    def transform(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "codes_")
        frame = as_polars(X)
        exprs = []
        for c in self.columns:
            if c in self.codes_:
                codes = self.codes_[c]
                exprs.append(
                    pl.col(c)
                    .cast(pl.String)
                    .replace_strict(list(codes), list(codes.values()), default=None, return_dtype=pl.Float64)
                )
            else:
                exprs.append(pl.col(c).cast(pl.Float64))
        out = frame.select(exprs).to_numpy()
        return np.asarray(out, dtype=np.float64)

    def encode_row(self, row: Mapping[str, Any]) -> np.ndarray:
        """One row (a mapping of column -> value) as a ``(1, n_features)`` matrix."""
        values = np.empty((1, len(self.columns)), dtype=np.float64)
        for i, c in enumerate(self.columns):
            v = row[c]
            if c in self.codes_:
                values[0, i] = np.nan if v is None else self.codes_[c].get(str(v), np.nan)
            else:
                values[0, i] = np.nan if v is None else float(v)
        return values

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.columns, dtype=object)
