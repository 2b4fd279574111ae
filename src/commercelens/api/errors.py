"""Errors the routes raise and the handlers that turn them into JSON responses.

422s use FastAPI's own shape (`{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`), so a
client reads a field error the same way whether pydantic or the service found it. Anything
unexpected becomes a 500 with no internals in the body (and a log line with the traceback): the
last resort, which the schemathesis run checks never happens.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("commercelens.api")


class ApiError(Exception):
    status = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ApiError):
    status = 404


class Unavailable(ApiError):
    """A model, the online state or the warehouse is not there (yet): 503 with the reason."""

    status = 503


class FieldError(ApiError):
    """Bad input the schema could not see (it needs the model's state): 422 naming the field."""

    status = 422

    def __init__(self, loc: Sequence[str | int], detail: str, kind: str = "value_error") -> None:
        super().__init__(detail)
        self.loc, self.kind = list(loc), kind


_JSON = TypeAdapter(Any)


def json_response(body: Any, status_code: int = 200) -> Response:
    """JSON serialised by pydantic-core (fast; NaN and infinities become null)."""
    return Response(_JSON.dump_json(body), status_code=status_code, media_type="application/json")


def finite(value: Any) -> Any:
    """The same structure with NaN and infinities as None (JSON has no such numbers)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    if isinstance(exc, FieldError):
        body = {"detail": [{"loc": exc.loc, "msg": exc.detail, "type": exc.kind}]}
        return JSONResponse(body, status_code=422)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The default handler echoes the offending input; a huge or binary value makes a huge reply.
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", "invalid"), "type": e.get("type", "value_error")}
        for e in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not even text (invalid UTF-8): bad input, so a 422
        errors = [{"loc": ["body"], "msg": "the body is not valid UTF-8 JSON", "type": "json_invalid"}]
        return JSONResponse({"detail": errors}, status_code=422)
    return await http_exception_handler(request, exc)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
