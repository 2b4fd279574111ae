with

int_sessions_summarised as (
    select * from {{ ref('int_sessions_summarised') }}
),

int_events_sessionised as (
    select * from {{ ref('int_events_sessionised') }}
),

visitor_sessions as (
    select
        visitor_id,
        min(session_start_at) as first_seen_at,
        max(session_end_at) as last_seen_at,
        count(*) as session_count,
        sum(case when is_valid then 0 else 1 end) as invalid_session_count,
        sum(case when has_transaction then 1 else 0 end) as converted_session_count,
        min(first_transaction_at) as first_purchase_at
    from int_sessions_summarised
    group by visitor_id
),

-- A transaction (order) may hold several items: one transaction event per item.
visitor_purchases as (
    select
        visitor_id,
        count(distinct transaction_id) as purchase_count,
        count(*) as purchased_item_count
    from int_events_sessionised
    where event_type = 'transaction'
    group by visitor_id
),

final as (
    select
        visitor_sessions.visitor_id,
        visitor_sessions.first_seen_at,
        visitor_sessions.last_seen_at,
        visitor_sessions.session_count,
        visitor_sessions.invalid_session_count,
        visitor_sessions.converted_session_count,
        coalesce(visitor_purchases.purchase_count, 0) as purchase_count,
        coalesce(visitor_purchases.purchased_item_count, 0) as purchased_item_count,
        visitor_sessions.first_purchase_at,
        visitor_sessions.converted_session_count > 0 as has_purchased
    from visitor_sessions
    left join visitor_purchases on visitor_purchases.visitor_id = visitor_sessions.visitor_id
)

select * from final
