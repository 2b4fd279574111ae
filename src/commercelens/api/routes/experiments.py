"""GET /experiments/{experiment_id}: the readout (SRM first, then every metric x variation)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import FieldError, NotFound, Unavailable, finite
from commercelens.api.schemas import ExperimentReadout, Message
from commercelens.errors import UserError
from commercelens.experiments.readout import ReadoutConfig, analyze
from commercelens.experiments.sources import METRIC_STATS_TABLE, warehouse_metric_stats

router = APIRouter(tags=["experiments"], dependencies=[ApiKey], responses={401: {"model": Message}})


@router.get(
    "/experiments/{experiment_id}",
    response_model=ExperimentReadout,
    summary="Experiment readout from the warehouse's sufficient statistics",
    responses={404: {"model": Message}, 503: {"model": Message}},
)
def experiment_readout(
    experiment_id: Annotated[str, Path(max_length=200, examples=["discount_5pct"])],
    services: ServicesDep,
    engine: Literal["frequentist", "bayesian", "sequential"] = "frequentist",
    correction: Literal["holm", "bh", "none"] = "holm",
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
    relative: Annotated[bool, Query(description="Interval and p-value for the relative lift.")] = False,
    cuped: bool = True,
    control: Annotated[str, Query(min_length=1, max_length=200)] = "control",
) -> JSONResponse:
    with services.warehouse() as warehouse:
        if not warehouse.table_exists(METRIC_STATS_TABLE):
            raise Unavailable(f"{METRIC_STATS_TABLE} does not exist: run `commercelens transform` first")
        try:
            rows = warehouse_metric_stats(warehouse, experiment_id)
        except UserError as exc:
            raise NotFound(str(exc)) from exc
    config = ReadoutConfig(
        control=control,
        engine=engine,
        difference="relative" if relative else "absolute",
        alpha=alpha,
        correction=None if correction == "none" else correction,
        cuped=cuped,
    )
    variations = {r.variation for r in rows}
    if control not in variations:
        raise FieldError(
            ["query", "control"], f"not a variation of {experiment_id}: {', '.join(sorted(variations))}"
        )
    try:
        readout = analyze(experiment_id, rows, config)
    except ValueError as exc:
        raise FieldError(["path", "experiment_id"], f"cannot analyse {experiment_id}: {exc}") from exc
    return JSONResponse(finite(readout.to_dict()))
