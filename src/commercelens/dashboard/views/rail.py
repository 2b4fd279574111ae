"""Rail: route performance, the search -> booking funnel and a route drill-down (Paris -> Lyon)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.dashboard.data import BREAKDOWNS, LEAD_BUCKETS, STORY_ROUTE
from commercelens.report import data as report_data
from commercelens.report import markup as fmt
from commercelens.report.content import Missing


def funnel_section(kpis) -> None:
    funnel = report_data.rail_funnel(kpis)
    st.subheader("Search -> booking funnel")
    left, right = st.columns(2)
    with left:
        common.chart(charts.funnel_chart(funnel))
    rates = funnel.step_rates()
    first = funnel.steps[0].count
    right.dataframe(
        pl.DataFrame(
            {
                "step": [s.label for s in funnel.steps],
                "searches": [s.count for s in funnel.steps],
                "of all searches": [s.count / first if first else None for s in funnel.steps],
                "of the step before": rates,
            }
        ),
        hide_index=True,
        column_config={
            "searches": st.column_config.NumberColumn(format="localized"),
            "of all searches": st.column_config.NumberColumn(format="percent"),
            "of the step before": st.column_config.NumberColumn(format="percent"),
        },
    )
    failed = kpis.searches_with_attempt - kpis.bookings
    right.caption(f"{failed:,} searches had a booking attempt but no successful payment.")


def drilldown(where: common.Workdir, routes: pl.DataFrame) -> None:
    names = routes["route"].to_list()
    st.subheader("Route drill-down")
    route = st.selectbox(
        "Route",
        names,
        index=names.index(STORY_ROUTE) if STORY_ROUTE in names else 0,
        help="Compared with every other route together",
    )
    row = routes.filter(pl.col("route") == route).row(0, named=True)
    others = routes.filter(pl.col("route") != route)
    other_searches = int(others["searches"].sum())
    other_rate = int(others["converted_searches"].sum()) / other_searches if other_searches else None
    delta = (
        None
        if other_rate is None
        else f"{(row['conversion_rate'] - other_rate) * 100:+.1f} pp vs other routes"
    )
    columns = st.columns(4)
    columns[0].metric("Searches", fmt.count(row["searches"]), border=True)
    columns[1].metric("Conversion", fmt.pct(row["conversion_rate"], 2), delta, border=True)
    columns[2].metric("Other routes' conversion", fmt.pct(other_rate, 2), border=True)
    columns[3].metric("Revenue", fmt.amount(row["revenue_eur"], "EUR"), border=True)

    parts = loaders.route_drilldown(where.home, where.target, route)
    weekly = parts["weekly"]
    if not common.unavailable(weekly, "weekly conversion"):
        st.markdown(f"**Weekly conversion: {route} against all other routes**")
        common.chart(charts.route_weekly_chart(weekly, route))
    tabs = st.tabs([label[0].upper() + label[1:] for _, label in BREAKDOWNS.values()])
    for tab, (by, (_, label)) in zip(tabs, BREAKDOWNS.items(), strict=True):
        with tab:
            frame = parts[by]
            if not common.unavailable(frame, label):
                order = LEAD_BUCKETS if by == "lead_time" else None
                common.chart(charts.breakdown_chart(frame, route, label, order))


def render() -> None:
    where = common.header(
        "Rail",
        "Searches and bookings of the train operator (marts.fct_searches, marts.dim_routes, "
        "marts.fct_daily_route_performance). A search converts only with a successful booking.",
    )
    parts = loaders.rail(where.home, where.target)
    kpis = parts["kpis"]
    if not common.unavailable(kpis, "rail KPIs"):
        st.caption(common.period(kpis))
        common.cards(
            [
                ("Searches", fmt.count(kpis.searches), None),
                ("Bookings", fmt.count(kpis.bookings), "Searches with a successful booking"),
                ("Conversion", fmt.pct(kpis.conversion, 2), "Bookings / searches"),
                ("Revenue", fmt.amount(kpis.revenue_eur, "EUR"), None),
            ]
        )
        funnel_section(kpis)

    st.subheader("Route performance")
    routes = parts["routes"]
    if isinstance(routes, Missing) or routes.is_empty():
        common.unavailable(routes if isinstance(routes, Missing) else Missing("no routes yet"), "routes")
        return
    left, right = st.columns([3, 2])
    with left:
        common.chart(charts.route_bars(routes, STORY_ROUTE))
    with right:
        common.table(
            routes.select("route", "searches", "converted_searches", "conversion_rate", "revenue_eur"),
            column_config={
                "converted_searches": st.column_config.NumberColumn("bookings", format="localized"),
                "searches": st.column_config.NumberColumn(format="localized"),
                "conversion_rate": st.column_config.NumberColumn("conversion", format="percent"),
                "revenue_eur": st.column_config.NumberColumn("revenue (EUR)", format="%.0f"),
            },
        )
    drilldown(where, routes)


if __name__ == "__main__":
    render()
