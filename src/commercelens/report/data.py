"""What the report shows from the warehouse marts: KPIs, funnels and fraud, as small values.

Every query reads a mart (or `ops.fraud_alerts`) and returns a frozen dataclass or a Polars
frame; a missing table raises :class:`NotAvailable` naming the table and what to run, which the
page shows as one line instead of the section. Money and rates are cast to double precision in
SQL, so DuckDB and PostgreSQL give the same Python types.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from commercelens.warehouse.base import Warehouse

DEMO_HINT = "run `commercelens demo` (or `commercelens transform`)"
ALERTS_TABLE = "ops.fraud_alerts"
# Top risky MCCs: a code needs this many labelled transactions, or one fraud makes it "riskiest".
MIN_LABELLED_PER_MCC = 50
TOP_MCCS = 10


class NotAvailable(Exception):
    """A section's source is missing; the message says which and what to run."""


@dataclass(frozen=True)
class RailKpis:
    searches: int
    searches_with_attempt: int  # at least one booking attempt, successful or not
    bookings: int  # searches sold: with a successful booking
    revenue_eur: float
    first_date: date | None
    last_date: date | None

    @property
    def conversion(self) -> float | None:
        return self.bookings / self.searches if self.searches else None


@dataclass(frozen=True)
class ShopKpis:
    sessions: int  # valid sessions (invalid ones break the funnel order; counted apart)
    invalid_sessions: int
    sessions_with_view: int
    sessions_with_cart: int
    sessions_with_purchase: int
    median_seconds_to_purchase: float | None  # first view -> first purchase of converting sessions
    first_date: date | None
    last_date: date | None

    @property
    def conversion(self) -> float | None:
        return self.sessions_with_purchase / self.sessions if self.sessions else None


@dataclass(frozen=True)
class PaymentsKpis:
    transactions: int
    volume: float  # sum of payment amounts (refunds left out)
    labelled: int
    fraudulent: int
    fraud_loss: float
    first_date: date | None
    last_date: date | None

    @property
    def label_coverage(self) -> float | None:
        return self.labelled / self.transactions if self.transactions else None

    @property
    def fraud_rate(self) -> float | None:
        """Over labelled transactions only: an unlabelled one is unknown, not honest."""
        return self.fraudulent / self.labelled if self.labelled else None


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int


@dataclass(frozen=True)
class Funnel:
    title: str
    steps: tuple[FunnelStep, ...]

    def step_rates(self) -> list[float | None]:
        """Each step's share of the step before it (None for the first step or after a zero)."""
        rates: list[float | None] = [None]
        for before, after in zip(self.steps, self.steps[1:], strict=False):
            rates.append(after.count / before.count if before.count else None)
        return rates


def require(warehouse: Warehouse, table: str, hint: str = DEMO_HINT) -> None:
    """Raise NotAvailable unless `table` exists."""
    if not warehouse.table_exists(table):
        raise NotAvailable(f"{table} does not exist: {hint}")


def _frame(warehouse: Warehouse, sql: str) -> pl.DataFrame:
    frame = pl.from_arrow(warehouse.fetch_arrow(sql))
    assert isinstance(frame, pl.DataFrame)
    return frame


def rail_kpis(warehouse: Warehouse) -> RailKpis:
    require(warehouse, "marts.fct_searches")
    row = warehouse.fetch_all(
        """select
            count(*),
            count(case when booking_attempts > 0 then 1 end),
            count(case when is_converted then 1 end),
            cast(coalesce(sum(revenue_eur), 0) as double precision),
            min(search_date),
            max(search_date)
        from marts.fct_searches"""
    )[0]
    return RailKpis(*row)


def rail_funnel(kpis: RailKpis) -> Funnel:
    steps = (
        FunnelStep("searches", kpis.searches),
        FunnelStep("booking attempted", kpis.searches_with_attempt),
        FunnelStep("booked (payment succeeded)", kpis.bookings),
    )
    return Funnel("Rail: search -> booking (marts.fct_searches)", steps)


def shop_kpis(warehouse: Warehouse) -> ShopKpis:
    require(warehouse, "marts.fct_sessions")
    row = warehouse.fetch_all(
        """select
            count(case when is_valid then 1 end),
            count(case when not is_valid then 1 end),
            count(case when is_valid and has_view then 1 end),
            count(case when is_valid and has_addtocart then 1 end),
            count(case when is_valid and has_transaction then 1 end),
            percentile_cont(0.5) within group (order by case when is_valid and has_transaction
                then cast(extract(epoch from first_transaction_at - first_view_at) as double precision)
            end),
            min(session_start_date),
            max(session_start_date)
        from marts.fct_sessions"""
    )[0]
    return ShopKpis(*row)


