"""Dashboard test fixtures: a workdir with the shared generated warehouse, a booking model and alerts.

The warehouse of `built_duckdb` (tests/conftest.py) is copied into a workdir of its own, the
booking model is trained there (with the generated data's truth as the oracle, so the Models page
has curves and the Pricing simulator a champion) and the payments are replayed through the
stream's rules into ops.fraud_alerts. Conversion and fraud stay untrained on purpose: their
sections must say what to run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from commercelens.config import Settings, load_settings

APP = Path(__file__).resolve().parents[2] / "src" / "commercelens" / "dashboard" / "app.py"
TIMEOUT = 120  # seconds per script run: a cold page imports the report, MLflow and LightGBM


@pytest.fixture(scope="session")
def dashboard_home(built_duckdb, tmp_path_factory) -> Settings:
    from commercelens.ml.tasks import train_task
    from commercelens.stream.processor import Processor
    from commercelens.stream.rules import load_rules
    from commercelens.stream.run import run_stream
    from commercelens.stream.runs import record_run
    from commercelens.stream.sinks import DuckDBSink
    from commercelens.stream.sources import FileSource

    built, data_dir, _ = built_duckdb
    home = tmp_path_factory.mktemp("dashboard_home")
    for suffix in ("", ".wal"):  # dbt's handle may keep the last writes in the WAL: copy it too
        source = built.duckdb_path.with_name(built.duckdb_path.name + suffix)
        if source.exists():
            shutil.copy(source, home / source.name)
    settings = load_settings(home=home, target="duckdb")
    train_task(settings, "booking", data_dir=data_dir)
    stream = FileSource(data_dir / "payments" / "transactions_data.csv")
    sink = DuckDBSink(settings.duckdb_path, stream.name)
    try:
        summary = run_stream(stream, [sink], Processor(load_rules()), model="rules only (dashboard tests)")
    finally:
        sink.close()
    record_run(settings, summary)
    return settings


@pytest.fixture
def app(monkeypatch) -> Callable[[Path], object]:
    """`app(home)`: an AppTest of the dashboard's entry over that workdir, first page run."""
    from streamlit.testing.v1 import AppTest

    def make(home: Path):
        monkeypatch.setenv("COMMERCELENS_HOME", str(home))
        monkeypatch.delenv("COMMERCELENS_TARGET", raising=False)
        return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()

    return make
