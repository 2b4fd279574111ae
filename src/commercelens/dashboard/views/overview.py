"""Overview: the KPIs of the three domains, the champion models against the oracle, stream alerts."""

from __future__ import annotations

import polars as pl
import streamlit as st

from commercelens.dashboard import common, loaders
from commercelens.report import markup as fmt
from commercelens.report.content import Missing


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:,.1f} min"


def render() -> None:
    where = common.header(
        "CommerceLens",
        "Rail bookings, shop funnel and card payments from the warehouse marts, the models against "
        "the planted truth, and the stream's fraud alerts.",
    )
    parts = loaders.overview(where.home, where.target)

    st.subheader("Rail")
    rail = parts["rail"]
    if not common.unavailable(rail):
        st.caption(f"marts.fct_searches, {common.period(rail)}")
        common.cards(
            [
                ("Searches", fmt.count(rail.searches), None),
                ("Bookings", fmt.count(rail.bookings), "Searches sold: a successful booking"),
                ("Conversion", fmt.pct(rail.conversion, 2), "Bookings / searches"),
                ("Revenue", fmt.amount(rail.revenue_eur, "EUR"), "Successful bookings"),
            ]
        )

    st.subheader("Shop")
    shop = parts["shop"]
    if not common.unavailable(shop):
        st.caption(
            f"marts.fct_sessions, {common.period(shop)}; {shop.invalid_sessions:,} invalid sessions left out"
        )
        common.cards(
            [
                ("Sessions", fmt.count(shop.sessions), "Valid sessions (30 minutes of inactivity end one)"),
                ("Purchasing sessions", fmt.count(shop.sessions_with_purchase), None),
                ("Conversion", fmt.pct(shop.conversion, 2), "Purchasing / valid sessions"),
                (
                    "Median time to purchase",
                    _minutes(shop.median_seconds_to_purchase),
                    "First view to first purchase, converting sessions",
                ),
            ]
        )

    st.subheader("Payments")
    pay = parts["payments"]
    if not common.unavailable(pay):
        st.caption(f"marts.fct_transactions, {common.period(pay)}")
        common.cards(
            [
                ("Transactions", fmt.count(pay.transactions), None),
                ("Payment volume", fmt.amount(pay.volume, "USD"), "Refunds left out"),
                (
                    "Fraud rate",
                    fmt.pct(pay.fraud_rate, 3),
                    f"Over labelled transactions only; label coverage {fmt.pct(pay.label_coverage)}",
                ),
                (
                    "Fraud loss",
                    fmt.amount(pay.fraud_loss, "USD"),
                    f"{pay.fraudulent:,} fraudulent transactions",
                ),
            ]
        )

    st.subheader("Models (latest evaluation, test period)")
    items = []
    for task, evaluation in loaders.latest_evaluations(where.home).items():
        if isinstance(evaluation, Missing):
            items.append((f"{task}: ROC-AUC", "-", evaluation.reason))
            continue
        ratio = (
            f"{evaluation.auc_ratio:.1%} of the oracle's {evaluation.oracle_roc_auc:.3f}"
            if evaluation.auc_ratio
            else "no oracle (no planted truth beside the data)"
        )
        items.append((f"{task}: ROC-AUC", fmt.num(evaluation.roc_auc, 3), ratio))
    common.cards(items)
    st.page_link(
        "views/models.py",
        label="ROC, PR, calibration, lift and SHAP of each champion",
        icon=":material/arrow_forward:",
    )

    st.subheader("Stream alerts")
    alerts = parts["alerts"]
    if not common.unavailable(alerts):
        levels = alerts.group_by("level").agg(pl.col("alerts").sum())
        by_level = dict(zip(levels["level"].to_list(), levels["alerts"].to_list(), strict=True))
        common.cards(
            [
                (
                    "All alerts",
                    fmt.count(int(alerts["alerts"].sum())),
                    "ops.fraud_alerts: one per (transaction, rule)",
                )
            ]
            + [(level.title(), fmt.count(by_level.get(level, 0)), None) for level in ("HIGH", "CRITICAL")]
        )


if __name__ == "__main__":
    render()
