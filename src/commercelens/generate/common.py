"""Shared pieces of the synthetic generators: scales, seeds and the result record.

Every generator is vectorised (NumPy / Polars / Arrow), seeded and deterministic:
the same (rows, seed) always writes byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

Domain = Literal["rail", "shop", "payments"]
Scale = Literal["tiny", "small", "full"]

# Primary rows per domain and scale: searches (rail), events (shop), transactions (payments).
# `full` matches the public datasets: RetailRocket ~2.76M events, Kaggle 13,305,915 transactions.
SCALE_ROWS: dict[Domain, dict[Scale, int]] = {
    "rail": {"tiny": 3_000, "small": 250_000, "full": 3_000_000},
    "shop": {"tiny": 6_000, "small": 300_000, "full": 2_756_101},
    "payments": {"tiny": 20_000, "small": 1_000_000, "full": 13_305_915},
}

TRUTH_DIR = "_truth"


@dataclass(frozen=True)
class GeneratedDataset:
    """What one generator wrote: data files (name -> data rows) and truth files."""

    domain: Domain
    out_dir: Path
    files: dict[str, int]
    truth_files: list[str] = field(default_factory=list)


def rows_for(domain: Domain, scale: Scale, rows: int | None) -> int:
    """Primary row count for a domain: an explicit `rows` wins over the scale."""
    if rows is not None:
        if rows <= 0:
            raise ValueError(f"--rows must be positive, got {rows}")
        return rows
    return SCALE_ROWS[domain][scale]


def make_rng(seed: int, domain: Domain) -> np.random.Generator:
    """One independent, reproducible stream per domain (so `all` equals each alone)."""
    salt = {"rail": 1, "shop": 2, "payments": 3}[domain]
    return np.random.default_rng([seed, salt])


def truth_dir(out_dir: Path) -> Path:
    path = out_dir / TRUTH_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path
