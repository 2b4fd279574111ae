{#- The seven error kinds of the Kaggle transactions file (the ingest contract's list), each with
    the suffix of its has_error_<suffix> flag. One place, so the flags, the error count and the
    technical-failure KPI cannot drift apart. -#}
{% macro payments_error_kinds() -%}
    {{ return({
        'Insufficient Balance': 'insufficient_balance',
        'Bad PIN': 'bad_pin',
        'Technical Glitch': 'technical_glitch',
        'Bad Card Number': 'bad_card_number',
        'Bad Expiration': 'bad_expiration',
        'Bad CVV': 'bad_cvv',
        'Bad Zipcode': 'bad_zipcode',
    }) }}
{%- endmacro %}

{#- True when the comma-separated error list `errors_column` holds `kind` (a whole item, so one
    kind can never match inside another); false, not NULL, when there are no errors. -#}
{% macro payments_has_error_kind(errors_column, kind) -%}
    coalesce((',' || replace({{ errors_column }}, ', ', ',') || ',') like '%,{{ kind }},%', false)
{%- endmacro %}
