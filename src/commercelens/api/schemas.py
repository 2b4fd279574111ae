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
    online_state: OnlineState | None = None


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
