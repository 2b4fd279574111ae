"""The stream against the batch warehouse and the planted truth, on the shared generated data.

- Batch parity: `rpt_rule_hits` (the rules in SQL over fct_transactions) and the stream give
  exactly the same (transaction, rule) hits.
- Every deterministic planted attack is caught by its rule (recall 1.0 per attack), and the
  single-transaction ones (impossible travel, night high amount) on every transaction.
"""

from __future__ import annotations

import polars as pl
import pytest

from commercelens.stream.evaluation import pattern_recall
from commercelens.stream.events import parse
from commercelens.stream.processor import Processor
from commercelens.stream.rules import RULES, load_rules
from commercelens.stream.sources import FileSource
from commercelens.warehouse import open_warehouse

pytestmark = pytest.mark.integration


def replay(path, batch_size: int) -> pl.DataFrame:
    processor = Processor(load_rules())
    source = FileSource(path)
    alerts = []
    while (raw := source.read(batch_size)) is not None:
        alerts.append(processor.process(parse(raw.frame).events).alerts)
    alerts.append(processor.finish().alerts)
    return pl.concat(alerts)


@pytest.fixture(scope="module")
def stream_alerts(built_duckdb):
    _, data, _ = built_duckdb
    return replay(data / "payments" / "transactions_data.csv", 2_500)


@pytest.fixture(scope="module")
def truth(built_duckdb):
    _, data, _ = built_duckdb
    return pl.read_parquet(data / "payments" / "_truth" / "transaction_truth.parquet")


def test_stream_and_warehouse_rules_hit_the_same_transactions(built_duckdb, stream_alerts):
    settings, _, _ = built_duckdb
    with open_warehouse(settings) as w:
        sql = pl.from_arrow(w.fetch_arrow("select transaction_id, rule from marts.rpt_rule_hits"))
    stream = stream_alerts.filter(pl.col("rule").is_in(RULES)).select("transaction_id", "rule")
    assert len(sql) > 0
    for rule in RULES:
        in_sql = set(sql.filter(pl.col("rule") == rule)["transaction_id"].to_list())
        in_stream = set(stream.filter(pl.col("rule") == rule)["transaction_id"].to_list())
        assert in_stream == in_sql, (rule, sorted(in_stream - in_sql)[:5], sorted(in_sql - in_stream)[:5])


def test_every_planted_attack_is_caught_by_its_rule(stream_alerts, truth):
    recall = pattern_recall(stream_alerts, truth)
    assert recall["instances"].min() > 0, recall  # the data plants every pattern
    assert recall["instance_recall"].to_list() == [1.0] * len(recall), recall
    single = recall.filter(pl.col("pattern").is_in(["impossible_travel", "night_high_amount"]))
    assert single["transaction_recall"].to_list() == [1.0, 1.0]


def test_the_result_does_not_depend_on_the_batch_size(built_duckdb, stream_alerts):
    _, data, _ = built_duckdb
    other = replay(data / "payments" / "transactions_data.csv", 7_919)
    assert set(other["alert_id"].to_list()) == set(stream_alerts["alert_id"].to_list())
