"""The committed contract docs are exactly what the code renders."""

from pathlib import Path

from commercelens.ingest.docs import render_contracts_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "ingest-contracts.md"


def test_contract_docs_match_the_code():
    assert DOCS.read_text(encoding="utf-8") == render_contracts_markdown(), (
        "regenerate: python -m commercelens.ingest.docs > docs/ingest-contracts.md"
    )
