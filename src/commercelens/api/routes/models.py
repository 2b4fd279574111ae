"""GET /model/metadata: per task, the champion's version, data, metrics against the oracle."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.schemas import Message, ModelMetadata

router = APIRouter(tags=["models"], dependencies=[ApiKey], responses={401: {"model": Message}})


@router.get("/model/metadata", response_model=ModelMetadata, summary="The champion model of every task")
def model_metadata(services: ServicesDep) -> JSONResponse:
    services.refresh()
    return JSONResponse(ModelMetadata(models=services.metadata).model_dump(mode="json"))
