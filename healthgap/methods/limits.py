"""Confidence limits for counts and proportions: Byar's, exact Poisson, Wilson."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from healthgap.methods.inputs import Levels, Limits, MethodInputError

#: Events below which a Poisson count gets exact rather than Byar's limits (phe_rate, ISR).
EXACT_BELOW = 10
#: Total events below which a DSR is not published (calculate_dsr; Fingertips guidance).

# --------------------------------------------------------------------------------------
# Confidence levels and count limits
# --------------------------------------------------------------------------------------


def confidence_levels(confidence: float | Sequence[float]) -> Levels:
    """Validate a confidence level or sequence of levels (each strictly between 0 and 1)."""
    levels = (confidence,) if np.isscalar(confidence) else tuple(confidence)
    if not levels:
        raise MethodInputError("confidence: give at least one level, e.g. 0.95 or (0.95, 0.998)")
    for level in levels:
        if not (isinstance(level, (int, float, np.number)) and 0 < float(level) < 1):
            raise MethodInputError(f"confidence: {level!r} is not a level between 0 and 1 (e.g. 0.95)")
    return tuple(dict.fromkeys(float(level) for level in levels))


def z_value(confidence: float) -> float:
    """Two-sided standard-normal quantile: z = Phi^-1(c + (1 - c)/2); 1.959964 at c = 0.95."""
    return float(NormalDist().inv_cdf(confidence + (1 - confidence) / 2))


def byars_limits(count: np.ndarray | float, confidence: float) -> Limits:
    """Byar's approximate Poisson limits for an observed count O.

    lower = O (1 - 1/(9 O) - z / (3 sqrt(O)))^3,
    upper = (O + 1) (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))^3.

    A negative lower limit is returned as NaN, as the reference does.
    Source: Breslow NE, Day NE. Statistical Methods in Cancer Research, vol. II. IARC, 1987;
    PHEindicatormethods ``byars_lower``/``byars_upper``.
    """
    o = np.asarray(count, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return np.where(lower < 0, np.nan, lower), upper


def _chi2_ppf(q: float, df: np.ndarray) -> np.ndarray:
    """The chi-squared quantile: chi2_q(k) = 2 P^-1(k / 2, q), the inverse of the regularised lower
    incomplete gamma function (scipy.special, imported on first use: scipy is slow to import)."""
    from scipy import special

    return 2 * special.gammaincinv(np.asarray(df, dtype=float) / 2, q)


def _logit(p: np.ndarray, **kwargs) -> np.ndarray:
    from scipy import special

    return special.logit(p, **kwargs)


def _expit(x: np.ndarray, **kwargs) -> np.ndarray:
    from scipy import special

    return special.expit(x, **kwargs)


def exact_poisson_limits(count: np.ndarray | float, confidence: float) -> Limits:
    """Exact Poisson limits for an observed count O, from the chi-square distribution.

    lower = chi2_{(1-c)/2}(2 O) / 2 (0 when O = 0), upper = chi2_{c+(1-c)/2}(2 O + 2) / 2.
    Source: Garwood F. Biometrika 1936;28:437-442; Ulm K. Am J Epidemiol 1990;131:373-375;
    PHEindicatormethods ``phe_rate`` (counts < 10).
    """
    o = np.asarray(count, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        lower = np.where(o == 0, 0.0, _chi2_ppf(alpha / 2, 2 * o) / 2)
    upper = _chi2_ppf(confidence + alpha / 2, 2 * o + 2) / 2
    return lower, upper


def poisson_limits(count: np.ndarray | float, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count limits as the reference chooses them: exact below 10 events, Byar's from 10.

    Returns (lower, upper, method) with method "Exact" or "Byars" ("" for a missing count).
    """
    o = np.asarray(count, dtype=float)
    small = o < EXACT_BELOW
    byars = byars_limits(o, confidence)
    # the exact limits only where they are used (the chi-squared quantile needs scipy)
    exact = exact_poisson_limits(o, confidence) if small.any() else (byars[0], byars[1])
    method = np.select([np.isnan(o), small], ["", "Exact"], "Byars")
    return np.where(small, exact[0], byars[0]), np.where(small, exact[1], byars[1]), method


def wilson_limits(successes: np.ndarray | float, trials: np.ndarray | float, confidence: float) -> Limits:
    """Wilson score limits for a proportion x/n, on the 0-1 scale.

    limits = [2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))] / [2(n + z^2)].
    Source: Wilson EB. J Am Stat Assoc 1927;22:209-212; Newcombe RG. Stat Med 1998;17:857-872
    (method 3); PHEindicatormethods ``wilson_lower``/``wilson_upper``. Limits are clipped to
    [0, 1] against floating-point rounding at x = 0 and x = n.
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = z_value(confidence)
    centre = 2 * x + z**2
    half_width = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
    scale = 2 * (n + z**2)
    return np.clip((centre - half_width) / scale, 0, 1), np.clip((centre + half_width) / scale, 0, 1)


