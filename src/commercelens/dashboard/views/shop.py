"""Shop funnel: view -> cart -> purchase of valid sessions, time to convert and where sessions drop off."""

from __future__ import annotations

from itertools import pairwise

import polars as pl
import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.report import data as report_data
from commercelens.report import markup as fmt


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:,.1f} min"


def render() -> None:
    where = common.header(
        "Shop funnel",
        "Sessions of the clickstream (RetailRocket layout; a session ends after 30 minutes of "
        "inactivity): marts.fct_sessions and marts.fct_funnel_daily. Invalid sessions (a purchase "
        "without a view or a cart, events out of order) are left out of the funnel.",
    )
    parts = loaders.shop(where.home, where.target)
    kpis = parts["kpis"]
    if not common.unavailable(kpis, "shop KPIs"):
        st.caption(f"{common.period(kpis)}; {kpis.invalid_sessions:,} invalid sessions left out")
        viewed = kpis.sessions_with_view
        common.cards(
            [
                ("Valid sessions", fmt.count(kpis.sessions), None),
                ("Conversion", fmt.pct(kpis.conversion, 2), "Purchasing / valid sessions"),
                (
                    "Cart rate",
                    fmt.pct(kpis.sessions_with_cart / viewed if viewed else None, 2),
                    "Sessions with a cart / sessions with a view",
                ),
                (
                    "Median time to purchase",
                    _minutes(kpis.median_seconds_to_purchase),
                    "First view to first purchase, converting sessions",
                ),
            ]
        )
        funnel = report_data.shop_funnel(kpis)
        st.subheader("View -> cart -> purchase")
        left, right = st.columns(2)
        with left:
            common.chart(charts.funnel_chart(funnel))
        steps = funnel.steps
        dropped = [
            None,
            *(before.count - after.count for before, after in pairwise(steps)),
        ]
        right.dataframe(
            pl.DataFrame(
                {
                    "step": [s.label for s in steps],
                    "sessions": [s.count for s in steps],
                    "of the step before": funnel.step_rates(),
                    "dropped here": dropped,
                }
            ),
            hide_index=True,
            column_config={
                "sessions": st.column_config.NumberColumn(format="localized"),
                "of the step before": st.column_config.NumberColumn(format="percent"),
                "dropped here": st.column_config.NumberColumn(format="localized"),
            },
        )

    daily = parts["daily"]
    if common.unavailable(daily, "daily funnel"):
        return
    st.subheader("Time to convert")
    st.caption("Minutes from the first view to the first purchase of converting sessions, per day")
    common.chart(charts.time_to_convert_chart(daily))
    st.subheader("Drop-off")
    after_view = int(daily["sessions_dropped_after_view"].sum())
    after_cart = int(daily["sessions_dropped_after_addtocart"].sum())
    common.cards(
        [
            ("Left after viewing", fmt.count(after_view), "Viewed, never added to the cart"),
            ("Left with a full cart", fmt.count(after_cart), "Added to the cart, never bought"),
        ]
    )
    common.chart(charts.drop_off_chart(daily))


if __name__ == "__main__":
    render()
