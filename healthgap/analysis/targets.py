"""Targets and their assessment.

Each 2004 target asks for a gap to be cut by a stated percentage between a baseline period and a
target period (three-year periods, placed on the time axis at their middle year). Progress is
judged, as the Department of Health did, against the straight line from the baseline gap to the
target gap ("on track" if the gap's change is at or beyond where that line says it should be by
then), with one addition: a verdict is given only where the figure's range (its rounding, or its
interval) lies wholly on one side of the line; otherwise it is "too close to call".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthgap.analysis import estimates as est
from healthgap.read.periods import parse_period, period_midpoint
from healthgap.analysis.estimates import Estimate
from healthgap.analysis.gaps import GapPoint

MET = "met"
MISSED = "missed"
ON_TRACK = "on track"
NOT_ON_TRACK = "not on track"
TOO_CLOSE = "too close to call"
NOT_YET_ASSESSABLE = "not yet assessable"
STATUSES = (MET, MISSED, ON_TRACK, NOT_ON_TRACK, TOO_CLOSE, NOT_YET_ASSESSABLE)


def target_value(baseline_gap: float, reduction_pct: float) -> float:
    """The gap the target allows: baseline x (1 - reduction / 100).

    E.g. the circulatory target, a 40 % cut from 36.7 (1995-97): 36.7 x 0.6 = 22.02, published as
    "22.0" (Straight Statistics, 2009); the infant-mortality target, a 10 % cut from a 13 % relative
    gap: 11.7 % (Hansard HC 15 Sep 2004).
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
class Target:
    """A target: cut ``measure`` by ``reduction_pct`` between two periods, down to ``value``.

    ``value`` is the target gap: the published one where a source gave it, else computed from the
    baseline gap of record (:func:`target_value`); None when the baseline gap is not known.
    """

    measure: str
    baseline_period: str
    target_period: str
    reduction_pct: float
    value: Estimate | None
    wording: str
    wording_source_id: str
    note: str
    row: str

    @property
    def reduction(self) -> Estimate:
        """The required cut as a (negative) percentage change, as its wording states it."""
        return Estimate(-self.reduction_pct, -self.reduction_pct, -self.reduction_pct, est.PUBLISHED,
                        _decimals_of(self.reduction_pct), (self.row, self.wording_source_id))


def _decimals_of(value: float) -> int:
    text = f"{value:g}"
    return len(text.split(".", 1)[1]) if "." in text else 0


def target_gap(baseline: Estimate, reduction_pct: float, row: str) -> Estimate:
    """The target gap computed from the baseline gap of record, with the range its rounding allows."""
    return est.combine(lambda g: target_value(g, reduction_pct), "targets.target_value",
                       f"{est.term(baseline)} × (1 − {reduction_pct:g} / 100)", baseline,
                       basis=est.GAPS, decimals=baseline.decimals, inputs=(row,))


def make_target(row: pd.Series, baseline: GapPoint | None, table: str = "targets.csv") -> Target:
    """A :class:`Target` from a row of ``targets.csv`` and the baseline period of the gap's record."""
    line = f"{table}:{int(row['line'])}" if int(row["line"]) > 0 else table  # briefing.toml's target has no line
    value = None
    if pd.notna(row["published_target_value"]):
        figure, decimals = float(row["published_target_value"]), int(row.get("published_target_decimals", 1))
        lower, upper = est.rounding_interval(figure, decimals)
        value = Estimate(figure, lower, upper, est.PUBLISHED, decimals, (line, str(row["published_target_source_id"])))
    elif baseline is not None and baseline.gap is not None:
        value = target_gap(baseline.gap, float(row["reduction_pct"]), line)
    return Target(
        measure=row["gap_measure"], baseline_period=row["baseline_period"], target_period=row["target_period"],
        reduction_pct=float(row["reduction_pct"]), value=value, wording=row["wording"],
        wording_source_id=row["wording_source_id"], note=row.get("note", ""), row=line,
    )


@dataclass(frozen=True)
class Assessment:
    """A target's status, the period and change it rests on, and what the trajectory required then."""

    status: str
    point: GapPoint | None
    required: Estimate | None
    within_target: bool = False

    @property
    def period(self) -> str | None:
        return None if self.point is None else self.point.period


def assess(points: Sequence[GapPoint], target: Target) -> Assessment:
    """Assess a target on the latest change of record from its baseline.

    The latest period with a change from the baseline decides (a published change across a
    method break counts; no change is computed across one). With r the required cut and the
    change's range [lo, hi]:

    - no change known: **not yet assessable**;
    - the period ends at or after the target period: **met** if hi <= -r, **missed** if lo > -r;
    - otherwise, with q = :func:`required_change` for that period: **on track** if hi <= q,
      **not on track** if lo > q;
    - a range that straddles the line: **too close to call**.

    Working on changes rather than gap levels lets a target be assessed where only the published
    change is known (life expectancy, 2004-06 and 2005-07); for a positive baseline gap the two
    are equivalent.
    """
    known = [p for p in points if p.change is not None and p.period != target.baseline_period
             and p.reference == target.baseline_period]
    if not known:
        return Assessment(NOT_YET_ASSESSABLE, None, None)
    latest = max(known, key=lambda p: (p.end, p.start))
    change = latest.change
    r = target.reduction_pct
    within = change.upper <= -r + est.TOLERANCE
    if parse_period(latest.period)[1] >= parse_period(target.target_period)[1]:
        line = -r
        required = target.reduction
    else:
        line = required_change(target.baseline_period, target.target_period, latest.period, r)
        b, t, p = (period_midpoint(x) for x in (target.baseline_period, target.target_period, latest.period))
        required = Estimate(line, line, line, est.GAPS, 1, (target.row,), "targets.required_change",
                            f"−{r:g} × ({p:g} − {b:g}) / ({t:g} − {b:g})")
    final = parse_period(latest.period)[1] >= parse_period(target.target_period)[1]
    if change.upper <= line + est.TOLERANCE:
        status = MET if final else ON_TRACK
    elif change.lower > line + est.TOLERANCE:
        status = MISSED if final else NOT_ON_TRACK
    else:
        status = TOO_CLOSE
    return Assessment(status, latest, required, within)
