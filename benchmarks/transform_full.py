"""Issue 3 figures: `transform` (dbt build) at full scale on DuckDB, and small scale on both targets.

    python benchmarks/transform_full.py [--dir DIR] [--skip-full] [--skip-small]

Full: payments 13,305,915 transactions + shop 2,756,101 events (+ rail small), generated,
ingested, then `commercelens transform` timed in its own process (wall time and peak RSS).
Small: the demo's `small` scale built on DuckDB and on PostgreSQL, with the time ratio.
Prints Markdown tables; each step runs in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import psycopg
from _measure import machine, run_child, today

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
KEY = "benchmark-key-0123456789abcdef"
ROWS_FULL = {"payments": 13_305_915, "shop": 2_756_101, "rail": 250_000}
ROWS_SMALL = {"payments": 1_000_000, "shop": 300_000, "rail": 250_000}


def prepare(home: Path, data: Path, rows: dict[str, int], target: str, dsn: str | None) -> None:
    """Generate (once per data dir) and ingest into a fresh warehouse for `target`."""
    run_child(
        f"prepare {target}",
        f"""
        from pathlib import Path
        from commercelens.config import load_settings
        from commercelens.generate import generate
        from commercelens.ingest.loader import ingest_source
        from commercelens.warehouse import open_warehouse
        data = Path({str(data)!r})
        for domain, rows in {rows!r}.items():
            if not (data / domain).exists():
                generate(domain, data / domain, rows=rows, seed=42)
        settings = load_settings(home=Path({str(home)!r}), target={target!r}, postgres_dsn={dsn!r})
        with open_warehouse(settings) as w:
            for domain in {list(rows)!r}:
                ingest_source(w, domain, data / domain, {KEY.encode()!r})
        result = {{}}
        """,
    )


def transform(home: Path, target: str, dsn: str | None):
    return run_child(
        f"transform {target}",
        f"""
        import time
        from pathlib import Path
        from commercelens.config import load_settings
        from commercelens.warehouse.dbt import run_dbt
        settings = load_settings(home=Path({str(home)!r}), target={target!r}, postgres_dsn={dsn!r})
        t0 = time.perf_counter()
        r = run_dbt(settings, "build")
        slowest = sorted(r.outcomes, key=lambda o: -o.seconds)[:6]
        result = {{
            "seconds": time.perf_counter() - t0,
            "models": r.count("model", "success"),
            "tests": r.count("test", "pass") + r.count("unit_test", "pass"),
            "model_seconds": sum(o.seconds for o in r.outcomes if o.kind == "model"),
            "slowest": [[o.name, round(o.seconds, 2)] for o in slowest],
        }}
        """,
    )


def fresh_pg(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.execute(f"create database {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, default=Path("/tmp/commercelens-bench-transform"))
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    args = parser.parse_args()
    print(f"machine: {machine()}; date: {today()}\n")
    print("| run | models | tests | dbt build seconds | model seconds (sum) | peak RSS (MB) |")
    print("|---|---:|---:|---:|---:|---:|")
    runs = []
    if not args.skip_full:
        home = args.dir / "full-duckdb"
        shutil.rmtree(home, ignore_errors=True)
        prepare(home, args.dir / "data-full", ROWS_FULL, "duckdb", None)
        runs.append(("full scale, DuckDB", transform(home, "duckdb", None)))
    if not args.skip_small:
        for target in ("duckdb", "postgres"):
            home = args.dir / f"small-{target}"
            shutil.rmtree(home, ignore_errors=True)
            dsn = fresh_pg("commercelens_bench_transform") if target == "postgres" else None
            prepare(home, args.dir / "data-small", ROWS_SMALL, target, dsn)
            runs.append((f"small scale, {target}", transform(home, target, dsn)))
    for label, m in runs:
        r = m.result
        print(
            f"| {label} | {r['models']} | {r['tests']} | {r['seconds']:.1f} | {r['model_seconds']:.1f} | {m.peak_rss_mb:,.0f} |"
        )
    for label, m in runs:
        print(f"\nslowest nodes, {label}: {m.result['slowest']}")
    small = {label: m.result["seconds"] for label, m in runs if label.startswith("small")}
    if len(small) == 2:
        print(
            f"\nPostgreSQL / DuckDB at small scale: {small['small scale, postgres'] / small['small scale, duckdb']:.1f}x"
        )


if __name__ == "__main__":
    main()
