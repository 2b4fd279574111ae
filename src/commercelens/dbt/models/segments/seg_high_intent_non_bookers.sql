{#- Rail users searching a lot right now without booking: the audience of the 5% discount.
    The window is (now - segment_high_intent_days, now], now = the rail data's latest search or
    booking. -#}
with

fct_searches as (
    select * from {{ ref('fct_searches') }}
),

fct_bookings as (
    select * from {{ ref('fct_bookings') }}
),

dim_users as (
    select * from {{ ref('dim_users') }}
),

data_now as (
    {{ segments_data_now([('fct_searches', 'searched_at'), ('fct_bookings', 'booked_at')]) }}
),

search_window as (
    select
        now_at,
        {{ dbt.dateadd('day', -var('segment_high_intent_days'), 'now_at') }} as window_start_at
    from data_now
),

recent_searches as (
    select
        fct_searches.user_id,
        count(*) as recent_searches,
        count(distinct fct_searches.route) as recent_routes,
        max(fct_searches.searched_at) as last_searched_at
    from fct_searches
    inner join search_window
        on fct_searches.searched_at > search_window.window_start_at
    group by fct_searches.user_id
),

recent_successful_bookers as (
    select distinct fct_bookings.user_id
    from fct_bookings
    inner join search_window
        on fct_bookings.booked_at > search_window.window_start_at
    where fct_bookings.is_successful
),

final as (
    select
        dim_users.user_id,
        recent_searches.recent_searches,
        recent_searches.recent_routes,
        recent_searches.last_searched_at,
        dim_users.successful_bookings as lifetime_successful_bookings,
        dim_users.subscription_type,
        dim_users.device_os
    from recent_searches
    inner join dim_users
        on recent_searches.user_id = dim_users.user_id
    left join recent_successful_bookers
        on recent_searches.user_id = recent_successful_bookers.user_id
    where recent_searches.recent_searches >= {{ var('segment_high_intent_min_searches') }}
        and recent_successful_bookers.user_id is null
)

select * from final
