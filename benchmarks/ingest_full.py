"""Issue 2 figures: full-scale payments generation and ingestion, and ours vs the pandas way.

    python benchmarks/ingest_full.py [--rows 13305915] [--baseline-rows 1000000] [--dir DIR]

1. `generate payments` at --rows (13.3M transactions + about 8.9M labels): wall time, peak RSS.
2. `ingest payments` of that directory into a fresh DuckDB file, with full validation,
   quarantine and pseudonymisation: seconds for the transactions file and in all, rows/s, peak RSS.
3. On the first --baseline-rows transactions: the replaced projects' way (pandas `read_csv` +
   `to_sql` into PostgreSQL, no validation) against our ingest of the same rows into DuckDB and
   into PostgreSQL (COPY). Each step runs in its own interpreter. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import psycopg
from _measure import generate_in_child, machine, run_child, today

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "commercelens_bench"


def ingest_step(label: str, data: Path, db: Path | None = None, dsn: str | None = None):
    if db is not None and db.exists():
        db.unlink()
    opener = f"DuckDBWarehouse({str(db)!r})" if db is not None else f"PostgresWarehouse({dsn!r})"
    return run_child(
        label,
        f"""
        from pathlib import Path
        from commercelens.warehouse.duckdb import DuckDBWarehouse
        from commercelens.warehouse.postgres import PostgresWarehouse
        from commercelens.warehouse.ops import ensure_ops_tables
        from commercelens.ingest.loader import ingest_source
        w = {opener}
        w.ensure_schemas(); ensure_ops_tables(w)
        report = ingest_source(w, "payments", Path({str(data)!r}), b"benchmark-key-0123456789abcdef")
        w.close()
        result = {{f.source_file: [f.rows_read, f.rows_quarantined, f.seconds] for f in report.files}}
        """,
    )


def pandas_step(csv: Path, dsn: str):
    return run_child(
        "pandas read_csv + to_sql (PostgreSQL)",
        f"""
        import time
        import pandas as pd
        from sqlalchemy import create_engine
        t0 = time.perf_counter()
        df = pd.read_csv({str(csv)!r})
        engine = create_engine({dsn.replace("postgresql://", "postgresql+psycopg://")!r})
        df.to_sql("transactions", engine, if_exists="replace", index=False)
        result = {{"rows": len(df), "seconds": time.perf_counter() - t0}}
        """,
    )


def baseline_subset(full: Path, out: Path, rows: int) -> Path:
    """Same users, cards and MCC codes; the first `rows` transactions; no labels."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("users_data.csv", "cards_data.csv", "mcc_codes.json"):
        shutil.copy(full / name, out / name)
    with (full / "transactions_data.csv").open() as src, (out / "transactions_data.csv").open("w") as dst:
        for i, line in enumerate(src):
            if i > rows:
                break
            dst.write(line)
    (out / "train_fraud_labels.json").write_text('{"target": {}}')
    return out


def fresh_pg_database() -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"drop database if exists {PG_BENCH_DB} with (force)")
        admin.execute(f"create database {PG_BENCH_DB}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=13_305_915)
    parser.add_argument("--baseline-rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/commercelens-bench"))
    args = parser.parse_args()
    full = args.dir / f"payments-{args.rows}"
    shutil.rmtree(full, ignore_errors=True)
    gen = generate_in_child("payments", full, args.rows)
    ing = ingest_step("ingest payments (DuckDB)", full, db=args.dir / "full.duckdb")
    txn_rows, _, txn_seconds = ing.result["transactions_data.csv"]
    subset = baseline_subset(full, args.dir / f"payments-{args.baseline_rows}", args.baseline_rows)
    ours_duck = ingest_step("ours, DuckDB", subset, db=args.dir / "subset.duckdb")
    ours_pg = ingest_step("ours, PostgreSQL COPY", subset, dsn=fresh_pg_database())
    pandas = pandas_step(subset / "transactions_data.csv", fresh_pg_database())
    ours_seconds = ours_duck.result["transactions_data.csv"][2]
    ours_pg_seconds = ours_pg.result["transactions_data.csv"][2]
    n_records = sum(gen.result["files"].values())
    print(f"\nmachine: {machine()}; date: {today()}\n")
    print("| step | rows | seconds | rows/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| generate payments (all files) | {n_records:,} records | {gen.seconds:.1f} | | {gen.peak_rss_mb:,.0f} |"
    )
    print(
        f"| ingest transactions_data.csv (DuckDB) | {txn_rows:,} | {txn_seconds:.1f} | {txn_rows / txn_seconds:,.0f} | |"
    )
    print(f"| ingest payments, all files, process wall | | {ing.seconds:.1f} | | {ing.peak_rss_mb:,.0f} |")
    n = args.baseline_rows
    print(
        f"| pandas read_csv + to_sql (PostgreSQL), {n:,} rows | {n:,} | {pandas.result['seconds']:.1f} | {n / pandas.result['seconds']:,.0f} | {pandas.peak_rss_mb:,.0f} |"
    )
    print(
        f"| ours into DuckDB, same rows | {n:,} | {ours_seconds:.2f} | {n / ours_seconds:,.0f} | {ours_duck.peak_rss_mb:,.0f} |"
    )
    print(
        f"| ours into PostgreSQL (COPY), same rows | {n:,} | {ours_pg_seconds:.2f} | {n / ours_pg_seconds:,.0f} | {ours_pg.peak_rss_mb:,.0f} |"
    )
    print(
        f"\nratio pandas / ours (DuckDB): {pandas.result['seconds'] / ours_seconds:.1f}x; "
        f"pandas / ours (PostgreSQL): {pandas.result['seconds'] / ours_pg_seconds:.1f}x"
    )
    print(json.dumps({"generate": gen.result, "ingest": ing.result}, default=str)[:2000])


if __name__ == "__main__":
    main()
