"""A group's value in a period: pooled from its areas' counts, or the (population-weighted) mean of their values.

The groups themselves (which areas, by what rule) are defined where the data are read (:mod:`healthgap.read.areas`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from healthgap.read.errors import DataError

# --- a group's value --------------------------------------------------------------------------------

POOLED = "pooled"
WEIGHTED = "weighted"
UNWEIGHTED = "unweighted"

COUNTS = "counts"

METHOD_WORDS = {
    COUNTS: "computed from its areas' summed deaths, births and populations by age, never averaged from their rates",
    POOLED: "pooled from its areas' counts and denominators",
    WEIGHTED: "the mean of its areas' values weighted by population",
    UNWEIGHTED: "the unweighted mean of its areas' values (the data give no populations)",
    "derived": "derived from England's published value and the group's share of England",
}


def pooling_multiplier(rows: pd.DataFrame) -> float | None:
    """The multiplier m with value = count / denominator x m for every row (a crude rate or a proportion),
    or None when the values are not such ratios (a directly standardised rate, a life expectancy).
    Values agree within half a percent, allowing for their rounding."""
    return _multiplier(*(np.asarray(rows[c], dtype=float) for c in ("value", "count", "denominator")))


def _multiplier(value: np.ndarray, count: np.ndarray, denominator: np.ndarray) -> float | None:
    if len(value) == 0 or np.isnan(value).any() or np.isnan(count).any() or np.isnan(denominator).any() \
            or (denominator <= 0).any() or (count <= 0).any():
        return None
    for m in (1.0, 100.0, 1_000.0, 10_000.0, 100_000.0):
        if (np.abs(count / denominator * m - value) <= 0.005 * np.abs(value) + 0.05).all():
            return m
    return None


def group_value(rows: pd.DataFrame, log_scale: bool, weights: pd.Series | None = None,
                decimals: int = 1) -> dict:
    """One period's value for a set of areas (``rows``: tidy rows of one indicator, sex and period).

    - Pooled where every area has a count and denominator and the values are their ratio
      (:func:`pooling_multiplier`): value = m x sum(count) / sum(denominator), with Byar's 95 % interval
      on the summed count (:func:`healthgap.methods.byars_limits`).
    - Otherwise the mean of the areas' values, weighted by population where ``weights`` (by area code) are
      given, unweighted where not: value = sum(w v) / sum(w). Its standard error, where every area has
      limits, is sqrt(sum(w^2 s^2)) / sum(w), with each area's s from its limits
      (:func:`healthgap.analysis.estimates.standard_error`, on the log scale for rates); the interval is
      value exp(+/- 1.96 s / value) for rates, value +/- 1.96 s otherwise.

    Returns value, lower, upper, se (NaN without limits), method, areas (with a value), inputs (row ids).
    """
    from healthgap.analysis import estimates as est
    from healthgap.methods import byars_limits

    values = np.asarray(rows["value"], dtype=float)
    known = ~np.isnan(values)
    nan = math.nan
    if not known.any():
        return {"value": nan, "lower": nan, "upper": nan, "se": nan, "method": "", "areas": 0, "inputs": ()}
    v = values[known]
    inputs = tuple(rows["row_id"].to_numpy()[known])
    count, denominator = (np.asarray(rows[c], dtype=float)[known] for c in ("count", "denominator"))
    m = _multiplier(v, count, denominator)
    if m is not None:
        total, people = float(count.sum()), float(denominator.sum())
        low, high = byars_limits(total, 0.95)
        value = total / people * m
        lower, upper = float(low) / people * m, float(high) / people * m
        se = est.standard_error(value, lower, upper, True) if lower > 0 else (upper - lower) / (2 * est.Z95)
        return {"value": value, "lower": lower, "upper": upper, "se": se, "method": POOLED, "areas": len(v),
                "inputs": inputs}
    if weights is not None:
        codes = rows["area_code"].to_numpy()[known]
        w = np.asarray(pd.Series(codes).map(weights), dtype=float)
        if np.isnan(w).any():
            first = int(np.flatnonzero(np.isnan(w))[0])
            missing = rows["area_name"].to_numpy()[known][first] or codes[first]
            raise DataError(f"no population for {missing}, which the weighted mean needs")
        method = WEIGHTED
    else:
        w = np.ones(len(v))
        method = UNWEIGHTED
    value = float((w * v).sum() / w.sum())
    lows, highs = (np.asarray(rows[c], dtype=float)[known] for c in ("lower", "upper"))
    if np.isnan(lows).any() or np.isnan(highs).any():
        half = 0.5 * 10.0**-decimals  # a mean of values rounded to d places is itself within half a unit
        return {"value": value, "lower": value - half, "upper": value + half, "se": nan, "method": method,
                "areas": len(v), "inputs": inputs}
    se_each = np.array([est.standard_error(x, lo, hi, log_scale) for x, lo, hi in zip(v, lows, highs)])
    se = math.sqrt(float((w**2 * se_each**2).sum())) / float(w.sum())
    if log_scale:
        lower, upper = value * math.exp(-est.Z95 * se / value), value * math.exp(est.Z95 * se / value)
    else:
        lower, upper = value - est.Z95 * se, value + est.Z95 * se
    return {"value": value, "lower": lower, "upper": upper, "se": se, "method": method, "areas": len(v),
            "inputs": inputs}
