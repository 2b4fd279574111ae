"""The three model tasks end to end: features table -> bundle -> evaluation -> registry -> tables.

`train_task` is what `commercelens train TASK` and the demo run: it reads `ml.<task>_features`
(built first if missing), joins the generator's truth when it sits beside the data (the oracle),
trains, saves the bundle under `<workdir>/models/<task>/<stamp>/`, evaluates on the test period
with plots under `<workdir>/reports/models/<task>/`, keeps the scored rows in
`ml.<task>_predictions`, registers the run in MLflow (champion if better on validation), and for
`booking` scores the latest week of searches into `ml.booking_scores` with the decision policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.features import TASKS, TaskSpec, build_features
from commercelens.ml.bundle import ModelBundle, load_bundle, predict_proba, save_bundle, scored_frame
from commercelens.ml.data import TrainingFrame
from commercelens.ml.evaluate import EvaluationResult, evaluate_bundle
from commercelens.ml.models import FAMILIES
from commercelens.ml.policy import DecisionPolicy, decide
from commercelens.ml.registry import RegistrationResult, champion_bundle_path, register_bundle
from commercelens.ml.train import TrainConfig, train_model
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse

TRUTH = "true_probability"
RECENT_DAYS = 7  # booking_scores: searches of the last week of data, the activation audience
# Per-task LightGBM settings over the library defaults. Fraud has ~0.15% positives: a few hundred
# frauds decide early stopping, so it learns slowly (rate 0.02, patience 250 rounds). Additive
# planted truth, few hundred positives: shallow, L2-regularised trees (mean of seeds 42/7/11: AUC
# 0.972 x oracle vs 0.964 with 15 leaves, PR-AUC 0.816 x vs 0.808; benchmarks/fraud_params.py).
TASK_PARAMS: dict[str, dict[str, dict]] = {
    "fraud": {
        "lightgbm": {"learning_rate": 0.02, "num_leaves": 4, "min_child_samples": 50, "reg_lambda": 10.0}
    },
}


@dataclass(frozen=True)
class TrainOutcome:
    task: str
    bundle: ModelBundle
    bundle_dir: Path
    evaluation: EvaluationResult
    registration: RegistrationResult
    scores_written: int  # rows of ml.booking_scores (booking only)


def task_spec(task: str) -> TaskSpec:
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}: use {', '.join(TASKS)}")
    return TASKS[task]


def _truth(data_dir: Path, spec: TaskSpec) -> pl.DataFrame | None:
    path = data_dir / spec.domain / spec.truth_file
    if not path.is_file():
        return None
    truth = pl.read_parquet(path, columns=[spec.entity_id, spec.truth_probability])
    return truth.rename({spec.truth_probability: TRUTH})


def load_frame(warehouse: Warehouse, data_dir: Path, spec: TaskSpec, build: bool = True) -> TrainingFrame:
    """The task's feature rows (built from the marts if missing), truth from `data_dir` joined."""
    if not warehouse.table_exists(spec.table):
        if not build:
            raise UserError(f"{spec.table} does not exist: run `commercelens features build {spec.task}`")
        build_features(warehouse, spec.task)
    frame = pl.from_arrow(warehouse.fetch_arrow(f"select * from {spec.table}"))
    assert isinstance(frame, pl.DataFrame)
    truth = _truth(data_dir, spec)
    if truth is not None:
        truth = truth.with_columns(pl.col(spec.entity_id).cast(frame.schema[spec.entity_id]))
        frame = frame.join(truth, on=spec.entity_id, how="left")
        if frame.get_column(TRUTH).null_count():
            frame = frame.drop(TRUTH)  # truth of other data: no oracle rather than a wrong one
    has_truth = TRUTH in frame.columns
    return TrainingFrame(frame, spec.features, spec.categorical, spec.entity_id, TRUTH if has_truth else None)


def _replace_table(warehouse: Warehouse, table: str, frame: pl.DataFrame) -> int:
    """Replace a small ml table with a frame (through the engine, so both targets work)."""
    warehouse.engine.register("_ml_frame", frame.to_arrow())
    try:
        return warehouse.replace_from_engine(table, "select * from _ml_frame")
    finally:
        warehouse.engine.unregister("_ml_frame")


