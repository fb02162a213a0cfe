"""Paired bootstrap over shared sample ids: is model A's mean different from model B's?

Pairing removes the between-item variance that dominates unpaired intervals on small
benchmarks, so two models are compared on exactly the same items. The interval's ends are
resample means themselves (the lower and higher order statistics, no interpolation): with 0/1
scores an end that sits on 0 is 0, not a tiny interpolated positive number, so an interval that
touches 0 is never called significant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
LEVEL = 0.95
TOUCH = 1e-12  # float sums of differences that cancel land this close to 0: they touch it


@dataclass(frozen=True)
class PairedResult:
    n_shared: int
    mean_diff: float  # mean(a - b) over shared ids
    ci_low: float
    ci_high: float

    @property
    def significant(self) -> bool:
        """The closed interval of the difference excludes 0 (an end at 0 touches it)."""
        return self.ci_low > TOUCH or self.ci_high < -TOUCH


def paired_bootstrap(
    a: dict[str, float], b: dict[str, float], *, resamples: int = RESAMPLES, seed: int = 0
) -> PairedResult | None:
    """``None`` when fewer than two ids are shared (nothing to test)."""
    shared = sorted(a.keys() & b.keys())
    n = len(shared)
    if n < 2:
        return None
    diff = np.fromiter((a[i] - b[i] for i in shared), dtype=float, count=n)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    chunk = max(1, 2_000_000 // n)  # bound memory: ~16 MB of indices at a time
    for start in range(0, resamples, chunk):
        stop = min(start + chunk, resamples)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = diff[idx].mean(axis=1)
    alpha = (1 - LEVEL) / 2
    low = float(np.quantile(means, alpha, method="lower"))
    high = float(np.quantile(means, 1 - alpha, method="higher"))
    return PairedResult(n, float(diff.mean()), low, high)
