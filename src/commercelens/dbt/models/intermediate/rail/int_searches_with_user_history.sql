{#- Point in time: what was known about the user at the instant of each search. A booking counts
    only if booked strictly before the search; searches at the same second are ordered by id. -#}
with

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

-- One stream of events per user: each search, and each successful booking at its booked_at.
-- At the same second a search sorts before a booking, so a booking made at the very second of
-- a search is not yet history for it.
events as (
    select
        user_id,
        search_id,
        searched_at as event_at,
        0 as event_order,
        0 as is_booking
    from int_searches_joined_to_bookings
    union all
    select
        user_id,
        cast(null as {{ dbt.type_string() }}) as search_id,
        successful_booked_at as event_at,
        1 as event_order,
        1 as is_booking
    from int_searches_joined_to_bookings
    where has_successful_booking
),

running as (
    select
        search_id,
        user_id,
        sum(is_booking) over user_history as successful_bookings_before,
        sum(1 - is_booking) over user_history - 1 as searches_before
    from events
    window user_history as (
        partition by user_id
        order by event_at, event_order, search_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        search_id,
        user_id,
        cast(searches_before as integer) as searches_before,
        cast(successful_bookings_before as integer) as successful_bookings_before
    from running
    where search_id is not null
)

select * from final
