"""Fraud model settings on generated `small` payments data: candidate LightGBM parameters x seeds.

    python benchmarks/fraud_params.py [--seeds 42 7 11] [--configs A B C] [--workdir DIR]

For each seed: generate the payments domain at scale `small`, ingest it, `dbt build` up to
`fct_transactions`; then, for each candidate, train the fraud task through the real pipeline
(`commercelens.ml.tasks.train_task`: early stopping on PR-AUC, cross-fitted calibration,
evaluation on the test period against the generator's true probabilities) with
`TASK_PARAMS["fraud"]` replaced by the candidate. Prints one row per seed and candidate
(ROC-AUC and PR-AUC as a share of the oracle's, ECE, test frauds, boosting rounds kept,
calibration method, seconds) and the means per candidate. Seed 42 is the demo's and the
integration test's data. One training at a time; about 3-5 minutes per training on a shared
2-core machine, so the default 3 x 3 takes 20-35 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _measure import machine, today

import commercelens.ml.tasks as tasks
from commercelens.config import load_settings
from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import run_dbt

KEY = b"fraud-params-benchmark-key-not-secret"  # pseudonyms do not change the features
CANDIDATES: dict[str, dict[str, float | int]] = {
    "A": {"learning_rate": 0.02, "num_leaves": 15, "min_child_samples": 300},  # before
    "B": {"learning_rate": 0.02, "num_leaves": 4, "min_child_samples": 150, "reg_lambda": 10.0},
    "C": {"learning_rate": 0.02, "num_leaves": 4, "min_child_samples": 50, "reg_lambda": 10.0},
}


def prepare(root: Path, seed: int):
    """Payments data of one seed, ingested and built up to marts.fct_transactions."""
    data = root / f"seed{seed}" / "data"
    settings = load_settings(home=root / f"seed{seed}" / "home")
    generate("payments", data / "payments", scale="small", seed=seed)
    with open_warehouse(settings) as warehouse:
        ingest_source(warehouse, "payments", data / "payments", KEY)
    run_dbt(settings, "build", select="+fct_transactions")
    return settings, data


def train(settings, data: Path, params: dict) -> dict:
    """Train and evaluate the fraud task with `params` as its LightGBM settings."""
    saved = tasks.TASK_PARAMS.get("fraud")
    tasks.TASK_PARAMS["fraud"] = {"lightgbm": dict(params)}
    started = time.perf_counter()
    try:
        outcome = tasks.train_task(settings, "fraud", data_dir=data)
    finally:
        if saved is None:
            del tasks.TASK_PARAMS["fraud"]
        else:
            tasks.TASK_PARAMS["fraud"] = saved
    e = outcome.evaluation
    return {
        "auc_ratio": e.auc / e.oracle_auc,
        "pr_ratio": e.pr_auc / e.oracle_pr_auc,
        "ece": e.ece,
        "frauds": e.n_positive,
        "rounds": outcome.bundle.best_iteration,
        "calibration": outcome.bundle.calibrator.method,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 11])
    parser.add_argument("--configs", nargs="+", choices=sorted(CANDIDATES), default=sorted(CANDIDATES))
    parser.add_argument("--workdir", type=Path, default=None, help="kept if given (default: a temporary one)")
    args = parser.parse_args()
    print(f"{today()}, {machine()}; current TASK_PARAMS['fraud']: {tasks.TASK_PARAMS.get('fraud')}")
    for name in args.configs:
        print(f"{name}: {CANDIDATES[name]}")
    print(
        "| seed | config | test frauds | AUC / oracle | PR-AUC / oracle | ECE | rounds | calibration | seconds |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---|---:|")
    rows: dict[str, list[dict]] = {name: [] for name in args.configs}
    with tempfile.TemporaryDirectory(prefix="fraud_params_") as scratch:
        root = args.workdir or Path(scratch)
        for seed in args.seeds:
            settings, data = prepare(root, seed)
            for name in args.configs:
                r = train(settings, data, CANDIDATES[name])
                rows[name].append(r)
                print(
                    f"| {seed} | {name} | {r['frauds']} | {r['auc_ratio']:.3f} | {r['pr_ratio']:.3f} | "
                    f"{r['ece']:.4f} | {r['rounds']} | {r['calibration']} | {r['seconds']:.0f} |",
                    flush=True,
                )
    for name, found in rows.items():
        n = len(found)
        auc = sum(r["auc_ratio"] for r in found) / n
        pr = sum(r["pr_ratio"] for r in found) / n
        ece = max(r["ece"] for r in found)
        print(
            f"{name}: mean over {n} seeds AUC / oracle {auc:.4f}, PR-AUC / oracle {pr:.4f}, max ECE {ece:.4f}"
        )


if __name__ == "__main__":
    main()
