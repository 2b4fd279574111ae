"""Settings precedence (flags > env > YAML > defaults) and the PII-key rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from commercelens.config import DEMO_KEY_FILE, load_settings, resolve_pii_key
from commercelens.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (
        "COMMERCELENS_HOME",
        "COMMERCELENS_TARGET",
        "COMMERCELENS_PII_KEY",
        "COMMERCELENS_MAX_REJECT_RATE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_embedded_duckdb_in_dot_commercelens():
    settings = load_settings()
    assert settings.target == "duckdb"
    assert settings.duckdb_path == Path(".commercelens/warehouse.duckdb")


def test_env_overrides_yaml_and_flags_override_env(tmp_path, monkeypatch):
    config = tmp_path / "commercelens.yaml"
    config.write_text("home: /from/yaml\nmax_reject_rate: 0.1\n")
    monkeypatch.setenv("COMMERCELENS_HOME", "/from/env")
    assert load_settings(config).home == Path("/from/env")
    assert load_settings(config).max_reject_rate == 0.1
    assert load_settings(config, home=Path("/from/flag")).home == Path("/from/flag")


def test_unknown_yaml_setting_is_a_config_error_naming_it(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("warehouse_path: x\n")
    with pytest.raises(ConfigError, match="warehouse_path"):
        load_settings(config)


def test_bad_target_is_a_config_error():
    with pytest.raises(ConfigError, match="target"):
        load_settings(target="oracle")


def test_secret_key_never_shows_in_repr(monkeypatch):
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "super-secret-value-123")
    settings = load_settings()
    assert "super-secret-value-123" not in repr(settings)
    assert "super-secret-value-123" not in str(settings.model_dump())


def test_commands_refuse_to_start_without_a_key(tmp_path):
    with pytest.raises(ConfigError, match="COMMERCELENS_PII_KEY"):
        resolve_pii_key(load_settings(home=tmp_path))


def test_short_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        resolve_pii_key(load_settings(home=tmp_path))


def test_only_demo_creates_a_key_and_other_commands_refuse_it_with_a_hint(tmp_path):
    settings = load_settings(home=tmp_path)
    key, warning = resolve_pii_key(settings, allow_demo_key=True)
    assert (tmp_path / DEMO_KEY_FILE).is_file() and "created" in warning
    assert resolve_pii_key(settings, allow_demo_key=True)[0] == key
    with pytest.raises(ConfigError, match=r"export COMMERCELENS_PII_KEY=\$\(cat .*demo_pii.key\)"):
        resolve_pii_key(settings)


def test_an_empty_demo_key_file_is_refused(tmp_path):
    (tmp_path / DEMO_KEY_FILE).parent.mkdir(parents=True)
    (tmp_path / DEMO_KEY_FILE).write_text("")
    with pytest.raises(ConfigError, match="no usable key"):
        resolve_pii_key(load_settings(home=tmp_path), allow_demo_key=True)


def test_postgres_dsn_password_never_shows_in_repr(monkeypatch):
    monkeypatch.setenv("COMMERCELENS_POSTGRES_DSN", "host=db user=a password=s3cret")
    assert "s3cret" not in repr(load_settings())


def test_env_key_wins_over_the_demo_key(tmp_path, monkeypatch):
    resolve_pii_key(load_settings(home=tmp_path), allow_demo_key=True)
    monkeypatch.setenv("COMMERCELENS_PII_KEY", "an-explicit-key-of-enough-length")
    key, warning = resolve_pii_key(load_settings(home=tmp_path))
    assert key == b"an-explicit-key-of-enough-length" and warning is None
