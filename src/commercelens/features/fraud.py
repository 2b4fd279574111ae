"""Fraud features: one row per card transaction, at authorisation (`event_at`, to the second).

Card history is strict: it covers [t - w, t), never the transaction itself nor another one at
the same second (the `exclude group` rule). Computed in one pass over the card's seconds: one row
per (card, second), running totals (count, sum, sum of squares) over the earlier seconds with a
ROWS frame, and the count and sum over [t - w, t) as the total before t minus the total before
the first second in [t - w, t] (`first_value` over a RANGE frame: a frame lookup, no segment
tree). The same pass carries the card's previous instant and previous card-present location.

MCC risk is a smoothed target encoding learned on the training window only: for a transaction at
t, the labelled transactions of the same MCC with event_at < min(t, validation_start), with a
fixed Beta prior (PRIOR_RATE, PRIOR_WEIGHT) so the estimate needs no global statistic. Training
rows therefore see only earlier labels (ordered target statistics: no row sees its own label),
and validation and test rows see the whole training window, never a later label.
"""

from __future__ import annotations

from collections.abc import Mapping

from commercelens.features.split import SplitBoundaries

PRIOR_RATE = 0.0015  # about the Kaggle labelled fraud rate
PRIOR_WEIGHT = 500  # pseudo-transactions: an MCC needs hundreds of labels to move far from it
EARTH_RADIUS_KM = 6371.0088
WINDOWS = {"60s": 60, "1h": 3_600, "24h": 86_400, "7d": 7 * 86_400}  # seconds
MICROSECONDS = 1_000_000


def decision_times_sql(relations: Mapping[str, str]) -> str:
    return f"select event_at as decision_at from {relations['transactions']}"


def _window_columns() -> str:
    """Count and sum over [t - w, t): the totals before t minus those before its first second."""
    return ",\n        ".join(
        f"cast(transactions_before - first_value(transactions_before) over last_{s} as integer) "
        f"as card_count_{s}, "
        f"amount_before - first_value(amount_before) over last_{s} as card_amount_{s}"
        for s in WINDOWS
    )


def _window_frames() -> str:
    return ",\n        ".join(
        f"last_{s} as (partition by card_id order by event_us "
        f"range between {width * MICROSECONDS} preceding and current row)"
        for s, width in WINDOWS.items()
    )


