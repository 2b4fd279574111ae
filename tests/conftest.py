"""Shared fixtures. Markers come from the directory (unit / integration / e2e)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from commercelens.warehouse.duckdb import DuckDBWarehouse
from commercelens.warehouse.ops import ensure_ops_tables

PII_KEY = b"test-key-0123456789abcdef-not-secret"
POSTGRES_ADMIN_DSN = os.environ.get(
    "COMMERCELENS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("COMMERCELENS_TEST_REDIS", "redis://127.0.0.1:6379")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for kind in ("unit", "integration", "e2e"):
            if f"{os.sep}{kind}{os.sep}" in str(item.fspath):
                item.add_marker(getattr(pytest.mark, kind))


def require_server(name: str, reason: str) -> None:
    """A missing server fails the test in CI (CI=true) and skips it on a laptop."""
    message = f"{name} is not reachable: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


@pytest.fixture
def warehouse() -> Iterator[DuckDBWarehouse]:
    """A fresh in-memory DuckDB warehouse with schemas and ops tables."""
    w = DuckDBWarehouse(":memory:")
    w.ensure_schemas()
    ensure_ops_tables(w)
    yield w
    w.close()


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database on the local PostgreSQL server, dropped afterwards; yields its DSN."""
    psycopg = pytest.importorskip("psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        require_server("PostgreSQL", str(exc).strip())
    admin.execute(f"create database {name}")
    try:
        yield POSTGRES_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """A throw-away database on the local PostgreSQL server."""
    with throwaway_database("commercelens_test") as dsn:
        yield dsn


@pytest.fixture
def redis_url() -> str:
    """redis://HOST:PORT of the local Redis server (a stream URI adds /KEY)."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        require_server("Redis", str(exc).strip())
    finally:
        client.close()
    return REDIS_URL.rstrip("/")


@pytest.fixture
def redis_key(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own on the Redis server; every key under it is deleted after."""
    import redis

    prefix = f"commercelens-test:{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def write_csv(directory: Path, name: str, text: str) -> Path:
    """Write literal CSV test data (dedented lines, '\\n' endings)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    lines = [line.strip() for line in text.strip().splitlines()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- a generated, ingested and dbt-built warehouse, shared by the warehouse tests -------------

WAREHOUSE_ROWS = {"rail": 4_000, "shop": 8_000, "payments": 30_000}
WAREHOUSE_SEED = 7


def _build_warehouse(root: Path, target: str, dsn: str | None = None):
    from commercelens.config import load_settings
    from commercelens.generate import generate
    from commercelens.ingest.loader import ingest_source
    from commercelens.warehouse import open_warehouse
    from commercelens.warehouse.dbt import run_dbt

    data = root / "data"
    if not data.exists():
        for domain, rows in WAREHOUSE_ROWS.items():
            generate(domain, data / domain, rows=rows, seed=WAREHOUSE_SEED)  # type: ignore[arg-type]
    overrides = {"home": root / target, "target": target}
    if dsn:
        overrides["postgres_dsn"] = dsn
    settings = load_settings(**overrides)
    with open_warehouse(settings) as w:
        for domain in WAREHOUSE_ROWS:
            ingest_source(w, domain, data / domain, PII_KEY)
    result = run_dbt(settings, "build")
    return settings, data, result


@pytest.fixture(scope="session")
def built_duckdb(tmp_path_factory):
    """(settings, data_dir, TransformResult) of a DuckDB warehouse built from generated data."""
    return _build_warehouse(tmp_path_factory.getbasetemp() / "built", "duckdb")


@pytest.fixture(scope="session")
def built_postgres(tmp_path_factory, built_duckdb):
    """The same data built on the local PostgreSQL server (a throw-away database)."""
    with throwaway_database("commercelens_built") as dsn:
        yield _build_warehouse(tmp_path_factory.getbasetemp() / "built", "postgres", dsn)
