{#- The unit of the uplift models: one row per search an analysed unit made after assignment,
    with features the treatment cannot have changed and the search's outcome: the search itself
    (at its undiscounted quoted price), the user's attributes, the user's searches before this one,
    and the user's successful bookings before assignment. Bookings after assignment are left out:
    the discount raises them, and a feature moved by the treatment biases an uplift model.
    Searches are units here, which already assumes the discount (shown with the results) does not
    change which searches happen; under that assumption the count of earlier searches is as
    pre-treatment as the search itself. docs/experiments.md checks it: searches per user after
    assignment do not differ between the arms. -#}
with

int_experiment_assignments_deduplicated as (
    select * from {{ ref('int_experiment_assignments_deduplicated') }}
),

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

stg_rail__users as (
    select * from {{ ref('stg_rail__users') }}
),

analysed_units as (
    select
        experiment_id,
        user_id,
        variation,
        first_assigned_at
    from int_experiment_assignments_deduplicated
    where not is_multiple_variations
),

-- Earlier searches of the user at each search (same-second searches ordered by search id).
searches_numbered as (
    select
        search_id,
        cast(row_number() over (partition by user_id order by searched_at, search_id) - 1 as integer)
            as searches_before
    from int_searches_joined_to_bookings
),

history_before_assignment as (
    select
        analysed_units.experiment_id,
        analysed_units.user_id,
        count(
            case when int_searches_joined_to_bookings.searched_at < analysed_units.first_assigned_at then 1 end
        ) as searches_before_assignment,
        count(
            case
                when int_searches_joined_to_bookings.successful_booked_at < analysed_units.first_assigned_at
                    then 1
            end
        ) as successful_bookings_before_assignment
    from analysed_units
    inner join int_searches_joined_to_bookings
        on analysed_units.user_id = int_searches_joined_to_bookings.user_id
    group by analysed_units.experiment_id, analysed_units.user_id
),

final as (
    select
        analysed_units.experiment_id,
        analysed_units.variation,
        analysed_units.user_id,
        int_searches_joined_to_bookings.search_id,
        int_searches_joined_to_bookings.searched_at,
        cast(extract(hour from int_searches_joined_to_bookings.searched_at) as integer) as search_hour,
        cast(extract(isodow from int_searches_joined_to_bookings.searched_at) as integer) as search_weekday,
        int_searches_joined_to_bookings.route,
        cast(
            int_searches_joined_to_bookings.departure_date
            - cast(int_searches_joined_to_bookings.searched_at as date) as integer
        ) as lead_time_days,
        int_searches_joined_to_bookings.passenger_count,
        int_searches_joined_to_bookings.quoted_price_eur,
        stg_rail__users.subscription_type,
        stg_rail__users.age,
        stg_rail__users.device_os,
        searches_numbered.searches_before,
        coalesce(history_before_assignment.searches_before_assignment, 0) as searches_before_assignment,
        coalesce(history_before_assignment.successful_bookings_before_assignment, 0)
            as successful_bookings_before_assignment,
        int_searches_joined_to_bookings.has_successful_booking as is_converted,
        cast(coalesce(int_searches_joined_to_bookings.successful_booking_amount_eur, 0) as decimal(14, 2))
            as revenue_eur
    from analysed_units
    inner join int_searches_joined_to_bookings
        on analysed_units.user_id = int_searches_joined_to_bookings.user_id
        and int_searches_joined_to_bookings.searched_at >= analysed_units.first_assigned_at
    inner join searches_numbered
        on int_searches_joined_to_bookings.search_id = searches_numbered.search_id
    left join history_before_assignment
        on analysed_units.experiment_id = history_before_assignment.experiment_id
        and analysed_units.user_id = history_before_assignment.user_id
    left join stg_rail__users
        on analysed_units.user_id = stg_rail__users.user_id
)

select * from final
