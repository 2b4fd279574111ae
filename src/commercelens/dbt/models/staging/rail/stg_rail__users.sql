with

source as (
    select * from {{ source('rail', 'users') }}
),

renamed as (
    select
        user_id,
        email_pseudonym,
        full_name_pseudonym,
        signup_at,
        subscription_type,
        age,
        device_os
    from source
)

select * from renamed
