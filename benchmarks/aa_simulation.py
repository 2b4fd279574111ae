"""A/A false-positive rates of the stats engines, with and without daily peeking.

    python benchmarks/aa_simulation.py [--aa-experiments 20000] [--peeking-experiments 5000] [--seed 20261122]

(1) Fixed horizon: A/A experiments analysed once with the Welch test (`compare_proportions`,
    `compare_means`), absolute difference, alpha 5%; the rate should be 5%.
(2) Daily peeking: the cumulative statistics are tested after every day for 14 and 28 days; an
    experiment is a false positive if any look is significant. The naive fixed test inflates
    the rate; the confidence sequence (`confidence_sequence`, absolute difference, N* = 5,000)
    should stay at or below 5%.
Sufficient statistics are drawn with NumPy (`commercelens.stats.simulation`); each experiment
and look goes through the library's own test. Prints a Markdown table; wall time is in-process.
"""

from __future__ import annotations

import argparse
import time

from _measure import machine, today

from commercelens.stats.simulation import aa_false_positive_rate, peeking_false_positive_rate

N_PER_ARM = 5_000  # fixed-horizon units per arm
DAILY_UNITS = 500  # peeking: units per arm per day
PROPORTION = {"metric": "proportion", "baseline": 0.10}
MEAN = {"metric": "mean", "baseline": 50.0, "sd": 20.0}


def timed(run):
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aa-experiments", type=int, default=20_000)
    parser.add_argument("--peeking-experiments", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()
    rows = []
    for metric in (PROPORTION, MEAN):
        r, s = timed(
            lambda m=metric: aa_false_positive_rate(args.aa_experiments, N_PER_ARM, seed=args.seed, **m)
        )
        rows.append(("fixed horizon", "Welch test", metric, f"{N_PER_ARM:,}", r, s))
    for days in (14, 28):
        for engine in ("sequential", "fixed"):
            r, s = timed(
                lambda d=days, e=engine: peeking_false_positive_rate(
                    args.peeking_experiments, d, DAILY_UNITS, e, seed=args.seed, **PROPORTION
                )
            )
            name = "confidence sequence (N* = 5,000)" if engine == "sequential" else "naive Welch test"
            rows.append((f"daily peeking, {days} days", name, PROPORTION, f"{DAILY_UNITS:,} a day", r, s))
    print(f"\nmachine: {machine()}; date: {today()}; alpha 0.05, absolute difference\n")
    print(
        "| check | engine | metric | units per arm | looks | experiments | false positives | FPR | 95% CI (Wilson) | seed | seconds |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|")
    for check, engine, metric, units, r, seconds in rows:
        label = (
            metric["metric"]
            + f" (baseline {metric['baseline']:g}"
            + (f", sd {metric['sd']:g})" if "sd" in metric else ")")
        )
        print(
            f"| {check} | {engine} | {label} | {units} | {r.looks} | {r.n_experiments:,} | {r.count:,} "
            f"| {100 * r.rate:.2f}% | {100 * r.ci_low:.2f}% to {100 * r.ci_high:.2f}% | {args.seed} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
