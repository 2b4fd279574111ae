"""Small Streamlit helpers shared by the pages: the workdir, "not available" lines, KPI cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from commercelens.config import Settings
from commercelens.dashboard import loaders
from commercelens.dashboard.data import no_warehouse_reason
from commercelens.report.content import Missing


@dataclass(frozen=True)
class Workdir:
    settings: Settings
    home: str
    target: str

    @property
    def empty_reason(self) -> str | None:
        return no_warehouse_reason(self.settings)


def workdir() -> Workdir:
    settings = loaders.settings()
    return Workdir(settings, str(settings.home.resolve()), settings.target)


def header(title: str, caption: str) -> Workdir:
    """The page title and its one-line summary; a banner when the workdir has no warehouse yet."""
    st.title(title)
    st.caption(caption)
    where = workdir()
    reason = where.empty_reason
    if reason:
        st.warning(f"Nothing to show yet: {reason}. Then reload this page.", icon=":material/info:")
    return where


def unavailable(value: Any, what: str = "") -> bool:
    """Show one "not available" line for a `Missing` value; True when it was missing."""
    if isinstance(value, Missing):
        prefix = f"{what}: not available" if what else "Not available"
        st.info(f"{prefix}: {value.reason}", icon=":material/hourglass_empty:")
        return True
    return False


# Fit the width to the page, keep each chart's own height for its plot: Streamlit's default
# ("fit", padding included) squeezes the plot to make room for axes and legends.
AUTOSIZE = {"type": "fit-x", "contains": "padding"}


def chart(spec: Any) -> None:
    st.altair_chart(spec.properties(autosize=AUTOSIZE), width="stretch")


def table(frame: Any, **kwargs: Any) -> None:
    st.dataframe(frame, width="stretch", hide_index=True, **kwargs)


def cards(items: list[tuple[str, str, str | None]]) -> None:
    """KPI cards in one row: (label, value, help)."""
    for column, (label, value, help_text) in zip(st.columns(len(items)), items, strict=True):
        column.metric(label, value, help=help_text, border=True)


def period(kpis: Any) -> str:
    return "no rows" if kpis.first_date is None else f"{kpis.first_date} to {kpis.last_date}"
