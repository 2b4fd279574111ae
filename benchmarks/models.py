"""Issue 4 model figures: LightGBM fit on 1M rows x 30 features, predict latency through the bundle.

    python benchmarks/models.py [--jobs 2] [--rows 1666667]

Data: `commercelens.ml.synthetic.synthetic_frame` (29 numeric features + one 6-level category,
known logistic truth), 1,666,667 rows so that the train split holds 1.0M rows (validation and test
333k each). Measures, on `--jobs` threads:

1. `train_model` end to end (encode, LightGBM with early stopping on the first half of validation,
   calibration choice, thresholds, validation and test metrics), wall time.
2. A plain LightGBM fit of the same settings on the same 1.0M encoded rows for a fixed 300 rounds
   (the per-round cost without early stopping or metrics).
3. Predict latency through the saved and re-loaded bundle, p50 and p99 over repeated calls:
   single row via `predict_one` (booster fast path) vs the scikit-learn wrapper
   (`pipeline.predict_proba` on a one-row frame, then the calibrator); 1,000 rows via
   `predict_proba` vs the wrapper.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _measure import machine, today

from commercelens.ml.bundle import load_bundle, predict_one, predict_proba, save_bundle
from commercelens.ml.models import DEFAULTS
from commercelens.ml.synthetic import synthetic_frame
from commercelens.ml.train import TrainConfig, train_model


def percentiles(fn, repeats: int) -> tuple[float, float]:
    for _ in range(min(50, repeats)):
        fn()
    times = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times[i] = time.perf_counter_ns() - start
    return float(np.percentile(times, 50) / 1e3), float(np.percentile(times, 99) / 1e3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--rows", type=int, default=1_666_667)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    data = synthetic_frame(args.rows, seed=42, n_numeric=29)
    generate_s = time.perf_counter() - started
    n_train = data.labelled("train").height

    started = time.perf_counter()
    bundle = train_model(data, TrainConfig(n_jobs=args.jobs))
    train_s = time.perf_counter() - started

    from lightgbm import LGBMClassifier

    X = bundle.encoder.transform(data.labelled("train"))
    y = data.labelled("train")["label"].to_numpy()
    settings = {**DEFAULTS["lightgbm"], "n_estimators": 300}
    plain = LGBMClassifier(**settings, n_jobs=args.jobs, verbose=-1, deterministic=True, force_row_wise=True)
    started = time.perf_counter()
    plain.fit(X, y, categorical_feature=bundle.encoder.categorical_indices)
    plain_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        save_bundle(bundle, Path(tmp))
        loaded = load_bundle(Path(tmp))
    test = data.labelled("test").select(list(loaded.feature_columns))
    row_frame = test.head(1)
    row = row_frame.row(0, named=True)
    batch = test.slice(1_000, 1_000)

    def wrapper(frame):
        return loaded.calibrator.predict(loaded.pipeline.predict_proba(frame)[:, 1])

    assert np.allclose(wrapper(batch), predict_proba(loaded, batch), atol=1e-12)
    latency = {
        "1 row, predict_one (booster fast path)": percentiles(lambda: predict_one(loaded, row), 5_000),
        "1 row, predict_proba (polars frame)": percentiles(lambda: predict_proba(loaded, row_frame), 2_000),
        "1 row, sklearn wrapper": percentiles(lambda: wrapper(row_frame), 2_000),
        "1,000 rows, predict_proba": percentiles(lambda: predict_proba(loaded, batch), 300),
        "1,000 rows, sklearn wrapper": percentiles(lambda: wrapper(batch), 300),
    }

    test_metrics, oracle = bundle.metrics["test"], bundle.metrics["test_oracle"]
    print(f"Measured {today()} on {machine()}; `python benchmarks/models.py --jobs {args.jobs}`.")
    # other processes on a shared 2-core machine slow every figure here: report the 1-minute load
    print(f"1-minute load average: {load_before:.2f} before, {os.getloadavg()[0]:.2f} after.\n")
    print("| step | figure | target |")
    print("|---|---|---|")
    print(f"| generate {args.rows:,} synthetic rows | {generate_s:.1f} s | |")
    print(
        f"| `train_model` on {n_train:,} train rows x {len(bundle.feature_columns)} features "
        f"({bundle.best_iteration} trees kept, {bundle.calibrator.method} calibration) "
        f"| {train_s:.1f} s | <= 60 s |"
    )
    print(f"| plain LightGBM fit, {n_train:,} x {X.shape[1]}, 300 rounds | {plain_s:.1f} s | |")
    for label, (p50, p99) in latency.items():
        print(f"| predict {label} | p50 {p50:,.0f} us, p99 {p99:,.0f} us | |")
    print(
        f"\nTest split: model AUC {test_metrics['roc_auc']:.4f} vs oracle AUC {oracle['roc_auc']:.4f}; "
        f"PR-AUC {test_metrics['pr_auc']:.4f} vs {oracle['pr_auc']:.4f}; "
        f"ECE {test_metrics['ece']:.4f} vs {oracle['ece']:.4f}."
    )


if __name__ == "__main__":
    main()
