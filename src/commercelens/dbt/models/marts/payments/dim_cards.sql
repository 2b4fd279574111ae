{#- Keys enforced on PostgreSQL only: DuckDB refuses to delete a parent row after its child rows
    in one transaction (duckdb#13819), which `privacy erase` must do; dbt tests check the keys. -#}
{{ config(contract={'enforced': target.type == 'postgres'}) }}

with

stg_payments__cards as (
    select * from {{ ref('stg_payments__cards') }}
),

final as (
    select
        card_id,
        client_id,
        card_brand,
        card_type,
        card_number_last4,
        expiry_date,
        has_chip,
        cards_issued_count,
        credit_limit,
        account_opened_date,
        pin_last_changed_year,
        is_on_dark_web
    from stg_payments__cards
)

select * from final
