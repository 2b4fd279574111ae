with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

hours_of_day as (
    {% for hour in range(24) -%}
    select {{ hour }} as hour_of_day
    {% if not loop.last %}union all
    {% endif -%}
    {% endfor %}
),

measures_by_hour as (
    select
        transaction_hour as hour_of_day,
        {{ payments_fraud_counts() }}
    from fct_transactions
    group by transaction_hour
),

counts_by_hour as (
    select
        cast(hours_of_day.hour_of_day as integer) as hour_of_day,
        coalesce(measures.transactions, 0) as transactions,
        coalesce(measures.labelled_transactions, 0) as labelled_transactions,
        coalesce(measures.fraudulent_transactions, 0) as fraudulent_transactions,
        cast(coalesce(measures.fraud_loss_amount, 0) as numeric(18, 2)) as fraud_loss_amount
    from hours_of_day
    left join measures_by_hour as measures
        on hours_of_day.hour_of_day = measures.hour_of_day
),

final as (
    select
        hour_of_day,
        transactions,
        labelled_transactions,
        fraudulent_transactions,
        {{ payments_fraud_rates('transactions', 'labelled_transactions', 'fraudulent_transactions') }},
        fraud_loss_amount
    from counts_by_hour
)

select * from final
