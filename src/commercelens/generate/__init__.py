"""Synthetic generators with planted truth, one module per domain; `generate` dispatches."""

from __future__ import annotations

from pathlib import Path

from commercelens.generate.common import Domain, GeneratedDataset, Scale, rows_for

DOMAINS: tuple[Domain, ...] = ("rail", "shop", "payments")


def generate(
    domain: Domain,
    out_dir: Path,
    scale: Scale = "small",
    rows: int | None = None,
    seed: int = 42,
    dirty: float = 0.0,
) -> GeneratedDataset:
    """Write one domain's files (and `_truth/`) into `out_dir`; optionally inject defects."""
    n = rows_for(domain, scale, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    if domain == "rail":
        from commercelens.generate.rail import generate_rail as run
    elif domain == "shop":
        from commercelens.generate.shop import generate_shop as run
    else:
        from commercelens.generate.payments import generate_payments as run
    dataset = run(out_dir, n, seed)
    if dirty > 0:
        from commercelens.generate.dirt import inject_dirt

        expected = inject_dirt(out_dir, domain, dirty, seed)
        files = {**dataset.files, **{name: e["rows"] for name, e in expected.items()}}
        dataset = GeneratedDataset(domain, out_dir, files, [*dataset.truth_files, "expected_rejects.json"])
    return dataset
