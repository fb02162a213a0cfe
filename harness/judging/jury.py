"""Several judges on one rubric: combining their scores and measuring how much they agree.

Each judge's scores are kept; the jury score of a sample is the mean or median of the judges
that produced a valid verdict, if at least ``min_judges`` did (else the sample is unscored and
says so). Agreement is Krippendorff's alpha with the interval distance, which allows missing
verdicts and any number of judges: 1 = perfect agreement, 0 = no better than chance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.metrics.base import Unscored

FEW_JUDGES = "too few valid verdicts"


def default_min_judges(n_judges: int) -> int:
    """Half the jury, rounded up (1 of 1, 1 of 2, 2 of 3, 3 of 5)."""
    return max(1, math.ceil(n_judges / 2))


def combine(values: Sequence[Any], *, method: str, min_judges: int) -> float | Unscored:
    """One jury value from the judges' values (numbers or :class:`Unscored`)."""
    scored = [float(v) for v in values if not isinstance(v, Unscored)]
    if len(scored) < min_judges or not scored:
        reasons = sorted({v.reason for v in values if isinstance(v, Unscored)})
        if not scored and len(reasons) == 1:
            return Unscored(reasons[0])  # every judge failed the same way: say how
        return Unscored(FEW_JUDGES)
    if method == "median":
        return float(np.median(scored))
    return float(np.mean(scored))


def krippendorff_alpha_interval(matrix: Any) -> float | None:
    """Krippendorff's alpha (interval) for a judges x units matrix with NaN for missing values.

    Only units with at least two values are pairable. ``None`` when undefined (fewer than two
    pairable units' worth of values, or no variation at all).
    """
    data = np.asarray(matrix, dtype=float)
    if data.ndim != 2 or data.shape[0] < 2:
        return None
    counts = np.sum(~np.isnan(data), axis=0)
    pairable = data[:, counts >= 2]
    m = counts[counts >= 2].astype(float)
    n = m.sum()
    if pairable.shape[1] == 0 or n < 2:
        return None
    filled = np.nan_to_num(pairable)
    sums = filled.sum(axis=0)
    squares = (filled**2).sum(axis=0)
    # sum over ordered pairs i != j within a unit of (v_i - v_j)^2 = 2 (m * sum v^2 - (sum v)^2)
    within = 2 * (m * squares - sums**2)
    observed = float(np.sum(within / (m - 1))) / n
    values = pairable[~np.isnan(pairable)]
    expected = 2 * (n * float(np.sum(values**2)) - float(np.sum(values)) ** 2) / (n * (n - 1))
    if expected <= 0:
        return None
    return 1.0 - observed / expected


def agreement(per_judge: dict[str, Sequence[Any]]) -> dict[str, Any]:
    """Agreement of the judges on one quantity (each list: one value or Unscored per sample)."""
    names = sorted(per_judge)
    if len(names) < 2:
        return {"method": "krippendorff_alpha_interval", "alpha": None, "note": "one judge: no agreement to measure"}
    rows = [[math.nan if isinstance(v, Unscored) else float(v) for v in per_judge[name]] for name in names]
    matrix = np.asarray(rows, dtype=float)
    units = int(np.sum(np.sum(~np.isnan(matrix), axis=0) >= 2))
    alpha = krippendorff_alpha_interval(matrix)
    out: dict[str, Any] = {
        "method": "krippendorff_alpha_interval",
        "alpha": alpha,
        "n_units": units,
        "n_judges": len(names),
    }
    if units:
        both = matrix[:, np.sum(~np.isnan(matrix), axis=0) >= 2]
        spread = np.nanmax(both, axis=0) - np.nanmin(both, axis=0)
        out["mean_range"] = float(np.mean(spread))  # average max-min gap between judges, in score units
    if alpha is None:
        out["note"] = "undefined: too few samples scored by two or more judges, or no variation"
    return out
