-- Every metric's n equals the variation's units that are not flagged in two variations
-- (flagged units are excluded, never double counted, and none is lost).
with

expected as (
    select
        experiment_id,
        variation,
        count(*) as units
    from {{ ref('fct_experiment_assignments') }}
    where not is_multiple_variations
    group by experiment_id, variation
),

stats as (
    select
        experiment_id,
        variation,
        metric_name,
        n
    from {{ ref('fct_experiment_metric_stats') }}
)

select
    expected.experiment_id,
    expected.variation,
    stats.metric_name,
    expected.units,
    stats.n
from expected
left join stats
    on expected.experiment_id = stats.experiment_id
    and expected.variation = stats.variation
where stats.n is null or stats.n <> expected.units
