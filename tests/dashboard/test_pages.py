"""Every dashboard page under Streamlit's AppTest: over a built workdir, an empty one, and bare marts.

No page may raise (pytest turns warnings into errors, so a deprecated call fails here too); each
shows its key elements, and a workdir without data says "run commercelens demo" instead.
"""

from __future__ import annotations

import re

import pytest

from commercelens.config import load_settings
from commercelens.features import TASKS
from commercelens.report import data as report_data
from commercelens.warehouse import open_warehouse

PAGES = ("overview", "rail", "shop", "fraud", "models", "experiments", "pricing")
TITLES = {
    "overview": "CommerceLens",
    "rail": "Rail",
    "shop": "Shop funnel",
    "fraud": "Fraud",
    "models": "Models",
    "experiments": "Experiments",
    "pricing": "Pricing simulator",
}


def open_page(at, name: str):
    if name != "overview":
        at.switch_page(f"views/{name}.py").run()
    assert_clean(at)
    assert [t.value for t in at.title] == [TITLES[name]]
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at) -> list:
    return at.get("vega_lite_chart")


def metric(at, label: str, nth: int = 0):
    found = [m for m in at.metric if m.label == label]
    assert len(found) > nth, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return found[nth]


def messages(at) -> str:
    """Every info, warning, success and error line of the page."""
    return "\n".join(e.value for kind in (at.info, at.warning, at.success, at.error) for e in kind)


def subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


# --- a built workdir ------------------------------------------------------------------------------


def test_overview_cards_show_the_marts_kpis(app, dashboard_home):
    with open_warehouse(dashboard_home, read_only=True) as w:
        rail = report_data.rail_kpis(w)
        pay = report_data.payments_kpis(w)
    at = open_page(app(dashboard_home.home), "overview")
    assert metric(at, "Searches").value == f"{rail.searches:,}"
    assert metric(at, "Bookings").value == f"{rail.bookings:,}"
    assert metric(at, "Conversion").value == f"{rail.conversion:.2%}"
    assert metric(at, "Transactions").value == f"{pay.transactions:,}"
    assert metric(at, "Fraud rate").value == f"{pay.fraud_rate:.3%}"
    assert "label coverage" in metric(at, "Fraud rate").help
    assert re.fullmatch(r"0\.\d{3}", metric(at, "booking: ROC-AUC").value)
    assert "of the oracle's" in metric(at, "booking: ROC-AUC").help
    assert metric(at, "fraud: ROC-AUC").value == "-"  # not trained in this workdir
    assert int(metric(at, "All alerts").value.replace(",", "")) > 0
    assert "Nothing to show yet" not in messages(at)


def test_rail_page_funnel_routes_and_the_paris_lyon_drilldown(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "rail")
    assert subheaders(at) == ["Search -> booking funnel", "Route performance", "Route drill-down"]
    route = next(s for s in at.selectbox if s.label == "Route")
    assert route.value == "Paris -> Lyon"
    assert "pp vs other routes" in str(metric(at, "Conversion", 1).delta)
    assert len(charts(at)) == 6  # funnel, routes, weekly, three breakdowns (one per tab)
    assert [t.label for t in at.tabs] == ["Lead time", "Hour of search", "Weekday of search (1 = Monday)"]
    route.select("Lyon -> Paris").run()
    assert_clean(at)
    assert next(s for s in at.selectbox if s.label == "Route").value == "Lyon -> Paris"
    assert "Lyon -> Paris" in " ".join(m.value for m in at.markdown)


def test_shop_page_funnel_time_to_convert_and_drop_off(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "shop")
    assert subheaders(at) == ["View -> cart -> purchase", "Time to convert", "Drop-off"]
    assert len(charts(at)) == 3
    steps = at.dataframe[0].value
    assert list(steps["step"]) == ["sessions (valid)", "viewed an item", "added to cart", "purchased"]
    assert metric(at, "Left after viewing").value.replace(",", "").isdigit()
    assert metric(at, "Median time to purchase").value.endswith("min")


