"""Shop marts: sessions equal the generator's truth, planted invalid funnels are found, an
incremental run after appending events equals a full refresh, DuckDB and PostgreSQL agree."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from commercelens.config import Settings, load_settings
from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import TransformResult, run_dbt
from tests.conftest import PII_KEY
from tests.integration.cross_target import assert_same_on_both_targets

SHOP_MODELS = "path:models/staging/shop path:models/intermediate/shop path:models/marts/shop"
SHOP_MARTS = ("fct_sessions", "fct_funnel_daily", "dim_visitors", "dim_items", "dim_categories")
HOUR_MS = 3_600_000
LATE_ARRIVAL_LIMIT_MS = 6 * HOUR_MS  # var shop_late_arrival_hours' default
SESSION_COLUMNS = "session_id, visitor_id, session_start_ms, session_end_ms, event_count"


def _truth(data_dir: Path, sql: str) -> list[tuple]:
    truth = data_dir / "shop" / "_truth" / "session_truth.parquet"
    return duckdb.sql(sql.replace("TRUTH", f"read_parquet('{truth}')")).fetchall()


# --- (1) the built warehouse against the generator's truth ------------------------------------


def test_shop_models_unit_tests_and_data_tests_all_pass_in_the_full_build(built_duckdb) -> None:
    _, _, result = built_duckdb
    shop_unit_tests = [o for o in result.outcomes if o.kind == "unit_test" and o.name.startswith("shop_")]
    assert len(shop_unit_tests) >= 10
    assert {o.status for o in shop_unit_tests} == {"pass"}
    shop_nodes = [o for o in result.outcomes if "shop" in o.name or o.name in SHOP_MARTS]
    assert [o.name for o in shop_nodes if o.status not in ("success", "pass")] == []


def test_sessions_equal_the_generator_truth_exactly(built_duckdb) -> None:
    settings, data_dir, _ = built_duckdb
    expected = _truth(
        data_dir,
        "select session_id, visitorid, session_start_ms, session_end_ms, n_events from TRUTH order by 1",
    )
    with open_warehouse(settings) as w:
        actual = w.fetch_all(f"select {SESSION_COLUMNS} from marts.fct_sessions order by session_id")
    assert len(expected) > 2000
    assert [tuple(int(v) if i else v for i, v in enumerate(row)) for row in actual] == expected


def test_funnel_invalid_reasons_equal_the_planted_ones(built_duckdb) -> None:
    settings, data_dir, _ = built_duckdb
    planted = _truth(
        data_dir,
        "select session_id, planted_invalid_reason from TRUTH "
        "where planted_invalid_reason is not null order by 1",
    )
    with open_warehouse(settings) as w:
        found = w.fetch_all(
            "select session_id, invalid_reason from marts.fct_sessions "
            "where invalid_reason is not null order by 1"
        )
        invalid_flags = w.fetch_all("select count(*) from marts.fct_sessions where not is_valid")[0][0]
    assert len(planted) >= 5
    assert found == planted
    assert invalid_flags == len(planted)


def test_funnel_daily_counts_only_valid_sessions(built_duckdb) -> None:
    settings, _, _ = built_duckdb
    with open_warehouse(settings) as w:
        daily = w.fetch_all(
            "select sum(session_count), sum(invalid_session_count), sum(sessions_with_transaction) "
            "from marts.fct_funnel_daily"
        )[0]
        sessions = w.fetch_all(
            "select count(case when is_valid then 1 end), count(case when not is_valid then 1 end), "
            "count(case when is_valid and has_transaction then 1 end) from marts.fct_sessions"
        )[0]
    assert tuple(int(v) for v in daily) == tuple(int(v) for v in sessions)
    assert sessions[1] > 0


# --- (2) incremental runs ---------------------------------------------------------------------


def _events(data_dir: Path) -> list[str]:
    return (data_dir / "events.csv").read_text(encoding="utf-8").splitlines()


def _write_events(data_dir: Path, header: str, lines: list[str]) -> None:
    (data_dir / "events.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings of an empty warehouse in tmp_path on DuckDB, or on a throw-away PostgreSQL database."""
    if request.param == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        return load_settings(home=tmp_path / "home", target="postgres", postgres_dsn=dsn)
    return load_settings(home=tmp_path / "home")


def _small_shop(tmp_path: Path) -> tuple[Path, str, list[str]]:
    data_dir = tmp_path / "data" / "shop"
    generate("shop", data_dir, rows=20_000, seed=5)
    header, *lines = _events(data_dir)
    return data_dir, header, lines


def _ingest_and_build(settings: Settings, data_dir: Path, full_refresh: bool = False) -> TransformResult:
    with open_warehouse(settings) as w:
        ingest_source(w, "shop", data_dir, PII_KEY)
    extra = ["--full-refresh"] if full_refresh else []
    return run_dbt(settings, "build", select=SHOP_MODELS, extra=extra)


def _snapshot(settings: Settings) -> dict[str, list[tuple]]:
    """Every row of the incremental table and of the marts built on it, in a total order."""
    tables = (
        "intermediate.int_events_sessionised",
        "marts.fct_sessions",
        "marts.dim_visitors",
        "marts.fct_funnel_daily",
    )
    with open_warehouse(settings) as w:
        snapshot = {}
        for table in tables:
            positions = ", ".join(str(i + 1) for i in range(len(w.columns(table))))
            snapshot[table] = w.fetch_all(f"select * from {table} order by {positions}")
        return snapshot


