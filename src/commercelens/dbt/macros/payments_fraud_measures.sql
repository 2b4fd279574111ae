{#- The fraud KPIs, defined once for every payments roll-up (by hour, by MCC, by day).
    Fraud rates are over LABELLED transactions only: an unlabelled transaction is unknown,
    never honest, so it counts in `transactions` and in the coverage, never in a rate's
    denominator. Counts are bigint and rates double precision on every adapter (a double
    quotient of two integers is correctly rounded, so DuckDB and PostgreSQL agree exactly). -#}
{% macro payments_fraud_counts() -%}
    count(*) as transactions,
    count(case when is_labelled then 1 end) as labelled_transactions,
    count(case when is_fraud then 1 end) as fraudulent_transactions,
    cast(sum(fraud_loss_amount) as numeric(18, 2)) as fraud_loss_amount
{%- endmacro %}

{% macro payments_fraud_rates(transactions, labelled_transactions, fraudulent_transactions) -%}
    cast({{ labelled_transactions }} as double precision)
        / nullif({{ transactions }}, 0) as label_coverage,
    cast({{ fraudulent_transactions }} as double precision)
        / nullif({{ labelled_transactions }}, 0) as fraud_rate
{%- endmacro %}
