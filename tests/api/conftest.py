"""API test fixtures: a workdir with the shared generated warehouse, trained models and a key.

The warehouse of `built_duckdb` (tests/conftest.py) is copied into a workdir of its own, so the
models, MLflow registry and API keys of these tests never meet the other tests' ones; the
booking, fraud and conversion models are trained there once per session (`train_task`, with the generated
data's truth as the oracle).
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator

import pytest

from commercelens.api import create_app
from commercelens.api.security import HEADER, KeyStore
from commercelens.config import Settings, load_settings
from commercelens.ml.tasks import train_task

with warnings.catch_warnings():
    # Starlette 1.x asks for `httpx2` behind its TestClient; the project's dev extras have httpx.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def api_settings(built_duckdb, tmp_path_factory) -> Settings:
    built, data_dir, _ = built_duckdb
    home = tmp_path_factory.mktemp("api_home")
    for suffix in ("", ".wal"):  # dbt's handle may keep the last writes in the WAL: copy it too
        source = built.duckdb_path.with_name(built.duckdb_path.name + suffix)
        if source.exists():
            shutil.copy(source, home / source.name)
    settings = load_settings(home=home)
    for task in ("booking", "fraud", "conversion"):
        train_task(settings, task, data_dir=data_dir)
    return settings


@pytest.fixture(scope="session")
def api_key(api_settings) -> str:
    return KeyStore.for_workdir(api_settings.home).create("tests")


@pytest.fixture(scope="session")
def headers(api_key) -> dict[str, str]:
    return {HEADER: api_key}


@pytest.fixture(scope="session")
def client(api_settings, api_key) -> Iterator[TestClient]:
    """A TestClient of the app over the trained workdir, started (lifespan) once."""
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def empty_client(tmp_path_factory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app over a workdir with no warehouse and no model, and a valid key for it."""
    settings = load_settings(home=tmp_path_factory.mktemp("api_empty"))
    key = KeyStore.for_workdir(settings.home).create("tests")
    with TestClient(create_app(settings)) as test_client:
        yield test_client, {HEADER: key}
