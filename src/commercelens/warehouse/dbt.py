"""Run the bundled dbt project against the configured target, through dbt's programmatic runner.

profiles.yml is generated from Settings into `<workdir>/state/dbt/` (never hand-edited); a
PostgreSQL password goes to dbt through an environment variable, never into that file. dbt's
target and log folders live there too, so the installed package is never written to.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from commercelens.config import Settings
from commercelens.errors import CommerceLensError, DataQualityError, UserError

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt"
PROFILE = "commercelens"
# dbt masks variables named DBT_ENV_SECRET_* in its logs and errors.
_PASSWORD_ENV = "DBT_ENV_SECRET_COMMERCELENS_POSTGRES_PASSWORD"


@dataclass(frozen=True)
class NodeOutcome:
    name: str
    kind: str  # model, test, unit_test, seed, ...
    status: str  # success, pass, fail, error, warn, skipped
    failures: int
    message: str
    seconds: float


@dataclass(frozen=True)
class TransformResult:
    target: str
    outcomes: list[NodeOutcome] = field(default_factory=list)

    def count(self, kind: str, *statuses: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind and o.status in statuses)

    @property
    def failed(self) -> list[NodeOutcome]:
        return [o for o in self.outcomes if o.status in ("fail", "error")]


def dbt_state_dir(settings: Settings) -> Path:
    return (settings.home / "state" / "dbt").resolve()


def write_profiles(settings: Settings) -> Path:
    """Write profiles.yml (DuckDB always, PostgreSQL when it is the target); return its folder."""
    duckdb_path = str(settings.duckdb_path.resolve())
    outputs: dict[str, Any] = {"duckdb": {"type": "duckdb", "path": duckdb_path, "threads": 2}}
    if settings.target == "postgres":
        pg = _dsn_parts(settings.postgres_dsn.get_secret_value())
        outputs["postgres"] = {
            "type": "postgres",
            "host": pg.get("host", "127.0.0.1"),
            "port": pg.get("port", 5432),
            "user": pg.get("user", "postgres"),
            "password": "{{ env_var('" + _PASSWORD_ENV + "', '') }}",
            "dbname": pg.get("dbname", "commercelens"),
            "schema": "public",
            "threads": 2,
        }
    folder = dbt_state_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    profile = {PROFILE: {"target": settings.target, "outputs": outputs}}
    (folder / "profiles.yml").write_text(yaml.safe_dump(profile, sort_keys=False), encoding="utf-8")
    return folder


def run_dbt(
    settings: Settings,
    command: str | list[str] = "build",
    select: str | None = None,
    extra: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> TransformResult:
    """Invoke `dbt <command>` on the bundled project; raise on errors, DataQualityError on failed tests."""
    from dbt.cli.main import dbtRunner

    folder = write_profiles(settings)
    pg = settings.postgres_dsn.get_secret_value()
    os.environ[_PASSWORD_ENV] = _password(pg)
    args = [
        *([command] if isinstance(command, str) else command),
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(folder),
        "--target-path", str(folder / "target"),
        "--log-path", str(folder / "logs"),
        "--target", settings.target,
        "--quiet",
    ]  # fmt: skip
    if select:
        # Only tests whose every parent is selected: a subset build must not run (and error on)
        # a relationship test towards a model that was not built.
        args += ["--select", select, "--indirect-selection", "cautious"]
    args += extra or []
    callbacks = [_progress_callback(progress)] if progress else []
    try:
        result = dbtRunner(callbacks=callbacks).invoke(args)
    finally:
        os.environ.pop(_PASSWORD_ENV, None)  # not left for child processes
    outcomes = _outcomes(result.result)
    transform = TransformResult(settings.target, outcomes)
    _raise_for(result, transform)
    return transform


def _progress_callback(progress: Callable[[str], None]) -> Callable[[Any], None]:
    def on_event(event: Any) -> None:
        if event.info.name == "NodeFinished":
            node = event.data.node_info
            progress(f"{node.resource_type} {node.node_name}: {node.node_status}")

    return on_event


def _dsn_parts(dsn: str) -> dict[str, Any]:
    """libpq DSN (URL or key=value) as dbt-postgres profile fields; one host and port only."""
    from psycopg.conninfo import conninfo_to_dict

    parts: dict[str, Any] = dict(conninfo_to_dict(dsn))
    try:
        parts["port"] = int(parts.get("port", 5432))
    except ValueError:
        raise UserError(f"PostgreSQL DSN: dbt needs a single port, got {parts['port']!r}") from None
    return parts


def _password(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(dsn).get("password", ""))


def _outcomes(results: Any) -> list[NodeOutcome]:
    outcomes = []
    for r in getattr(results, "results", None) or []:
        node = r.node
        outcomes.append(
            NodeOutcome(
                name=node.name,
                kind=str(node.resource_type),
                status=str(r.status),
                failures=int(r.failures or 0),
                message=str(r.message or ""),
                seconds=float(r.execution_time or 0.0),
            )
        )
    return outcomes


def _raise_for(result: Any, transform: TransformResult) -> None:
    if result.exception is not None:
        raise UserError(f"dbt could not run: {str(result.exception).splitlines()[0]}")
    tests = ("test", "unit_test")
    failed_tests = [o for o in transform.failed if o.kind in tests and o.status == "fail"]
    broken = [o for o in transform.failed if o.kind not in tests or o.status == "error"]
    if broken:
        first = broken[0]
        message = first.message.splitlines()[0] if first.message else "see the dbt log"
        raise CommerceLensError(f"dbt {first.kind} {first.name} could not run: {message}")
    if failed_tests:
        names = ", ".join(f"{o.name} ({o.failures} failing rows)" for o in failed_tests[:5])
        raise DataQualityError(f"{len(failed_tests)} data tests failed: {names}")
