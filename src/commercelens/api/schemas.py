"""Request and response models (Pydantic v2), with the examples `/docs` shows.

Requests are business events in their input layouts, never feature vectors: a booking request is
one search in the rail `searches.csv` layout, a fraud request one transaction in the Kaggle
`transactions_data.csv` layout plus the stream's extension columns. Unknown fields are refused
(422 naming them), so a misspelt column never silently becomes a missing value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationInfo, field_validator

MAX_BATCH = 10_000
INT64 = 2**63 - 1
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(2200, 1, 1)

BOOKING_EXAMPLE = {
    "search_id": "S-API-0001",
    "user_id": "U0000042",
    "searched_at": "2025-07-02 18:30:00",
    "origin_station": "Paris",
    "destination_station": "Lyon",
    "departure_date": "2025-07-10",
    "passenger_count": 1,
    "quoted_price_eur": 45.5,
}
TRANSACTION_EXAMPLE = {
    "id": 99000001,
    "date": "2019-11-01 09:15:00",
    "client_id": 1556,
    "card_id": 2972,
    "amount": "$-77.00",
    "use_chip": "Swipe Transaction",
    "merchant_id": 59935,
    "merchant_city": "Beulah",
    "merchant_state": "ND",
    "zip": 58523.0,
    "mcc": 5499,
    "errors": None,
    "event_time": "2019-11-01 09:15:27",
    "device_id": None,
    "merchant_latitude": 47.26,
    "merchant_longitude": -101.78,
}


def utc_naive(value: datetime) -> datetime:
    """A datetime as naive UTC (the warehouse's convention), within 1970..2200."""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("timestamp out of range") from None
    if not EARLIEST <= value < LATEST:
        raise ValueError("timestamp must lie between 1970-01-01 and 2200-01-01 (UTC)")
    return value


def iso_utc(value: datetime | None) -> str | None:
    """A naive UTC datetime as RFC 3339 text with its zone (`...Z`), as the spec's date-time wants."""
    return None if value is None else value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


Text = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- booking -------------------------------------------------------------------------------


class BookingSearch(Strict):
    """One search in the rail `searches.csv` layout (`search_id` optional)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [BOOKING_EXAMPLE]})

    search_id: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Echoed back; not used by the model."
    )
    user_id: Text = Field(description="The rail user; unknown users are scored without history.")
    searched_at: datetime = Field(
        description="When the search happened (UTC if no offset is given). Must be after the newest event "
        "the service loaded from the warehouse (`GET /model/metadata`, `booking.online_state.valid_from`)."
    )
    origin_station: Text
    destination_station: Text
    departure_date: date = Field(description="Travel date; on or after the search date.")
    passenger_count: int | None = Field(None, ge=1, le=99)
    quoted_price_eur: float | None = Field(
        None, gt=0, le=100_000, allow_inf_nan=False, description="Price per passenger as quoted, in euros."
    )

    @field_validator("searched_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return utc_naive(value)

    @field_validator("departure_date")
    @classmethod
    def _not_before_search(cls, value: date, info: ValidationInfo) -> date:
        searched_at = info.data.get("searched_at")
        if searched_at is not None and value < searched_at.date():
            raise ValueError("departure_date is before the search date")
        return value


class BookingBatch(Strict):
    searches: list[BookingSearch] = Field(min_length=1, max_length=MAX_BATCH)

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"searches": [BOOKING_EXAMPLE]}]}
    )


class ModelRef(BaseModel):
    task: str
    version: int | None = Field(description="Registered version in the MLflow registry.")
    family: str
    trained_at: str


class Reason(BaseModel):
    feature: str
    value: float | int | str | None = Field(description="The feature's value for this unit.")
    contribution: float = Field(description="Signed TreeSHAP contribution, in log-odds.")


FeatureValue = float | int | str | None


class BookingPrediction(BaseModel):
    search_id: str | None
    probability: float = Field(ge=0, le=1, description="Calibrated probability that the search books.")
    tier: Literal["low", "medium", "high"]
    decision: Literal["no_offer", "discount_5pct", "no_discount"] = Field(
        description="RailFlow's rule: high intent needs no discount, medium gets 5%, low gets no offer."
    )
    reasons: list[Reason]
    known_user: bool = Field(description="False: the user is not in dim_users (attributes are missing).")
    features: dict[str, FeatureValue] | None = Field(None, description="With ?include_features=true.")


class BookingResponse(BookingPrediction):
    model: ModelRef


class BookingBatchResponse(BaseModel):
    model: ModelRef
    predictions: list[BookingPrediction]


# --- fraud ---------------------------------------------------------------------------------

Money = Annotated[str, StringConstraints(pattern=r"^\$?-?[0-9]{1,9}(\.[0-9]{1,2})?$")]
Id = Annotated[int, Field(ge=0, le=INT64)]


class Transaction(Strict):
    """One card transaction: the Kaggle layout plus the stream's extension columns."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [TRANSACTION_EXAMPLE]})

    id: Id = Field(description="Transaction id.")
    date: datetime = Field(description="Kaggle `date` (minute resolution), UTC.")
    client_id: Id | None = None
    card_id: Id
    amount: Money | float = Field(description="Dollars, like `$-77.00` or -77.0; negative = refund.")
    use_chip: Literal["Swipe Transaction", "Chip Transaction", "Online Transaction"]
    merchant_id: Id | None = None
    merchant_city: Annotated[str, StringConstraints(max_length=100)] | None = None
    merchant_state: Annotated[str, StringConstraints(max_length=100)] | None = None
    zip: float | None = Field(None, ge=0, lt=100_000, allow_inf_nan=False)
    mcc: int | None = Field(None, ge=0, le=9999)
    errors: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        None, description="Comma-joined, e.g. `Bad PIN,Technical Glitch`."
    )
    event_time: datetime | None = Field(
        None, description="Extension: event time to the second (wins over date)."
    )
    device_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    merchant_latitude: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    merchant_longitude: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)

    @field_validator("date", "event_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else utc_naive(value)

    @field_validator("amount")
    @classmethod
    def _amount(cls, value: str | float) -> str | float:
        if isinstance(value, float) and not abs(value) < 1e9:
            raise ValueError("amount must be a finite number below 1e9 in absolute value")
        return value


class Alert(BaseModel):
    alert_id: str
    rule: str


class CardHistory(BaseModel):
    transactions: int = Field(description="The card's earlier transactions in the warehouse.")
    first_at: datetime | None
    last_at: datetime | None


class FraudScore(BaseModel):
    transaction_id: int
    card_id: int
    event_time: datetime
    model_probability: float | None = Field(description="Calibrated fraud probability of the model.")
    score: float = Field(
        ge=0, le=1, description="1 - (1 - model) x product of (1 - rule score) over fired rules."
    )
    level: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    rules_fired: list[str]
    alerts: list[Alert] = Field(description="What the stream would emit for this transaction.")
    reasons: list[Reason]
    card_history: CardHistory
    model: ModelRef


class FraudPrediction(BaseModel):
    transaction_id: int
    probability: float = Field(ge=0, le=1)
    tier: Literal["low", "medium", "high"]
    decision: Literal["approve", "step_up_authentication", "manual_review"]
    reasons: list[Reason]
    model: ModelRef


class FraudBatch(Strict):
    """Transactions scored as the stream would score them: in event-time order on top of each
    card's warehouse history, so the earlier ones are the later ones' card history."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"transactions": [TRANSACTION_EXAMPLE]}]}
    )

    transactions: list[Transaction] = Field(
        min_length=1, max_length=MAX_BATCH, description="Any order; transaction ids unique."
    )


class FraudBatchPrediction(BaseModel):
    transaction_id: int
    probability: float = Field(ge=0, le=1, description="Calibrated fraud probability of the model.")
    tier: Literal["low", "medium", "high"]
    decision: Literal["approve", "step_up_authentication", "manual_review"]
    score: float = Field(
        ge=0, le=1, description="1 - (1 - model) x product of (1 - rule score) over fired rules."
    )
    level: Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
    rules_fired: list[str]
    reasons: list[Reason] = Field(description="With ?reasons=K; empty by default.")


class FraudBatchResponse(BaseModel):
    model: ModelRef
    predictions: list[FraudBatchPrediction] = Field(description="In the request's order.")


# --- conversion ----------------------------------------------------------------------------

SHOP_EVENTS_EXAMPLE = [
    {
        "timestamp": 1435740000000,
        "visitorid": 1150086,
        "event": "view",
        "itemid": 46156,
        "transactionid": None,
    },
    {
        "timestamp": 1435740041000,
        "visitorid": 1150086,
        "event": "view",
        "itemid": 5411,
        "transactionid": None,
    },
    {
        "timestamp": 1435740170000,
        "visitorid": 1150086,
        "event": "addtocart",
        "itemid": 5411,
        "transactionid": None,
    },
    {
        "timestamp": 1435740290000,
        "visitorid": 1150086,
        "event": "view",
        "itemid": 187946,
        "transactionid": None,
    },
]
MAX_SESSION_EVENTS = 1_000
UNIX_MS_MAX = int((LATEST - EARLIEST).total_seconds() * 1000)


class ShopEvent(Strict):
    """One row of the RetailRocket `events.csv` layout."""

    timestamp: int = Field(ge=0, lt=UNIX_MS_MAX, description="Unix milliseconds (UTC).")
    visitorid: Id
    event: Literal["view", "addtocart", "transaction"]
    itemid: Id
    transactionid: Id | None = Field(None, description="Only on `transaction` events.")


class ShopSession(Strict):
    """One visitor's session so far: its events (any order) from its first one.

    The model scores the session 300 s after its first event, from the events before then;
    later events are accepted and ignored.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"session_ref": "web-42", "events": SHOP_EVENTS_EXAMPLE}]},
    )

    session_ref: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        None, description="Echoed back; not used by the model."
    )
    events: list[ShopEvent] = Field(min_length=1, max_length=MAX_SESSION_EVENTS)


