"""`dbt docs generate` works on the bundled project and documents every mart's grain."""

from __future__ import annotations

import json

from commercelens.warehouse.dbt import dbt_state_dir, run_dbt


def test_docs_generate_writes_a_catalog_with_every_mart(built_duckdb):
    settings, _, _ = built_duckdb
    run_dbt(settings, ["docs", "generate"])
    target = dbt_state_dir(settings) / "target"
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    marts = [
        n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["schema"] == "marts"
    ]
    assert len(marts) >= 20
    assert all(n["description"].startswith("One row per") for n in marts), [
        n["name"] for n in marts if not n["description"].startswith("One row per")
    ]
    assert {f"model.commercelens.{n['name']}" for n in marts} <= set(catalog["nodes"])
    assert (target / "index.html").is_file()
