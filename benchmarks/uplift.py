"""Issue 5 uplift figures: Qini vs the oracle on the rail experiment at full scale, and Hillstrom.

    python benchmarks/uplift.py [--dir DIR] [--seed N]

Rail: 3,000,000 generated searches (seed 42), ingested, `transform --select +fct_experiment_searches`,
then each learner fitted on 70% of the users and judged on the other 30% (held-out split seed N):
the Qini coefficient of the model and of the oracle that ranks by the planted true uplift.
Hillstrom: Mens E-Mail vs No E-Mail, outcome `visit`, features all pre-treatment columns; then
each learner over 20 held-out splits (seeds 0-19), since one split's Qini is mostly noise there.
Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _measure import machine, today

from commercelens.config import load_settings
from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.uplift.data import unit_file
from commercelens.uplift.evaluation import Economics, fit
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import run_dbt

KEY = b"benchmark-key-0123456789abcdef"
HILLSTROM = Path(__file__).parents[1] / "datasets" / "hillstrom.csv.gz"
LEARNERS = ("x", "t", "class_transformation")


def rail_data(root: Path):
    from commercelens.uplift.data import rail_experiment

    data = root / "data" / "rail"
    if not data.exists():
        generate("rail", data, rows=3_000_000, seed=42)
    settings = load_settings(home=root / "home")
    with open_warehouse(settings) as w:
        ingest_source(w, "rail", data, KEY)
    run_dbt(settings, "build", select="+fct_experiment_searches")
    with open_warehouse(settings) as w:
        return rail_experiment(w, "discount_5pct", truth_dir=data / "_truth")


def row(name: str, learner: str, data, seed: int, economics: Economics) -> str:
    started = time.perf_counter()
    r = fit(data, learner, 0.3, seed, economics).report
    seconds = time.perf_counter() - started
    oracle = "-" if r.oracle_qini is None else f"{r.oracle_qini:.4f}"
    ratio = "-" if r.qini_vs_oracle is None else f"**{r.qini_vs_oracle:.2f}**"
    return (
        f"| {name} | {r.learner} | {r.n_train:,} / {r.n_test:,} | {r.qini:.4f} | {oracle} | {ratio} | "
        f"{r.auuc:.4f} | {r.uplift_at_30:+.4f} | {seconds:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("/tmp/commercelens-bench-uplift"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-rail", action="store_true")
    args = parser.parse_args()
    print(f"{today()}, {machine()}, held-out split seed {args.seed}\n")
    print(
        "| data | learner | units train / held out | Qini | oracle Qini | model / oracle | AUUC | uplift@30% | fit + judge s |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    if not args.skip_rail:
        rail = rail_data(args.dir)
        for learner in LEARNERS:
            print(
                row("rail discount_5pct, full", learner, rail, args.seed, Economics(cost_share=0.05)),
                flush=True,
            )
    hillstrom = unit_file(
        HILLSTROM, "segment", "Mens E-Mail", "No E-Mail", "visit", exclude=("conversion", "spend")
    )
    for learner in LEARNERS:
        print(row("Hillstrom Mens vs none, visit", learner, hillstrom, args.seed, Economics()), flush=True)
    print("\n| Hillstrom, 20 held-out splits | mean Qini | SD | standard error | splits with Qini > 0 |")
    print("|---|---:|---:|---:|---:|")
    for learner in LEARNERS:
        qini = np.array([fit(hillstrom, learner, 0.3, seed).report.qini for seed in range(20)])
        sd = qini.std(ddof=1)
        print(
            f"| {learner} | {qini.mean():.4f} | {sd:.4f} | {sd / np.sqrt(qini.size):.4f} | {(qini > 0).sum()}/20 |"
        )


if __name__ == "__main__":
    main()