def test_incremental_run_after_appending_events_equals_a_full_refresh(
    tmp_path: Path, target_settings: Settings
) -> None:
    settings = target_settings
    data_dir, header, lines = _small_shop(tmp_path)
    stamps = sorted(int(line.split(",", 1)[0]) for line in lines)
    cut = stamps[int(len(stamps) * 0.7)]
    first = [line for line in lines if int(line.split(",", 1)[0]) < cut]
    first_max = max(int(line.split(",", 1)[0]) for line in first)
    # Late arrivals: every second event of the last 5 hours before the first load's end is held
    # back, so they land inside sessions (and between them) that the first run already built.
    late = [
        line
        for i, line in enumerate(first)
        if first_max - 5 * HOUR_MS <= int(line.split(",", 1)[0]) < first_max and i % 2 == 0
    ]
    held = set(late)
    _write_events(data_dir, header, [line for line in first if line not in held])
    _ingest_and_build(settings, data_dir)
    with open_warehouse(settings) as w:
        before = w.fetch_all("select count(*) from intermediate.int_events_sessionised")[0][0]
        first_sessions = set(w.fetch_all("select session_id, event_count from marts.fct_sessions"))

    _write_events(data_dir, header, lines)  # the file grows: a later day and the late events
    with open_warehouse(settings) as w:
        ingest_source(w, "shop", data_dir, PII_KEY)
        # A second file repeating recent events: copies across files are collapsed and counted.
        w.execute(
            'insert into raw.shop__events select "timestamp", visitorid, event, itemid, transactionid, '
            "'events_replay.csv', _line_number from raw.shop__events "
            f'where "timestamp" >= {cut} and _line_number % 7 = 0'
        )
        copies = w.fetch_all(
            "select count(*) from raw.shop__events where _source_file = 'events_replay.csv'"
        )[0][0]
    incremental = run_dbt(settings, "build", select=SHOP_MODELS)
    after_incremental = _snapshot(settings)
    with open_warehouse(settings) as w:
        final_sessions = set(w.fetch_all("select session_id, event_count from marts.fct_sessions"))
    run_dbt(settings, "build", select=SHOP_MODELS, extra=["--full-refresh"])
    after_full_refresh = _snapshot(settings)

    assert len(late) > 10 and copies > 20
    assert before == len(first) - len(late)
    events = after_incremental["intermediate.int_events_sessionised"]
    assert len(events) == len(lines)
    assert sum(row[-1] for row in events) == copies  # duplicate_rows_removed
    assert [o.name for o in incremental.outcomes if o.status not in ("success", "pass")] == []
    assert len(first_sessions - final_sessions) > 5  # sessions the late events grew or merged
    for table, rows in after_full_refresh.items():
        assert after_incremental[table] == rows, table


def test_event_older_than_the_late_arrival_limit_waits_for_a_full_refresh(
    tmp_path: Path, target_settings: Settings
) -> None:
    settings = target_settings
    data_dir, header, lines = _small_shop(tmp_path)
    stamps = sorted(int(line.split(",", 1)[0]) for line in lines)
    latest = stamps[-1]
    # One old event, for a new visitor, from well before the limit.
    stale = f"{latest - LATE_ARRIVAL_LIMIT_MS - 2 * HOUR_MS},999999999,view,1,"
    _ingest_and_build(settings, data_dir)
    _write_events(data_dir, header, [*lines, stale])

    incremental = _ingest_and_build(settings, data_dir)
    query = "select count(*) from intermediate.int_events_sessionised where visitor_id = 999999999"
    with open_warehouse(settings) as w:
        after_incremental = w.fetch_all(query)[0][0]
    _ingest_and_build(settings, data_dir, full_refresh=True)
    with open_warehouse(settings) as w:
        after_full_refresh = w.fetch_all(query)[0][0]

    assert after_incremental == 0
    coverage = [o for o in incremental.outcomes if o.name == "shop_events_sessionised_cover_staging"]
    assert [(o.status, o.failures) for o in coverage] == [("warn", 1)]
    assert after_full_refresh == 1


def test_erased_visitor_leaves_the_incremental_table_on_the_next_run(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    data_dir, _, _ = _small_shop(tmp_path)
    _ingest_and_build(settings, data_dir)
    with open_warehouse(settings) as w:
        visitor = w.fetch_all("select min(visitorid) from raw.shop__events")[0][0]
        w.execute("delete from raw.shop__events where visitorid = ?", [visitor])
    run_dbt(settings, "build", select=SHOP_MODELS)
    with open_warehouse(settings) as w:
        left = w.fetch_all(
            "select count(*) from intermediate.int_events_sessionised where visitor_id = ?", [visitor]
        )[0][0]
    assert left == 0


# --- (3) DuckDB and PostgreSQL agree ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "table", [*(f"marts.{m}" for m in SHOP_MARTS), "intermediate.int_events_sessionised"]
)
def test_shop_table_has_identical_counts_and_sums_on_duckdb_and_postgres(
    table: str, built_duckdb, built_postgres
) -> None:
    assert_same_on_both_targets(table, built_duckdb, built_postgres)