class ShopSessionBatch(Strict):
    sessions: list[ShopSession] = Field(min_length=1, max_length=MAX_BATCH)

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"sessions": [{"events": SHOP_EVENTS_EXAMPLE}]}]}
    )


class ConversionPrediction(BaseModel):
    session_ref: str | None
    session_id: str = Field(description="As the warehouse names it: `<visitorid>-<first event's Unix ms>`.")
    decision_at: datetime = Field(description="First event + 300 s: the model's moment.")
    events_used: int = Field(description="Distinct events before the decision time (later ones are ignored).")
    probability: float = Field(
        ge=0, le=1, description="Calibrated probability of a purchase later in the session."
    )
    tier: Literal["low", "medium", "high"]
    decision: Literal["no_action", "nudge", "leave_alone"] = Field(
        description="Top 1% of validation scores: leave alone (buys anyway); top 5%: a nudge; else no action."
    )
    reasons: list[Reason]
    known_visitor: bool = Field(description="False: the visitor has no events in the warehouse.")
    features: dict[str, FeatureValue] | None = Field(None, description="With ?include_features=true.")


class ConversionResponse(ConversionPrediction):
    model: ModelRef


class ConversionBatchResponse(BaseModel):
    model: ModelRef
    predictions: list[ConversionPrediction]


