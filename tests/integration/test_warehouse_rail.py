"""Rail and experiment marts: reconciled with raw by independent queries, equal on DuckDB and
PostgreSQL, and telling the planted story (Paris -> Lyon converts less)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

import pytest

from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse
from tests.integration.cross_target import as_decimal as _as_decimal
from tests.integration.cross_target import assert_same_on_both_targets

RAIL_MARTS = (
    "fct_searches",
    "fct_bookings",
    "fct_daily_route_performance",
    "dim_users",
    "dim_routes",
    "fct_experiment_assignments",
    "fct_experiment_metric_stats",
)
EXPERIMENT_ID = "discount_5pct"


@pytest.fixture(params=["built_duckdb", "built_postgres"])
def warehouse_built(request: pytest.FixtureRequest) -> Iterator[Warehouse]:
    settings, _, _ = request.getfixturevalue(request.param)
    with open_warehouse(settings) as w:
        yield w


def _dot(left: tuple, right: tuple) -> Decimal | None:
    """Sum of products over units; None for a column the metric does not use."""
    if left[0] is None or right[0] is None:
        return None
    return sum((Decimal(a) * Decimal(b) for a, b in zip(left, right, strict=True)), Decimal(0))


# --- (1) fct_daily_route_performance against raw ---------------------------------------------

# Written differently from the models on purpose: correlated subqueries on raw, no staging.
RAW_ROUTE_DAYS = """
select
    s.origin_station || ' -> ' || s.destination_station as route,
    cast(s.searched_at as date) as search_date,
    count(*) as searches,
    sum(case when exists (
        select 1 from raw.rail__bookings b
        where b.search_id = s.search_id and b.payment_status = 'Success'
    ) then 1 else 0 end) as converted_searches,
    sum(coalesce((
        select sum(b.amount_eur) from raw.rail__bookings b
        where b.search_id = s.search_id and b.payment_status = 'Success'
    ), 0)) as revenue_eur
