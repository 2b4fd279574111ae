"""The warehouse sections of the report: KPIs, funnels and fraud (HTML fragments).

Each function takes gathered values (or `Missing`) and returns escaped HTML; a missing part is
one "not available: ..." line and the rest of the section still renders.
"""

from __future__ import annotations

import polars as pl

from commercelens.report import charts
from commercelens.report import markup as m
from commercelens.report.content import Missing, ReportData
from commercelens.report.data import MIN_LABELLED_PER_MCC, Funnel, PaymentsKpis, RailKpis, ShopKpis

LEVELS = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
_FRAUD_HEADERS = ("transactions", "label coverage", "frauds", "fraud rate", "fraud loss")


def _period(kpis: RailKpis | ShopKpis | PaymentsKpis) -> str:
    return "no rows" if kpis.first_date is None else f"{kpis.first_date} to {kpis.last_date}"


def _rail_cards(rail: RailKpis) -> list[str]:
    return [
        m.card("Searches", m.count(rail.searches)),
        m.card("Bookings", m.count(rail.bookings), "searches sold (payment succeeded)"),
        m.card("Conversion", m.pct(rail.conversion, 2), "bookings / searches"),
        m.card("Revenue", m.amount(rail.revenue_eur, "EUR"), "successful bookings"),
    ]


def _shop_cards(shop: ShopKpis) -> list[str]:
    return [
        m.card("Sessions", m.count(shop.sessions), f"valid; {shop.invalid_sessions:,} invalid left out"),
        m.card("Purchasing sessions", m.count(shop.sessions_with_purchase)),
        m.card("Conversion", m.pct(shop.conversion, 2), "purchasing / valid sessions"),
    ]


def _payments_cards(pay: PaymentsKpis) -> list[str]:
    coverage = f"over labelled transactions; label coverage {m.pct(pay.label_coverage)}"
    return [
        m.card("Transactions", m.count(pay.transactions)),
        m.card("Payment volume", m.amount(pay.volume, "USD"), "refunds left out"),
        m.card("Fraud rate", m.pct(pay.fraud_rate, 3), coverage),
        m.card("Fraud loss", m.amount(pay.fraud_loss, "USD"), f"{pay.fraudulent:,} fraudulent transactions"),
    ]


def kpis_section(report: ReportData) -> str:
    out = ""
    for title, part, make in (
        ("Rail (marts.fct_searches)", report.rail, _rail_cards),
        ("Shop (marts.fct_sessions)", report.shop, _shop_cards),
        ("Payments (marts.fct_transactions)", report.payments, _payments_cards),
    ):
        if isinstance(part, Missing):
            out += m.heading(title) + m.not_available(part.reason)
        else:
            out += m.heading(title, _period(part)) + m.cards(make(part))  # type: ignore[arg-type]
    return out


def _funnel(title: str, part: Funnel | Missing) -> str:
    if isinstance(part, Missing):
        return m.heading(title) + m.not_available(part.reason)
    first = part.steps[0].count
    rows = [
        (step.label, m.count(step.count), m.pct(step.count / first if first else None), m.pct(rate))
        for step, rate in zip(part.steps, part.step_rates(), strict=True)
    ]
    table = m.table(("step", "count", "of first step", "of previous step"), rows, numeric=(1, 2, 3))
    return m.heading(part.title) + table + m.img(charts.funnel_chart(part), part.title)


def funnels_section(report: ReportData) -> str:
    out = _funnel("Rail: search -> booking", report.rail_funnel)
    out += _funnel("Shop: view -> cart -> purchase", report.shop_funnel)
    shop = report.shop
    if not isinstance(shop, Missing) and shop.median_seconds_to_purchase is not None:
        minutes = shop.median_seconds_to_purchase / 60
        out += m.note(f"Median time from first view to purchase: {minutes:.1f} minutes.")
    out += m.heading("Shop funnel per day (marts.fct_funnel_daily)")
    daily = report.shop_daily
    if isinstance(daily, Missing):
        return out + m.not_available(daily.reason)
    return out + m.img(charts.daily_conversion_chart(daily), "shop funnel rates per day")


