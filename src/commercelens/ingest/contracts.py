"""Input contracts: for every source file, its exact columns, types, keys and parents.

One contract per raw entity. Ingestion, the dirt injector and the docs all read these,
so a layout is written down once. Column `name` is the header in the file; `raw_name` the
column in `raw.<source>__<entity>` (source names are kept, so staging does the renaming).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["int", "float", "decimal", "dollars", "text", "timestamp", "date", "month_year", "enum"]
Pii = Literal["pseudonymise", "last4", "drop"]
Reader = Literal["csv", "json_map", "json_labels"]
Format = Literal["native", "retailrocket", "kaggle", "tabformer"]

# The closed set of quarantine reasons, in the order rows are checked (the first that applies
# wins); `erased` (a data subject erased on request) overrides every other reason.
REASONS = ("unparseable", "missing_key", "bad_type", "unknown_value", "orphan", "duplicate", "erased")

SQL_TYPES: dict[Kind, str] = {
    "int": "BIGINT",
    "float": "DOUBLE",
    "decimal": "DECIMAL",
    "dollars": "DECIMAL",
    "text": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "month_year": "DATE",
    "enum": "VARCHAR",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "text"
    required: bool = False
    values: tuple[str, ...] = ()  # accepted values of an enum
    multi: bool = False  # an enum holding a comma-joined list (Kaggle `errors`)
    pii: Pii | None = None
    rename: str | None = None

    @property
    def raw_name(self) -> str | None:
        """Column name in raw; None when the column is dropped (CVV, street address)."""
        if self.pii == "drop":
            return None
        if self.rename:
            return self.rename
        if self.pii == "pseudonymise":
            return f"{self.name}_pseudonym"
        if self.pii == "last4":
            return f"{self.name}_last4"
        return self.name

    @property
    def raw_type(self) -> str:
        return "VARCHAR" if self.pii else SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Parent:
    """A foreign key: `column` must exist in `entity`'s `key` (else the row is an orphan)."""

    column: str
    entity: str
    key: str


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    files: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # header names; empty = exact-duplicate check only
    parents: tuple[Parent, ...] = ()
    extensions: tuple[Column, ...] = ()  # optional trailing columns (documented extensions)
    reader: Reader = "csv"
    subject: str | None = None  # header column holding the data subject's id (for erasure)

    @property
    def table(self) -> str:
        return f"raw.{self.source}__{self.name}"

    @property
    def quarantine_table(self) -> str:
        return f"quarantine.{self.source}__{self.name}"

    @property
    def has_pii(self) -> bool:
        return any(c.pii for c in self.columns + self.extensions)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns + self.extensions if c.name == name)


def _ids(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "int") for n in names)


def _dollars(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, "dollars") for n in names)


KAGGLE_ERRORS = (
    "Insufficient Balance",
    "Bad PIN",
    "Technical Glitch",
    "Bad Card Number",
    "Bad Expiration",
    "Bad CVV",
    "Bad Zipcode",
)
USE_CHIP = ("Swipe Transaction", "Chip Transaction", "Online Transaction")

RAIL: tuple[Entity, ...] = (
    Entity(
        "rail",
        "users",
        ("users.csv",),
        (
            Column("user_id", required=True),
            Column("email", required=True, pii="pseudonymise"),
            Column("full_name", pii="pseudonymise"),
            Column("signup_at", "timestamp"),
            Column("subscription_type", "enum", values=("none", "monthly", "annual")),
            Column("age", "int"),
            Column("device_os", "enum", values=("ios", "android", "web")),
        ),
        key=("user_id",),
        subject="user_id",
    ),
    Entity(
        "rail",
        "searches",
        ("searches.csv",),
        (
            Column("search_id", required=True),
            Column("user_id", required=True),
            Column("searched_at", "timestamp", required=True),
            Column("origin_station", required=True),
            Column("destination_station", required=True),
            Column("departure_date", "date", required=True),
            Column("passenger_count", "int"),
            Column("quoted_price_eur", "decimal"),
        ),
        key=("search_id",),
        parents=(Parent("user_id", "users", "user_id"),),
        subject="user_id",
    ),
    Entity(
        "rail",
        "bookings",
        ("bookings.csv",),
        (
            Column("booking_id", required=True),
            Column("search_id", required=True),
            Column("user_id", required=True),
            Column("booked_at", "timestamp", required=True),
            Column("payment_status", "enum", required=True, values=("Success", "Failed", "Pending")),
            Column("ticket_class", "enum", values=("first", "second")),
            Column("amount_eur", "decimal"),
        ),
        key=("booking_id",),
        parents=(Parent("search_id", "searches", "search_id"), Parent("user_id", "users", "user_id")),
        subject="user_id",
    ),
    Entity(
        "rail",
        "experiment_assignments",
        ("experiment_assignments.csv",),
        (
            Column("experiment_id", required=True),
            Column("user_id", required=True),
            Column("variation", required=True),
            Column("assigned_at", "timestamp", required=True),
        ),
        parents=(Parent("user_id", "users", "user_id"),),
        subject="user_id",
    ),
)

RETAILROCKET: tuple[Entity, ...] = (
    Entity(
        "shop",
        "events",
        ("events.csv",),
        (
            Column("timestamp", "int", required=True),
            Column("visitorid", "int", required=True),
            Column("event", "enum", required=True, values=("view", "addtocart", "transaction")),
            Column("itemid", "int", required=True),
            Column("transactionid", "int"),
        ),
        subject="visitorid",
    ),
    Entity(
        "shop",
        "item_properties",
        ("item_properties_part1.csv", "item_properties_part2.csv"),
        (
            Column("timestamp", "int", required=True),
            Column("itemid", "int", required=True),
            Column("property", required=True),
            Column("value"),
        ),
    ),
    Entity(
        "shop",
        "category_tree",
        ("category_tree.csv",),
        (Column("categoryid", "int", required=True), Column("parentid", "int")),
        key=("categoryid",),
    ),
)

