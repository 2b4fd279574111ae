"""Settings: one model merging defaults, an optional YAML file and COMMERCELENS_* variables.

Precedence, highest first: explicit CLI flags, environment variables, the YAML file, defaults.
Secrets are `SecretStr`, so they never show up in a repr or a log line.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from commercelens.errors import ConfigError

Target = Literal["duckdb", "postgres"]
MIN_PII_KEY_LENGTH = 16
DEMO_KEY_FILE = "state/demo_pii.key"
_NEW_KEY_COMMAND = "python -c 'import secrets; print(secrets.token_hex(32))'"


class Settings(BaseSettings):
    """Everything configurable; read once at start-up and passed down."""

    model_config = SettingsConfigDict(env_prefix="COMMERCELENS_", extra="forbid")

    home: Path = Field(Path(".commercelens"), description="Workdir for data, warehouse, models.")
    target: Target = Field("duckdb", description="Warehouse target.")
    postgres_dsn: SecretStr = Field(
        SecretStr("postgresql://postgres@127.0.0.1:5432/commercelens"),
        description="libpq DSN used when target is postgres (may hold a password).",
    )
    pii_key: SecretStr | None = Field(None, description="HMAC key for pseudonyms.")
    max_reject_rate: float | None = Field(
        None, ge=0, le=1, description="Ingest exits 2 when a file's quarantined share exceeds it."
    )

    @property
    def duckdb_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults < YAML file < environment < non-None `overrides`."""
    file_values = _read_yaml(config_file) if config_file else {}
    try:
        from_env = Settings().model_dump(exclude_unset=True)  # only what the environment set
        merged = {**file_values, **from_env}
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting '{field}': {first['msg']}") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    return values


def resolve_pii_key(settings: Settings, *, allow_demo_key: bool = False) -> tuple[bytes, str | None]:
    """Return the PII key and an optional warning to print.

    COMMERCELENS_PII_KEY always wins. Only `demo` (allow_demo_key) may create, or reuse, a
    random key kept in the workdir; every other command refuses to start without the
    variable, and says how to reuse the demo's key explicitly when one exists.
    """
    if settings.pii_key is not None:
        key = settings.pii_key.get_secret_value()
        if len(key) < MIN_PII_KEY_LENGTH:
            raise ConfigError(
                f"COMMERCELENS_PII_KEY is too short: use at least {MIN_PII_KEY_LENGTH} characters"
            )
        return key.encode(), None
    key_file = settings.home / DEMO_KEY_FILE
    if not allow_demo_key:
        hint = (
            f"; to keep working on the demo's data: export COMMERCELENS_PII_KEY=$(cat {key_file})"
            if key_file.is_file()
            else f", e.g. export COMMERCELENS_PII_KEY=$({_NEW_KEY_COMMAND})"
        )
        raise ConfigError(
            f"no PII key: set COMMERCELENS_PII_KEY (at least {MIN_PII_KEY_LENGTH} characters){hint}"
        )
    if key_file.is_file():
        key = key_file.read_text(encoding="utf-8").strip()
        if len(key) < MIN_PII_KEY_LENGTH:
            raise ConfigError(f"{key_file} holds no usable key: delete it to let demo create a new one")
        return key.encode(), f"using the demo PII key in {key_file}; never use it for real data"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(secrets.token_hex(32), encoding="utf-8")
    key_file.chmod(0o600)
    warning = f"created a random demo PII key in {key_file}; never use it for real data"
    return key_file.read_text(encoding="utf-8").strip().encode(), warning
