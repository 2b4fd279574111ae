"""Issue 6 figures: precision and recall of each stream rule and of the combined level.

    python benchmarks/stream_quality.py --workdir WORKDIR

WORKDIR is a workdir where `commercelens demo` has run (data, warehouse, fraud champion). The
generated payments are replayed through the processor with the rules and the fraud model, then
judged against the generator's truth (`_truth/transaction_truth.parquet`: `is_fraud` for every
transaction, the planted pattern and attack instance): per rule over all transactions and over
the model's test period (the model has seen the rest), and per planted attack.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl
from _measure import machine, today

from commercelens.config import load_settings
from commercelens.stream.evaluation import pattern_recall, rule_quality
from commercelens.stream.events import parse
from commercelens.stream.processor import Processor
from commercelens.stream.rules import load_rules
from commercelens.stream.scoring import load_scorer
from commercelens.stream.sources import FileSource
from commercelens.warehouse import open_warehouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    settings = load_settings(home=args.workdir)
    scorer, model, keep_seconds = load_scorer(settings)
    processor = Processor(load_rules(), scorer=scorer, keep_seconds=keep_seconds)
    source = FileSource(settings.data_dir / "payments" / "transactions_data.csv")
    alerts = []
    while (raw := source.read(20_000)) is not None:
        alerts.append(processor.process(parse(raw.frame).events).alerts)
    alerts.append(processor.finish().alerts)
    found = pl.concat(alerts)
    truth = pl.read_parquet(settings.data_dir / "payments" / "_truth" / "transaction_truth.parquet")
    with open_warehouse(settings) as w:
        test = pl.from_arrow(
            w.fetch_arrow("select transaction_id from ml.fraud_features where split = 'test'")
        )
    pl.Config.set_tbl_formatting("MARKDOWN")
    pl.Config.set_tbl_hide_dataframe_shape(True)
    pl.Config.set_tbl_hide_column_data_types(True)
    pl.Config.set_float_precision(3)
    pl.Config.set_tbl_rows(50)
    pl.Config.set_tbl_width_chars(250)
    pl.Config.set_fmt_str_lengths(40)
    print(
        f"{today()}; {machine()}; model: {model}; {len(truth):,} transactions, {truth['is_fraud'].sum():,} frauds\n"
    )
    print("All transactions:\n")
    print(rule_quality(found, truth))
    test_truth = truth.join(test, on="transaction_id")
    print(
        f"\nThe model's test period ({len(test_truth):,} transactions, {test_truth['is_fraud'].sum():,} frauds):\n"
    )
    print(rule_quality(found.join(test, on="transaction_id"), test_truth))
    print("\nPlanted attacks (all transactions):\n")
    print(pattern_recall(found, truth))


if __name__ == "__main__":
    main()
