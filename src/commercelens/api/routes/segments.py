"""GET /segments and GET /segments/{name}: the audiences of `commercelens.activation`, paged.

The name is checked against the known segments before the warehouse is opened (404 naming
them); a warehouse without the segment views answers 503 with what to run. Members come ordered
by the segment's key, so pages 1..pages cover every member once; a page past the end is an
empty page with the totals (200), not an error. docs/segments.md has the paging contract.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from commercelens.activation import (
    MAX_PAGE_SIZE,
    SegmentNotBuilt,
    UnknownSegment,
    list_segments,
    segment_definition,
    segment_page,
)
from commercelens.api.deps import ApiKey, ServicesDep
from commercelens.api.errors import NotFound, Unavailable
from commercelens.api.schemas import Message, SegmentList, SegmentMembersPage

router = APIRouter(tags=["segments"], dependencies=[ApiKey], responses={401: {"model": Message}})
NOT_BUILT = {503: {"model": Message, "description": "No warehouse, or its segments are not built yet."}}


@router.get(
    "/segments",
    response_model=SegmentList,
    summary="Every segment: definition, member key, audience and member count",
    responses=NOT_BUILT,
)
def segments(services: ServicesDep) -> JSONResponse:
    with services.warehouse() as warehouse:
        try:
            found = list_segments(warehouse)
        except SegmentNotBuilt as exc:
            raise Unavailable(str(exc)) from exc
    body = SegmentList.model_validate(
        {"segments": [{**s.definition.to_dict(), "members": s.members} for s in found]}
    )
    return JSONResponse(body.model_dump(mode="json"))


@router.get(
    "/segments/{name}",
    response_model=SegmentMembersPage,
    summary="A segment's members, ordered by its key, one page at a time",
    responses={404: {"model": Message, "description": "No segment of that name."}, **NOT_BUILT},
)
def segment_members(
    name: Annotated[str, Path(max_length=200, examples=["high_intent_non_bookers"])],
    services: ServicesDep,
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Members per page.")] = 100,
) -> JSONResponse:
    try:
        definition = segment_definition(name)  # before any warehouse access: never SQL
    except UnknownSegment as exc:
        raise NotFound(str(exc)) from exc
    with services.warehouse() as warehouse:
        try:
            result = segment_page(warehouse, definition.name, page, page_size)
        except SegmentNotBuilt as exc:
            raise Unavailable(str(exc)) from exc
    body = SegmentMembersPage(
        name=definition.name,
        domain=definition.domain,
        key=definition.key,
        page=result.page,
        page_size=result.page_size,
        total=result.total,
        pages=result.pages,
        members=result.json_members(),
    )
    return JSONResponse(body.model_dump(mode="json"))
