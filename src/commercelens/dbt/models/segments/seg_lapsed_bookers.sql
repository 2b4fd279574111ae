{#- Rail users who booked before but not in the last segment_lapsed_bookers_days days: a
    win-back audience. Lapsed means the latest successful booking is at or before
    now - segment_lapsed_bookers_days, now = the rail data's latest search or booking. -#}
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

lapse_window as (
    select
        now_at,
        {{ dbt.dateadd('day', -var('segment_lapsed_bookers_days'), 'now_at') }} as window_start_at
    from data_now
),

successful_bookings_per_user as (
    select
        user_id,
        count(*) as successful_bookings,
        sum(revenue_eur) as lifetime_revenue_eur,
        max(booked_at) as last_booked_at
    from fct_bookings
    where is_successful
    group by user_id
),

final as (
    select
        dim_users.user_id,
        successful_bookings_per_user.successful_bookings,
        cast(successful_bookings_per_user.lifetime_revenue_eur as decimal(18, 2)) as lifetime_revenue_eur,
        successful_bookings_per_user.last_booked_at,
        cast(
            {{ dbt.datediff('successful_bookings_per_user.last_booked_at', 'lapse_window.now_at', 'day') }}
            as integer
        ) as days_since_last_booking,
        dim_users.last_searched_at,
        dim_users.subscription_type,
        dim_users.device_os
    from successful_bookings_per_user
    inner join dim_users
        on successful_bookings_per_user.user_id = dim_users.user_id
    inner join lapse_window
        on successful_bookings_per_user.last_booked_at <= lapse_window.window_start_at
)

select * from final
