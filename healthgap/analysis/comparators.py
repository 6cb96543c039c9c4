"""Comparators derived from England's published value: the rest of England without a group.

England's published value E is the population-weighted combination of the group's value G and the value
R of the rest of England, with p the group's share of England (its population's share for a rate or life
expectancy; for a crude rate or proportion pooled from counts, its share of the denominator):

    E = p G + (1 - p) R        so        R = (E - p G) / (1 - p).

The rest of England is never the mean of the other areas' values: that mean gives each area the same weight
whatever its size, and can fall on the wrong side of England (healthy life expectancy, males, 2022-24: the
unweighted mean of the areas outside the most deprived tenth was 60.8 against England's 60.9).

Its variance, by the delta method (R is linear in E and G):

    var(R) = (var(E) + p^2 var(G) - 2 p cov(E, G)) / (1 - p)^2,

and since the group is part of England and the rest is independent of it, cov(E, G) = cov(p G + (1 - p) R,
G) = p var(G), so

    var(R) = (var(E) - p^2 var(G)) / (1 - p)^2

(equivalently var(E) = p^2 var(G) + (1 - p)^2 var(R)). Each variance is taken from the published 95 %
limits, SE = (upper - lower) / (2 x 1.959964), and R's interval is R +/- 1.959964 SE(R). Where the published
limits are inconsistent with this (var(E) < p^2 var(G), e.g. both rounded to one decimal place) there is no
interval and the note says why.

Exact for a crude rate or proportion with p the denominator's share; for a directly standardised rate or a
life expectancy the relation holds to the extent the group's age structure is like the rest's (the
population-weighted mean is how PHE's and ONS's tools combine such values where no counts are given).

Sources: the identity is that of a weighted mean; the variance is that of a linear combination of two
correlated estimates, with the covariance of a part and the whole it belongs to (the same covariance the gap
engine, :mod:`healthgap.analysis.gaps`, uses for a nested comparison). Checked in ``tests/test_comparators.py``
exactly on counts (Fingertips' own decile rows) and by simulation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
COLUMNS = ["period", "value", "lower", "upper", "se", "share", "note"]


def _se(lower, upper) -> np.ndarray:
    return (np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)) / (2 * Z95)


def rest_value(england: float, england_se: float, group: float, group_se: float, share: float) -> tuple[float, float]:
    """The rest of England's value and standard error from England's (E, SE_E), the group's (G, SE_G) and
    the group's share p: R = (E - p G) / (1 - p), SE_R = sqrt(SE_E^2 - p^2 SE_G^2) / (1 - p) (NaN where the
    standard errors are missing or inconsistent)."""
    for name, x in (("england", england), ("group", group), ("share", share)):
        if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)) or not math.isfinite(x):
            raise ValueError(f"{name} {x!r}: expected a finite number")
    if not 0 < share < 1:
        raise ValueError(f"share {share!r}: expected the group's share of England, between 0 and 1")
    value = (england - share * group) / (1 - share)
    variance = england_se**2 - share**2 * group_se**2
    se = math.sqrt(variance) / (1 - share) if variance >= 0 else math.nan
    return float(value), float(se)


def rest_of_england(england: pd.DataFrame, group: pd.DataFrame, share: float | pd.Series) -> pd.DataFrame:
    """The rest of England, period by period, from England's published rows and the group's.

    ``england`` and ``group``: one row per ``period`` with ``value`` and, where given, ``lower`` and
    ``upper`` (95 %). ``share``: the group's share of England (a number for every period, or a Series by
    period; populations for rates and life expectancies, denominators for counts). Returns one row per
    period of the group: ``period, value, lower, upper, se, share, note`` (the note says why an interval or
    value is missing). The formulas are in the module's docstring.
    """
    for name, frame in (("england", england), ("group", group)):
        missing = [c for c in ("period", "value") if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: expected columns period, value (and lower, upper), missing {', '.join(missing)}")
        if frame["period"].duplicated().any():
            raise ValueError(f"{name}: expected one row per period, got {frame['period'][frame['period'].duplicated()].iloc[0]!r} twice")
    e = england.set_index("period")
    rows = []
    for _, g in group.iterrows():
        period = g["period"]
        p = float(share[period]) if isinstance(share, pd.Series) else float(share)
        record = {"period": period, "value": math.nan, "lower": math.nan, "upper": math.nan, "se": math.nan,
                  "share": p, "note": ""}
        if period not in e.index or pd.isna(e.loc[period, "value"]) or pd.isna(g["value"]):
            record["note"] = f"no value for England or the group in {period}"
            rows.append(record)
            continue
        ev = float(e.loc[period, "value"])
        e_se = float(_se(e.loc[period].get("lower", math.nan), e.loc[period].get("upper", math.nan)))
        g_se = float(_se(g.get("lower", math.nan), g.get("upper", math.nan)))
        value, se = rest_value(ev, e_se, float(g["value"]), g_se, p)
        record.update(value=value, se=se)
        if math.isnan(e_se) or math.isnan(g_se):
            record["note"] = "no interval: England or the group has no confidence limits"
        elif math.isnan(se):
            record["note"] = ("no interval: England's published interval is narrower than the group's share of it "
                              "allows (var(E) < p^2 var(G))")
        else:
            record.update(lower=value - Z95 * se, upper=value + Z95 * se)
        rows.append(record)
    return pd.DataFrame(rows, columns=COLUMNS)


def population_share(codes: Iterable[str], populations: pd.Series, areas: Iterable[str] | None = None) -> float:
    """The group's share of the population: sum of its areas' populations / sum over ``areas`` (by default
    every area of ``populations``, which for the lower or upper tier of :mod:`healthgap.read.populations`
    is all England). A group area without a population is a ValueError naming it."""
    codes = list(dict.fromkeys(codes))
    missing = [c for c in codes if c not in populations.index]
    if missing:
        raise ValueError(f"no population for {missing[0]}, which the group's share needs")
    total = populations.reindex(list(areas)).sum() if areas is not None else populations.sum()
    if not total > 0:
        raise ValueError("populations: expected a positive total")
    return float(populations.reindex(codes).sum() / total)
