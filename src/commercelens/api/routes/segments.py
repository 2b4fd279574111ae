"""GET /segments/{name}: not built yet. Segments arrive with the activation issue; until then
every name is unknown (404 with that reason), never an empty page that looks like data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from commercelens.api.deps import ApiKey
from commercelens.api.errors import NotFound
from commercelens.api.schemas import Message

router = APIRouter(tags=["segments"], dependencies=[ApiKey], responses={401: {"model": Message}})
NOT_BUILT = (
    "segment {name!r} does not exist: segments are not built yet (they come with activation); see docs/api.md"
)


@router.get(
    "/segments/{name}",
    summary="A segment's members, paged (not built yet: always 404)",
    responses={404: {"model": Message, "description": "No segment of that name (none exist yet)."}},
)
async def segment(
    name: Annotated[str, Path(max_length=200)],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1_000)] = 100,
) -> None:
    raise NotFound(NOT_BUILT.format(name=name))
