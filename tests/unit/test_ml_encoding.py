"""FrameEncoder and bundle input checks on literal rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from commercelens.ml.data import TrainingFrame
from commercelens.ml.encoding import FrameEncoder


def test_unknown_and_null_categories_become_missing():
    enc = FrameEncoder(("c",), ("c",)).fit(pl.DataFrame({"c": ["b", "a", None]}))
    out = enc.transform(pl.DataFrame({"c": ["a", "b", "new", None]}))
    assert out[:2, 0].tolist() == [0.0, 1.0]
    assert np.isnan(out[2:, 0]).all()


def test_encode_row_equals_transform_of_a_one_row_frame():
    train = pl.DataFrame({"x": [1.0, None], "n": [1, 2], "c": ["u", "v"]})
    enc = FrameEncoder(("x", "n", "c"), ("c",)).fit(train)
    row = {"x": None, "n": 7, "c": "v"}
    assert np.array_equal(enc.encode_row(row), enc.transform(pl.DataFrame([row])), equal_nan=True)


def test_vocabulary_does_not_depend_on_row_order():
    a = FrameEncoder(("c",), ("c",)).fit(pl.DataFrame({"c": ["z", "a", "m"]}))
    b = FrameEncoder(("c",), ("c",)).fit(pl.DataFrame({"c": ["m", "z", "a"]}))
    assert a.vocabularies_ == b.vocabularies_ == {"c": ["a", "m", "z"]}


def test_pandas_input_is_accepted():
    pd = pytest.importorskip("pandas")
    enc = FrameEncoder(("x",), ()).fit(pd.DataFrame({"x": [1, 2]}))
    assert enc.transform(pd.DataFrame({"x": [3]})).tolist() == [[3.0]]


def test_training_frame_names_missing_columns():
    frame = pl.DataFrame({"id": [1], "decision_at": [1], "label": [1], "split": ["train"]})
    with pytest.raises(ValueError, match="missing columns: amount, hour"):
        TrainingFrame(frame, ("amount", "hour"), (), "id")


def test_training_frame_rejects_an_unknown_split():
    frame = pl.DataFrame({"id": [1], "decision_at": [1], "label": [1], "split": ["holdout"], "x": [1.0]})
    with pytest.raises(ValueError, match="holdout"):
        TrainingFrame(frame, ("x",), (), "id")


def test_training_hash_ignores_row_order_and_non_training_rows():
    frame = pl.DataFrame(
        {
            "id": [1, 2, 3],
            "decision_at": [1, 2, 3],
            "label": [0, 1, 1],
            "split": ["train", "train", "test"],
            "x": [0.1, 0.2, 0.3],
        }
    )
    a = TrainingFrame(frame, ("x",), (), "id").training_hash()
    shuffled = frame.reverse().with_columns(
        pl.when(pl.col("split") == "test").then(9.9).otherwise(pl.col("x")).alias("x")
    )
    assert TrainingFrame(shuffled, ("x",), (), "id").training_hash() == a
    changed = frame.with_columns(pl.col("x") * 2)
    assert TrainingFrame(changed, ("x",), (), "id").training_hash() != a
