"""Segment definitions as the package ships them: one view per documented model, a documented key,
and the dbt copy of the fraud rule weights equal to the stream's rules file."""

from __future__ import annotations

import pytest
import yaml

from commercelens.activation import UnknownSegment, segment_definition, segment_definitions
from commercelens.activation.segments import SEGMENTS_FILE
from commercelens.stream.rules import load_rules
from commercelens.warehouse.dbt import PROJECT_DIR


def test_every_documented_segment_has_its_sql_and_every_sql_its_documentation():
    documented = {f"seg_{name}" for name in segment_definitions()}
    files = {path.stem for path in SEGMENTS_FILE.parent.glob("seg_*.sql")}
    assert documented == files
    assert len(documented) >= 4


def test_each_segment_names_a_domain_a_documented_key_and_an_audience():
    for definition in segment_definitions().values():
        assert definition.domain in ("rail", "shop", "payments")
        assert definition.columns[0].name == definition.key, definition.name  # the key comes first
        assert definition.audience and definition.description.startswith("One row per")


def test_the_domains_are_all_covered():
    assert {d.domain for d in segment_definitions().values()} == {"rail", "shop", "payments"}


@pytest.mark.parametrize("name", ["nope", "seg_lapsed_bookers", "lapsed_bookers; drop table x", ""])
def test_an_unknown_name_is_refused_naming_every_known_segment(name):
    with pytest.raises(UnknownSegment) as raised:
        segment_definition(name)
    assert all(known in str(raised.value) for known in segment_definitions())


def test_dbt_fraud_rule_scores_and_levels_equal_the_stream_rules_file():
    variables = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    rules = load_rules()
    assert variables["fraud_rule_scores"] == rules.scores()
    assert {
        "MEDIUM": variables["fraud_level_medium"],
        "HIGH": variables["fraud_level_high"],
        "CRITICAL": variables["fraud_level_critical"],
    } == rules.levels.model_dump()
