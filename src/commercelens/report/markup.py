"""HTML building blocks of the report; every value passes through `esc` on its way in.

Formatters (`count`, `pct`, `num`, `amount`) turn values into text, the element helpers
(`table`, `card`, `img`, `not_available`) escape that text. Callers only concatenate the results.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


def esc(value: object) -> str:
    """Text safe inside an element or a quoted attribute.

    Examples
    --------
    >>> esc('<b class="x">R&D</b>')
    '&lt;b class=&quot;x&quot;&gt;R&amp;D&lt;/b&gt;'
    """
    return html.escape(str(value), quote=True)


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}%}"


def num(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def amount(value: float | None, currency: str) -> str:
    """Money, shortened past a thousand.

    Examples
    --------
    >>> amount(5_432_100.0, "EUR"), amount(926.5, "USD")
    ('EUR 5.43M', 'USD 926.50')
    """
    if value is None:
        return "-"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{currency} {value / size:,.2f}{suffix}"
    return f"{currency} {value:,.2f}"


def not_available(reason: str) -> str:
    return f'<p class="na">not available: {esc(reason)}</p>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def heading(text: str, detail: str = "") -> str:
    suffix = f' <span class="note">({esc(detail)})</span>' if detail else ""
    return f"<h3>{esc(text)}{suffix}</h3>"


def img(encoded: str | None, alt: str) -> str:
    """An embedded PNG (`encoded`: base64 text), or a line saying there was nothing to draw."""
    if encoded is None:
        return note(f"{alt}: nothing to draw.")
    return f'<img src="data:image/png;base64,{esc(encoded)}" alt="{esc(alt)}">'


def figure(encoded: str, caption: str) -> str:
    return f"<figure>{img(encoded, caption)}<figcaption>{esc(caption)}</figcaption></figure>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Iterable[int] = ()) -> str:
    """A table; the columns in `numeric` (by position) are right-aligned."""
    right = set(numeric)

    def cell(tag: str, position: int, value: object) -> str:
        align = ' class="n"' if position in right else ""
        return f"<{tag}{align}>{esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def folded(summary: str, content: str) -> str:
    """Content behind a <details> toggle (no script needed)."""
    return f"<details><summary>{esc(summary)}</summary>{content}</details>"


def card(label: str, value: str, sub: str = "") -> str:
    parts = [f'<div class="label">{esc(label)}</div>', f'<div class="value">{esc(value)}</div>']
    if sub:
        parts.append(f'<div class="sub">{esc(sub)}</div>')
    return f'<div class="card">{"".join(parts)}</div>'


def cards(items: Iterable[str]) -> str:
    return f'<div class="cards">{"".join(items)}</div>'
