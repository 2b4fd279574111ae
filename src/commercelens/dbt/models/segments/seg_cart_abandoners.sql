{#- Shop visitors whose latest session added to cart and did not buy, ended within the last
    segment_cart_abandoners_days days (now = the shop data's latest session end) and is a valid
    funnel, i.e. it is one of fct_funnel_daily's sessions_dropped_after_addtocart. -#}
with

fct_sessions as (
    select * from {{ ref('fct_sessions') }}
),

dim_visitors as (
    select * from {{ ref('dim_visitors') }}
),

data_now as (
    {{ segments_data_now([('fct_sessions', 'session_end_at')]) }}
),

abandonment_window as (
    select
        now_at,
        {{ dbt.dateadd('day', -var('segment_cart_abandoners_days'), 'now_at') }} as window_start_at
    from data_now
),

sessions_by_recency as (
    select
        *,
        row_number() over (
            partition by visitor_id order by session_start_at desc, session_id desc
        ) as recency_rank
    from fct_sessions
),

latest_sessions as (
    select * from sessions_by_recency
    where recency_rank = 1
),

final as (
    select
        dim_visitors.visitor_id,
        latest_sessions.session_id as abandoned_session_id,
        latest_sessions.first_addtocart_at,
        latest_sessions.session_end_at as abandoned_at,
        cast(latest_sessions.addtocart_count as bigint) as addtocart_count,
        latest_sessions.distinct_item_count,
        dim_visitors.session_count,
        dim_visitors.purchase_count as earlier_purchase_count,
        dim_visitors.has_purchased as has_purchased_before
    from latest_sessions
    inner join dim_visitors
        on latest_sessions.visitor_id = dim_visitors.visitor_id
    inner join abandonment_window
        on latest_sessions.session_end_at > abandonment_window.window_start_at
    where latest_sessions.has_addtocart
        and not latest_sessions.has_transaction
        and latest_sessions.is_valid
)

select * from final
