with

int_experiment_assignments_deduplicated as (
    select * from {{ ref('int_experiment_assignments_deduplicated') }}
),

stg_rail__users as (
    select * from {{ ref('stg_rail__users') }}
),

final as (
    select
        int_experiment_assignments_deduplicated.experiment_id,
        int_experiment_assignments_deduplicated.user_id,
        int_experiment_assignments_deduplicated.variation,
        int_experiment_assignments_deduplicated.first_assigned_at,
        cast(int_experiment_assignments_deduplicated.first_assigned_at as date) as first_assigned_date,
        int_experiment_assignments_deduplicated.last_assigned_at,
        int_experiment_assignments_deduplicated.exposures,
        int_experiment_assignments_deduplicated.distinct_variations,
        int_experiment_assignments_deduplicated.is_multiple_variations,
        -- Attributes known before exposure, for segment readouts and uplift models.
        stg_rail__users.subscription_type,
        stg_rail__users.age,
        stg_rail__users.device_os
    from int_experiment_assignments_deduplicated
    left join stg_rail__users
        on int_experiment_assignments_deduplicated.user_id = stg_rail__users.user_id
)

select * from final