KAGGLE: tuple[Entity, ...] = (
    Entity(
        "payments",
        "users",
        ("users_data.csv",),
        (
            Column("id", "int", required=True),
            *_ids("current_age", "retirement_age", "birth_year", "birth_month"),
            Column("gender", "enum", values=("Female", "Male")),
            Column("address", pii="drop"),
            Column("latitude", "float"),
            Column("longitude", "float"),
            *_dollars("per_capita_income", "yearly_income", "total_debt"),
            *_ids("credit_score", "num_credit_cards"),
        ),
        key=("id",),
        subject="id",
    ),
    Entity(
        "payments",
        "cards",
        ("cards_data.csv",),
        (
            Column("id", "int", required=True),
            Column("client_id", "int", required=True),
            Column("card_brand", "enum", values=("Visa", "Mastercard", "Amex", "Discover")),
            Column("card_type", "enum", values=("Debit", "Credit", "Debit (Prepaid)")),
            Column("card_number", pii="last4"),
            Column("expires", "month_year"),
            Column("cvv", pii="drop"),
            Column("has_chip", "enum", values=("YES", "NO")),
            Column("num_cards_issued", "int"),
            Column("credit_limit", "dollars"),
            Column("acct_open_date", "month_year"),
            Column("year_pin_last_changed", "int"),
            Column("card_on_dark_web", "enum", values=("No", "Yes")),
        ),
        key=("id",),
        parents=(Parent("client_id", "users", "id"),),
        subject="client_id",
    ),
    Entity(
        "payments",
        "transactions",
        ("transactions_data.csv",),
        (
            Column("id", "int", required=True),
            Column("date", "timestamp", required=True),
            Column("client_id", "int", required=True),
            Column("card_id", "int", required=True),
            Column("amount", "dollars", required=True),
            Column("use_chip", "enum", required=True, values=USE_CHIP),
            Column("merchant_id", "int"),
            Column("merchant_city"),
            Column("merchant_state"),
            Column("zip", "float"),
            Column("mcc", "int"),
            Column("errors", "enum", values=KAGGLE_ERRORS, multi=True),
        ),
        key=("id",),
        parents=(Parent("card_id", "cards", "id"), Parent("client_id", "users", "id")),
        # CommerceLens extensions for real-time rules; the real Kaggle file has none of them.
        extensions=(
            Column("event_time", "timestamp"),
            Column("device_id"),
            Column("merchant_latitude", "float"),
            Column("merchant_longitude", "float"),
        ),
        subject="client_id",
    ),
    Entity(
        "payments",
        "mcc_codes",
        ("mcc_codes.json",),
        (Column("mcc", "int", required=True), Column("description", required=True)),
        key=("mcc",),
        reader="json_map",
    ),
    Entity(
        "payments",
        "fraud_labels",
        ("train_fraud_labels.json",),
        (
            Column("transaction_id", "int", required=True),
            Column("label", "enum", required=True, values=("Yes", "No")),
        ),
        key=("transaction_id",),
        parents=(Parent("transaction_id", "transactions", "id"),),
        reader="json_labels",
    ),
)

TABFORMER: tuple[Entity, ...] = (
    Entity(
        "payments",
        "tabformer_transactions",
        ("card_transaction.v1.csv",),
        (
            Column("User", "int", required=True, rename="user"),
            Column("Card", "int", required=True, rename="card"),
            Column("Year", "int", required=True, rename="year"),
            Column("Month", "int", required=True, rename="month"),
            Column("Day", "int", required=True, rename="day"),
            Column("Time", required=True, rename="time"),
            Column("Amount", "dollars", required=True, rename="amount"),
            Column("Use Chip", "enum", values=USE_CHIP, rename="use_chip"),
            Column("Merchant Name", "int", rename="merchant_name"),
            Column("Merchant City", rename="merchant_city"),
            Column("Merchant State", rename="merchant_state"),
            Column("Zip", "float", rename="zip"),
            Column("MCC", "int", rename="mcc"),
            Column("Errors?", "enum", values=KAGGLE_ERRORS, multi=True, rename="errors"),
            Column("Is Fraud?", "enum", values=("Yes", "No"), rename="is_fraud"),
        ),
        subject="User",
    ),
)

FORMATS: dict[str, dict[str, tuple[Entity, ...]]] = {
    "rail": {"native": RAIL},
    "shop": {"retailrocket": RETAILROCKET},
    "payments": {"kaggle": KAGGLE, "tabformer": TABFORMER},
}
DEFAULT_FORMAT = {"rail": "native", "shop": "retailrocket", "payments": "kaggle"}
ALL_ENTITIES: tuple[Entity, ...] = RAIL + RETAILROCKET + KAGGLE + TABFORMER


def entities_for(source: str, fmt: str | None = None) -> tuple[Entity, ...]:
    """Contracts of one source in one format, parents before children."""
    fmt = fmt or DEFAULT_FORMAT[source]
    try:
        return FORMATS[source][fmt]
    except KeyError:
        known = ", ".join(FORMATS.get(source, {}))
        raise ValueError(f"format '{fmt}' is not available for {source} (known: {known})") from None