def _haversine_km(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    return (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt("
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) "
        f"+ cos(radians({lat1})) * cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2)))"
    )


def features_sql(relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """The SELECT of `ml.fraud_features` from the transactions relation."""
    distance = _haversine_km(
        "history.previous_present_latitude",
        "history.previous_present_longitude",
        "t.merchant_latitude",
        "t.merchant_longitude",
    )
    return f"""
with

transactions as (
    select
        *,
        -- the time line as an exact integer: the sort key of the ROWS and RANGE frames
        epoch_us(event_at) as event_us,
        merchant_latitude is not null and merchant_longitude is not null as is_card_present,
        is_labelled and is_fraud is not null and event_at < {split.train_end_sql} as is_training_label
    from {relations["transactions"]}
),

-- An amount of the card's first second: amounts are summed and squared relative to it, so a card
-- whose earlier amounts are all equal gets a standard deviation of exactly 0 (z-score null).
card_reference_amounts as (
    select card_id, arg_min(amount, event_at) as reference_amount
    from transactions
    group by card_id
),

-- One row per card and instant: transactions at the same instant share one history (exclude
-- group), and within one card the instant is a unique sort key.
card_seconds as (
    select
        t.card_id,
        t.event_us,
        any_value(r.reference_amount) as reference_amount,
        -- double, not BIGINT: window sums of BIGINT are HUGEINT, several times slower
        count(*)::double as transactions_at,
        sum(t.amount) as amount_at,
        sum(t.amount - r.reference_amount) as offset_at,
        sum(pow(t.amount - r.reference_amount, 2)) as offset_squared_at,
        -- the card-present transaction of the second (the highest id when several)
        arg_max(t.merchant_latitude, t.transaction_id) filter (where t.is_card_present) as present_latitude,
        arg_max(t.merchant_longitude, t.transaction_id) filter (where t.is_card_present) as present_longitude,
        max(t.event_us) filter (where t.is_card_present) as present_us
    from transactions as t
    inner join card_reference_amounts as r on r.card_id is not distinct from t.card_id
    group by t.card_id, t.event_us
),

-- Running totals over the card's earlier seconds: ROWS frames, one sort.
card_totals as (
    select
        card_id,
        event_us,
        reference_amount,
        coalesce(sum(transactions_at) over card_earlier, 0) as transactions_before,
        coalesce(sum(amount_at) over card_earlier, 0) as amount_before,
        sum(offset_at) over card_earlier as offset_before,
        sum(offset_squared_at) over card_earlier as offset_squared_before,
        lag(event_us) over card_earlier as card_previous_us,
        last_value(present_us ignore nulls) over card_earlier as previous_present_us,
        last_value(present_latitude ignore nulls) over card_earlier as previous_present_latitude,
        last_value(present_longitude ignore nulls) over card_earlier as previous_present_longitude
    from card_seconds
    window card_earlier as (
        partition by card_id order by event_us rows between unbounded preceding and 1 preceding
    )
),

-- Windows [t - w, t) as differences of running totals: a window sum costs a frame lookup
-- (first_value), not a segment tree over the frame (about 0.3 s per million rows and window).
card_history as (
    select
        card_id,
        event_us,
        transactions_before,
        make_timestamp(card_previous_us) as card_previous_at,
        make_timestamp(previous_present_us) as previous_present_at,
        previous_present_latitude,
        previous_present_longitude,
        {_window_columns()},
        -- mean and sample variance of the earlier amounts from n, sum and sum of squares
        reference_amount + offset_before / transactions_before as mean_amount_before,
        sqrt(greatest(offset_squared_before - offset_before * offset_before / transactions_before, 0)
            / nullif(transactions_before - 1, 0)) as sd_amount_before
    from card_totals
    window
        {_window_frames()}
),

merchant_first_uses as (
    select card_id, merchant_id, min(event_at) as merchant_first_at
    from transactions
    group by card_id, merchant_id
),

device_first_uses as (
    select card_id, device_id, min(event_at) as device_first_at
    from transactions
    where device_id is not null
    group by card_id, device_id
),

-- Training labels per MCC and second, and their running totals over the earlier seconds.
mcc_seconds as (
    select
        mcc,
        event_us,
        (count(*) filter (where is_training_label))::double as labelled_at,
        (count(*) filter (where is_training_label and is_fraud))::double as frauds_at
    from transactions
    where mcc is not null
    group by mcc, event_us
),

mcc_labels as (
    select
        mcc,
        event_us,
        coalesce(sum(labelled_at) over mcc_earlier, 0) as labelled_before,
        coalesce(sum(frauds_at) over mcc_earlier, 0) as frauds_before
    from mcc_seconds
    window mcc_earlier as (
        partition by mcc order by event_us rows between unbounded preceding and 1 preceding
    )
),

final as (
    select
        t.transaction_id,
        t.event_at as decision_at,
        case when t.is_labelled then cast(t.is_fraud as integer) end as label,
        {split.case_sql("t.event_at")} as split,
        t.amount,
        cast(t.amount < 0 as integer) as is_refund,
        t.channel,
        cast(extract(hour from t.event_at) as integer) as transaction_hour,
        cast(coalesce(t.has_error, false) as integer) as has_error,
        coalesce(t.error_count, 0) as error_count,
        cast(coalesce(t.has_error_bad_card_number or t.has_error_bad_expiration or t.has_error_bad_cvv, false)
            as integer) as has_card_data_error,
        -- Abroad: a physical merchant without a US ZIP (merchant_state then holds the country).
        cast(t.channel <> 'online' and t.zip is null and t.merchant_state is not null as integer)
            as is_foreign_merchant,
        (coalesce(mcc_labels.frauds_before, 0) + {PRIOR_RATE * PRIOR_WEIGHT})
            / (coalesce(mcc_labels.labelled_before, 0) + {PRIOR_WEIGHT}) as mcc_fraud_rate,
        cast(t.device_id is not null and devices.device_first_at = t.event_at as integer) as is_new_device,
        cast(merchants.merchant_first_at = t.event_at as integer) as is_new_merchant,
        cast(history.transactions_before as integer) as card_transactions_before,
        date_diff('second', history.card_previous_at, t.event_at) as seconds_since_card_previous,
        {", ".join(f"history.card_count_{s}, history.card_amount_{s}" for s in WINDOWS)},
        (t.amount - history.mean_amount_before) / nullif(history.sd_amount_before, 0) as amount_zscore_card,
        -- A null card_id has no card-present history (an equi-join on it would find nothing).
        case when t.is_card_present and t.card_id is not null then {distance} end
            as km_since_previous_present,
        case when t.is_card_present and t.card_id is not null
            then date_diff('second', history.previous_present_at, t.event_at) end
            as seconds_since_previous_present
    from transactions as t
    -- `is not distinct from`: a null card or merchant is one group, as in a window partition
    inner join card_history as history
        on history.card_id is not distinct from t.card_id and history.event_us = t.event_us
    inner join merchant_first_uses as merchants
        on merchants.card_id is not distinct from t.card_id
        and merchants.merchant_id is not distinct from t.merchant_id
    left join device_first_uses as devices
        on devices.card_id is not distinct from t.card_id and devices.device_id = t.device_id
    left join mcc_labels on mcc_labels.mcc = t.mcc and mcc_labels.event_us = t.event_us
)

select
    *,
    km_since_previous_present / (greatest(seconds_since_previous_present, 1) / 3600.0)
        as kmh_since_previous_present
from final
"""


def mcc_risk_sql(relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """Per MCC, the `mcc_fraud_rate` of every transaction after the training window (all of the
    window's labels): what the stream scores with. An MCC missing here gets PRIOR_RATE."""
    return f"""
select
    mcc,
    (count(*) filter (where is_fraud) + {PRIOR_RATE * PRIOR_WEIGHT})
        / (count(*) + {PRIOR_WEIGHT}) as mcc_fraud_rate
from {relations["transactions"]}
where mcc is not null and is_labelled and is_fraud is not null and event_at < {split.train_end_sql}
group by mcc
"""
