"""Fraud: the Vampire Index with label coverage, the riskiest MCCs, loss over time, the stream's alerts."""

from __future__ import annotations

import streamlit as st

from commercelens.dashboard import charts, common, loaders
from commercelens.dashboard.data import ALERT_LEVELS
from commercelens.report import markup as fmt
from commercelens.report.content import Missing
from commercelens.report.data import MIN_LABELLED_PER_MCC


def alerts_section(where: common.Workdir) -> None:
    st.subheader("Latest stream alerts")
    levels = st.pills(
        "Levels",
        ALERT_LEVELS,
        selection_mode="multi",
        default=["MEDIUM", "HIGH", "CRITICAL"],
        key="alert_levels",
    )
    parts = loaders.alerts(where.home, where.target, tuple(levels or ALERT_LEVELS))
    run = parts["run"]
    if not common.unavailable(run, "stream runs"):
        st.caption(
            f"Last run finished {run.finished_at:%Y-%m-%d %H:%M:%S} UTC: {run.processed:,} transactions from "
            f"{run.source}, {run.alerts:,} alerts; model: {run.model}"
        )
    by_rule = parts["by_rule"]
    if not common.unavailable(by_rule, "alerts per rule") and not by_rule.is_empty():
        common.chart(charts.alerts_chart(by_rule))
    latest = parts["latest"]
    if not common.unavailable(latest, "latest alerts"):
        shown = ", ".join(levels or ALERT_LEVELS)
        st.markdown(
            f"**The {latest.height} newest {shown} alerts by event time** (one per transaction and rule)"
        )
        common.table(
            latest,
            column_config={
                "event_time": st.column_config.DatetimeColumn("event time", format="YYYY-MM-DD HH:mm:ss"),
                "score": st.column_config.ProgressColumn(
                    "score", min_value=0.0, max_value=1.0, format="%.2f"
                ),
                "model_probability": st.column_config.NumberColumn("model P(fraud)", format="%.4f"),
                "rules_fired": "rules fired on the transaction",
            },
        )


def render() -> None:
    where = common.header(
        "Fraud",
        "Card payments (marts.fct_transactions and its rpt_fraud_* roll-ups) and the real-time "
        "stream's alerts (ops.fraud_alerts). Fraud rates are over labelled transactions only; label "
        "coverage says how many that is.",
    )
    parts = loaders.fraud(where.home, where.target)
    kpis = parts["kpis"]
    if not common.unavailable(kpis, "payments KPIs"):
        st.caption(common.period(kpis))
        common.cards(
            [
                ("Transactions", fmt.count(kpis.transactions), None),
                ("Label coverage", fmt.pct(kpis.label_coverage), "Labelled / all transactions"),
                ("Fraud rate", fmt.pct(kpis.fraud_rate, 3), "Fraudulent / labelled transactions"),
                (
                    "Fraud loss",
                    fmt.amount(kpis.fraud_loss, "USD"),
                    f"{kpis.fraudulent:,} fraudulent transactions",
                ),
            ]
        )

    st.subheader("Vampire Index: fraud by hour of day")
    by_hour = parts["by_hour"]
    if not common.unavailable(by_hour, "fraud by hour"):
        st.caption(
            "Bars: fraud rate over labelled transactions (left axis). Line: label coverage (right "
            "axis); an hour with low coverage has a less certain rate. marts.rpt_fraud_by_hour"
        )
        common.chart(charts.vampire_chart(by_hour))

    left, right = st.columns(2)
    mccs = parts["mccs"]
    with left:
        st.subheader("Top risky MCCs")
        if not common.unavailable(mccs, "risky MCCs"):
            st.caption(
                f"Highest fraud rate among MCCs with at least {MIN_LABELLED_PER_MCC} labelled transactions"
            )
            if mccs.is_empty():
                st.info("No MCC has enough labelled transactions yet.")
            else:
                common.chart(charts.risky_mcc_chart(mccs))
    with right:
        st.subheader("Fraud loss over time")
        loss = parts["loss"]
        if not common.unavailable(loss, "fraud loss"):
            st.caption("Per calendar month (marts.rpt_fraud_loss_daily)")
            common.chart(charts.fraud_loss_chart(loss))
    if not isinstance(mccs, Missing) and not mccs.is_empty():
        common.table(
            mccs.select(
                "mcc",
                "mcc_description",
                "labelled_transactions",
                "fraudulent_transactions",
                "fraud_rate",
                "label_coverage",
                "fraud_loss_amount",
            ),
            column_config={
                "mcc": st.column_config.NumberColumn("MCC", format="%d"),
                "mcc_description": "description",
                "labelled_transactions": st.column_config.NumberColumn("labelled", format="localized"),
                "fraudulent_transactions": st.column_config.NumberColumn("fraudulent", format="localized"),
                "fraud_rate": st.column_config.NumberColumn("fraud rate", format="percent"),
                "label_coverage": st.column_config.NumberColumn("label coverage", format="percent"),
                "fraud_loss_amount": st.column_config.NumberColumn("fraud loss (USD)", format="%.2f"),
            },
        )

    alerts_section(where)


if __name__ == "__main__":
    render()
