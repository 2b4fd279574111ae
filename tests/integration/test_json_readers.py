"""JSON map readers: fast flat-map path and the json fallback agree; duplicates and escapes survive."""

from __future__ import annotations

import pytest

from commercelens.errors import InputFileError
from commercelens.ingest.readers import register_json_records


def records(warehouse, tmp_path, text: str, labels: bool) -> list[tuple]:
    path = tmp_path / "f.json"
    path.write_text(text, encoding="utf-8")
    register_json_records(warehouse, path, "recs", labels)
    return warehouse.fetch_all("select line_number, fields from recs order by line_number")


def test_flat_labels_keep_file_order_and_duplicate_keys(warehouse, tmp_path):
    got = records(warehouse, tmp_path, '{"target": {"2": "No", "1": "Yes", "2": "Yes"}}', labels=True)
    assert got == [(1, ["2", "No"]), (2, ["1", "Yes"]), (3, ["2", "Yes"])]


def test_escaped_strings_are_unescaped(warehouse, tmp_path):
    got = records(
        warehouse, tmp_path, r'{"5812": "Caf\u00e9s \"and\" Bars", "5411": "Groceries"}', labels=False
    )
    assert got == [(1, ["5812", 'Cafés "and" Bars']), (2, ["5411", "Groceries"])]


def test_pretty_printed_file_reads_the_same(warehouse, tmp_path):
    got = records(
        warehouse, tmp_path, '{\n  "target": {\n    "7": "No",\n    "8": "Yes"\n  }\n}\n', labels=True
    )
    assert got == [(1, ["7", "No"]), (2, ["8", "Yes"])]


def test_non_string_values_fall_back_to_the_json_parser(warehouse, tmp_path):
    got = records(warehouse, tmp_path, '{"target": {"7": ["No"], "8": 1}}', labels=True)
    assert got == [(1, ["7", '["No"]']), (2, ["8", "1"])]


def test_invalid_json_names_the_file_and_line(warehouse, tmp_path):
    with pytest.raises(InputFileError, match=r"f\.json line 2: not valid JSON"):
        records(warehouse, tmp_path, '{"target": {\n"7": "No",, }}', labels=True)


def test_labels_need_the_target_wrapper(warehouse, tmp_path):
    with pytest.raises(InputFileError, match="expected an object"):
        records(warehouse, tmp_path, '{"7": "No"}', labels=True)
