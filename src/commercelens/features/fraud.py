"""Fraud features: one row per card transaction, at authorisation (`event_at`, to the second).

Card history is strict: windows are `range between <w> preceding and current row exclude group`
over the card's time line, so they cover [t - w, t) and never the transaction itself nor another
one at the same second. All card windows share one sort (partition by card, order by time).

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
WINDOWS = {"60s": "60 seconds", "1h": "1 hour", "24h": "24 hours", "7d": "7 days"}


def decision_times_sql(relations: Mapping[str, str]) -> str:
    return f"select event_at as decision_at from {relations['transactions']}"


def _window_columns() -> str:
    lines = []
    for suffix in WINDOWS:
        lines.append(f"count(*) over card_{suffix} as card_count_{suffix},")
        lines.append(f"coalesce(sum(amount) over card_{suffix}, 0) as card_amount_{suffix},")
    return "\n        ".join(lines)


def _window_definitions() -> str:
    frames = [
        f"card_{suffix} as (partition by card_id order by event_at "
        f"range between interval {width} preceding and current row exclude group)"
        for suffix, width in WINDOWS.items()
    ]
    return ",\n        ".join(frames)


def _haversine_km(lat1: str, lon1: str, lat2: str, lon2: str) -> str:
    return (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt("
        f"pow(sin(radians({lat2} - {lat1}) / 2), 2) "
        f"+ cos(radians({lat1})) * cos(radians({lat2})) * pow(sin(radians({lon2} - {lon1}) / 2), 2)))"
    )


def features_sql(relations: Mapping[str, str], split: SplitBoundaries) -> str:
    """The SELECT of `ml.fraud_features` from the transactions relation."""
    window_features = ", ".join(
        f"cast(t.card_count_{s} as integer) as card_count_{s}, t.card_amount_{s}" for s in WINDOWS
    )
    distance = _haversine_km(
        "previous_present.latitude",
        "previous_present.longitude",
        "t.merchant_latitude",
        "t.merchant_longitude",
    )
    return f"""
with

transactions as (
    select * from {relations["transactions"]}
),

-- One select, no self-join: every card window shares one sort; first uses are two more partitions.
card_history as (
    select
        *,
        min(event_at) over (partition by card_id, device_id) as device_first_at,
        min(event_at) over (partition by card_id, merchant_id) as merchant_first_at,
        count(*) over card_before as card_transactions_before,
        avg(amount) over card_before as card_mean_amount_before,
        stddev_samp(amount) over card_before as card_sd_amount_before,
        max(event_at) over card_before as card_previous_at,
        {_window_columns().rstrip(",")}
    from transactions
    window
        card_before as (
            partition by card_id order by event_at
            range between unbounded preceding and current row exclude group
        ),
        {_window_definitions()}
),

-- The card-present transaction of each card and second (the highest id when several) ...
present_by_second as (
    select
        card_id,
        event_at,
        arg_max(merchant_latitude, transaction_id) as latitude,
        arg_max(merchant_longitude, transaction_id) as longitude
    from transactions
    where merchant_latitude is not null and merchant_longitude is not null
    group by card_id, event_at
),

-- ... and for each card-present transaction, the latest one strictly before it.
previous_present as (
    select t.transaction_id, p.event_at as previous_at, p.latitude, p.longitude
    from transactions as t
    asof inner join present_by_second as p
        on p.card_id = t.card_id and p.event_at < t.event_at
    where t.merchant_latitude is not null and t.merchant_longitude is not null
),

-- Training labels per MCC and second, accumulated; the final ASOF join takes the total strictly
-- before each transaction (zero before the first).
mcc_labels_by_second as (
    select
        mcc,
        event_at,
        sum(count(*)) over mcc_time as labelled_through,
        sum(count(*) filter (where is_fraud)) over mcc_time as frauds_through
    from transactions
    where is_labelled and is_fraud is not null and event_at < {split.train_end_sql}
    group by mcc, event_at
    window mcc_time as (partition by mcc order by event_at rows between unbounded preceding and current row)
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
        (coalesce(mcc_labels.frauds_through, 0) + {PRIOR_RATE * PRIOR_WEIGHT})
            / (coalesce(mcc_labels.labelled_through, 0) + {PRIOR_WEIGHT}) as mcc_fraud_rate,
        cast(t.device_id is not null and t.device_first_at = t.event_at as integer) as is_new_device,
        cast(t.merchant_first_at = t.event_at as integer) as is_new_merchant,
        cast(t.card_transactions_before as integer) as card_transactions_before,
        date_diff('second', t.card_previous_at, t.event_at) as seconds_since_card_previous,
        {window_features},
        (t.amount - t.card_mean_amount_before) / nullif(t.card_sd_amount_before, 0) as amount_zscore_card,
        {distance} as km_since_previous_present,
        date_diff('second', previous_present.previous_at, t.event_at) as seconds_since_previous_present
    from card_history as t
    asof left join mcc_labels_by_second as mcc_labels
        on mcc_labels.mcc = t.mcc and mcc_labels.event_at < t.event_at
    left join previous_present on previous_present.transaction_id = t.transaction_id
)

select
    *,
    km_since_previous_present / (greatest(seconds_since_previous_present, 1) / 3600.0)
        as kmh_since_previous_present
from final
"""
