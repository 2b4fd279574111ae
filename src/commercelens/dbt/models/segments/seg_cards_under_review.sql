{#- Cards to put in front of a fraud analyst: within the last segment_cards_under_review_days days
    (now = the payments data's latest transaction) at least one of the card's transactions has a
    HIGH or CRITICAL rules-only score, or is labelled fraud. A transaction's rules-only score is
    the stream's combination without the model, 1 - product of (1 - score) over the rules of
    rpt_rule_hits that fired on it, in exact decimals (so DuckDB and PostgreSQL agree at the
    level boundaries); levels and scores are the fraud_rule_scores / fraud_level_* vars. -#}
{%- set rule_scores = var('fraud_rule_scores') -%}
{%- set high = var('fraud_level_high') -%}
{%- set critical = var('fraud_level_critical') -%}

with

fct_transactions as (
    select * from {{ ref('fct_transactions') }}
),

rpt_rule_hits as (
    select * from {{ ref('rpt_rule_hits') }}
),

dim_cards as (
    select * from {{ ref('dim_cards') }}
),

data_now as (
    {{ segments_data_now([('fct_transactions', 'event_at')]) }}
),

review_window as (
    select
        now_at,
        {{ dbt.dateadd('day', -var('segment_cards_under_review_days'), 'now_at') }} as window_start_at
    from data_now
),

transaction_rule_flags as (
    select
        transaction_id,
        {%- for rule in rule_scores %}
        max(case when rule = '{{ rule }}' then 1 else 0 end) as has_{{ rule }}{{ ',' if not loop.last }}
        {%- endfor %}
    from rpt_rule_hits
    group by transaction_id
),

transaction_rule_scores as (
    select
        transaction_id,
        1 - {% for rule, score in rule_scores.items() -%}
        (1 - {{ score }} * has_{{ rule }}){{ ' * ' if not loop.last }}
        {%- endfor %} as rule_score
    from transaction_rule_flags
),

window_transactions as (
    select
        fct_transactions.transaction_id,
        fct_transactions.card_id,
        fct_transactions.event_at,
        coalesce(fct_transactions.is_fraud, false) as is_labelled_fraud,
        coalesce(transaction_rule_scores.rule_score, 0) as rule_score
    from fct_transactions
    inner join review_window
        on fct_transactions.event_at > review_window.window_start_at
    left join transaction_rule_scores
        on fct_transactions.transaction_id = transaction_rule_scores.transaction_id
),

flagged_transactions as (
    select * from window_transactions
    where rule_score >= {{ high }} or is_labelled_fraud
),

flagged_rules as (
    select distinct
        flagged_transactions.card_id,
        rpt_rule_hits.rule
    from flagged_transactions
    inner join rpt_rule_hits
        on flagged_transactions.transaction_id = rpt_rule_hits.transaction_id
),

flagged_rules_per_card as (
    select
        card_id,
        {{ dbt.listagg('rule', "','", 'order by rule') }} as flagged_rules
    from flagged_rules
    group by card_id
),

window_cards as (
    select
        card_id,
        count(*) as window_transactions,
        count(case when rule_score >= {{ high }} then 1 end) as high_risk_transactions,
        count(case when rule_score >= {{ critical }} then 1 end) as critical_transactions,
        count(case when is_labelled_fraud then 1 end) as labelled_fraud_transactions,
        max(rule_score) as max_rule_score,
        max(case when rule_score >= {{ high }} or is_labelled_fraud then event_at end) as last_flagged_at,
        max(event_at) as last_transaction_at
    from window_transactions
    group by card_id
),

final as (
    select
        dim_cards.card_id,
        dim_cards.client_id,
        dim_cards.card_brand,
        dim_cards.card_type,
        window_cards.window_transactions,
        window_cards.high_risk_transactions,
        window_cards.critical_transactions,
        window_cards.labelled_fraud_transactions,
        cast(window_cards.max_rule_score as double precision) as max_rule_score,
        case
            when window_cards.max_rule_score >= {{ critical }} then 'CRITICAL'
            when window_cards.max_rule_score >= {{ high }} then 'HIGH'
            when window_cards.max_rule_score >= {{ var('fraud_level_medium') }} then 'MEDIUM'
            else 'LOW'
        end as rule_level,
        flagged_rules_per_card.flagged_rules,
        window_cards.last_flagged_at,
        window_cards.last_transaction_at
    from window_cards
    inner join dim_cards
        on window_cards.card_id = dim_cards.card_id
    left join flagged_rules_per_card
        on window_cards.card_id = flagged_rules_per_card.card_id
    where window_cards.high_risk_transactions > 0
        or window_cards.labelled_fraud_transactions > 0
)

select * from final
