with

stg_payments__mcc_codes as (
    select * from {{ ref('stg_payments__mcc_codes') }}
),

stg_payments__transactions as (
    select * from {{ ref('stg_payments__transactions') }}
),

codes_used as (
    select distinct mcc
    from stg_payments__transactions
    where mcc is not null
),

-- Codes used by a transaction but missing from mcc_codes.json still get a row, so every
-- fct_transactions.mcc has its dimension row (the foreign key holds on any input).
all_codes as (
    select mcc from stg_payments__mcc_codes
    union
    select mcc from codes_used
),

final as (
    select
        all_codes.mcc,
        mcc_codes.mcc_description,
        mcc_codes.mcc is not null as is_listed
    from all_codes
    left join stg_payments__mcc_codes as mcc_codes
        on all_codes.mcc = mcc_codes.mcc
)

select * from final
