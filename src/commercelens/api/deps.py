"""Dependencies as `Annotated` aliases: the services of the app, the API key scheme for OpenAPI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

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