def _predictions(bundle: ModelBundle, data: TrainingFrame) -> pl.DataFrame:
    """Validation and test rows with labels, scored: anyone can recompute a metric from them."""
    rows = data.frame.filter(pl.col("split").is_in(["validation", "test"]) & pl.col("label").is_not_null())
    return scored_frame(bundle, rows, predict_proba(bundle, rows.select(list(bundle.feature_columns))))


def booking_scores(bundle: ModelBundle, data: TrainingFrame, policy: DecisionPolicy) -> pl.DataFrame:
    """Every search of the last RECENT_DAYS of data: probability, tier and discount decision."""
    frame = data.frame
    latest = frame.get_column("decision_at").max()
    recent = frame.filter(pl.col("decision_at") > pl.lit(latest) - pl.duration(days=RECENT_DAYS))
    probability = predict_proba(bundle, recent.select(list(bundle.feature_columns)))
    decided = decide("booking", probability, policy, bundle.thresholds)
    return recent.select("search_id", "decision_at").with_columns(
        pl.Series("probability", probability),
        pl.Series("tier", decided.tier),
        pl.Series("decision", decided.decision),
        pl.lit(bundle.trained_at).alias("model_trained_at"),
    )


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def train_task(
    settings: Settings,
    task: str,
    family: str = "lightgbm",
    tune_seconds: float = 0.0,
    policy: DecisionPolicy | None = None,
    data_dir: Path | None = None,
) -> TrainOutcome:
    """Train, save, evaluate, register; `data_dir` holds the generated data's `_truth/`."""
    spec = task_spec(task)
    policy = policy or DecisionPolicy()
    if family not in FAMILIES:
        raise UserError(f"--model must be one of {', '.join(FAMILIES)}, got {family!r}")
    with open_warehouse(settings) as warehouse:
        data = load_frame(warehouse, data_dir or settings.data_dir, spec)
    selection = "pr_auc" if task == "fraud" else "roc_auc"  # rare positives: rank the top
    params = TASK_PARAMS.get(task, {}).get(family, {})
    config = TrainConfig(family=family, params=params, selection_metric=selection, tune_seconds=tune_seconds)  # type: ignore[arg-type]
    try:
        bundle = train_model(data, config)
    except ValueError as exc:  # e.g. a split without both classes: the data, not the code
        raise UserError(f"cannot train {task}: {exc}") from exc
    bundle_dir = settings.home / "models" / task / _stamp()
    save_bundle(bundle, bundle_dir)
    reports = settings.home / "reports" / "models" / task
    evaluation = evaluate_bundle(bundle, data.frame, reports, truth=data.truth)
    registration = register_bundle(bundle, bundle_dir, task, settings.home)
    scores = 0
    with open_warehouse(settings) as warehouse:
        _replace_table(warehouse, f"ml.{task}_predictions", _predictions(bundle, data))
        if task == "booking":
            scores = _replace_table(warehouse, "ml.booking_scores", booking_scores(bundle, data, policy))
    return TrainOutcome(task, bundle, bundle_dir, evaluation, registration, scores)


def champion(settings: Settings, task: str) -> ModelBundle:
    task_spec(task)
    try:
        return load_bundle(champion_bundle_path(task, settings.home))
    except (LookupError, FileNotFoundError) as exc:
        raise UserError(f"no trained {task} model: run `commercelens train {task}` first ({exc})") from exc


def evaluate_task(settings: Settings, task: str, data_dir: Path | None = None) -> EvaluationResult:
    """The champion on the current test period, with the oracle when the truth is there."""
    spec = task_spec(task)
    bundle = champion(settings, task)
    with open_warehouse(settings) as warehouse:
        data = load_frame(warehouse, data_dir or settings.data_dir, spec, build=False)
    return evaluate_bundle(bundle, data.frame, settings.home / "reports" / "models" / task, truth=data.truth)
