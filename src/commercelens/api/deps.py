"""Dependencies as `Annotated` aliases: the services of the app, the API key scheme for OpenAPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader

from commercelens.api.errors import FieldError
from commercelens.api.security import HEADER
from commercelens.api.services import Services

# The key is enforced by ApiKeyMiddleware before the body is read; this declares it in OpenAPI
# (the lock in /docs, the header schemathesis sends) and never rejects anything itself.
api_key_header = APIKeyHeader(
    name=HEADER,
    auto_error=False,
    description="A key from `commercelens api-key create NAME`. Every route but /health needs it.",
)
ApiKey = Security(api_key_header)


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = frozenset(p.alias for p in dependant.query_params)
    return names.union(*(_query_names(d) for d in dependant.dependencies))


async def refuse_unknown_query(request: Request) -> None:
    """A query parameter the route does not declare is a 422 naming it, as unknown body fields
    are: a misspelt `?reason=3` must not silently mean the default."""
    route = request.scope.get("route")
    declared = _query_names(route.dependant) if isinstance(route, APIRoute) else frozenset()
    for name in request.query_params:
        if name not in declared:
            raise FieldError(["query", name], "unknown query parameter", "extra_forbidden")


KnownQuery = Depends(refuse_unknown_query)
