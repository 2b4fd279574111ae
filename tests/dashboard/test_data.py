"""The dashboard's own readers and the pricing simulator's scoring, without Streamlit."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import polars as pl
import pytest

from commercelens.config import load_settings
from commercelens.dashboard import charts, data
from commercelens.report.content import Missing
from commercelens.warehouse import open_warehouse


def test_gather_without_a_warehouse_is_missing_everywhere_and_creates_nothing(tmp_path):
    settings = load_settings(home=tmp_path, target="duckdb")
    parts = data.gather(settings, {"routes": data.route_performance, "alerts": data.latest_alerts})
    assert all(isinstance(p, Missing) and "run `commercelens demo`" in p.reason for p in parts.values())
    assert not any(tmp_path.iterdir())


def test_route_readers_compare_one_route_with_all_others(dashboard_home):
    with open_warehouse(dashboard_home, read_only=True) as w:
        routes = data.route_performance(w)
        weekly = data.route_weekly(w, data.STORY_ROUTE)
        lead = data.route_breakdown(w, data.STORY_ROUTE, "lead_time")
        searches = w.fetch_all("select count(*) from marts.fct_searches")[0][0]
        with pytest.raises(ValueError, match="unknown breakdown"):
            data.route_breakdown(w, data.STORY_ROUTE, "route; drop table x")
    assert data.STORY_ROUTE in routes["route"].to_list()
    assert routes["searches"].sum() == weekly["searches"].sum() == lead["searches"].sum() == searches
    assert set(weekly["route_group"]) == {data.STORY_ROUTE, "all other routes"}
    assert set(lead["bucket"]) <= set(data.LEAD_BUCKETS)


def test_latest_alerts_are_newest_first_and_filtered_by_level(dashboard_home):
    with open_warehouse(dashboard_home, read_only=True) as w:
        latest = data.latest_alerts(w, limit=20, levels=("HIGH", "CRITICAL"))
        run = data.latest_stream_run(w)
    assert 0 < latest.height <= 20
    assert set(latest["level"]) <= {"HIGH", "CRITICAL"}
    assert latest["event_time"].is_sorted(descending=True)
    assert run.processed > 0 and run.alerts > 0


def test_simulator_scores_like_the_api(dashboard_home):
    """The same search through the dashboard and through the API's scorer: the same answer."""
    from commercelens.api.booking import BookingScorer
    from commercelens.api.booking_features import load_state
    from commercelens.ml.policy import DecisionPolicy
    from commercelens.ml.tasks import champion

    bundle = champion(dashboard_home, "booking")
    with open_warehouse(dashboard_home, read_only=True) as w:
        state = load_state(w)
    user = max((u for u in state.users.items() if u[1].is_known), key=lambda u: u[1].searches)[0]
    at = data.earliest_search_time(state)
    origin, destination = data.split_route(data.STORY_ROUTE)
    searches = [
        data.SimulatedSearch(who, at, origin, destination, at.date() + timedelta(days=d), 1, price)
        for who in (user, "someone-new")
        for d, price in ((0, 40.0), (14, None), (45, 90.0))
    ]
    policy = DecisionPolicy()
    simulated = data.simulate(bundle, state, searches, policy, reasons=3)
    scored = BookingScorer(bundle, state, policy).score(searches)
    assert simulated.probability == pytest.approx([s.probability for s in scored], abs=1e-12)
    assert simulated.decision == [s.decision for s in scored]
    assert simulated.features.columns == list(bundle.feature_columns)
    assert [[name for name, _ in r] for r in simulated.reasons] == [
        [n for n, _, _ in s.reasons] for s in scored
    ]
    reference = data.typical_price(state, data.STORY_ROUTE, 14)
    assert reference is not None and reference > 0


def test_every_chart_is_a_valid_vega_lite_spec():
    day = pl.date_range(pl.date(2025, 1, 1), pl.date(2025, 1, 3), eager=True)
    curve = pl.DataFrame(
        {
            "threshold": [1.0, 0.5, 0.0] * 2,
            "fpr": [0.0, 0.2, 1.0] * 2,
            "tpr": [0.0, 0.6, 1.0] * 2,
            "precision": [1.0, 0.5, 0.1] * 2,
            "recall": [0.0, 0.6, 1.0] * 2,
            "source": ["model"] * 3 + ["oracle"] * 3,
        }
    )
    specs = [
        charts.roc_chart(curve),
        charts.pr_chart(curve),
        charts.time_to_convert_chart(
            pl.DataFrame(
                {
                    "session_start_date": day,
                    "mean_seconds_to_convert": [60.0, None, 90.0],
                    "median_seconds_to_convert": [50.0, None, 80.0],
                    "p90_seconds_to_convert": [99.0, None, 120.0],
                }
            )
        ),
        charts.power_curve_chart(pl.DataFrame({"n_total": [10, 20], "power": [0.3, 0.9]}), 0.8, 15),
    ]
    for spec in specs:
        assert isinstance(spec, alt.TopLevelMixin)
        spec.to_dict()  # validates against the Vega-Lite schema
