"""Issue 4 figure: point-in-time fraud features, DuckDB SQL against two pandas ways.

    python benchmarks/features.py [--rows 100000 10000000] [--apply-rows 20000] [--dir DIR]

Why fraud: its card-history windows (counts and sums over the previous 60 s, 1 h, 24 h, 7 d,
strictly before each transaction, over millions of rows) are the classic point-in-time feature
that replaced projects computed row by row; booking and conversion histories are lighter.

Data: the payments generator's own transactions (seed 42, planted fraud included), written as
`marts.fct_transactions` with the columns the fraud features read (no ingest or dbt: not timed).
(a) `build_features(warehouse, "fraud")`: all 25 features, split and MCC risk, written to
    ml.fraud_features (the product path).
(a') the card-history subset below as bare DuckDB SQL into a temp table.
(b) the same subset with vectorised pandas: sort, groupby cumsum, time-based rolling with
    closed="left" (the window [t - w, t)), ties at one second removed via (card, second) groups.
(c) the same subset by a per-card groupby-apply with a Python loop over rows (the replaced projects'
    way), on the first cards covering --apply-rows rows, extrapolated linearly by rows.
Subset: card_transactions_before, seconds_since_card_previous, card_count/amount over 60 s, 1 h,
24 h and 7 d, amount_zscore_card, is_new_merchant. (b) and (c) are checked against (a').
Each step runs in a fresh interpreter; wall time of the computation, peak RSS of the child.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from _measure import machine, run_child, today

HERE = Path(__file__).resolve().parent
WINDOWS = {"60s": 60, "1h": 3_600, "24h": 86_400, "7d": 7 * 86_400}
SUBSET = [
    "card_transactions_before",
    "seconds_since_card_previous",
    *[f"card_{kind}_{w}" for w in WINDOWS for kind in ("count", "amount")],
    "amount_zscore_card",
    "is_new_merchant",
]
SUBSET_SQL = """
select
    transaction_id,
    count(*) over card_before as card_transactions_before,
    date_diff('second', max(event_at) over card_before, event_at) as seconds_since_card_previous,
    {windows},
    (amount - avg(amount) over card_before) / nullif(stddev_samp(amount) over card_before, 0)
        as amount_zscore_card,
    cast(min(event_at) over (partition by card_id, merchant_id) = event_at as integer) as is_new_merchant
