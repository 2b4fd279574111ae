with

source as (
    select * from {{ source('payments', 'cards') }}
),

renamed as (
    select
        id as card_id,
        client_id,
        card_brand,
        card_type,
        -- Ingestion keeps only the last four digits; the full number and the CVV never land.
        card_number_last4,
        expires as expiry_date,
        has_chip = 'YES' as has_chip,
        num_cards_issued as cards_issued_count,
        cast(credit_limit as numeric(14, 2)) as credit_limit,
        acct_open_date as account_opened_date,
        year_pin_last_changed as pin_last_changed_year,
        card_on_dark_web = 'Yes' as is_on_dark_web
    from source
)

select * from renamed
