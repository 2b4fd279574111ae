"""Write docs/models/<task>.md with the plots of a trained workdir (one page per model).

    python benchmarks/model_pages.py --workdir .commercelens [--out ../docs/models]

Run after `make demo` (or `commercelens train TASK`): copies the ROC, PR, calibration, gain and
importance PNGs from `<workdir>/reports/models/<task>/` and writes a page with the metrics
against the oracle, the top-k table and the most important features.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import polars as pl
from _measure import machine, today

PLOTS = ("roc", "pr", "calibration", "gain", "importance")
UNITS = {
    "booking": "a rail search, at search time; label: converted by a successful booking",
    "conversion": "a shop session alive 300 s after its start, at that moment; label: a purchase later in the session",
    "fraud": "a card transaction, at authorisation; label: labelled fraud (unlabelled rows are scored, not trained on)",
}


def _row(name: str, model: float | None, oracle: float | None, ratio: bool) -> str:
    shown = "-" if model is None else f"{model:.4f}"
    truth = "-" if oracle is None else f"{oracle:.4f}"
    share = f"{model / oracle:.3f}" if ratio and model is not None and oracle else ""
    return f"| {name} | {shown} | {truth} | {share} |"


def page(task: str, reports: Path, out: Path, workdir: Path) -> str:
    metrics = json.loads((reports / "metrics.json").read_text())
    figures = out / task
    figures.mkdir(parents=True, exist_ok=True)
    for plot in PLOTS:
        if (reports / f"{plot}.png").is_file():
            shutil.copyfile(reports / f"{plot}.png", figures / f"{plot}.png")
    top = pl.read_csv(reports / "top_k.csv")
    importance = pl.read_csv(reports / "importance.csv").head(10)
    lines = [
        f"# The {task} model",
        "",
        f"Unit: {UNITS[task]}. Test period: the latest 20% of units ({metrics['n_test']:,} units, "
        f"{metrics['n_positive']:,} positive). Generated with `make demo` (scale small, seed 42) and "
        f"`commercelens train {task}`; page written by `python benchmarks/model_pages.py --workdir {workdir}` "
        f"on {today()} ({machine()}). Method: [docs/models.md](../models.md).",
        "",
        "| metric | model | oracle (true probabilities) | model / oracle |",
        "|---|---:|---:|---:|",
        _row("ROC-AUC", metrics["auc"], metrics["oracle_auc"], True),
        _row("PR-AUC", metrics["pr_auc"], metrics["oracle_pr_auc"], True),
        _row("Brier", metrics["brier"], metrics["oracle_brier"], False),
        _row("ECE", metrics["ece"], metrics["oracle_ece"], False),
        "",
        "| flagged share | source | threshold | precision | recall | lift |",
        "|---:|---|---:|---:|---:|---:|",
        *(
            f"| {r['share']:.0%} | {r['source']} | {r['threshold']:.4f} | {r['precision']:.3f} | "
            f"{r['recall']:.3f} | {r['lift']:.2f} |"
            for r in top.iter_rows(named=True)
        ),
        "",
        "Most important features (mean absolute contribution to the log-odds, TreeSHAP):",
        "",
        "| feature | mean abs. contribution |",
        "|---|---:|",
        *(
            f"| `{r['feature']}` | {r['mean_abs_contribution']:.4f} |"
            for r in importance.iter_rows(named=True)
        ),
        "",
        *(f"![{plot}]({task}/{plot}.png)" for plot in PLOTS if (figures / f"{plot}.png").is_file()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, default=Path("../.commercelens"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "docs" / "models")
    args = parser.parse_args()
    for task in UNITS:
        reports = args.workdir / "reports" / "models" / task
        if not (reports / "metrics.json").is_file():
            print(f"{task}: no evaluation in {reports}; run `commercelens train {task}` first")
            continue
        (args.out / f"{task}.md").write_text(page(task, reports, args.out, args.workdir))
        print(f"wrote {args.out / f'{task}.md'}")


if __name__ == "__main__":
    main()
