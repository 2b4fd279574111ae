-- Composite key of int_experiment_users_measured: (experiment_id, user_id); no flagged unit.
select
    measured.experiment_id,
    measured.user_id,
    count(*) as rows_for_unit
from {{ ref('int_experiment_users_measured') }} as measured
inner join {{ ref('int_experiment_assignments_deduplicated') }} as assignments
    on measured.experiment_id = assignments.experiment_id
    and measured.user_id = assignments.user_id
group by measured.experiment_id, measured.user_id
having count(*) > 1 or bool_or(assignments.is_multiple_variations)
