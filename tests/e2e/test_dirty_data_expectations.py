"""Ingestion quarantines exactly the rows the generator corrupted, for the reasons it planted.

The generator's dirt injector writes the expected count per file and reason to
`_truth/expected_rejects.json` without running any ingestion code, so this compares two
independent accounts of the same defects.
"""

from __future__ import annotations

import json

import pytest

from commercelens.generate import generate
from commercelens.ingest.loader import ingest_source
from tests.conftest import PII_KEY


@pytest.mark.parametrize(("domain", "rows"), [("rail", 3_000), ("shop", 6_000), ("payments", 10_000)])
def test_quarantine_matches_planted_defects_file_by_file(warehouse, tmp_path, domain, rows):
    data = tmp_path / domain
    generate(domain, data, rows=rows, seed=5, dirty=0.03)
    expected = json.loads((data / "_truth" / "expected_rejects.json").read_text())
    report = ingest_source(warehouse, domain, data, PII_KEY)
    by_file = {f.source_file: f for f in report.files}
    assert expected, "the dirt injector wrote no expectations"
    for name, want in expected.items():
        got = by_file[name]
        assert got.rows_read == want["rows"], name
        assert got.reasons == want["by_reason"], name
        assert got.rows_quarantined == want["rejected"] > 0, name


def test_clean_generated_data_loads_without_rejects(warehouse, tmp_path):
    for domain, rows in (("rail", 2_000), ("shop", 4_000), ("payments", 6_000)):
        generate(domain, tmp_path / domain, rows=rows, seed=9)
        report = ingest_source(warehouse, domain, tmp_path / domain, PII_KEY)
        problems = {f.source_file: f.first_problem for f in report.files if f.rows_quarantined}
        assert problems == {}, problems