from marts.fct_transactions
window card_before as (
    partition by card_id order by event_at range between unbounded preceding and current row exclude group
), {frames}
""".format(
    windows=",\n    ".join(
        f"count(*) over w{w} as card_count_{w}, coalesce(sum(amount) over w{w}, 0) as card_amount_{w}"
        for w in WINDOWS
    ),
    frames=", ".join(
        f"w{w} as (partition by card_id order by event_at range between interval {s} seconds preceding "
        "and current row exclude group)"
        for w, s in WINDOWS.items()
    ),
)


def write_transactions(rows: int, path: Path) -> None:
    """The generator's transactions as a fct_transactions-shaped parquet file (not timed)."""
    import polars as pl

    from commercelens.generate import payments as gp
    from commercelens.generate import payments_fraud as fraud
    from commercelens.generate import payments_reference as ref
    from commercelens.generate import payments_world as pw
    from commercelens.generate.common import make_rng

    world_rng, tx_rng, fraud_rng, label_rng = make_rng(42, "payments").spawn(4)
    world = pw.make_world(world_rng, rows)
    plan = fraud.plan_patterns(fraud_rng, rows)
    base = gp.draw_base(tx_rng, world, rows - plan.rows)
    tx = gp.in_time_order(base, fraud.plant_patterns(fraud_rng, world, base, plan))
    ids = gp.transaction_ids(label_rng, rows)
    is_fraud, _ = fraud.draw_labels(label_rng, world, tx, fraud.fraud_probability(world, tx))
    labelled = label_rng.random(rows) < gp.LABELLED_SHARE
    m, merchant = world.merchants, tx["merchant"]
    errors = np.array(ref.ERROR_VALUES, dtype=object)[tx["error"]]
    states = np.array([*world.cities.state.tolist(), None], dtype=object)
    frame = pl.DataFrame(
        {
            "transaction_id": ids,
            "event_at": pl.from_epoch(pl.Series(tx["t"]), time_unit="s"),
            "card_id": tx["card"],
            "amount": tx["cents"] / 100,
            "channel": np.array(["swipe", "chip", "online"])[tx["channel"]],
            "merchant_id": m.merchant_id[merchant],
            "merchant_state": pl.Series(
                states[np.where(m.city >= 0, m.city, len(states) - 1)[merchant]].tolist(), dtype=pl.String
            ),
            "zip": pl.Series(m.zip[merchant], nan_to_null=True).cast(pl.Int64).cast(pl.String),
            "mcc": m.mcc[merchant],
            "has_error": tx["error"] > 0,
            "error_count": np.array([e.count(",") + 1 if e else 0 for e in ref.ERROR_VALUES])[tx["error"]],
            "has_error_bad_card_number": np.char.find(errors.astype(str), "Bad Card Number") >= 0,
            "has_error_bad_expiration": np.char.find(errors.astype(str), "Bad Expiration") >= 0,
            "has_error_bad_cvv": np.char.find(errors.astype(str), "Bad CVV") >= 0,
            "device_id": pl.Series(np.where(tx["device"] >= 0, tx["device"], -1)).cast(pl.String),
            "merchant_latitude": pl.Series(m.lat[merchant], nan_to_null=True),
            "merchant_longitude": pl.Series(m.lon[merchant], nan_to_null=True),
            "is_labelled": labelled,
            "is_fraud": pl.Series(is_fraud).set(pl.Series(~labelled), None),
        }
    ).with_columns(pl.when(pl.col("device_id") != "-1").then(pl.col("device_id")).alias("device_id"))
    frame.write_parquet(path)


# --- (b) vectorised pandas ------------------------------------------------------------------


def subset_vectorised(df: pd.DataFrame) -> pd.DataFrame:
    """(b) The subset with vectorised pandas; rows sorted by (card_id, event_at, transaction_id)."""
    df = df.sort_values(["card_id", "event_at", "transaction_id"], ignore_index=True)
    card, peers = df.groupby("card_id", sort=False), df.groupby(["card_id", "event_at"], sort=False)
    out = pd.DataFrame({"transaction_id": df["transaction_id"]})
    amount, square = df["amount"], df["amount"] ** 2
    # Rows before in sort order, minus earlier rows of the same second: strictly earlier rows.
    n = card.cumcount() - peers.cumcount()
    total = card["amount"].cumsum() - amount - (peers["amount"].cumsum() - amount)
    total_sq = (
        square.groupby(df["card_id"]).cumsum()
        - square
        - (square.groupby([df["card_id"], df["event_at"]]).cumsum() - square)
    )
    out["card_transactions_before"] = n
    previous = card["event_at"].shift().where(peers.cumcount() == 0)
    previous = previous.groupby([df["card_id"], df["event_at"]]).transform("first")
    out["seconds_since_card_previous"] = (df["event_at"] - previous).dt.total_seconds()
    indexed = df.set_index("event_at")
    for w, seconds in WINDOWS.items():
        rolled = indexed.groupby("card_id", sort=False)["amount"].rolling(f"{seconds}s", closed="left")
        out[f"card_count_{w}"] = rolled.count().fillna(0).astype(int).to_numpy()
        out[f"card_amount_{w}"] = rolled.sum().fillna(0.0).to_numpy()
    mean = total / n.where(n > 0)
    variance = (total_sq - n * mean**2) / (n - 1).where(n > 1)
    sd = np.sqrt(variance.clip(lower=0))
    out["amount_zscore_card"] = (amount - mean) / sd.where(sd > 0)
    first = df.groupby(["card_id", "merchant_id"])["event_at"].transform("min")
    out["is_new_merchant"] = (first == df["event_at"]).astype(int)
    return out


