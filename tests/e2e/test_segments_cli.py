"""`commercelens segments list | show`: on the shared built warehouse, JSON for machines and a Rich
table for people; unknown names and missing warehouses are exit 1 with one clear line."""

from __future__ import annotations

import json
import math

import pytest

from commercelens.activation import segment_definitions
from commercelens.cli.app import run
from commercelens.config import load_settings
from commercelens.warehouse import open_warehouse

NAMES = list(segment_definitions())


@pytest.fixture
def workdir(built_duckdb) -> list[str]:
    return ["--workdir", str(built_duckdb[0].home)]


def cli_json(capsys, *args: str):
    code = run([*args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_list_json_gives_every_segment_with_its_view_count(capsys, workdir, built_duckdb):
    listed = cli_json(capsys, *workdir, "segments", "list")
    assert [s["name"] for s in listed] == NAMES
    with open_warehouse(built_duckdb[0]) as w:
        for s in listed:
            assert s["members"] == w.fetch_all(f"select count(*) from segments.seg_{s['name']}")[0][0] > 0


def test_list_table_shows_names_keys_and_audiences(capsys, workdir):
    assert run([*workdir, "segments", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)
    assert "visitor_id" in out and "card_id" in out and "5% discount" in out


def test_show_json_pages_cover_every_member_once(capsys, workdir, built_duckdb):
    with open_warehouse(built_duckdb[0]) as w:
        expected = sorted(r[0] for r in w.fetch_all("select user_id from segments.seg_lapsed_bookers"))
    page_size = math.ceil(len(expected) / 4)
    keys, page, pages = [], 1, 1
    while page <= pages:
        body = cli_json(
            capsys,
            *workdir,
            "segments",
            "show",
            "lapsed_bookers",
            "--page",
            str(page),
            "--page-size",
            str(page_size),
        )
        keys += [m["user_id"] for m in body["members"]]
        pages, page = body["pages"], page + 1
    assert pages == 4 and keys == expected


def test_show_table_lists_the_members_of_a_page(capsys, workdir, built_duckdb):
    with open_warehouse(built_duckdb[0]) as w:
        first_card = w.fetch_all("select min(card_id) from segments.seg_cards_under_review")[0][0]
    assert run([*workdir, "segments", "show", "cards_under_review", "--page-size", "1"]) == 0
    out = capsys.readouterr().out
    assert "cards_under_review (payments): page 1 of" in out and f"│ {first_card} " in out


def test_unknown_segment_is_exit_1_naming_the_known_ones(capsys, workdir):
    assert run([*workdir, "segments", "show", "high_intent"]) == 1
    err = capsys.readouterr().err.replace("\n", "")
    assert "unknown segment 'high_intent'" in err and all(name in err for name in NAMES)
    assert "Traceback" not in err


def test_page_size_over_1000_is_a_user_error(capsys, workdir):
    assert run([*workdir, "segments", "show", "lapsed_bookers", "--page-size", "1001"]) == 1
    assert "--page-size" in capsys.readouterr().err


def test_no_warehouse_is_exit_1_saying_to_run_the_demo(capsys, tmp_path):
    assert run(["--workdir", str(tmp_path), "segments", "list"]) == 1
    assert "commercelens demo" in capsys.readouterr().err


def test_untransformed_warehouse_is_exit_1_saying_to_run_transform(capsys, tmp_path):
    open_warehouse(load_settings(home=tmp_path)).close()
    assert run(["--workdir", str(tmp_path), "segments", "show", "cart_abandoners"]) == 1
    assert "commercelens transform" in capsys.readouterr().err.replace("\n", " ")
