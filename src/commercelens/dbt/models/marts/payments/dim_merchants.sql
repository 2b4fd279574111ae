with

stg_payments__transactions as (
    select * from {{ ref('stg_payments__transactions') }}
),

merchant_transactions as (
    select * from stg_payments__transactions
    where merchant_id is not null
),

merchant_activity as (
    select
        merchant_id,
        count(*) as transaction_count,
        min(transaction_at) as first_seen_at,
        max(transaction_at) as last_seen_at
    from merchant_transactions
    group by merchant_id
),

merchant_locations as (
    select
        merchant_id,
        merchant_city,
        merchant_state,
        count(*) as transaction_count,
        min(transaction_id) as first_transaction_id
    from merchant_transactions
    group by merchant_id, merchant_city, merchant_state
),

merchant_locations_ranked as (
    select
        *,
        -- Ties go to the location seen first: numeric, so every adapter picks the same one
        -- (ordering by the city name would depend on the database's collation).
        row_number() over (
            partition by merchant_id
            order by transaction_count desc, first_transaction_id
        ) as location_rank
    from merchant_locations
),

final as (
    select
        activity.merchant_id,
        locations.merchant_city,
        locations.merchant_state,
        activity.transaction_count,
        activity.first_seen_at,
        activity.last_seen_at
    from merchant_activity as activity
    inner join merchant_locations_ranked as locations
        on activity.merchant_id = locations.merchant_id
        and locations.location_rank = 1
)

select * from final
