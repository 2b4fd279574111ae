"""The REST API (`commercelens serve`): FastAPI over the warehouse, the models and the stream's rules."""

from __future__ import annotations

from commercelens.api.app import create_app
from commercelens.api.services import ApiConfig

__all__ = ["ApiConfig", "create_app"]
