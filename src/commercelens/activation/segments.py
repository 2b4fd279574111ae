"""Segments: named audiences defined as dbt views over the marts (`models/segments/`).

The definitions (domain, member key, audience, columns) are read from the dbt project's
`_segments.yml`, shipped with the package, so the SQL and its description live in one place;
the members are read from the `segments.seg_<name>` views. A name given by a user is only ever
looked up among the known names, never put into SQL; page bounds go in as bound parameters.
Members are ordered by their key (byte order on every target), so pages are stable: reading
pages 1..pages of an unchanged warehouse yields every member exactly once. docs/segments.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

import yaml

from commercelens.errors import CommerceLensError, UserError
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.dbt import PROJECT_DIR

SEGMENTS_FILE = PROJECT_DIR / "models" / "segments" / "_segments.yml"
SCHEMA = "segments"
VIEW_PREFIX = "seg_"
MAX_PAGE_SIZE = 1_000
Domain = Literal["rail", "shop", "payments"]
DOMAINS: tuple[Domain, ...] = ("rail", "shop", "payments")


class UnknownSegment(UserError):
    """No segment of that name; the message lists the known ones."""

    code = "unknown_segment"


class SegmentNotBuilt(UserError):
    """The segment's view is not in the warehouse (not transformed since segments arrived)."""

    code = "segment_not_built"


@dataclass(frozen=True)
class SegmentColumn:
    name: str
    description: str


@dataclass(frozen=True)
class SegmentDefinition:
    """One segment as `_segments.yml` documents it."""

    name: str
    domain: Domain
    key: str
    description: str
    audience: str
    columns: tuple[SegmentColumn, ...]

    @property
    def view(self) -> str:
        return f"{SCHEMA}.{VIEW_PREFIX}{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "domain": self.domain,
            "key": self.key,
            "description": self.description,
            "audience": self.audience,
            "columns": [{"name": c.name, "description": c.description} for c in self.columns],
        }


@dataclass(frozen=True)
class Segment:
    """A definition and how many members its view holds now."""

    definition: SegmentDefinition
    members: int


@dataclass(frozen=True)
class SegmentPage:
    """One page of a segment's members, ordered by the key; `pages` is 0 for an empty segment."""

    definition: SegmentDefinition
    page: int
    page_size: int
    total: int
    columns: tuple[str, ...]
    members: list[dict[str, Any]]

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.page_size)

    def json_members(self) -> list[dict[str, Any]]:
        """The members with JSON values (see `json_value`)."""
        return [{column: json_value(value) for column, value in m.items()} for m in self.members]


def json_value(value: Any) -> Any:
    """A warehouse value as JSON: times as RFC 3339 UTC text, decimals (money) as numbers.

    Examples
    --------
    >>> json_value(datetime(2025, 6, 30, 21, 54, 38)), json_value(Decimal("78.75")), json_value(float("nan"))
    ('2025-06-30T21:54:38Z', 78.75, None)
    """
    if isinstance(value, datetime):
        naive = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@cache
def segment_definitions() -> dict[str, SegmentDefinition]:
    """Every segment by name, in the order of `_segments.yml`."""
    models = yaml.safe_load(SEGMENTS_FILE.read_text(encoding="utf-8"))["models"]
    return {d.name: d for d in map(_definition, models)}


def _definition(model: dict[str, Any]) -> SegmentDefinition:
    model_name = model["name"]
    meta = (model.get("config") or {}).get("meta") or {}
    if not model_name.startswith(VIEW_PREFIX) or meta.get("domain") not in DOMAINS or not meta.get("key"):
        raise CommerceLensError(f"{SEGMENTS_FILE}: {model_name} needs the seg_ prefix, a domain and a key")
    columns = tuple(
        SegmentColumn(c["name"], " ".join(str(c.get("description", "")).split()))
        for c in model.get("columns", [])
    )
    if meta["key"] not in {c.name for c in columns}:
        raise CommerceLensError(f"{SEGMENTS_FILE}: {model_name}'s key {meta['key']} is not a column")
    return SegmentDefinition(
        name=model_name.removeprefix(VIEW_PREFIX),
        domain=meta["domain"],
        key=meta["key"],
        description=" ".join(model["description"].split()),
        audience=" ".join(str(meta.get("audience", "")).split()),
        columns=columns,
    )


def segment_definition(name: str) -> SegmentDefinition:
    """The definition of `name`; `UnknownSegment` naming the known segments otherwise."""
    definitions = segment_definitions()
    try:
        return definitions[name]
    except (KeyError, TypeError):
        known = ", ".join(definitions)
        raise UnknownSegment(f"unknown segment {name!r}: the segments are {known}") from None


def _require_built(warehouse: Warehouse, definitions: list[SegmentDefinition]) -> None:
    missing = [d.name for d in definitions if not warehouse.table_exists(d.view)]
    if missing:
        raise SegmentNotBuilt(
            f"segment{'s' if len(missing) > 1 else ''} {', '.join(missing)} not built in the warehouse "
            f"({warehouse.location}): run `commercelens transform` (or `commercelens demo`)"
        )


def _count(warehouse: Warehouse, definition: SegmentDefinition) -> int:
    return int(warehouse.fetch_all(f"select count(*) from {definition.view}")[0][0])


def list_segments(warehouse: Warehouse) -> list[Segment]:
    """Every segment with its current member count; `SegmentNotBuilt` if a view is missing."""
    definitions = list(segment_definitions().values())
    _require_built(warehouse, definitions)
    return [Segment(d, _count(warehouse, d)) for d in definitions]


def segment_page(warehouse: Warehouse, name: str, page: int = 1, page_size: int = 100) -> SegmentPage:
    """Members `(page - 1) * page_size + 1 ..` of segment `name`, ordered by its key.

    A page past the end is empty and still carries the total (a segment may shrink between two
    requests when the warehouse is rebuilt; a reader that stops at `pages` never sees one).
    """
    definition = segment_definition(name)
    if page < 1:
        raise UserError(f"page must be 1 or more, got {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise UserError(f"page size must lie between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    _require_built(warehouse, [definition])
    described = warehouse.columns(definition.view)
    names = tuple(column for column, _ in described)
    if definition.key not in names:
        raise CommerceLensError(f"{definition.view} has no column {definition.key}: rebuild the segments")
    selected = ", ".join(f'"{column}"' for column in names)
    rows = warehouse.fetch_all(
        f"select {selected} from {definition.view} order by {_order_key(warehouse, definition, described)} "
        "limit ? offset ?",
        [page_size, (page - 1) * page_size],
    )
    return SegmentPage(
        definition=definition,
        page=page,
        page_size=page_size,
        total=_count(warehouse, definition),
        columns=names,
        members=[dict(zip(names, row, strict=True)) for row in rows],
    )


def _order_key(warehouse: Warehouse, definition: SegmentDefinition, described: list[tuple[str, str]]) -> str:
    """The key as an ORDER BY term: byte order for text on PostgreSQL too (not the locale's)."""
    kind = dict(described)[definition.key].lower()
    textual = kind in ("text", "varchar", "character varying") or kind.startswith("varchar")
    return (
        f'"{definition.key}" collate "C"'
        if warehouse.target == "postgres" and textual
        else f'"{definition.key}"'
    )