# --- service -------------------------------------------------------------------------------


class Message(BaseModel):
    detail: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]


class OnlineState(BaseModel):
    valid_from: datetime = Field(description="Searches at or after this instant are accepted.")
    users: int
    searches: int
    successful_bookings: int
    price_references: int


class ConversionOnlineState(BaseModel):
    valid_from: datetime = Field(
        description="The state knows no event from here on (popularity is this old)."
    )
    sessions: int
    events: int


class TaskMetadata(BaseModel):
    task: str
    available: bool
    reason: str | None = None
    version: int | None = None
    family: str | None = None
    trained_at: str | None = None
    training_data_hash: str | None = None
    selection_metric: str | None = None
    calibration: str | None = None
    features: list[str] = []
    categorical: list[str] = []
    data_window: dict[str, list[str | None]] = {}
    metrics: dict[str, dict[str, Any]] = Field(
        {}, description="validation, test and test_oracle (the generator's true probabilities)."
    )
    vs_oracle: dict[str, float | None] = Field({}, description="Test metric / oracle's test metric.")
    thresholds: dict[str, float | None] = {}
    served_by: list[str] = []
    online_state: OnlineState | ConversionOnlineState | None = None


class ModelMetadata(BaseModel):
    models: dict[str, TaskMetadata]


class MetricReadout(BaseModel):
    metric: str
    metric_type: str
    variation: str
    n_control: int
    n_treatment: int
    control_mean: float | None
    treatment_mean: float | None
    absolute_lift: float | None
    relative_lift: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    p_value: float | None
    adjusted_p_value: float | None
    chance_to_win: float | None
    significant: bool
    cuped: bool
    status: str


class ExperimentReadout(BaseModel):
    experiment_id: str
    engine: str
    difference: str
    alpha: float
    correction: str
    control: str
    variations: list[str]
    units: dict[str, int]
    srm_p_value: float | None
    srm_ok: bool
    results: list[MetricReadout]
    notes: list[str]


# --- segments ------------------------------------------------------------------------------

SEGMENT_MEMBER_EXAMPLE = {
    "user_id": "U0000049",
    "recent_searches": 4,
    "recent_routes": 2,
    "last_searched_at": "2025-06-29T23:18:59Z",
    "lifetime_successful_bookings": 0,
    "subscription_type": "none",
    "device_os": "ios",
}
SegmentValue = str | int | float | bool | None


class SegmentColumnInfo(BaseModel):
    name: str
    description: str


class SegmentSummary(BaseModel):
    name: str = Field(description="Call it as GET /segments/{name}.", examples=["high_intent_non_bookers"])
    domain: Literal["rail", "shop", "payments"]
    key: str = Field(description="The member id column (a pseudonymous id); members are ordered by it.")
    description: str = Field(description="The definition; every window ends at the data's latest event.")
    audience: str = Field(description="Who the segment is for.")
    members: int = Field(ge=0, description="Members in the warehouse now.")
    columns: list[SegmentColumnInfo]


class SegmentList(BaseModel):
    segments: list[SegmentSummary]


class SegmentMembersPage(BaseModel):
    """One page of members, ordered by `key`; a page past the end is empty with the same totals."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "high_intent_non_bookers",
                    "domain": "rail",
                    "key": "user_id",
                    "page": 1,
                    "page_size": 100,
                    "total": 1,
                    "pages": 1,
                    "members": [SEGMENT_MEMBER_EXAMPLE],
                }
            ]
        }
    )

    name: str
    domain: Literal["rail", "shop", "payments"]
    key: str
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)
    total: int = Field(ge=0, description="Members of the whole segment.")
    pages: int = Field(ge=0, description="ceil(total / page_size); 0 for an empty segment.")
    members: list[dict[str, SegmentValue]] = Field(
        description="The key and the segment's attributes; times as RFC 3339 UTC, money as numbers."
    )
