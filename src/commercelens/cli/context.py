"""Per-invocation state shared by commands: settings from the global flags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from commercelens.config import Settings, load_settings


@dataclass
class CliState:
    workdir: Path | None = None
    config: Path | None = None
    target: str | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, home=self.workdir, target=self.target)
        return self._settings


def state(ctx: typer.Context) -> CliState:
    return ctx.ensure_object(CliState)
