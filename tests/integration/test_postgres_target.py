"""The PostgreSQL target: the same ingest, loaded with COPY, gives the same tables as DuckDB."""

from __future__ import annotations

from dataclasses import replace

import pytest

from commercelens.config import load_settings
from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from commercelens.privacy.erase import erase_subject
from commercelens.warehouse import open_warehouse
from tests.conftest import PII_KEY

pytestmark = pytest.mark.postgres


@pytest.fixture
def rail_data(tmp_path):
    generate("rail", tmp_path / "rail", rows=800, seed=3, dirty=0.05)
    return tmp_path / "rail"


def table_summary(warehouse, table: str) -> tuple:
    return warehouse.fetch_all(f"select count(*), count(distinct _line_number) from {table}")[0]


def test_postgres_ingest_matches_duckdb_row_for_row(tmp_path, postgres_dsn, rail_data):
    pg = open_warehouse(load_settings(target="postgres", postgres_dsn=postgres_dsn, home=tmp_path))
    duck = open_warehouse(load_settings(home=tmp_path))
    with pg, duck:
        pg_report = ingest_source(pg, "rail", rail_data, PII_KEY)
        duck_report = ingest_source(duck, "rail", rail_data, PII_KEY)
        assert [replace(f, seconds=0) for f in pg_report.files] == [
            replace(f, seconds=0) for f in duck_report.files
        ]
        for entity in ("users", "searches", "bookings", "experiment_assignments"):
            assert table_summary(pg, f"raw.rail__{entity}") == table_summary(duck, f"raw.rail__{entity}")
        query = "select search_id, user_id, quoted_price_eur from raw.rail__searches order by search_id"
        assert pg.fetch_all(query) == duck.fetch_all(query)
        for entity in ("users", "bookings"):
            reasons = (
                "select line_number, reason, field, detail, raw_record, subject_key "
                f"from quarantine.rail__{entity} order by 1"
            )
            assert pg.fetch_all(reasons) == duck.fetch_all(reasons)
        nulls = "select count(*) from raw.rail__users where full_name_pseudonym is null"
        assert pg.fetch_all(nulls) == duck.fetch_all(nulls)


def test_postgres_reingest_is_idempotent_and_erase_works(tmp_path, postgres_dsn, rail_data):
    settings = load_settings(target="postgres", postgres_dsn=postgres_dsn, home=tmp_path)
    with open_warehouse(settings) as pg:
        ingest_source(pg, "rail", rail_data, PII_KEY)
        before = pg.fetch_all("select count(*) from raw.rail__searches")
        again = ingest_source(pg, "rail", rail_data, PII_KEY)
        assert {f.status for f in again.files} == {"unchanged"}
        assert pg.fetch_all("select count(*) from raw.rail__searches") == before
        user_id = pg.fetch_all("select user_id from raw.rail__searches limit 1")[0][0]
        result = erase_subject(pg, "rail", PII_KEY, user_id=user_id)
        assert result.rows_deleted > 1
        assert pg.fetch_all("select count(*) from raw.rail__searches where user_id = ?", [user_id]) == [(0,)]


def test_cli_target_postgres_loads_and_reports_status(tmp_path, postgres_dsn, rail_data, monkeypatch, capsys):
    from commercelens.cli.app import run

    monkeypatch.setenv("COMMERCELENS_POSTGRES_DSN", postgres_dsn)
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "cli-postgres-key-0123456789")
    monkeypatch.setenv("COMMERCELENS_HOME", str(tmp_path / "home"))
    assert run(["--target", "postgres", "ingest", "rail", "--path", str(rail_data)]) == 0
    capsys.readouterr()
    assert run(["--target", "postgres", "status"]) == 0
    out = capsys.readouterr().out
    assert "raw.rail__searches" in out and "commercelens_test_" in out
