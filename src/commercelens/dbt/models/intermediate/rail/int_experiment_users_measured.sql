with

int_experiment_assignments_deduplicated as (
    select * from {{ ref('int_experiment_assignments_deduplicated') }}
),

int_searches_joined_to_bookings as (
    select * from {{ ref('int_searches_joined_to_bookings') }}
),

-- Units seen in several variations cannot be attributed to one arm: they are left out here,
-- so nothing downstream (the metric stats) counts them.
analysed_units as (
    select
        experiment_id,
        user_id,
        variation,
        first_assigned_at
    from int_experiment_assignments_deduplicated
    where not is_multiple_variations
),

-- A search belongs to the post-assignment period when searched_at >= first_assigned_at
-- (a search at the exposure instant saw the variation), otherwise to the pre-period.
searches_by_period as (
    select
        analysed_units.experiment_id,
        analysed_units.user_id,
        int_searches_joined_to_bookings.searched_at >= analysed_units.first_assigned_at as is_after_assignment,
        int_searches_joined_to_bookings.has_successful_booking,
        coalesce(int_searches_joined_to_bookings.successful_booking_amount_eur, 0) as revenue_eur
    from analysed_units
    inner join int_searches_joined_to_bookings
        on analysed_units.user_id = int_searches_joined_to_bookings.user_id
),

period_totals as (
    select
        experiment_id,
        user_id,
        count(case when is_after_assignment then 1 end) as searches_after_assignment,
        count(case when is_after_assignment and has_successful_booking then 1 end)
            as converted_searches_after_assignment,
        sum(case when is_after_assignment then revenue_eur else 0 end) as revenue_after_assignment_eur,
        count(case when not is_after_assignment then 1 end) as searches_before_assignment,
        count(case when not is_after_assignment and has_successful_booking then 1 end)
            as converted_searches_before_assignment,
        sum(case when not is_after_assignment then revenue_eur else 0 end) as revenue_before_assignment_eur
    from searches_by_period
    group by experiment_id, user_id
),

final as (
    select
        analysed_units.experiment_id,
        analysed_units.user_id,
        analysed_units.variation,
        analysed_units.first_assigned_at,
        coalesce(period_totals.searches_after_assignment, 0) as searches_after_assignment,
        coalesce(period_totals.converted_searches_after_assignment, 0) as converted_searches_after_assignment,
        cast(coalesce(period_totals.revenue_after_assignment_eur, 0) as decimal(18, 2))
            as revenue_after_assignment_eur,
        coalesce(period_totals.converted_searches_after_assignment, 0) > 0 as has_converted_after_assignment,
        coalesce(period_totals.searches_before_assignment, 0) as searches_before_assignment,
        coalesce(period_totals.converted_searches_before_assignment, 0) as converted_searches_before_assignment,
        cast(coalesce(period_totals.revenue_before_assignment_eur, 0) as decimal(18, 2))
            as revenue_before_assignment_eur,
        coalesce(period_totals.converted_searches_before_assignment, 0) > 0 as has_converted_before_assignment
    from analysed_units
    left join period_totals
        on analysed_units.experiment_id = period_totals.experiment_id
        and analysed_units.user_id = period_totals.user_id
)

select * from final
