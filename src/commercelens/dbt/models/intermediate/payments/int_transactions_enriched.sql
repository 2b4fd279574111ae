{%- set error_kinds = payments_error_kinds() -%}

with

stg_payments__transactions as (
    select * from {{ ref('stg_payments__transactions') }}
),

stg_payments__fraud_labels as (
    select * from {{ ref('stg_payments__fraud_labels') }}
),

stg_payments__mcc_codes as (
    select * from {{ ref('stg_payments__mcc_codes') }}
),

stg_payments__cards as (
    select * from {{ ref('stg_payments__cards') }}
),

stg_payments__users as (
    select * from {{ ref('stg_payments__users') }}
),

transactions_with_error_flags as (
    select
        *,
        {% for kind, suffix in error_kinds.items() -%}
        {{ payments_has_error_kind('errors', kind) }} as has_error_{{ suffix }}
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from stg_payments__transactions
),

transactions_labelled as (
    select
        transactions.*,
        labels.transaction_id is not null as is_labelled,
        -- NULL when unlabelled: an unlabelled transaction is unknown, not honest.
        labels.is_fraud
    from transactions_with_error_flags as transactions
    left join stg_payments__fraud_labels as labels
        on transactions.transaction_id = labels.transaction_id
),

final as (
    select
        transactions.transaction_id,
        transactions.transaction_at,
        transactions.event_at,
        cast(transactions.transaction_at as date) as transaction_date,
        cast(extract(hour from transactions.transaction_at) as integer) as transaction_hour,
        transactions.client_id,
        transactions.card_id,
        transactions.amount,
        transactions.is_refund,
        transactions.channel,
        transactions.merchant_id,
        transactions.merchant_city,
        transactions.merchant_state,
        transactions.zip,
        transactions.mcc,
        mcc_codes.mcc_description,
        transactions.errors,
        transactions.has_error,
        {% for suffix in error_kinds.values() -%}
        transactions.has_error_{{ suffix }},
        {% endfor -%}
        {% for suffix in error_kinds.values() -%}
        cast(transactions.has_error_{{ suffix }} as integer)
        {%- if not loop.last %} + {% endif %}
        {% endfor -%} as error_count,
        transactions.device_id,
        transactions.merchant_latitude,
        transactions.merchant_longitude,
        cards.card_brand,
        cards.card_type,
        cards.has_chip as card_has_chip,
        cards.is_on_dark_web as is_card_on_dark_web,
        users.gender as client_gender,
        users.current_age as client_current_age,
        users.credit_score as client_credit_score,
        users.yearly_income as client_yearly_income,
        transactions.is_labelled,
        transactions.is_fraud,
        -- Known loss only: a labelled fraud that moved money out (a refund is not a loss).
        cast(
            case when transactions.is_fraud and not transactions.is_refund then transactions.amount else 0 end
            as numeric(14, 2)
        ) as fraud_loss_amount
    from transactions_labelled as transactions
    left join stg_payments__mcc_codes as mcc_codes
        on transactions.mcc = mcc_codes.mcc
    left join stg_payments__cards as cards
        on transactions.card_id = cards.card_id
    left join stg_payments__users as users
        on transactions.client_id = users.client_id
)

select * from final
