"""Point-in-time feature builders per model task (`ml.<task>_features`).

`TASKS` holds one `TaskSpec` per task (unit, inputs, feature whitelist, truth);
`build_features(warehouse, task)` writes the table; `feature_select` returns the SQL for any
input relations, so tests can run it on tiny in-memory tables. See docs/features.md.
"""

from __future__ import annotations

from commercelens.features.build import build_features, compute_features, feature_select, get_spec
from commercelens.features.spec import SPLITS, TASKS, InputTable, TaskSpec
from commercelens.features.split import SplitBoundaries, split_boundaries

__all__ = [
    "SPLITS",
    "TASKS",
    "InputTable",
    "SplitBoundaries",
    "TaskSpec",
    "build_features",
    "compute_features",
    "feature_select",
    "get_spec",
    "split_boundaries",
]