# --- (c) per-card groupby-apply -------------------------------------------------------------


def _one_card(group: pd.DataFrame) -> pd.DataFrame:
    t = group["event_at"].to_numpy("datetime64[s]").astype(np.int64)
    amount, merchant = group["amount"].to_numpy(), group["merchant_id"].to_numpy()
    rows = []
    for i in range(len(t)):
        before = t < t[i]
        earlier = amount[before]
        row = {"card_transactions_before": int(before.sum())}
        row["seconds_since_card_previous"] = float(t[i] - t[before].max()) if before.any() else np.nan
        for w, seconds in WINDOWS.items():
            inside = before & (t >= t[i] - seconds)
            row[f"card_count_{w}"] = int(inside.sum())
            row[f"card_amount_{w}"] = float(amount[inside].sum())
        sd = earlier.std(ddof=1) if len(earlier) > 1 else np.nan
        row["amount_zscore_card"] = (amount[i] - earlier.mean()) / sd if sd > 0 else np.nan
        row["is_new_merchant"] = int(not (before & (merchant == merchant[i])).any())
        rows.append(row)
    return pd.DataFrame(rows, index=group.index).assign(transaction_id=group["transaction_id"].to_numpy())


def subset_per_card(df: pd.DataFrame) -> pd.DataFrame:
    """(c) The subset by a groupby-apply per card and a Python loop per row."""
    return df.groupby(df["card_id"].rename("key"), group_keys=False).apply(_one_card)


# --- steps, each in a fresh interpreter -----------------------------------------------------

_PANDAS = """
import sys, time
sys.path.insert(0, {here!r})
import pandas as pd
import features as bench
t0 = time.perf_counter()
df = pd.read_parquet({parquet!r}, columns=["transaction_id", "event_at", "card_id", "amount", "merchant_id"])
df["event_at"] = df["event_at"].astype("datetime64[ns]")
load_seconds = time.perf_counter() - t0
"""


def prepare_step(rows: int, work: Path):
    return run_child(
        f"prepare {rows:,}",
        f"""
        import sys, duckdb
        sys.path.insert(0, {str(HERE)!r})
        from pathlib import Path
        import features as bench
        bench.write_transactions({rows}, Path({str(work / "tx.parquet")!r}))
        con = duckdb.connect({str(work / "warehouse.duckdb")!r})
        for schema in ("marts", "ml", "ops"):
            con.execute(f"create schema if not exists {{schema}}")
        con.execute("create or replace table marts.fct_transactions as "
                    "select * from read_parquet({str(work / "tx.parquet")!r}) order by event_at, transaction_id")
        n = con.execute("select count(*) from marts.fct_transactions").fetchall()[0][0]
        con.close()
        result = {{"rows": n}}
        """,
    )


def duckdb_build_step(work: Path):
    return run_child(
        "duckdb build_features",
        f"""
        import time
        from commercelens.features import build_features
        from commercelens.warehouse.duckdb import DuckDBWarehouse
        w = DuckDBWarehouse({str(work / "warehouse.duckdb")!r})
        w.execute("set threads = 2")
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            n = build_features(w, "fraud")
            seconds = time.perf_counter() - t0
            best = seconds if best is None else min(best, seconds)
        w.close()
        result = {{"seconds": best, "rows": n}}
        """,
    )


def duckdb_subset_step(work: Path):
    return run_child(
        "duckdb subset",
        f"""
        import sys, time, duckdb
        sys.path.insert(0, {str(HERE)!r})
        import features as bench
        con = duckdb.connect({str(work / "warehouse.duckdb")!r})
        con.execute("set threads = 2")
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            con.execute(f"create or replace temp table subset as {{bench.SUBSET_SQL}}")
            seconds = time.perf_counter() - t0
            best = seconds if best is None else min(best, seconds)
        con.execute("copy subset to {str(work / "duckdb_subset.parquet")!r}")
        con.close()
        result = {{"seconds": best}}
        """,
    )


