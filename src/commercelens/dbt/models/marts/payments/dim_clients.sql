with

stg_payments__users as (
    select * from {{ ref('stg_payments__users') }}
),

stg_payments__cards as (
    select * from {{ ref('stg_payments__cards') }}
),

cards_per_client as (
    select
        client_id,
        count(*) as card_count
    from stg_payments__cards
    group by client_id
),

final as (
    select
        users.client_id,
        users.current_age,
        users.retirement_age,
        users.birth_year,
        users.birth_month,
        users.gender,
        users.latitude,
        users.longitude,
        users.per_capita_income,
        users.yearly_income,
        users.total_debt,
        users.credit_score,
        users.credit_card_count,
        coalesce(cards_per_client.card_count, 0) as card_count
    from stg_payments__users as users
    left join cards_per_client
        on users.client_id = cards_per_client.client_id
)

select * from final
