with

source as (
    select * from {{ source('rail', 'experiment_assignments') }}
),

renamed as (
    select
        experiment_id,
        user_id,
        variation,
        assigned_at
    from source
)

select * from renamed