from raw.rail__searches s
group by s.origin_station || ' -> ' || s.destination_station, cast(s.searched_at as date)
"""


def test_daily_route_revenue_and_conversion_equal_an_independent_count_from_raw(
    warehouse_built: Warehouse,
) -> None:
    expected = {}
    for route, day, searches, converted, revenue in warehouse_built.fetch_all(RAW_ROUTE_DAYS):
        searches, converted = int(searches), int(converted)
        expected[(route, day)] = (searches, converted, _as_decimal(revenue), converted / searches)
    marts = {
        (route, day): (int(searches), int(converted), _as_decimal(revenue), rate)
        for route, day, searches, converted, revenue, rate in warehouse_built.fetch_all(
            "select route, search_date, searches, converted_searches, revenue_eur, conversion_rate "
            "from marts.fct_daily_route_performance"
        )
    }
    assert len(expected) > 1000  # 20 routes x 181 days, most with a search
    assert marts == expected  # exact: counts, decimal revenue and the double rate


# --- (2) fct_experiment_metric_stats against raw ----------------------------------------------


def _units_from_raw(w: Warehouse) -> dict[str, tuple[str, object]]:
    """user_id -> (variation, first assigned_at) for users logged in one variation only."""
    rows = w.fetch_all(
        "select user_id, variation, assigned_at from raw.rail__experiment_assignments "
        "where experiment_id = ?",
        [EXPERIMENT_ID],
    )
    exposures: dict[str, list[tuple[object, str]]] = defaultdict(list)
    for user_id, variation, assigned_at in rows:
        exposures[user_id].append((assigned_at, variation))
    return {
        user_id: (min(seen)[1], min(seen)[0])
        for user_id, seen in exposures.items()
        if len({variation for _, variation in seen}) == 1
    }


def _per_user_outcomes(w: Warehouse, units: dict[str, tuple[str, object]]) -> dict[str, dict]:
    searches = w.fetch_all("select search_id, user_id, searched_at from raw.rail__searches")
    sold = dict(
        w.fetch_all("select search_id, amount_eur from raw.rail__bookings where payment_status = 'Success'")
    )
    outcome = {
        u: {"post_rev": Decimal(0), "pre_rev": Decimal(0), "post_n": 0, "post_conv": 0, "pre_conv": 0}
        for u in units
    }
    for search_id, user_id, searched_at in searches:
        if user_id not in units:
            continue
        revenue = _as_decimal(sold.get(search_id))
        period = "post" if searched_at >= units[user_id][1] else "pre"
        outcome[user_id][f"{period}_rev"] += revenue
        if search_id in sold:
            outcome[user_id][f"{period}_conv"] = 1
        if period == "post":
            outcome[user_id]["post_n"] += 1
    return outcome


def test_experiment_metric_stats_equal_sums_recomputed_in_python_from_raw(
    built_duckdb,
) -> None:
    settings, _, _ = built_duckdb
    with open_warehouse(settings) as w:
        units = _units_from_raw(w)
        outcome = _per_user_outcomes(w, units)
        stats = w.fetch_all(
            "select variation, metric_name, n, main_sum, main_sum_squares, denominator_sum, "
            "denominator_sum_squares, main_denominator_sum_product, covariate_sum, "
            "covariate_sum_squares, main_covariate_sum_product "
            "from marts.fct_experiment_metric_stats where experiment_id = ?",
            [EXPERIMENT_ID],
        )
    # metric -> (value, denominator, covariate) per unit
    definitions = {
        "conversion": lambda o: (o["post_conv"], None, o["pre_conv"]),
        "revenue_per_user": lambda o: (o["post_rev"], None, o["pre_rev"]),
        "revenue_per_search": lambda o: (o["post_rev"], o["post_n"], None),
    }
    expected = {}
    for variation in ("control", "discount_5pct"):
        members = [outcome[u] for u, (v, _) in units.items() if v == variation]
        for metric, values_of in definitions.items():
            x, d, c = zip(*(values_of(o) for o in members), strict=True)
            ones = (1,) * len(members)
            expected[(variation, metric)] = (
                len(members),
                *(_dot(x, ones), _dot(x, x)),
                *(_dot(d, ones), _dot(d, d), _dot(x, d)),
                *(_dot(c, ones), _dot(c, c), _dot(x, c)),
            )
    actual = {
        (variation, metric): (int(n), *(None if v is None else _as_decimal(v) for v in rest))
        for variation, metric, n, *rest in stats
    }
    assert sum(n for n, *_ in expected.values()) > 3 * 150  # ~195 assigned users, 3 metrics
    assert actual == expected


# --- (3) DuckDB and PostgreSQL agree --------------------------------------------------------


@pytest.mark.parametrize("mart", RAIL_MARTS)
def test_rail_mart_has_identical_counts_and_sums_on_duckdb_and_postgres(
    mart: str, built_duckdb, built_postgres
) -> None:
    assert_same_on_both_targets(f"marts.{mart}", built_duckdb, built_postgres)


# --- (4) the planted story --------------------------------------------------------------------


def test_paris_lyon_converts_below_every_other_route(built_duckdb) -> None:
    settings, _, _ = built_duckdb
    with open_warehouse(settings) as w:
        rows = w.fetch_all(
            "select route, sum(converted_searches), sum(searches) "
            "from marts.fct_daily_route_performance group by route"
        )
    rates = {route: int(converted) / int(searches) for route, converted, searches in rows}
    others = [(int(c), int(s)) for route, c, s in rows if route != "Paris -> Lyon"]
    pooled_others = sum(c for c, _ in others) / sum(s for _, s in others)
    paris_lyon = rates.pop("Paris -> Lyon")
    assert len(rates) == 19
    # Planted: about 7.5% against 13-17% on comparable routes.
    assert paris_lyon < pooled_others - 0.04
    assert paris_lyon < min(rates.values())
