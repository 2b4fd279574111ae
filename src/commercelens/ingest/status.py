"""What is loaded: the latest manifest row per file, summed per entity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import ERASURES, LOAD_MANIFEST


@dataclass(frozen=True)
class EntityStatus:
    source: str
    entity: str
    files: int
    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    last_loaded_at: datetime


def load_status(warehouse: Warehouse) -> list[EntityStatus]:
    rows = warehouse.fetch_all(
        f"""
        with latest as (
            select *, row_number() over (
                partition by source, entity, source_file order by loaded_at desc) as recency
            from {LOAD_MANIFEST}
        )
        select source, entity, count(*), sum(rows_read), sum(rows_accepted), sum(rows_quarantined),
            max(loaded_at)
        from latest where recency = 1
        group by source, entity order by source, entity
        """
    )
    return [EntityStatus(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5]), r[6]) for r in rows]


def erasure_count(warehouse: Warehouse) -> int:
    return int(warehouse.fetch_all(f"select count(*) from {ERASURES}")[0][0])
