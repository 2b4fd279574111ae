-- Composite key of stg_rail__experiment_assignments: one line per (experiment, user, variation, time).
select
    experiment_id,
    user_id,
    variation,
    assigned_at,
    count(*) as lines
from {{ ref('stg_rail__experiment_assignments') }}
group by experiment_id, user_id, variation, assigned_at
having count(*) > 1
