with

stg_rail__experiment_assignments as (
    select * from {{ ref('stg_rail__experiment_assignments') }}
),

exposures_ranked as (
    select
        experiment_id,
        user_id,
        variation,
        assigned_at,
        -- Ties at the same instant go to the alphabetically first variation, so re-runs agree;
        -- such a unit is flagged and excluded from the stats anyway.
        row_number() over (
            partition by experiment_id, user_id
            order by assigned_at, variation
        ) as exposure_rank
    from stg_rail__experiment_assignments
),

exposures_per_unit as (
    select
        experiment_id,
        user_id,
        count(*) as exposures,
        count(distinct variation) as distinct_variations,
        max(assigned_at) as last_assigned_at
    from stg_rail__experiment_assignments
    group by experiment_id, user_id
),

first_exposure as (
    select
        experiment_id,
        user_id,
        variation,
        assigned_at as first_assigned_at
    from exposures_ranked
    where exposure_rank = 1
),

final as (
    select
        first_exposure.experiment_id,
        first_exposure.user_id,
        first_exposure.variation,
        first_exposure.first_assigned_at,
        exposures_per_unit.last_assigned_at,
        exposures_per_unit.exposures,
        exposures_per_unit.distinct_variations,
        exposures_per_unit.distinct_variations > 1 as is_multiple_variations
    from first_exposure
    inner join exposures_per_unit
        on first_exposure.experiment_id = exposures_per_unit.experiment_id
        and first_exposure.user_id = exposures_per_unit.user_id
)

select * from final
