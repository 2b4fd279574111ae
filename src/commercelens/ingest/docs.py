"""Render the input contracts as Markdown (docs/ingest-contracts.md is this output; a test
keeps the committed file equal to it, so the docs cannot drift from the code)."""

from __future__ import annotations

from commercelens.ingest.contracts import FORMATS, REASONS, Column, Entity

_PII = {"pseudonymise": "HMAC-SHA256 pseudonym", "last4": "last 4 digits only", "drop": "dropped"}


def _column_row(entity: Entity, c: Column, extension: bool) -> str:
    notes = []
    if c.name in entity.key:
        notes.append("key")
    if c.required:
        notes.append("required")
    if c.values:
        notes.append(("list of: " if c.multi else "one of: ") + ", ".join(f"`{v}`" for v in c.values))
    if c.pii:
        notes.append(_PII[c.pii])
    parent = next((p for p in entity.parents if p.column == c.name), None)
    if parent:
        notes.append(f"must exist in `{entity.source}__{parent.entity}.{parent.key}`")
    if extension:
        notes.append("CommerceLens extension (optional)")
    raw = f"`{c.raw_name}`" if c.raw_name else "-"
    return f"| `{c.name}` | {c.kind} | {raw} | {'; '.join(notes)} |"


def render_contracts_markdown() -> str:
    lines = [
        "# Input contracts",
        "",
        "Generated from `src/commercelens/ingest/contracts.py` by",
        "`python -m commercelens.ingest.docs > docs/ingest-contracts.md`; a test keeps them equal.",
        "",
        "Quarantine reasons, checked in this order (the first that applies is the row's reason): "
        + ", ".join(f"`{r}`" for r in REASONS)
        + "; `erased` (a subject erased on request, record withheld) overrides all.",
        "",
    ]
    for source, formats in FORMATS.items():
        for fmt, entities in formats.items():
            lines += [f"## `{source}` in the `{fmt}` format", ""]
            for e in entities:
                files = ", ".join(f"`{f}`" for f in e.files)
                key = ", ".join(e.key) if e.key else "none (exact duplicate lines are rejected)"
                subject = f" Data subject (erasure): `{e.subject}`." if e.subject else ""
                lines += [
                    f"### `{e.table}` from {files}",
                    "",
                    f"Key: {key}. Reader: {e.reader}.{subject}",
                    "",
                ]
                lines += ["| column in file | type | column in raw | rules |", "|---|---|---|---|"]
                lines += [_column_row(e, c, False) for c in e.columns]
                lines += [_column_row(e, c, True) for c in e.extensions]
                lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render_contracts_markdown(), end="")
