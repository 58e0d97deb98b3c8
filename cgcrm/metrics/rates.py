"""The arithmetic of the KPIs: rates, the Wilson interval, NPS, the two-proportion z-test.

Pure functions of counts. A rate whose denominator is 0 is None, never 0: "no data" and
"none of them" are different answers to an administrator.
"""

from __future__ import annotations

import math
from typing import NamedTuple

# The two-sided 95 % quantile of the standard normal distribution.
Z_95 = 1.959964
SIGNIFICANCE_LEVEL = 0.05


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0."""
    return numerator / denominator if denominator else None


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``successes / n`` (None when n is 0).

    Unlike the normal approximation it stays within [0, 1] and is sensible for small n and for
    proportions near 0 or 1, which is what a week of survey answers on one channel looks like.
    """
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def net_promoter_score(promoters: int, detractors: int, responses: int) -> float | None:
    """NPS in -100 … 100: the share of promoters (9 to 10) minus that of detractors (0 to 6)."""
    if not responses:
        return None
    return 100 * (promoters - detractors) / responses


class ZTest(NamedTuple):
    z: float | None
    p_value: float | None
    significant: bool


def two_proportion_z_test(x_a: int, n_a: int, x_b: int, n_b: int) -> ZTest:
    """Two-sided two-proportion z-test with the pooled proportion, of B against A.

    ``z`` is positive when B's proportion is the higher. Undefined (z and p None, not
    significant) when either sample is empty or the pooled proportion is 0 or 1, where the
    standard error is 0.
    """
    if n_a <= 0 or n_b <= 0:
        return ZTest(None, None, False)
    pooled = (x_a + x_b) / (n_a + n_b)
    if pooled <= 0 or pooled >= 1:
        return ZTest(None, None, False)
    standard_error = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = (x_b / n_b - x_a / n_a) / standard_error
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return ZTest(z, p_value, p_value < SIGNIFICANCE_LEVEL)
