"""Feature matrices for the meta-learners: one encoding learned at fit, replayed at predict.

LightGBM reads a float matrix plus the indices of its categorical columns. A numeric NumPy array
passes through; a polars (or pandas) DataFrame is encoded column by column: numeric and boolean
columns become float64 (null -> NaN), ``String`` / ``Categorical`` / ``Enum`` columns become
integer codes into the vocabulary seen at fit (sorted, so the codes do not depend on row order).
A category unseen at fit, or a null, maps to NaN, which LightGBM treats as missing.

Always handing LightGBM a plain array (never a frame) keeps fit and predict on the same footing,
so the library never meets the "X does not have valid feature names" mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

CATEGORICAL_DTYPES = (pl.String, pl.Categorical, pl.Enum)


@dataclass(frozen=True)
class FeatureSpec:
    """Column names and, per column, the fitted vocabulary (``None`` for a numeric column).

    ``from_frame`` records whether fit saw a DataFrame (columns matched by name at predict) or an
    array (columns matched by position).
    """

    columns: tuple[str, ...]
    vocabularies: tuple[tuple[str, ...] | None, ...]
    from_frame: bool

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, vocab in enumerate(self.vocabularies) if vocab is not None]


def _as_polars(X: Any) -> pl.DataFrame | None:
    """The frame as polars, or ``None`` for array-like input (pandas is converted, not imported)."""
    if isinstance(X, pl.DataFrame):
        return X
    if type(X).__module__.startswith("pandas") and hasattr(X, "columns"):
        return pl.from_pandas(X)
    return None


def _as_matrix(X: Any) -> np.ndarray:
    try:
        matrix = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X must be numeric (or a DataFrame with categorical columns): {error}") from None
    if matrix.ndim != 2:
        raise ValueError(f"X must be 2-D (units x features), got shape {matrix.shape}")
    return matrix


def _is_categorical(dtype: pl.DataType) -> bool:
    return isinstance(dtype, CATEGORICAL_DTYPES) or dtype == pl.String


def _column_vocabulary(name: str, column: pl.Series) -> tuple[str, ...] | None:
    if _is_categorical(column.dtype):
        values = column.cast(pl.String).drop_nulls().unique().sort()
        return tuple(values.to_list())
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return None
    raise ValueError(
        f"column {name!r} has dtype {column.dtype}; use numeric, boolean, String, Categorical or Enum"
    )


def learn_feature_spec(X: Any) -> FeatureSpec:
    """Learn column names and categorical vocabularies from training features.

    Examples
    --------
    >>> spec = learn_feature_spec(pl.DataFrame({"age": [30, 41], "plan": ["pro", "basic"]}))
    >>> spec.vocabularies
    (None, ('basic', 'pro'))
    """
    frame = _as_polars(X)
    if frame is None:
        matrix = _as_matrix(X)
        columns = tuple(f"x{i}" for i in range(matrix.shape[1]))
        return FeatureSpec(columns, (None,) * len(columns), from_frame=False)
    vocabularies = tuple(_column_vocabulary(name, frame[name]) for name in frame.columns)
    return FeatureSpec(tuple(frame.columns), vocabularies, from_frame=True)


def _encode_column(column: pl.Series, vocabulary: tuple[str, ...] | None) -> np.ndarray:
    if vocabulary is None:
        if _is_categorical(column.dtype):
            raise ValueError(f"column {column.name!r} was numeric at fit but is {column.dtype} now")
        return column.cast(pl.Float64).to_numpy()
    if not _is_categorical(column.dtype):
        raise ValueError(f"column {column.name!r} was categorical at fit but is {column.dtype} now")
    codes = column.cast(pl.String).replace_strict(
        list(vocabulary), list(range(len(vocabulary))), default=None, return_dtype=pl.Float64
    )
    return codes.to_numpy()


def encode_features(X: Any, spec: FeatureSpec) -> np.ndarray:
    """Encode ``X`` with a fitted spec into a float64 matrix (NaN = missing).

    Frame columns are matched by name (extra columns are ignored, missing ones raise); array
    columns by position. Infinite values are rejected: LightGBM would treat them as ordinary
    extreme values rather than as missing.

    Examples
    --------
    >>> spec = learn_feature_spec(pl.DataFrame({"plan": ["pro", "basic"]}))
    >>> encode_features(pl.DataFrame({"plan": ["basic", "gold", None]}), spec).ravel().tolist()
    [0.0, nan, nan]
    """
    frame = _as_polars(X)
    if spec.from_frame != (frame is not None):
        kind = "a DataFrame" if spec.from_frame else "an array"
        raise ValueError(f"the learner was fitted on {kind}; pass the same kind of X to predict")
    if frame is None:
        matrix = _as_matrix(X)
        if matrix.shape[1] != len(spec.columns):
            raise ValueError(
                f"X has {matrix.shape[1]} columns, the learner was fitted on {len(spec.columns)}"
            )
    else:
        missing = [name for name in spec.columns if name not in frame.columns]
        if missing:
            raise ValueError(f"X lacks the fitted columns {missing}")
        encoded = [_encode_column(frame[n], v) for n, v in zip(spec.columns, spec.vocabularies, strict=True)]
        matrix = np.column_stack(encoded) if encoded else np.empty((frame.height, 0))
    if np.isinf(matrix).any():
        raise ValueError("X contains infinite values; use NaN (null) for missing")
    return matrix
