"""The end-to-end job behind `commercelens demo`: generate, ingest every domain, build the warehouse."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from commercelens import __version__
from commercelens.config import Settings
from commercelens.generate import DOMAINS, generate
from commercelens.generate.common import Scale
from commercelens.ingest.loader import IngestReport, ingest_source
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.dbt import TransformResult, run_dbt

GENERATION_MARKER = ".generated.json"
DEMO_SEED = 42


@dataclass(frozen=True)
class DemoResult:
    data_dir: Path
    generated: bool
    reports: list[IngestReport]
    warehouse_location: str
    transform: TransformResult


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
    return DemoResult(data_dir, generated, reports, location, transform)
