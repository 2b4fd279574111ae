with

source as (
    select * from {{ source('payments', 'fraud_labels') }}
),

renamed as (
    select
        transaction_id,
        label = 'Yes' as is_fraud
    from source
)

select * from renamed
