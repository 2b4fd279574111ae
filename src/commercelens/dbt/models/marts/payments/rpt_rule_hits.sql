{#- The seven fraud rules of docs/stream.md, applied in batch: the stream processor (stream/)
    and this model implement one contract and must agree row for row. Thresholds are the
    fraud_* vars of dbt_project.yml (defaults = stream/rules.yaml).
    Per card the order is (event_at, transaction_id): of two transactions in the same second the
    smaller id is the earlier. The time windows are RANGE frames over the event second, so they
    hold every transaction of the card in [t - w, t], the later peers of the same second too.
    Event time is compared as epoch seconds, because PostgreSQL and DuckDB spell timestamp
    RANGE offsets and interval arithmetic differently. A transaction without a card_id is left
    out (fct_transactions tests there is none); a NULL merchant_id is one merchant, as in a
    window partition (and in the stream's merchant keys). -#}
{%- set rules = [
    'high_amount', 'rapid_fire', 'velocity', 'impossible_travel',
    'new_device', 'new_merchant', 'amount_zscore',
] -%}

with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

transactions as (
    select
        transaction_id,
        card_id,
        event_at,
        cast(extract(epoch from event_at) as double precision) as event_epoch_seconds,
        amount,
        cast(amount as double precision) as amount_double,
        merchant_id,
        device_id,
        merchant_latitude,
        merchant_longitude,
        coalesce(
            channel <> 'online' and merchant_latitude is not null and merchant_longitude is not null,
            false
        ) as is_card_present
    from fct_transactions
    -- The stream processor dead-letters an event without a card, so no rule sees it.
    where card_id is not null
),

transactions_with_card_history as (
    select
        *,
        count(*) over (
            partition by card_id order by event_epoch_seconds
            range between {{ var('fraud_rapid_fire_window_seconds') }} preceding and current row
        ) as rapid_fire_window_transactions,
        coalesce(sum(case when amount > 0 then amount end) over (
            partition by card_id order by event_epoch_seconds
            range between {{ var('fraud_velocity_window_seconds') }} preceding and current row
        ), 0) as velocity_window_positive_amount,
        row_number() over (
            partition by card_id order by event_at, transaction_id
        ) as card_sequence,
        row_number() over (
            partition by card_id, device_id order by event_at, transaction_id
        ) as card_device_sequence,
        row_number() over (
            partition by card_id, merchant_id order by event_at, transaction_id
        ) as card_merchant_sequence,
        count(*) over (
            partition by card_id order by event_at, transaction_id
            rows between unbounded preceding and 1 preceding
        ) as earlier_transactions,
        avg(amount_double) over (
            partition by card_id order by event_at, transaction_id
            rows between unbounded preceding and 1 preceding
        ) as earlier_amount_mean,
        stddev_samp(amount_double) over (
            partition by card_id order by event_at, transaction_id
            rows between unbounded preceding and 1 preceding
        ) as earlier_amount_sd,
        -- Partitioned by is_card_present as well, for transactions_with_travel.
        event_epoch_seconds - lag(event_epoch_seconds) over (
            partition by card_id, is_card_present order by event_at, transaction_id
        ) as seconds_since_previous_card_present,
        lag(merchant_latitude) over (
            partition by card_id, is_card_present order by event_at, transaction_id
        ) as previous_card_present_latitude,
        lag(merchant_longitude) over (
            partition by card_id, is_card_present order by event_at, transaction_id
        ) as previous_card_present_longitude
    from transactions
),

transactions_with_travel as (
    select
        *,
        -- Haversine, written as the generator's payments_world.haversine_km. Only card-present
        -- rows: in their partition, the previous row is the previous card-present transaction.
        case when is_card_present then
            2 * 6371.0088 * asin(sqrt(least(1.0, greatest(0.0,
                power(sin((radians(merchant_latitude) - radians(previous_card_present_latitude)) / 2), 2)
                + cos(radians(previous_card_present_latitude)) * cos(radians(merchant_latitude))
                * power(sin(radians(merchant_longitude - previous_card_present_longitude) / 2), 2)
            ))))
        end as distance_from_previous_card_present_km
    from transactions_with_card_history
),

transactions_flagged as (
    select
        transaction_id,
        card_id,
        event_at,
        amount > {{ var('fraud_high_amount') }} as is_high_amount,
        rapid_fire_window_transactions >= {{ var('fraud_rapid_fire_min_transactions') }} as is_rapid_fire,
        velocity_window_positive_amount > {{ var('fraud_velocity_amount') }} as is_velocity,
        -- NULL (no hit) without a previous card-present transaction. The nullif guards are
        -- needed: PostgreSQL may divide before it evaluates the other side of the AND.
        (
            seconds_since_previous_card_present > 0
            and distance_from_previous_card_present_km
            / nullif(seconds_since_previous_card_present / 3600.0, 0)
            > {{ var('fraud_impossible_travel_kmh') }}
        )
        or (
            seconds_since_previous_card_present = 0
            and distance_from_previous_card_present_km > 0
        ) as is_impossible_travel,
        device_id is not null and card_sequence > 1 and card_device_sequence = 1 as is_new_device,
        card_sequence > 1 and card_merchant_sequence = 1 as is_new_merchant,
        -- "sd > 0" read as sd > 1e-9 (as stream/rules.py does): PostgreSQL's float8 window
        -- stddev of a constant history such as ten times 9.99 is about 5e-16, not 0.
        earlier_transactions >= {{ var('fraud_zscore_min_earlier_transactions') }}
        and earlier_amount_sd > 1e-9
        and (amount_double - earlier_amount_mean) / nullif(earlier_amount_sd, 0)
        > {{ var('fraud_zscore') }} as is_amount_zscore
    from transactions_with_travel
),

rule_hits as (
    {% for rule in rules -%}
    select
        transaction_id,
        card_id,
        '{{ rule }}' as rule,
        event_at
    from transactions_flagged
    where is_{{ rule }}
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
),

final as (
    select
        cast(transaction_id as bigint) as transaction_id,
        cast(card_id as bigint) as card_id,
        cast(rule as {{ dbt.type_string() }}) as rule,
        cast(event_at as timestamp) as event_at
    from rule_hits
)

select * from final
