"""Targets and their assessment.

Each 2004 target asks for a gap to be cut by a stated percentage between a baseline period and
a target period (three-year periods, placed on the time axis at their middle year). Progress is
judged, as the Department of Health did, against the straight line from the baseline gap to the
target gap ("on track" if the gap is at or below where that line says it should be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthgap.data import parse_period, period_midpoint

MET = "met"
MISSED = "missed"
ON_TRACK = "on track"
NOT_ON_TRACK = "not on track"
NOT_YET_ASSESSABLE = "not yet assessable"
STATUSES = (MET, MISSED, ON_TRACK, NOT_ON_TRACK, NOT_YET_ASSESSABLE)


def target_value(baseline_gap: float, reduction_pct: float) -> float:
    """The gap the target allows: baseline x (1 - reduction / 100).

    E.g. the circulatory target, a 40 % cut from 36.7 (1995-97): 36.7 x 0.6 = 22.02, published
    as "22.0" (Straight Statistics, 2009); the infant-mortality target, a 10 % cut from a 13 %
    relative gap: 11.7 % (Hansard HC 15 Sep 2004).
    """
    return baseline_gap * (1.0 - reduction_pct / 100.0)


def required_change(baseline_period: str, target_period: str, period: str, reduction_pct: float) -> float:
    """The percentage change in the gap that the straight-line trajectory requires by ``period``.

    required = -reduction x (mid(period) - mid(baseline)) / (mid(target) - mid(baseline)), where
    mid() is a period's middle year; e.g. for cancer (6 % cut, 1995-97 to 2009-11) at 2004-06:
    -6 x (2005 - 1996) / (2010 - 1996) = -3.86 %.
    """
    b, t, p = (period_midpoint(x) for x in (baseline_period, target_period, period))
    if t <= b:
        raise ValueError(f"target period {target_period} does not come after baseline {baseline_period}")
    return -reduction_pct * (p - b) / (t - b)


def target_trajectory(
    baseline_period: str, baseline_gap: float, target_period: str, target_gap: float, periods: list[str] | None = None
) -> pd.DataFrame:
    """The straight line from the baseline gap to the target gap, on period midpoints.

    value(p) = baseline_gap + (target_gap - baseline_gap) x (mid(p) - mid(baseline)) /
    (mid(target) - mid(baseline)). Returns one row per period (``period``, ``midpoint``,
    ``value``); by default the baseline and target periods only, which is all a chart needs.
    """
    b, t = period_midpoint(baseline_period), period_midpoint(target_period)
    if t <= b:
        raise ValueError(f"target period {target_period} does not come after baseline {baseline_period}")
    labels = periods if periods is not None else [baseline_period, target_period]
    mids = np.array([period_midpoint(p) for p in labels])
    values = baseline_gap + (target_gap - baseline_gap) * (mids - b) / (t - b)
    return pd.DataFrame({"period": labels, "midpoint": mids, "value": values})


@dataclass(frozen=True)
class Assessment:
    """A target's status at one period, with the figures the verdict rests on."""

    status: str
    period: str | None
    change_pct: float | None
    required_change_pct: float | None
    target_change_pct: float
    rule: str


def assess(
    changes: pd.DataFrame, baseline_period: str, target_period: str, reduction_pct: float
) -> Assessment:
    """Assess a target from the gap's percentage changes since the baseline.

    ``changes`` has one row per period after the baseline with ``period`` and ``change_pct``
    (rows with no change are ignored). The latest period decides:

    - no change known after the baseline: **not yet assessable**;
    - latest period ends at or after the target period ends: **met** if the change is at or
      below -reduction, else **missed**;
    - otherwise: **on track** if the change is at or below the trajectory's
      :func:`required_change` for that period, else **not on track**.

    Working on changes rather than gap levels lets a target be assessed where only the
    published change is known (life expectancy, 2004-06 and 2005-07); for a positive baseline
    gap the two are equivalent.
    """
    rule = (
        f"a cut of at least {reduction_pct:g}% by {target_period}, judged against the straight line "
        f"from the {baseline_period} gap to the target"
    )
    known = changes.dropna(subset=["change_pct"])
    known = known[known["period"] != baseline_period]
    if known.empty:
        return Assessment(NOT_YET_ASSESSABLE, None, None, None, -reduction_pct, rule)
    order = known["period"].map(parse_period)
    latest = known.loc[order.map(lambda b: (b[1], b[0])).idxmax()]
    change = float(latest["change_pct"])
    if parse_period(latest["period"])[1] >= parse_period(target_period)[1]:
        status = MET if change <= -reduction_pct else MISSED
        return Assessment(status, latest["period"], change, -reduction_pct, -reduction_pct, rule)
    required = required_change(baseline_period, target_period, latest["period"], reduction_pct)
    status = ON_TRACK if change <= required else NOT_ON_TRACK
    return Assessment(status, latest["period"], change, required, -reduction_pct, rule)