def pandas_step(work: Path):
    return run_child(
        "pandas vectorised",
        _PANDAS.format(here=str(HERE), parquet=str(work / "tx.parquet"))
        + f"""
t0 = time.perf_counter()
out = bench.subset_vectorised(df)
seconds = time.perf_counter() - t0
out.to_parquet({str(work / "pandas_subset.parquet")!r})
result = {{"seconds": seconds, "load_seconds": load_seconds}}
""",
    )


def apply_step(work: Path, apply_rows: int):
    return run_child(
        "pandas groupby-apply",
        _PANDAS.format(here=str(HERE), parquet=str(work / "tx.parquet"))
        + f"""
sizes = df.groupby("card_id").size()
cards = sizes.index[sizes.cumsum() <= max({apply_rows}, int(sizes.iloc[0]))]
part = df[df["card_id"].isin(cards)]
t0 = time.perf_counter()
out = bench.subset_per_card(part)
seconds = time.perf_counter() - t0
out.to_parquet({str(work / "apply_subset.parquet")!r})
result = {{"seconds": seconds, "rows": len(part), "total_rows": len(df)}}
""",
    )


def check_same(work: Path, name: str) -> int:
    """Rows of `name` whose subset features differ from DuckDB's (floats to 1e-6 relative)."""
    expected = pd.read_parquet(work / "duckdb_subset.parquet").set_index("transaction_id")
    got = pd.read_parquet(work / name).set_index("transaction_id")
    expected = expected.loc[got.index]
    bad = np.zeros(len(got), dtype=bool)
    for column in SUBSET:
        a, b = expected[column].to_numpy(float), got[column].to_numpy(float)
        close = np.isclose(a, b, rtol=1e-6, atol=1e-6) | (np.isnan(a) & np.isnan(b))
        bad |= ~close
    return int(bad.sum())


def run(rows: int, apply_rows: int, work: Path) -> dict:
    prepared = prepare_step(rows, work)
    full, subset = duckdb_build_step(work), duckdb_subset_step(work)
    vectorised, applied = pandas_step(work), apply_step(work, apply_rows)
    extrapolated = applied.result["seconds"] * applied.result["total_rows"] / applied.result["rows"]
    return {
        "rows": prepared.result["rows"],
        "full": full,
        "subset": subset,
        "pandas": vectorised,
        "apply": applied,
        "apply_seconds": extrapolated,
        "apply_measured_rows": applied.result["rows"],
        "pandas_mismatches": check_same(work, "pandas_subset.parquet"),
        "apply_mismatches": check_same(work, "apply_subset.parquet"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 10_000_000])
    parser.add_argument("--apply-rows", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="bench-features-"))
    print(f"{machine()}, {today()}\n")
    print(
        "| transactions | (a) build_features, all 25 | (a') DuckDB subset | (b) pandas vectorised | (c) groupby-apply | (b)/(a') | (c)/(a') | peak RSS (a) / (b) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        work = root / str(rows)
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        r = run(rows, args.apply_rows, work)
        a, a1, b = r["full"].result["seconds"], r["subset"].result["seconds"], r["pandas"].result["seconds"]
        c = r["apply_seconds"]
        note = (
            ""
            if r["apply_measured_rows"] == r["rows"]
            else f" (extrapolated from {r['apply_measured_rows']:,} rows)"
        )
        print(
            f"| {r['rows']:,} | {a:.3f} s | {a1:.3f} s | {b:.2f} s (+{r['pandas'].result['load_seconds']:.2f} s load) "
            f"| {c:,.1f} s{note} | {b / a1:.0f}x | {c / a1:,.0f}x | {r['full'].peak_rss_mb:,.0f} MB / {r['pandas'].peak_rss_mb:,.0f} MB |"
        )
        print(
            f"<!-- rows differing from DuckDB: pandas {r['pandas_mismatches']}, apply {r['apply_mismatches']} -->"
        )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
