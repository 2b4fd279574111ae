with

source as (
    select * from {{ source('payments', 'users') }}
),

renamed as (
    select
        id as client_id,
        current_age,
        retirement_age,
        birth_year,
        birth_month,
        gender,
        latitude,
        longitude,
        cast(per_capita_income as numeric(14, 2)) as per_capita_income,
        cast(yearly_income as numeric(14, 2)) as yearly_income,
        cast(total_debt as numeric(14, 2)) as total_debt,
        credit_score,
        num_credit_cards as credit_card_count
    from source
)

select * from renamed