def test_fraud_page_vampire_index_mccs_loss_and_latest_alerts(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "fraud")
    assert subheaders(at) == [
        "Vampire Index: fraud by hour of day",
        "Top risky MCCs",
        "Fraud loss over time",
        "Latest stream alerts",
    ]
    assert any("label coverage" in c.value for c in at.caption)
    assert any(c.value.startswith("Last run finished") for c in at.caption)
    assert len(charts(at)) == 4  # Vampire Index, MCCs, loss, alerts per rule
    latest = at.dataframe[-1].value
    assert 0 < len(latest) <= 50
    assert set(latest["level"]) <= {"MEDIUM", "HIGH", "CRITICAL"}  # the default filter
    at.button_group[0].set_value(["LOW"]).run()
    assert_clean(at)
    assert set(at.dataframe[-1].value["level"]) == {"LOW"}


def test_models_page_champion_against_the_oracle_and_untrained_tasks(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "models")
    table = at.dataframe[0].value
    assert list(table["metric"])[:2] == ["ROC-AUC", "PR-AUC"]
    assert table["oracle"].notna().all()  # the generator's truth sits beside the data
    assert len(charts(at)) == 5  # ROC, PR, calibration, lift, SHAP importance
    assert "SHAP" in " ".join(subheaders(at))
    at.button_group[0].set_value("fraud").run()
    assert_clean(at)
    assert "commercelens train fraud" in messages(at)
    assert not charts(at)


def test_experiments_page_power_calculator_and_readout(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "experiments")
    # RailFlow's planned test, REFERENCE.md: 12% -> 12.5% needs 67,493 users per arm
    assert metric(at, "Per treatment arm").value == "67,493"
    assert "SRM" in messages(at) and "discount_5pct" in messages(at)
    assert len(charts(at)) == 2  # power curve, intervals
    readout = at.dataframe[0].value
    assert {"conversion", "revenue_per_user"} <= {m.removesuffix(" (CUPED)") for m in readout["metric"]}
    assert (readout["ci_low"] <= readout["estimate"]).all() and (
        readout["estimate"] <= readout["ci_high"]
    ).all()
    next(s for s in at.selectbox if s.label == "Engine").select("bayesian").run()
    assert_clean(at)
    assert any("credible interval" in m.value for m in at.markdown)
    next(n for n in at.number_input if n.label == "Control conversion rate").set_value(0.1).run()
    next(t for t in at.toggle if t.label.startswith("Effect relative")).set_value(True).run()
    next(n for n in at.number_input if n.label.startswith("Minimum detectable effect")).set_value(0.2).run()
    assert_clean(at)
    assert metric(at, "Per treatment arm").value == "3,839"  # stats.power's doctest: 10% -> 12%


def test_pricing_page_scores_a_search_with_the_models_features(app, dashboard_home):
    at = open_page(app(dashboard_home.home), "pricing")
    probability = float(metric(at, "P(book), calibrated").value.rstrip("%")) / 100
    assert 0 <= probability <= 1
    assert metric(at, "Decision").value in {"5% discount", "No discount", "No offer"}
    assert metric(at, "Tier").value in {"low", "medium", "high"}
    features = at.dataframe[-1].value
    assert list(features["feature"]) == list(TASKS["booking"].features)
    assert len(charts(at)) == 2  # P(book) by travel date, reason codes
    user = next(s for s in at.selectbox if s.label == "User")
    user.select(user.options[1]).run()  # the known user with the most searches
    assert_clean(at)
    known = dict(zip(at.dataframe[-1].value["feature"], at.dataframe[-1].value["value"], strict=True))
    assert int(known["user_searches_before"]) > 0
    at.slider[0].set_value((0.0, 1.0)).run()  # everything between the cut-offs: the discount
    assert_clean(at)
    assert metric(at, "Decision").value == "5% discount"


# --- no data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_an_empty_workdir_says_run_commercelens_demo(app, tmp_path, name):
    at = open_page(app(tmp_path), name)
    assert "commercelens demo" in messages(at)
    assert not (tmp_path / "warehouse.duckdb").exists()  # looking created nothing
    assert not (tmp_path / "mlflow.db").exists()
    if name == "experiments":  # the calculator needs no data
        assert metric(at, "Per treatment arm").value == "67,493"


@pytest.mark.parametrize("name", PAGES)
def test_a_warehouse_without_marts_says_what_to_run(app, tmp_path, name):
    settings = load_settings(home=tmp_path, target="duckdb")
    with open_warehouse(settings):  # schemas and ops tables only, as after a failed first run
        pass
    at = open_page(app(tmp_path), name)
    assert "Nothing to show yet" not in messages(at)
    assert "commercelens demo" in messages(at)
