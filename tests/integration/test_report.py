"""`commercelens report`: one offline HTML document over a built warehouse, degrading section by section."""

from __future__ import annotations

import dataclasses
import re
import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from commercelens.cli.app import run
from commercelens.config import load_settings
from commercelens.report import write_report
from commercelens.report.content import gather_report
from commercelens.report.html import render_page
from commercelens.warehouse import open_warehouse

HEADINGS = (
    "<h2>KPIs</h2>",
    "<h2>Funnels</h2>",
    "<h2>Fraud</h2>",
    "<h2>Model quality vs oracle</h2>",
    "<h2>Experiment readout: discount_5pct</h2>",
)
IMAGE = '<img src="data:image/png;base64,'


@pytest.fixture(scope="module")
def report_home(built_duckdb, tmp_path_factory):
    """A workdir holding a copy of the built warehouse and nothing else (no models: other tests
    train on the shared workdir, and this one must not depend on their order)."""
    settings, _, _ = built_duckdb
    home = tmp_path_factory.mktemp("report") / "home"
    home.mkdir()
    for suffix in ("", ".wal"):
        source = settings.duckdb_path.with_name(settings.duckdb_path.name + suffix)
        if source.exists():
            shutil.copy2(source, home / source.name)
    return load_settings(home=home, target="duckdb")


@pytest.fixture(scope="module")
def page(report_home) -> str:
    path = write_report(report_home)
    assert path == report_home.home / "reports" / "commercelens_report.html"
    return path.read_text(encoding="utf-8")


def test_report_is_one_html_document_with_every_section_and_embedded_charts(page):
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.count("</html>") == 1 and page.rstrip().endswith("</html>")
    assert page.count("<body") == 1 and page.count("</body>") == 1
    for heading in HEADINGS:
        assert page.count(heading) == 1, heading
    # funnels (2), shop per day, Vampire Index, risky MCCs, fraud loss, experiment lifts
    assert page.count(IMAGE) >= 5


def test_report_links_and_loads_nothing_from_outside(page):
    targets = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", page)
    assert targets, "expected src/href attributes (images, navigation)"
    assert not [t for t in targets if t.lower().startswith(("http://", "https://", "//"))]
    assert all(t.startswith(("data:image/png;base64,", "#")) for t in targets)
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower() and "<link" not in page.lower()


def test_report_kpis_match_the_marts(page, report_home):
    with open_warehouse(report_home) as w:
        searches, converted = w.fetch_all(
            "select count(*), count(case when is_converted then 1 end) from marts.fct_searches"
        )[0]
        transactions = w.fetch_all("select count(*) from marts.fct_transactions")[0][0]
    assert f'<div class="value">{searches:,}</div>' in page
    assert f'<div class="value">{converted:,}</div>' in page
    assert f'<div class="value">{converted / searches:.2%}</div>' in page
    assert f'<div class="value">{transactions:,}</div>' in page
    assert "Vampire Index" in page and "label coverage" in page
    assert "SRM check: p = " in page


def test_models_without_a_registry_say_what_to_run(page, report_home):
    for task in ("booking", "conversion", "fraud"):
        assert (
            f"not available: no trained {task} model: run `commercelens demo` (or `commercelens train {task}`)"
            in page
        )
    assert not (report_home.home / "mlflow.db").exists()  # reading the report created no registry


def test_report_escapes_every_value(report_home):
    with open_warehouse(report_home) as w:
        report = gather_report(report_home, w)
    hostile = "<script>alert('x')</script> & \"Co\""
    mccs = pl.DataFrame(
        {
            "mcc": [1234],
            "mcc_description": [hostile],
            "transactions": [100],
            "labelled_transactions": [70],
            "fraudulent_transactions": [7],
            "label_coverage": [0.7],
            "fraud_rate": [0.1],
            "fraud_loss_amount": [12.5],
        }
    )
    html = render_page(dataclasses.replace(report, risky_mccs=mccs, workdir=hostile))
    assert "<script" not in html
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Co&quot;"
    assert html.count(escaped) == 2  # the MCC table and the page header


def test_report_command_writes_to_output_and_prints_the_path(report_home, tmp_path, capsys):
    target = tmp_path / "nested" / "r.html"
    assert run(["--workdir", str(report_home.home), "report", "--output", str(target)]) == 0
    out = capsys.readouterr().out
    assert str(target) in out and "python -m webbrowser" in out
    assert target.read_text(encoding="utf-8").count("<h2>") == len(HEADINGS)


def test_a_warehouse_without_marts_shows_not_available_lines(tmp_path):
    settings = load_settings(home=tmp_path, target="duckdb")
    open_warehouse(settings).close()  # schemas and ops tables only: nothing built
    page = write_report(settings).read_text(encoding="utf-8")
    for heading in HEADINGS:
        assert heading in page
    assert page.count('<p class="na">not available: ') >= 10
    assert "marts.fct_searches does not exist: run `commercelens demo`" in page
    assert "Traceback" not in page


def test_report_without_a_warehouse_is_a_one_line_user_error(tmp_path, capsys):
    assert run(["--workdir", str(tmp_path), "report"]) == 1
    err = capsys.readouterr().err
    message = " ".join(err.split())  # Rich may wrap a long temporary path; the message is one line
    assert err.count("error:") == 1 and "Traceback" not in err
    assert message.startswith("error: no warehouse at") and message.endswith("run `commercelens demo` first")
    assert not (tmp_path / "reports").exists()


@pytest.mark.postgres
def test_report_reads_the_same_figures_on_postgres(report_home, built_postgres):
    postgres_settings = built_postgres[0]
    with open_warehouse(report_home) as w:
        on_duckdb = gather_report(report_home, w)
    with open_warehouse(postgres_settings) as w:
        on_postgres = gather_report(postgres_settings, w)
    for part in ("rail", "shop", "payments", "rail_funnel", "shop_funnel"):
        assert getattr(on_postgres, part) == getattr(on_duckdb, part), part
    for part in ("shop_daily", "fraud_by_hour", "risky_mccs", "fraud_loss_monthly"):
        assert_frame_equal(getattr(on_postgres, part), getattr(on_duckdb, part), check_dtypes=False)
    duck_results, pg_results = on_duckdb.experiment.readout.results, on_postgres.experiment.readout.results
    assert [r.p_value for r in pg_results] == pytest.approx([r.p_value for r in duck_results], rel=1e-9)
    page = render_page(on_postgres)
    assert all(heading in page for heading in HEADINGS)
