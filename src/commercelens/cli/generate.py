"""`commercelens generate`: synthetic data with planted truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commercelens.cli.console import console, progress_bar
from commercelens.generate import DOMAINS, generate
from commercelens.generate.common import Domain, GeneratedDataset, Scale

DomainArg = Annotated[str, typer.Argument(help="rail, shop, payments or all")]


def generate_command(
    domain: DomainArg,
    out: Annotated[Path, typer.Option("--out", help="Directory to write into (DIR/<domain> for all).")],
    scale: Annotated[str, typer.Option(help="tiny, small or full")] = "small",
    rows: Annotated[int | None, typer.Option(help="Primary rows; overrides --scale.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes).")] = 42,
    dirty: Annotated[float, typer.Option(help="Share of rows to corrupt with known defects.")] = 0.0,
) -> None:
    """Generate synthetic data in the real layouts, with its truth under _truth/."""
    datasets = run_generate(domain, out, scale, rows, seed, dirty)
    for dataset in datasets:
        files = ", ".join(f"{name} {n:,}" for name, n in dataset.files.items())
        console.print(f"[green]{dataset.domain}[/] -> {dataset.out_dir}: {files}")


def run_generate(
    domain: str, out: Path, scale: str, rows: int | None, seed: int, dirty: float
) -> list[GeneratedDataset]:
    from commercelens.errors import UserError

    if domain not in (*DOMAINS, "all"):
        raise UserError(f"unknown domain '{domain}': use rail, shop, payments or all")
    if scale not in ("tiny", "small", "full"):
        raise UserError(f"unknown scale '{scale}': use tiny, small or full")
    if not 0 <= dirty < 1:
        raise UserError(f"--dirty must be in [0, 1), got {dirty}")
    if rows is not None and rows < 200:
        raise UserError(f"--rows must be at least 200, got {rows}")
    if seed < 0:
        raise UserError(f"--seed must be a non-negative integer, got {seed}")
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: --out must be a directory, and this is a file")
    domains: list[Domain] = list(DOMAINS) if domain == "all" else [domain]  # type: ignore[list-item]
    datasets = []
    with progress_bar() as progress:
        task = progress.add_task("generate", total=len(domains))
        for d in domains:
            progress.update(task, description=f"generate {d}")
            target = out / d if domain == "all" else out
            datasets.append(generate(d, target, scale, rows, seed, dirty))  # type: ignore[arg-type]
            progress.advance(task)
    return datasets


__all__ = ["Scale", "generate_command", "run_generate"]
