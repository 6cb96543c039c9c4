"""A group's value in a period: pooled from its areas' counts, or the (population-weighted) mean of their values.

The groups themselves (which areas, by what rule) are defined where the data are read (:mod:`healthgap.read.areas`).
"""

from __future__ import annotations

import math

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
    known = rows.dropna(subset=["value", "count", "denominator"])
    if known.empty or len(known) < len(rows) or (known["denominator"] <= 0).any() or (known["count"] <= 0).any():
        return None
    for m in (1.0, 100.0, 1_000.0, 10_000.0, 100_000.0):
        ratio = known["count"] / known["denominator"] * m
        if ((ratio - known["value"]).abs() <= 0.005 * known["value"].abs() + 0.05).all():
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

    known = rows.dropna(subset=["value"])
    inputs = tuple(known["row_id"])
    nan = math.nan
    if known.empty:
        return {"value": nan, "lower": nan, "upper": nan, "se": nan, "method": "", "areas": 0, "inputs": ()}
    m = pooling_multiplier(known)
    if m is not None:
        count, denominator = known["count"].sum(), known["denominator"].sum()
        low, high = byars_limits(count, 0.95)
        value = count / denominator * m
        lower, upper = float(low) / denominator * m, float(high) / denominator * m
        se = est.standard_error(value, lower, upper, True) if lower > 0 else (upper - lower) / (2 * est.Z95)
        return {"value": value, "lower": lower, "upper": upper, "se": se, "method": POOLED, "areas": len(known),
                "inputs": inputs}
    if weights is not None:
        w = known["area_code"].map(weights).astype(float)
        if w.isna().any():
            missing = known.loc[w.isna(), "area_name"].iloc[0] or known.loc[w.isna(), "area_code"].iloc[0]
            raise DataError(f"no population for {missing}, which the weighted mean needs")
        method = WEIGHTED
    else:
        w = pd.Series(1.0, index=known.index)
        method = UNWEIGHTED
    value = float((w * known["value"]).sum() / w.sum())
    has_limits = known["lower"].notna() & known["upper"].notna()
    if not has_limits.all():
        half = 0.5 * 10.0**-decimals  # a mean of values rounded to d places is itself within half a unit
        return {"value": value, "lower": value - half, "upper": value + half, "se": nan, "method": method,
                "areas": len(known), "inputs": inputs}
    se_each = [est.standard_error(v, lo, hi, log_scale) for v, lo, hi in
               zip(known["value"], known["lower"], known["upper"])]
    se = math.sqrt(float((w**2 * pd.Series(se_each, index=known.index) ** 2).sum())) / float(w.sum())
    if log_scale:
        lower, upper = value * math.exp(-est.Z95 * se / value), value * math.exp(est.Z95 * se / value)
    else:
        lower, upper = value - est.Z95 * se, value + est.Z95 * se
    return {"value": value, "lower": lower, "upper": upper, "se": se, "method": method, "areas": len(known),
            "inputs": inputs}
