with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

measures_by_mcc as (
    select
        mcc,
        -- One description per code (it comes from dim_mcc's source), so grouping by it is free.
        mcc_description,
        {{ payments_fraud_counts() }}
    from fct_transactions
    where mcc is not null
    group by mcc, mcc_description
),

final as (
    select
        mcc,
        mcc_description,
        transactions,
        labelled_transactions,
        fraudulent_transactions,
        {{ payments_fraud_rates('transactions', 'labelled_transactions', 'fraudulent_transactions') }},
        fraud_loss_amount
    from measures_by_mcc
)

select * from final
