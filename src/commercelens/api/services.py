"""What the routes call: the loaded models and online state, the warehouse, readiness.

Loaded once at start-up (the app's lifespan), never at import. A part that cannot load (no
trained model, no warehouse yet) is recorded with its reason: routes that need it answer 503 with
that reason, `/ready` lists it, and the service tries again at most every `retry_seconds`, so
training a model after `serve` started needs no restart. A model that did load stays until the
restart (a newly trained champion or a rebuilt warehouse is picked up then).

The warehouse is opened per request, read-only, and closed at once: DuckDB lets one process write
a file, and `serve` must not keep `train` or `transform` from doing so.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl
from fastapi.concurrency import run_in_threadpool

from commercelens.api.booking import BookingScorer
from commercelens.api.booking_features import load_state
from commercelens.api.conversion import ConversionScorer
from commercelens.api.conversion_features import load_state as load_conversion_state
from commercelens.api.errors import Unavailable, finite
from commercelens.api.fraud import FraudScorer, card_history
from commercelens.api.runner import ModelRunner
from commercelens.api.schemas import iso_utc
from commercelens.config import Settings
from commercelens.errors import UserError
from commercelens.features import TASKS
from commercelens.ml.bundle import METADATA_FILE
from commercelens.ml.policy import DecisionPolicy
from commercelens.warehouse import open_warehouse
from commercelens.warehouse.base import Warehouse

log = logging.getLogger("commercelens.api")
MB = 1024 * 1024
SERVED_BY = {
    "booking": ["/predict/booking", "/predict/booking/batch"],
    "fraud": ["/fraud/score", "/predict/fraud", "/predict/fraud/batch"],
    "conversion": ["/predict/conversion", "/predict/conversion/batch"],
}


@dataclass(frozen=True)
class ApiConfig:
    """Service settings that are not workdir settings."""

    max_body_bytes: int = 4 * MB  # 10,000 searches take about 2 MB of JSON
    # Earlier transactions a fraud request may read for its cards' state: 10,000 transactions of
    # 10,000 cards could otherwise read the whole table (the demo's last 1,000: 896,000 rows, 1.6 s)
    max_history_rows: int = 2_000_000
    reasons: int = 3
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    retry_seconds: float = 30.0
    # After loading, move every object into the garbage collector's permanent generation: the
    # online state is hundreds of thousands of objects, and a full collection over them took
    # 260 ms (a p99 spike). Process-wide, so only `serve` (a process of its own) turns it on.
    freeze_gc: bool = False
    # /docs, /redoc and /openapi.json without a key (`serve --public-docs`): a browser cannot send
    # the X-API-Key header to load them; by default they need a key like every route but /health
    public_docs: bool = False


@contextmanager
def read_only_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """The warehouse, read-only, for one request; `Unavailable` when it cannot be reached."""
    if settings.target == "duckdb" and not settings.duckdb_path.exists():
        raise Unavailable(f"no warehouse at {settings.duckdb_path}: run `commercelens demo` first")
    try:
        warehouse = open_warehouse(settings, read_only=True)
    except Exception as exc:  # DuckDB lock, PostgreSQL down, ...: the reason, not a traceback
        raise Unavailable(f"warehouse not reachable: {type(exc).__name__}: {_first_line(exc)}") from exc
    try:
        yield warehouse
    except duckdb.Error as exc:
        raise Unavailable(f"warehouse query failed: {type(exc).__name__}: {_first_line(exc)}") from exc
    finally:
        warehouse.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def champion_version(settings: Settings, task: str) -> int | None:
    """The registered version behind the `champion` alias (None without one)."""
    from commercelens.ml.registry import CHAMPION, model_name, tracking_uri

    with warnings.catch_warnings():
        # mlflow's SQLAlchemy models use the `noload` strategy that SQLAlchemy 2.1 deprecates
        warnings.filterwarnings(
            "ignore", message="The ``noload`` loader strategy", category=DeprecationWarning
        )
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        uri = tracking_uri(settings.home)
        try:
            version = MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(
                model_name(task), CHAMPION
            )
        except MlflowException:
            return None
    return int(version.version)


def _metadata(settings: Settings, task: str) -> dict[str, Any]:
    """What `/model/metadata` says about a task's champion (from its bundle's metadata.json)."""
    from commercelens.ml.registry import champion_bundle_path

    try:
        meta = json.loads((champion_bundle_path(task, settings.home) / METADATA_FILE).read_text())
    except (LookupError, FileNotFoundError, ValueError) as exc:
        return {"task": task, "available": False, "reason": f"no trained {task} model ({_first_line(exc)})"}
    metrics = {k: meta.get("metrics", {}).get(k, {}) for k in ("validation", "test", "test_oracle")}
    ratios = {}
    for name in ("roc_auc", "pr_auc"):
        model, oracle = metrics["test"].get(name), metrics["test_oracle"].get(name)
        ratios[f"{name}_ratio"] = model / oracle if model is not None and oracle else None
    return finite(
        {
            "task": task,
            "available": True,
            "version": champion_version(settings, task),
            "family": meta.get("family"),
            "trained_at": meta.get("trained_at"),
            "training_data_hash": meta.get("training_data_hash"),
            "selection_metric": meta.get("selection_metric"),
            "calibration": meta.get("calibration", {}).get("method"),
            "features": meta.get("feature_columns", []),
            "categorical": meta.get("categorical", []),
            "data_window": meta.get("data_window", {}),
            "metrics": metrics,
            "vs_oracle": ratios,
            "thresholds": meta.get("thresholds", {}),
            "served_by": SERVED_BY[task],
        }
    )


class Services:
    def __init__(self, settings: Settings, config: ApiConfig) -> None:
        self.settings, self.config = settings, config
        self.booking: BookingScorer | None = None
        self.fraud: FraudScorer | None = None
        self.conversion: ConversionScorer | None = None
        self.errors: dict[str, str] = dict.fromkeys(("booking", "fraud", "conversion"), "not loaded yet")
        self.metadata: dict[str, dict[str, Any]] = {}
        self.runner = ModelRunner()
        self._attempted: float | None = None
        self._lock = threading.Lock()

    @contextmanager
    def warehouse(self) -> Iterator[Warehouse]:
        with read_only_warehouse(self.settings) as warehouse:
            yield warehouse

    def load(self) -> None:
        """Load what is missing; record why a part could not load."""
        with self._lock:
            self._attempted = time.monotonic()
            if self.booking is None:
                self._try("booking", self._load_booking)
            if self.fraud is None:
                self._try("fraud", self._load_fraud)
            if self.conversion is None:
                self._try("conversion", self._load_conversion)
            self.metadata = {task: self._metadata(task) for task in TASKS}
            if self.booking is not None:
                s = self.booking.state
                self.metadata["booking"]["online_state"] = {
                    "valid_from": iso_utc(s.valid_from),
                    "users": len(s.users),
                    "searches": s.searches,
                    "successful_bookings": s.successful_bookings,
                    "price_references": len(s.price_reference),
                }
            if self.conversion is not None:
                c = self.conversion.state
                self.metadata["conversion"]["online_state"] = {
                    "valid_from": iso_utc(c.valid_from),
                    "sessions": c.sessions,
                    "events": c.events,
                }

    def _metadata(self, task: str) -> dict[str, Any]:
        try:
            return _metadata(self.settings, task)
        except Exception as exc:  # the registry itself failing: say so, keep serving
            log.exception("no metadata for %s", task)
            return {"task": task, "available": False, "reason": f"{type(exc).__name__}: {_first_line(exc)}"}

    def _try(self, part: str, load: Any) -> None:
        try:
            load()
            self.errors.pop(part, None)
        except (UserError, Unavailable, ValueError, OSError, duckdb.Error) as exc:
            self.errors[part] = str(getattr(exc, "detail", None) or exc)
            log.warning("%s not available: %s", part, self.errors[part])
        except Exception as exc:  # a part that cannot load must not take the service down
            self.errors[part] = f"could not load: {type(exc).__name__}: {_first_line(exc)}"
            log.exception("%s not available", part)

    def _load_booking(self) -> None:
        from commercelens.ml.tasks import champion

        bundle = champion(self.settings, "booking")
        with self.warehouse() as warehouse:
            state = load_state(warehouse)
        self.booking = BookingScorer(bundle, state, self.config.policy, self.config.reasons)

    def _load_fraud(self) -> None:
        from commercelens.features.build import fraud_mcc_risk
        from commercelens.ml.tasks import champion
        from commercelens.stream.rules import load_rules

        bundle = champion(self.settings, "fraud")
        with self.warehouse() as warehouse:
            mcc_risk = fraud_mcc_risk(warehouse)
        self.fraud = FraudScorer(bundle, mcc_risk, load_rules(), self.config.reasons)

    def _load_conversion(self) -> None:
        from commercelens.ml.tasks import champion

        bundle = champion(self.settings, "conversion")
        with self.warehouse() as warehouse:
            state = load_conversion_state(warehouse)
        self.conversion = ConversionScorer(bundle, state, self.config.reasons)

    def refresh(self) -> None:
        """Load at first use, and retry a missing part when its last attempt is old enough."""
        due = self._attempted is None or time.monotonic() - self._attempted >= self.config.retry_seconds
        if due and None in (self.booking, self.fraud, self.conversion):
            self.load()

    def _scorer(self, task: str) -> Any:
        """A task's loaded scorer, loading it when due; `Unavailable` with the reason otherwise."""
        if getattr(self, task) is None:
            self.refresh()
        loaded = getattr(self, task)
        if loaded is None:
            raise Unavailable(f"{task} model not available: {self.errors.get(task)}")
        return loaded

    async def _ready(self, task: str) -> Any:
        """The scorer without leaving the event loop when it is loaded."""
        loaded = getattr(self, task)
        return loaded if loaded is not None else await run_in_threadpool(self._scorer, task)

    async def booking_ready(self) -> BookingScorer:
        return await self._ready("booking")

    async def fraud_ready(self) -> FraudScorer:
        return await self._ready("fraud")

    async def conversion_ready(self) -> ConversionScorer:
        return await self._ready("conversion")

    def card_history(self, events: pl.DataFrame, where: Sequence[str] | None = None) -> pl.DataFrame:
        """The cards' earlier transactions from the warehouse (see `fraud.card_history`)."""
        with self.warehouse() as warehouse:
            return card_history(warehouse, events, self.config.max_history_rows, where)

    def model_ref(self, task: str) -> dict[str, Any]:
        meta = self.metadata.get(task, {})
        return {
            "task": task,
            "version": meta.get("version"),
            "family": meta.get("family") or "unknown",
            "trained_at": meta.get("trained_at") or "unknown",
        }

    def readiness(self) -> dict[str, dict[str, Any]]:
        """One check per part: the warehouse answers, each served model and its state is loaded."""
        self.refresh()
        checks: dict[str, dict[str, Any]] = {}
        try:
            with self.warehouse() as warehouse:
                warehouse.fetch_all("select 1")
                checks["warehouse"] = {"ok": True, "detail": f"{warehouse.target} at {warehouse.location}"}
        except Unavailable as exc:
            checks["warehouse"] = {"ok": False, "detail": exc.detail}
        parts = (("booking", self.booking), ("fraud", self.fraud), ("conversion", self.conversion))
        for task, loaded in parts:
            if loaded is None:
                checks[f"{task}_model"] = {"ok": False, "detail": self.errors.get(task, "not loaded")}
            else:
                ref = self.model_ref(task)
                checks[f"{task}_model"] = {
                    "ok": True,
                    "detail": f"{ref['family']} version {ref['version']} trained {ref['trained_at']}",
                }
        return checks
