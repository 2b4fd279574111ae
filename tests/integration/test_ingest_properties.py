"""Invariants of ingestion, tested on generated inputs (Hypothesis):

- every data line ends up exactly once in raw or quarantine (raw = accepted + quarantined);
- ingesting the same files again changes nothing; a changed file replaces only its own rows.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commercelens.ingest.loader import ingest_source
from commercelens.warehouse.duckdb import DuckDBWarehouse
from commercelens.warehouse.ops import ensure_ops_tables
from tests.conftest import PII_KEY, write_csv

EVENTS_HEADER = "timestamp,visitorid,event,itemid,transactionid"

good_event = st.builds(
    lambda ts, v, e, i: f"{ts},{v},{e},{i},{'7' if e == 'transaction' else ''}",
    st.integers(1_430_000_000_000, 1_440_000_000_000),
    st.integers(0, 50),
    st.sampled_from(["view", "addtocart", "transaction"]),
    st.integers(0, 30),
)
bad_event = st.sampled_from(
    [
        "1433221332117,257597,view,355908",  # truncated
        "1433221332117,257597,click,355908,",  # unknown event
        "14332213x2117,257597,view,355908,",  # bad timestamp
        ",257597,view,355908,",  # required value empty
        '1433221332117,"257597,view,355908,',  # stray quote
        "1433221332117,257597,view,355908,,extra",  # too many fields
    ]
)
event_lines = st.lists(st.one_of(good_event, good_event, bad_event), min_size=0, max_size=40)


def shop_dir(root: Path, events: list[str], duplicate_every: int = 0) -> Path:
    lines = list(events)
    if duplicate_every and lines:
        lines += lines[::duplicate_every]
    (root / "events.csv").write_text("\n".join([EVENTS_HEADER, *lines]) + "\n", encoding="utf-8")
    write_csv(
        root, "item_properties_part1.csv", "timestamp,itemid,property,value\n1431226800000,1,categoryid,5"
    )
    write_csv(
        root, "item_properties_part2.csv", "timestamp,itemid,property,value\n1433041200000,1,available,1"
    )
    write_csv(root, "category_tree.csv", "categoryid,parentid\n5,\n6,5")
    return root


def fresh_warehouse() -> DuckDBWarehouse:
    w = DuckDBWarehouse(":memory:")
    w.ensure_schemas()
    ensure_ops_tables(w)
    return w


def line_numbers(w: DuckDBWarehouse) -> tuple[list[int], list[int]]:
    raw = [r[0] for r in w.fetch_all("select _line_number from raw.shop__events")]
    quarantined = [r[0] for r in w.fetch_all("select line_number from quarantine.shop__events")]
    return raw, quarantined


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=event_lines, duplicate_every=st.integers(0, 3))
def test_every_data_line_is_accepted_or_quarantined_exactly_once(tmp_path_factory, events, duplicate_every):
    root = shop_dir(tmp_path_factory.mktemp("shop"), events, duplicate_every)
    n_lines = len((root / "events.csv").read_text().splitlines()) - 1
    with fresh_warehouse() as w:
        report = ingest_source(w, "shop", root, PII_KEY)
        events_file = report.files[0]
        raw, quarantined = line_numbers(w)
    assert events_file.rows_read == n_lines
    assert events_file.rows_accepted + events_file.rows_quarantined == events_file.rows_read
    assert sorted(raw + quarantined) == list(range(2, n_lines + 2))
    assert len(raw) == events_file.rows_accepted


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=event_lines)
def test_reingesting_the_same_files_changes_nothing(tmp_path_factory, events):
    root = shop_dir(tmp_path_factory.mktemp("shop"), events, duplicate_every=2)
    with fresh_warehouse() as w:
        ingest_source(w, "shop", root, PII_KEY)
        before = line_numbers(w), w.fetch_all("select count(*) from ops.load_manifest")
        second = ingest_source(w, "shop", root, PII_KEY)
        after = line_numbers(w), w.fetch_all("select count(*) from ops.load_manifest")
    assert {f.status for f in second.files} == {"unchanged"}
    assert before == after


def test_changed_file_replaces_only_its_own_rows(tmp_path):
    root = shop_dir(tmp_path, ["1433221332117,1,view,1,", "1433221332118,1,view,2,"])
    with fresh_warehouse() as w:
        ingest_source(w, "shop", root, PII_KEY)
        write_csv(
            root,
            "item_properties_part2.csv",
            "timestamp,itemid,property,value\n1433041200000,1,available,0\n1433041200000,2,available,1",
        )
        report = ingest_source(w, "shop", root, PII_KEY)
        by_file = w.fetch_all(
            "select _source_file, count(*) from raw.shop__item_properties group by 1 order by 1"
        )
        events = w.fetch_all("select count(*) from raw.shop__events")
        manifest = w.fetch_all("select source_file, count(*) from ops.load_manifest group by 1 order by 1")
    assert [f.status for f in report.files] == ["unchanged", "unchanged", "loaded", "unchanged"]
    assert by_file == [("item_properties_part1.csv", 1), ("item_properties_part2.csv", 2)]
    assert events == [(2,)]
    assert dict(manifest)["item_properties_part2.csv"] == 2
