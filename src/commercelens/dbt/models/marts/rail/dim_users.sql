with

stg_rail__users as (
    select * from {{ ref('stg_rail__users') }}
),

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

search_history as (
    select
        user_id,
        min(searched_at) as first_searched_at,
        max(searched_at) as last_searched_at,
        count(*) as searches,
        count(case when has_successful_booking then 1 end) as successful_bookings,
        sum(coalesce(successful_booking_amount_eur, 0)) as lifetime_revenue_eur
    from int_searches_joined_to_bookings
    group by user_id
),

final as (
    select
        stg_rail__users.user_id,
        stg_rail__users.signup_at,
        stg_rail__users.subscription_type,
        stg_rail__users.age,
        stg_rail__users.device_os,
        search_history.first_searched_at,
        search_history.last_searched_at,
        coalesce(search_history.searches, 0) as searches,
        coalesce(search_history.successful_bookings, 0) as successful_bookings,
        cast(coalesce(search_history.lifetime_revenue_eur, 0) as decimal(18, 2)) as lifetime_revenue_eur,
        coalesce(search_history.successful_bookings, 0) > 0 as has_successful_booking
    from stg_rail__users
    left join search_history
        on stg_rail__users.user_id = search_history.user_id
)

select * from final
