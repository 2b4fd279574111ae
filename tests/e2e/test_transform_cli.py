"""`commercelens transform`: a failing data test exits 2 and names the test and its failing rows."""

from __future__ import annotations

from commercelens.cli.app import run
from commercelens.warehouse.duckdb import DuckDBWarehouse


def test_failing_data_test_exits_2_naming_test_and_rows(monkeypatch, tmp_path, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("COMMERCELENS_HOME", str(home))
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "transform-test-key-0123456789")
    assert run(["generate", "rail", "--out", str(tmp_path / "rail"), "--rows", "300"]) == 0
    assert run(["ingest", "rail", "--path", str(tmp_path / "rail")]) == 0
    assert run(["transform", "--select", "stg_rail__users"]) == 0
    with DuckDBWarehouse(home / "warehouse.duckdb") as w:  # break the data behind dbt's back
        w.execute("insert into raw.rail__users select * from raw.rail__users limit 2")
    capsys.readouterr()
    assert run(["transform", "--select", "stg_rail__users"]) == 2
    err = capsys.readouterr().err.replace("\n", " ")
    assert "unique_stg_rail__users_user_id (2 failing rows)" in err


def test_unknown_target_is_a_user_error(monkeypatch, tmp_path):
    monkeypatch.setenv("COMMERCELENS_HOME", str(tmp_path))
    assert run(["transform", "--target", "oracle"]) == 1


def test_erase_reaches_the_marts_and_their_aggregates(monkeypatch, tmp_path):
    home = tmp_path / "home"
    monkeypatch.setenv("COMMERCELENS_HOME", str(home))
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "transform-test-key-0123456789")
    assert run(["generate", "rail", "--out", str(tmp_path / "rail"), "--rows", "600"]) == 0
    assert run(["ingest", "rail", "--path", str(tmp_path / "rail")]) == 0
    rail_marts = "+path:models/marts/rail +path:models/marts/experiments"
    assert run(["transform", "--select", rail_marts]) == 0
    assert run(["features", "build", "booking"]) == 0
    searches = "select sum(searches) from marts.fct_daily_route_performance"
    with DuckDBWarehouse(home / "warehouse.duckdb") as w:
        user_id, n = w.fetch_all(
            "select user_id, count(*) from marts.fct_searches group by 1 order by 2 desc limit 1"
        )[0]
        before = w.fetch_all(searches)[0][0]
        their_searches = [
            r[0] for r in w.fetch_all("select search_id from marts.fct_searches where user_id = ?", [user_id])
        ]
        features_before = w.fetch_all("select count(*) from ml.booking_features")[0][0]
    assert run(["privacy", "erase", "--user-id", user_id]) == 0
    with DuckDBWarehouse(home / "warehouse.duckdb") as w:
        for table in ("fct_searches", "fct_bookings", "dim_users"):
            assert w.fetch_all(f"select count(*) from marts.{table} where user_id = ?", [user_id]) == [(0,)]
        assert w.fetch_all(searches)[0][0] == before - n
        left = w.fetch_all("select search_id from ml.booking_features")
        assert not {r[0] for r in left} & set(their_searches)  # the model tables forget them too
        assert len(left) == features_before - n


def test_erase_of_a_payments_client_works_on_a_built_duckdb_warehouse(monkeypatch, tmp_path):
    # dim_cards -> dim_clients must not be an enforced DuckDB foreign key: DuckDB refuses to
    # delete a parent row after its child rows in one transaction (duckdb#13819).
    home = tmp_path / "home"
    monkeypatch.setenv("COMMERCELENS_HOME", str(home))
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "transform-test-key-0123456789")
    assert run(["generate", "payments", "--out", str(tmp_path / "payments"), "--rows", "3000"]) == 0
    assert run(["ingest", "payments", "--path", str(tmp_path / "payments")]) == 0
    assert run(["transform", "--select", "+path:models/marts/payments"]) == 0
    with DuckDBWarehouse(home / "warehouse.duckdb") as w:
        client = w.fetch_all("select client_id from marts.dim_cards limit 1")[0][0]
    assert run(["privacy", "erase", "--domain", "payments", "--user-id", str(client)]) == 0
    with DuckDBWarehouse(home / "warehouse.duckdb") as w:
        for table in (
            "marts.dim_clients",
            "marts.dim_cards",
            "marts.fct_transactions",
            "raw.payments__transactions",
        ):
            column = "id" if table.startswith("raw.payments__users") else "client_id"
            assert w.fetch_all(f"select count(*) from {table} where {column} = ?", [client]) == [(0,)]
