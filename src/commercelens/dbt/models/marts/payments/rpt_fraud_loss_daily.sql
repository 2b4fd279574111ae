with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

measures_by_day as (
    select
        transaction_date,
        {{ payments_fraud_counts() }}
    from fct_transactions
    group by transaction_date
),

final as (
    select
        transaction_date,
        transactions,
        labelled_transactions,
        fraudulent_transactions,
        {{ payments_fraud_rates('transactions', 'labelled_transactions', 'fraudulent_transactions') }},
        fraud_loss_amount
    from measures_by_day
)

select * from final
