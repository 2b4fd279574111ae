"""Multiple-testing corrections across metrics and variations: Holm (FWER) and Benjamini-Hochberg (FDR)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

Correction = Literal["holm", "bh"]


def adjust_p_values(p_values: Sequence[float], method: Correction) -> tuple[float, ...]:
    """Adjusted p-values in the input order, monotone in the raw p-values and capped at 1.

    Holm: sorted ascending, p_(i) * (m - i + 1) with a running maximum (step-down).
    Benjamini-Hochberg: sorted ascending, p_(i) * m / i with a running minimum from the top
    (step-up). Reject where the adjusted p-value is <= alpha.

    Parameters
    ----------
    p_values
        Raw p-values, each in [0, 1].
    method
        ``"holm"`` or ``"bh"``.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03], "holm")
    (0.03, 0.06, 0.06)
    >>> tuple(round(p, 6) for p in adjust_p_values([0.01, 0.04, 0.03], "bh"))
    (0.03, 0.04, 0.04)
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return ()
    if np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must be finite and in [0, 1]")
    m = p.size
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    rank = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate(ranked * (m - rank + 1))
    elif method == "bh":
        adjusted = np.minimum.accumulate((ranked * m / rank)[::-1])[::-1]
    else:
        raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return tuple(float(v) for v in out)
