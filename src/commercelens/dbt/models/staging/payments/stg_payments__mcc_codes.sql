with

source as (
    select * from {{ source('payments', 'mcc_codes') }}
),

renamed as (
    select
        mcc,
        description as mcc_description
    from source
)

select * from renamed