def shop_funnel(kpis: ShopKpis) -> Funnel:
    steps = (
        FunnelStep("sessions (valid)", kpis.sessions),
        FunnelStep("viewed an item", kpis.sessions_with_view),
        FunnelStep("added to cart", kpis.sessions_with_cart),
        FunnelStep("purchased", kpis.sessions_with_purchase),
    )
    return Funnel("Shop: view -> cart -> purchase (marts.fct_sessions)", steps)


def shop_funnel_daily(warehouse: Warehouse) -> pl.DataFrame:
    """Per day: valid sessions and the three funnel rates (marts.fct_funnel_daily)."""
    require(warehouse, "marts.fct_funnel_daily")
    return _frame(
        warehouse,
        """select
            session_start_date,
            cast(session_count as bigint) as session_count,
            cast(view_to_addtocart_rate as double precision) as view_to_addtocart_rate,
            cast(addtocart_to_transaction_rate as double precision) as addtocart_to_transaction_rate,
            cast(session_conversion_rate as double precision) as session_conversion_rate
        from marts.fct_funnel_daily
        order by session_start_date""",
    )


def payments_kpis(warehouse: Warehouse) -> PaymentsKpis:
    require(warehouse, "marts.fct_transactions")
    row = warehouse.fetch_all(
        """select
            count(*),
            cast(coalesce(sum(case when not is_refund then amount end), 0) as double precision),
            count(case when is_labelled then 1 end),
            count(case when is_fraud then 1 end),
            cast(coalesce(sum(fraud_loss_amount), 0) as double precision),
            min(transaction_date),
            max(transaction_date)
        from marts.fct_transactions"""
    )[0]
    return PaymentsKpis(*row)


_FRAUD_COLUMNS = """
    cast(transactions as bigint) as transactions,
    cast(labelled_transactions as bigint) as labelled_transactions,
    cast(fraudulent_transactions as bigint) as fraudulent_transactions,
    cast(label_coverage as double precision) as label_coverage,
    cast(fraud_rate as double precision) as fraud_rate,
    cast(fraud_loss_amount as double precision) as fraud_loss_amount"""


def fraud_by_hour(warehouse: Warehouse) -> pl.DataFrame:
    """The "Vampire Index": fraud rate (over labelled rows) and label coverage per hour of day."""
    require(warehouse, "marts.rpt_fraud_by_hour")
    return _frame(
        warehouse,
        f"select hour_of_day, {_FRAUD_COLUMNS} from marts.rpt_fraud_by_hour order by hour_of_day",
    )


def risky_mccs(warehouse: Warehouse, top: int = TOP_MCCS) -> pl.DataFrame:
    """The MCCs with the highest fraud rate among those with enough labelled transactions."""
    require(warehouse, "marts.rpt_fraud_by_mcc")
    return _frame(
        warehouse,
        f"""select mcc, mcc_description, {_FRAUD_COLUMNS}
        from marts.rpt_fraud_by_mcc
        where labelled_transactions >= {MIN_LABELLED_PER_MCC} and fraud_rate is not null
        order by fraud_rate desc, fraud_loss_amount desc, mcc
        limit {int(top)}""",
    )


def fraud_loss_monthly(warehouse: Warehouse) -> pl.DataFrame:
    """Fraud loss and fraud rate per calendar month (marts.rpt_fraud_loss_daily summed)."""
    require(warehouse, "marts.rpt_fraud_loss_daily")
    return _frame(
        warehouse,
        """select
            cast(date_trunc('month', transaction_date) as date) as month_start_date,
            cast(sum(transactions) as bigint) as transactions,
            cast(sum(labelled_transactions) as bigint) as labelled_transactions,
            cast(sum(fraudulent_transactions) as bigint) as fraudulent_transactions,
            cast(sum(fraud_loss_amount) as double precision) as fraud_loss_amount
        from marts.rpt_fraud_loss_daily
        group by 1
        order by 1""",
    )


def alerts_by_rule_and_level(warehouse: Warehouse) -> pl.DataFrame:
    """Alerts of the stream (rule, level, alerts), when a replay or `stream run` wrote them."""
    require(
        warehouse,
        ALERTS_TABLE,
        "run `commercelens demo` (or `commercelens stream run --sink duckdb`)",
    )
    return _frame(
        warehouse,
        f"""select rule, level, cast(count(*) as bigint) as alerts
        from {ALERTS_TABLE} group by rule, level order by rule, level""",
    )