def _fraud_cells(row: dict) -> tuple[str, ...]:
    return (
        m.count(row["transactions"]),
        m.pct(row["label_coverage"]),
        m.count(row["fraudulent_transactions"]),
        m.pct(row["fraud_rate"], 3),
        m.amount(row["fraud_loss_amount"], "USD"),
    )


def _vampire_index(by_hour: pl.DataFrame | Missing) -> str:
    out = m.heading("Vampire Index: fraud rate by hour of day (marts.rpt_fraud_by_hour)")
    if isinstance(by_hour, Missing):
        return out + m.not_available(by_hour.reason)
    rated = by_hour.filter(pl.col("fraud_rate").is_not_null())
    if not rated.is_empty():
        peak = rated.sort("fraud_rate", descending=True).row(0, named=True)
        coverage = rated.get_column("label_coverage")
        out += m.note(
            f"Highest fraud rate at {peak['hour_of_day']}:00 ({m.pct(peak['fraud_rate'], 3)}). "
            "Rates are over labelled transactions only; label coverage per hour ranges from "
            f"{m.pct(coverage.min())} to {m.pct(coverage.max())}."
        )
    out += m.img(charts.vampire_index_chart(by_hour), "fraud rate and label coverage by hour of day")
    rows = [(row["hour_of_day"], *_fraud_cells(row)) for row in by_hour.iter_rows(named=True)]
    return out + m.folded("table", m.table(("hour", *_FRAUD_HEADERS), rows, numeric=range(6)))


def _risky_mccs(mccs: pl.DataFrame | Missing) -> str:
    out = m.heading("Top risky merchant categories (marts.rpt_fraud_by_mcc)")
    if isinstance(mccs, Missing):
        return out + m.not_available(mccs.reason)
    if mccs.is_empty():
        return out + m.note(f"No MCC has {MIN_LABELLED_PER_MCC} labelled transactions yet.")
    out += m.note(f"By fraud rate, among codes with at least {MIN_LABELLED_PER_MCC} labelled transactions.")
    rows = [(r["mcc"], r["mcc_description"] or "", *_fraud_cells(r)) for r in mccs.iter_rows(named=True)]
    out += m.table(("MCC", "description", *_FRAUD_HEADERS), rows, numeric=range(2, 7))
    return out + m.img(charts.risky_mcc_chart(mccs), "fraud rate of the riskiest merchant categories")


def _fraud_loss(monthly: pl.DataFrame | Missing) -> str:
    out = m.heading("Fraud loss over time (marts.rpt_fraud_loss_daily, per month)")
    if isinstance(monthly, Missing):
        return out + m.not_available(monthly.reason)
    if not monthly.is_empty():
        worst = monthly.sort("fraud_loss_amount", descending=True, nulls_last=True).row(0, named=True)
        total = monthly.get_column("fraud_loss_amount").sum()
        out += m.note(
            f"Total {m.amount(total, 'USD')}; worst month {worst['month_start_date']:%Y-%m} "
            f"({m.amount(worst['fraud_loss_amount'], 'USD')})."
        )
    return out + m.img(charts.fraud_loss_chart(monthly), "fraud loss per month")


def _stream_alerts(alerts: pl.DataFrame | Missing) -> str:
    out = m.heading("Stream alerts per rule and level (ops.fraud_alerts)")
    if isinstance(alerts, Missing):
        return out + m.not_available(alerts.reason)
    if alerts.is_empty():
        return out + m.note("The stream raised no alert.")
    counts = {(rule, level): n for rule, level, n in alerts.iter_rows()}
    rows = []
    for rule in sorted({rule for rule, _ in counts}):
        total = sum(n for (name, _), n in counts.items() if name == rule)
        rows.append((rule, *(m.count(counts.get((rule, level), 0)) for level in LEVELS), m.count(total)))
    out += m.table(("rule", *LEVELS, "all"), rows, numeric=range(1, 6))
    return out + m.img(charts.alerts_chart(alerts), "stream alerts per rule and level")


def fraud_section(report: ReportData) -> str:
    return (
        _vampire_index(report.fraud_by_hour)
        + _risky_mccs(report.risky_mccs)
        + _fraud_loss(report.fraud_loss_monthly)
        + _stream_alerts(report.alerts)
    )
