"""The end-to-end job behind `commercelens demo`: generate, ingest every domain, build the warehouse,
then tell RailFlow's experiment story: the power analysis, the readout, the ROI and who to target."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from commercelens import __version__
from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.experiments.discount import discount_roi
from commercelens.experiments.readout import Readout, analyze
from commercelens.experiments.sources import warehouse_metric_stats
from commercelens.features import TASKS, build_features
from commercelens.generate import DOMAINS, generate
from commercelens.generate.common import Scale
from commercelens.generate.rail import EXPERIMENT_ID
from commercelens.ingest.loader import IngestReport, ingest_source
from commercelens.ml.tasks import TrainOutcome, train_task
from commercelens.report import write_report
from commercelens.stats.power import PowerResult, proportion_config, sample_size
from commercelens.stats.roi import RoiResult
from commercelens.stream.processor import Processor
from commercelens.stream.rules import load_rules
from commercelens.stream.run import RunSummary, run_stream
from commercelens.stream.runs import record_run
from commercelens.stream.scoring import load_scorer
from commercelens.stream.sinks import DUCKDB_TABLES, DuckDBSink
from commercelens.stream.sources import FileSource
from commercelens.uplift.data import RAIL_DISCOUNT_SHARE, rail_experiment, uplift_dir
from commercelens.uplift.evaluation import Economics, UpliftBundle, fit, save_with_outputs
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import TransformResult, run_dbt

GENERATION_MARKER = ".generated.json"
DEMO_SEED = 42


# RailFlow's planned test, the explicit inputs of the demo's power analysis: detect a rise in
# conversion from 12% to 12.5% (two-sided, alpha 5%, power 80%); REFERENCE.md: ~67,493 per arm.
PLANNED_BASELINE, PLANNED_MDE = 0.12, 0.005


@dataclass(frozen=True)
class ExperimentStory:
    power: PowerResult
    readout: Readout
    roi: RoiResult
    uplift: UpliftBundle
    uplift_files: dict[str, Path]


@dataclass(frozen=True)
class ModelsResult:
    trained: dict[str, TrainOutcome]
    skipped: dict[str, str]  # task -> why (too few labelled units at this scale, say)


@dataclass(frozen=True)
class StreamResult:
    summary: RunSummary
    by_rule_and_level: list[tuple[str, str, int]]  # (rule, level, alerts)


@dataclass(frozen=True)
class DemoResult:
    data_dir: Path
    generated: bool
    reports: list[IngestReport]
    warehouse_location: str
    transform: TransformResult
    story: ExperimentStory
    models: ModelsResult
    stream: StreamResult
    report: Path  # the offline HTML report (commercelens report)


def experiment_story(settings: Settings, progress: Callable[[str], None]) -> ExperimentStory:
    """Power from explicit inputs, the readout of discount_5pct, its ROI, the uplift targeting list."""
    power = sample_size(proportion_config(PLANNED_BASELINE, PLANNED_MDE, relative=False))
    progress("experiment readout")
    with open_warehouse(settings) as warehouse:
        readout = analyze(EXPERIMENT_ID, warehouse_metric_stats(warehouse, EXPERIMENT_ID))
        progress("uplift model")
        units = rail_experiment(warehouse, EXPERIMENT_ID, truth_dir=settings.data_dir / "rail" / "_truth")
    revenue = next(r for r in readout.results if r.metric == "revenue_per_user")
    roi = discount_roi(revenue, RAIL_DISCOUNT_SHARE)
    bundle = fit(units, "x", economics=Economics(cost_share=RAIL_DISCOUNT_SHARE))
    files = save_with_outputs(bundle, units, uplift_dir(settings.home))
    return ExperimentStory(power, readout, roi, bundle, files)


def ensure_generated(data_dir: Path, scale: Scale, seed: int, progress: Callable[[str], None]) -> bool:
    """Generate all domains unless the same scale/seed/version is already on disk."""
    marker = data_dir / GENERATION_MARKER
    wanted = {"scale": scale, "seed": seed, "version": __version__}
    if marker.is_file() and json.loads(marker.read_text()) == wanted:
        return False
    marker.unlink(missing_ok=True)  # an interrupted run must not look complete next time
    for domain in DOMAINS:
        progress(f"generate {domain} ({scale})")
        generate(domain, data_dir / domain, scale, None, seed)
    marker.write_text(json.dumps(wanted))
    return True


def run_demo(settings: Settings, key: bytes, scale: Scale, progress: Callable[[str], None]) -> DemoResult:
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    generated = ensure_generated(data_dir, scale, DEMO_SEED, progress)
    reports = []
    with open_warehouse(settings) as warehouse:
        for domain in DOMAINS:
            reports.append(ingest_source(warehouse, domain, data_dir / domain, key, progress=progress))
        location = warehouse.location
    progress("dbt build")
    # New data (another scale or seed) may remove events older than the incremental window.
    extra = ["--full-refresh"] if generated else []
    transform = run_dbt(settings, "build", extra=extra, progress=progress)
    story = experiment_story(settings, progress)
    models = train_models(settings, progress)
    stream = replay_payments(settings, progress)
    progress("report")
    report = write_report(settings)
    return DemoResult(data_dir, generated, reports, location, transform, story, models, stream, report)


def train_models(settings: Settings, progress: Callable[[str], None]) -> ModelsResult:
    """Features, then booking, conversion and fraud models, each judged against the oracle."""
    trained, skipped = {}, {}
    with open_warehouse(settings) as warehouse:
        for task in TASKS:
            progress(f"features {task}")
            build_features(warehouse, task)
    for task in TASKS:
        progress(f"train {task}")
        try:
            trained[task] = train_task(settings, task)
        except UserError as exc:  # tiny data can lack positives in a split: say so, go on
            skipped[task] = str(exc)
    return ModelsResult(trained, skipped)


def replay_payments(settings: Settings, progress: Callable[[str], None]) -> StreamResult:
    """Replay the generated payments through the stream processor into ops.fraud_alerts.

    The demo owns its workdir: it empties the stream tables first, so the counts are this replay's.
    """
    progress("stream replay")
    scorer, model, keep_seconds = load_scorer(settings)
    processor = Processor(load_rules(), scorer=scorer, keep_seconds=keep_seconds)
    source = FileSource(settings.data_dir / "payments" / "transactions_data.csv")
    sink = DuckDBSink(settings.duckdb_path, source.name)
    try:
        for table, _ in DUCKDB_TABLES.values():
            sink.con.execute(f"delete from {table}")
        summary = run_stream(source, [sink], processor, model=model if scorer else f"rules only ({model})")
        rows = sink.con.execute(
            "select rule, level, count(*) from ops.fraud_alerts group by all order by rule, level"
        ).fetchall()
    finally:
        sink.close()
    record_run(settings, summary)
    return StreamResult(summary, [(rule, level, n) for rule, level, n in rows])
