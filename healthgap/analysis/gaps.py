"""Gap methods, and the record of a gap: its figure of record in each period, and how it moved.

The gap is oriented so that a positive gap means the disadvantaged group fares worse: for
mortality (higher is worse) it is disadvantaged minus comparator; for life expectancy (higher is
better) comparator minus disadvantaged. This is how the Department of Health monitored its 2010
health-inequality targets (Spearhead Group against England; routine and manual group against all
social groups).

The record (:func:`gap_record`) is the one computation of each gap and change that the analysis,
the narrative, the summary, the charts and the reconciliation read. Its rule, the *figure of
record*: a figure its publisher gave leads, because the publisher computed it from unrounded
data; a recomputation from rounded published figures is kept beside it as a check. Where nothing
was published, the computed figure is used and says so, with the range rounding allows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthgap.analysis import estimates as est
from healthgap.read.periods import parse_period
from healthgap.analysis.estimates import Estimate

GAP_MEASURES = ("absolute_gap", "relative_gap_pct")
CHANGE_OF = {"absolute_gap": "pct_change_absolute_gap", "relative_gap_pct": "pct_change_relative_gap"}
"""Each gap and the measure of its percentage change from a reference period."""


# --- the methods --------------------------------------------------------------------------------


def absolute_gap(disadvantaged, comparator, higher_is_worse: bool = True):
    """Absolute gap between two groups' levels.

    gap = disadvantaged - comparator when a higher level is worse (mortality rates);
    gap = comparator - disadvantaged when a higher level is better (life expectancy).
    Works on numbers and on aligned pandas Series alike.
    """
    return disadvantaged - comparator if higher_is_worse else comparator - disadvantaged


def relative_gap(disadvantaged, comparator, higher_is_worse: bool = True):
    """Relative gap in per cent: the absolute gap as a percentage of the comparator's level.

    relative gap = 100 x absolute_gap / comparator. For infant mortality this is how much higher
    the routine-and-manual rate is than the all-groups rate (Hansard HC 15 Sep 2004: "13 per
    cent. higher"); for the circulatory rate the gap "as a percentage of the England average"
    (The Independent, 13 Feb 2010); for life expectancy the Department's formula was not found
    and this definition is assumed.
    """
    return 100.0 * absolute_gap(disadvantaged, comparator, higher_is_worse) / comparator


def change_since_baseline(value, baseline):
    """Percentage change from a baseline: 100 x (value - baseline) / baseline.

    Negative when the quantity fell. For a gap, a negative change means the gap narrowed; e.g. the
    cancer gap from 20.7 (1995-97) to 18.4 (2004-06): 100 x (18.4 - 20.7) / 20.7 = -11.1 %.
    """
    return 100.0 * (value - baseline) / baseline


def gap_from_change(baseline, change_pct):
    """The gap implied by a published percentage change from a known baseline gap.

    gap = baseline x (1 + change / 100), the inverse of :func:`change_since_baseline`.
    """
    return baseline * (1.0 + change_pct / 100.0)


def consecutive_run(directions: Sequence[int]) -> tuple[int, int]:
    """The direction of the last step and how many steps in a row, ending with it, share it.

    ``directions`` are steps between successive periods: +1 up, -1 down, 0 not distinguishable.
    (-1, 2) for [+1, -1, -1]; (0, 0) when there is no step or the last step shows no movement.
    """
    if not directions or directions[-1] == 0:
        return 0, 0
    last, run = directions[-1], 0
    for step in reversed(directions):
        if step != last:
            break
        run += 1
    return last, run


# --- periods ------------------------------------------------------------------------------------


def period_label(start: int, end: int, like: str) -> str:
    """A period label in the style of ``like``: (2005, 2007, "2004-06") -> "2005-07"."""
    if start == end:
        return str(start)
    if len(like.partition("-")[2]) == 4:
        return f"{start}-{end}"
    return f"{start}-{end % 100:02d}"


def adjacent(earlier: str, later: str) -> bool:
    """Whether two periods of the same length follow each other in a series stepping by one year
    (2004-06 then 2005-07; 2009 then 2010): the only periods "consecutive" may be said of."""
    (a0, a1), (b0, b1) = parse_period(earlier), parse_period(later)
    return a1 - a0 == b1 - b0 and b0 == a0 + 1


def periods_between(earlier: str, later: str) -> list[str]:
    """The periods of the same length strictly between two periods, stepping by one year:
    ("2004-06", "2006-08") -> ["2005-07"]."""
    (a0, a1), (b0, _) = parse_period(earlier), parse_period(later)
    length = a1 - a0
    return [period_label(s, s + length, earlier) for s in range(a0 + 1, b0)]


def segment_of(period: str, breaks: Sequence[str]) -> int:
    """Which method segment a period is in: the number of method breaks starting at or before it."""
    start = parse_period(period)[0]
    return sum(1 for first in breaks if parse_period(first)[0] <= start)


# --- the record ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Who is compared with whom, which way round, and to what precision computed gaps are shown."""

    indicator: str
    sex: str
    disadvantaged: str
    comparator: str
    higher_is_worse: bool = True
    decimals: int = 1
    relative_decimals: int = 1
    nested: bool = True
    share: float = 0.0
    """The disadvantaged group's share of the comparator (its population share, or its share of the areas):
    the weight with which it enters the comparator's value, for the covariance of a nested comparison."""

    def decimals_for(self, measure: str) -> int:
        return self.relative_decimals if measure == "relative_gap_pct" else self.decimals


@dataclass(frozen=True)
class GapPoint:
    """One period of a gap's record.

    ``gap`` is the figure of record (published, else from the levels, else implied by a published
    change); ``gap_check`` the gap recomputed from the levels where a published gap leads.
    ``change`` is the percentage change from ``reference`` (the baseline), published or computed
    from the two gaps; ``change_check`` the computed change where a published change leads.
    ``segment`` counts the method breaks before the period: figures in different segments are
    never compared, and no change is computed across them.
    """

    period: str
    start: int
    end: int
    measure: str
    segment: int
    gap: Estimate | None = None
    gap_check: Estimate | None = None
    change: Estimate | None = None
    change_check: Estimate | None = None
    reference: str = ""

    @property
    def provisional(self) -> bool:
        return any(e is not None and e.provisional for e in (self.gap, self.change))

    @property
    def estimated(self) -> bool:
        return any(e is not None and e.estimated for e in (self.gap, self.change))

    def levels_gap(self) -> Estimate | None:
        """The gap computed from the two levels, whether it is the figure of record or its check."""
        for e in (self.gap, self.gap_check):
            if e is not None and e.basis == est.LEVELS:
                return e
        return None


def gap_from_levels(d: Estimate, c: Estimate, measure: str, comparison: Comparison) -> Estimate:
    """The absolute or relative gap from the two groups' levels, with the range their rounding allows,
    or, where both levels carry confidence intervals, with its own interval (:func:`gap_interval`)."""
    if d.confidence and c.confidence and d.se is not None and c.se is not None:
        return gap_interval(d, c, measure, comparison)
    worse = comparison.higher_is_worse
    first, second = (d, c) if worse else (c, d)
    decimals = comparison.decimals_for(measure)
    if measure == "absolute_gap":
        return est.combine(lambda a, b: absolute_gap(a, b, worse), "gaps.absolute_gap",
                           f"{est.term(first)} − {est.term(second)}", d, c, basis=est.LEVELS, decimals=decimals)
    return est.combine(lambda a, b: relative_gap(a, b, worse), "gaps.relative_gap",
                       f"100 × ({est.term(first)} − {est.term(second)}) / {est.term(c)}", d, c,
                       basis=est.LEVELS, decimals=decimals)


def gap_interval(d: Estimate, c: Estimate, measure: str, comparison: Comparison) -> Estimate:
    """The gap between two levels with 95 % intervals, and its own 95 % interval.

    With standard errors s_d and s_c and the group's share p of the comparator (a group that is part of
    England enters England's value with weight p, so cov(d, c) = p s_d^2; p = 0 when the comparator is
    independent, such as the rest of England):

    - absolute gap g = d - c (c - d where higher is better): var(g) = s_d^2 + s_c^2 - 2 p s_d^2, and the
      interval g +/- 1.96 sqrt(var(g));
    - relative gap 100 (R - 1) with R = d / c (100 (1 - R) where higher is better), on the log scale:
      var(ln R) = s_d^2 / d^2 + s_c^2 / c^2 - 2 p s_d^2 / (d c), the interval of R is
      R exp(+/- 1.96 sqrt(var(ln R))).

    The delta method; for the covariance of a subgroup and its total see e.g. the ONS's "Comparing a
    local area with the national average" (areas that are part of the comparator).
    """
    worse = comparison.higher_is_worse
    p = comparison.share if comparison.nested else 0.0
    first, second = (d, c) if worse else (c, d)
    z = est.Z95
    inputs = tuple(dict.fromkeys((*d.inputs, *c.inputs)))
    revision = "provisional" if d.provisional or c.provisional else "final"
    if measure == "absolute_gap":
        value = absolute_gap(d.value, c.value, worse)
        se = math.sqrt(max(d.se**2 + c.se**2 - 2 * p * d.se**2, 0.0))
        return Estimate(value, value - z * se, value + z * se, est.LEVELS, comparison.decimals_for(measure), inputs,
                        "gaps.gap_interval", f"{est.term(first)} − {est.term(second)}", revision,
                        interval=est.CONFIDENCE, se=se)
    ratio = d.value / c.value
    sd = math.sqrt(max(d.se**2 / d.value**2 + c.se**2 / c.value**2 - 2 * p * d.se**2 / (d.value * c.value), 0.0))
    low, high = ratio * math.exp(-z * sd), ratio * math.exp(z * sd)
    if worse:
        value, lower, upper = 100 * (ratio - 1), 100 * (low - 1), 100 * (high - 1)
    else:
        value, lower, upper = 100 * (1 - ratio), 100 * (1 - high), 100 * (1 - low)
    return Estimate(value, lower, upper, est.LEVELS, comparison.decimals_for(measure), inputs, "gaps.gap_interval",
                    f"100 × ({est.term(first)} − {est.term(second)}) / {est.term(c)}", revision,
                    interval=est.CONFIDENCE, se=100 * ratio * sd)


def change_between(gap: Estimate, baseline: Estimate, decimals: int = 1) -> Estimate:
    """The percentage change from a baseline gap, with the range both gaps' rounding allows, or, where both
    gaps carry confidence intervals, its 95 % interval by the delta method for independent periods:
    var = (100 / b)^2 (s_g^2 + (g / b)^2 s_b^2). Rolling periods that share years are not independent, so
    that interval is too narrow for them; the briefing judges movements on the gaps' own intervals."""
    if gap.confidence and baseline.confidence and gap.se is not None and baseline.se is not None:
        value = change_since_baseline(gap.value, baseline.value)
        se = abs(100 / baseline.value) * math.sqrt(gap.se**2 + (gap.value / baseline.value) ** 2 * baseline.se**2)
        return Estimate(value, value - est.Z95 * se, value + est.Z95 * se, est.GAPS, decimals,
                        tuple(dict.fromkeys((*gap.inputs, *baseline.inputs))), "gaps.change_between",
                        f"100 × ({est.term(gap)} − {est.term(baseline)}) / {est.term(baseline)}",
                        "provisional" if gap.provisional or baseline.provisional else "final",
                        interval=est.CONFIDENCE, se=se)
    return est.combine(change_since_baseline, "gaps.change_since_baseline",
                       f"100 × ({est.term(gap)} − {est.term(baseline)}) / {est.term(baseline)}",
                       gap, baseline, basis=est.GAPS, decimals=decimals)


def implied_gap(baseline: Estimate, change: Estimate, decimals: int) -> Estimate:
    """The gap a published change implies from the baseline gap (:func:`gap_from_change`)."""
    term = est.term(change)  # a published figure signed as published; a formula keeps its own sign in brackets
    added = f"− {term[1:]}" if term.startswith("-") else f"+ {term}"
    return est.combine(gap_from_change, "gaps.gap_from_change", f"{est.term(baseline)} × (1 {added} / 100)",
                       baseline, change, basis=est.IMPLIED, decimals=decimals)


def gap_record(levels: pd.DataFrame, published: pd.DataFrame, comparison: Comparison, baseline: str | None,
               breaks: Sequence[str] = ()) -> dict[str, list[GapPoint]]:
    """Every known gap and change, one :class:`GapPoint` per period, for each gap measure.

    ``levels``: the two groups' levels (columns ``group``, ``period``, ``value``, ``decimals``,
    ``id``, ``revision``, ``status``). ``published``: published gap rows (``measure`` a gap or a
    change in a gap; ``reference_period`` for changes). ``baseline``: the period changes are
    measured from (None: the first period of the record). ``breaks``: first periods of new methods.

    For each period: the gap of record is the published gap, else the gap from both levels
    (:func:`gap_from_levels`), else the gap implied by a published change from the baseline
    (:func:`implied_gap`, same method segment only). The change of record is the published change
    from the baseline, else :func:`change_between` the two gaps of record (same segment only, and
    never from an implied gap, which would only return the change it came from).
    """
    record: dict[str, list[GapPoint]] = {}
    for measure in GAP_MEASURES:
        points = _points(levels, published, comparison, measure, breaks)
        if not points:
            record[measure] = []
            continue
        reference = baseline or points[0]["period"]
        record[measure] = _with_changes(points, published, measure, reference, breaks, comparison)
    return record


def _points(levels, published, comparison, measure, breaks) -> list[dict]:
    by_period: dict[str, dict] = {}

    def point(period: str) -> dict:
        if period not in by_period:
            start, end = parse_period(period)
            by_period[period] = {"period": period, "start": start, "end": end, "measure": measure,
                                 "segment": segment_of(period, breaks), "gap": None, "gap_check": None}
        return by_period[period]

    d_rows = {r["period"]: r for _, r in levels[levels["group"] == comparison.disadvantaged].iterrows()}
    c_rows = {r["period"]: r for _, r in levels[levels["group"] == comparison.comparator].iterrows()}
    for period in sorted(set(d_rows) & set(c_rows), key=parse_period):
        point(period)["gap"] = gap_from_levels(est.published(d_rows[period]), est.published(c_rows[period]),
                                               measure, comparison)
    gaps = published[(published["measure"] == measure) & (published["reference_period"] == "")]
    for _, row in gaps.iterrows():
        p = point(row["period"])
        p["gap_check"], p["gap"] = p["gap"], est.published(row)
    for _, row in published[published["measure"] == CHANGE_OF[measure]].iterrows():
        point(row["period"])
    return sorted(by_period.values(), key=lambda p: (p["start"], p["end"]))


def _with_changes(points, published, measure, reference, breaks, comparison) -> list[GapPoint]:
    changes = published[(published["measure"] == CHANGE_OF[measure]) & (published["reference_period"] == reference)]
    published_change = {row["period"]: est.published(row) for _, row in changes.iterrows()}
    base = next((p for p in points if p["period"] == reference), None)
    base_gap = base["gap"] if base is not None else None
    base_segment = segment_of(reference, breaks)
    result = []
    for p in points:
        change = change_check = None
        same_segment = p["segment"] == base_segment
        computed = None
        if (p["period"] != reference and base_gap is not None and p["gap"] is not None and same_segment
                and not est.contains_zero(base_gap)):
            computed = change_between(p["gap"], base_gap)
        if p["period"] in published_change:
            change, change_check = published_change[p["period"]], computed
        else:
            change = computed
        gap = p["gap"]
        if gap is None and change is not None and base_gap is not None and same_segment:
            gap = implied_gap(base_gap, change, comparison.decimals_for(measure))
        if gap is None and change is None:
            continue
        result.append(GapPoint(
            period=p["period"], start=p["start"], end=p["end"], measure=measure, segment=p["segment"],
            gap=gap, gap_check=p["gap_check"], change=change, change_check=change_check,
            reference=reference if change is not None or p["period"] == reference else "",
        ))
    return result


def record_frame(record: dict[str, list[GapPoint]], indicator: str, sex: str) -> pd.DataFrame:
    """The record as a tidy table (one row per period and gap measure), unrounded, for ``<indicator>_gaps.csv``."""
    rows = []
    for measure, points in record.items():
        for p in points:
            row = {"indicator": indicator, "sex": sex, "period": p.period, "start": p.start, "end": p.end,
                   "measure": measure, "method_segment": p.segment, "reference_period": p.reference}
            for name in ("gap", "gap_check", "change", "change_check"):
                e = getattr(p, name)
                row[name] = e.value if e is not None else np.nan
                row[f"{name}_lower"] = e.lower if e is not None else np.nan
                row[f"{name}_upper"] = e.upper if e is not None else np.nan
                row[f"{name}_basis"] = e.basis if e is not None else ""
                row[f"{name}_inputs"] = ";".join(e.inputs) if e is not None else ""
            row["provisional"] = p.provisional
            row["estimate"] = p.estimated
            rows.append(row)
    return pd.DataFrame(rows)


# --- how a gap moved ----------------------------------------------------------------------------

SHARED_BASES = ("published change", "published gaps", "published changes", "gaps computed from levels")


@dataclass(frozen=True)
class Movement:
    """How a gap moved between two periods of its record, judged on a basis both periods share.

    ``direction``: +1 wider, -1 narrower, 0 the figures cannot show a movement (their ranges
    meet), None when the two periods cannot be compared (``reason``: "method" for a method break,
    "bases" when they share no basis). ``earlier_figure`` and ``later_figure`` are the estimates
    compared; ``missing`` the periods between them that the record lacks.
    """

    earlier: GapPoint
    later: GapPoint
    direction: int | None
    basis: str = ""
    earlier_figure: Estimate | None = None
    later_figure: Estimate | None = None
    reason: str = ""

    @property
    def adjacent(self) -> bool:
        return adjacent(self.earlier.period, self.later.period)

    @property
    def missing(self) -> list[str]:
        return periods_between(self.earlier.period, self.later.period)

    @property
    def size(self) -> int | None:
        """How the distance between the group and its comparator moved: +1 wider, -1 narrower, 0 the figures
        cannot show it, None not compared. A change from the baseline already measures the size of the gap (a
        gap of -20.1 that becomes -24.6 is 22 % wider); two gaps are compared by value, so where both are
        negative (the group doing better) a fall in value is a widening. Where the gap changed side, +1: the
        distance is not comparable, and :attr:`side` says the gap reversed."""
        if not self.direction or self.basis in ("published change", "published changes"):
            return self.direction
        return size_direction(self.direction, self.earlier_figure.value, self.later_figure.value)

    @property
    def side(self) -> str:
        """Which side of its comparator the group is on, across the two periods (:func:`sides`)."""
        return sides(_shown_value(self.earlier), _shown_value(self.later))


WORSE, BETTER, TO_BETTER, TO_WORSE, LEVEL = "worse", "better", "now better", "now worse", ""
"""Which side of its comparator the group is on (:func:`sides`): doing worse throughout, better throughout, or
crossing over; LEVEL where a gap is zero or unknown."""


def side_of(value: float | None) -> int:
    """+1 where the gap says the group does worse than its comparator, -1 better, 0 neither (or unknown). The gap
    is oriented so that positive is worse (:func:`absolute_gap`)."""
    if value is None or not math.isfinite(value) or abs(value) <= est.TOLERANCE:
        return 0
    return 1 if value > 0 else -1


def size_direction(direction: int | None, earlier: float | None, later: float | None) -> int | None:
    """The direction of a gap's size from the direction of its value (``direction``, as :func:`healthgap.analysis.
    estimates.compare` gives it): the same where the group does worse (a positive gap), the other way where it
    does better in both periods (a gap of -20.1 that falls to -24.6 has widened). Where the gap changed side, the
    direction of its value (:func:`sides` says it reversed)."""
    if not direction:
        return direction
    a, b = side_of(earlier), side_of(later)
    if a <= 0 and b <= 0 and (a or b):
        return -direction
    return direction


def sides(earlier: float | None, later: float | None) -> str:
    """Where the group stands against its comparator in two periods: :data:`WORSE` when it does worse in both (or
    in one and level in the other), :data:`BETTER` when better, :data:`TO_BETTER` or :data:`TO_WORSE` when the
    gap changed sign, :data:`LEVEL` when neither says."""
    a, b = side_of(earlier), side_of(later)
    if a >= 0 and b >= 0 and (a or b):
        return WORSE
    if a <= 0 and b <= 0 and (a or b):
        return BETTER
    if a > 0 > b:
        return TO_BETTER
    if a < 0 < b:
        return TO_WORSE
    return LEVEL


def _shown_value(p: GapPoint) -> float | None:
    """The gap's value in a period, for its side: the gap of record, else the one from the levels."""
    for e in (p.gap, p.gap_check):
        if e is not None:
            return e.value
    return None


def _candidates(p: GapPoint) -> dict[str, Estimate]:
    found: dict[str, Estimate] = {}
    if p.gap is not None and p.gap.published:
        found["published gaps"] = p.gap
    if p.change is not None and p.change.published:
        found["published changes"] = p.change
    levels = p.levels_gap()
    if levels is not None:
        found["gaps computed from levels"] = levels
    return found


def movement(earlier: GapPoint, later: GapPoint) -> Movement:
    """Compare two periods of a record on the first basis they share: the later period's published
    change from the earlier one, their published gaps, their published changes from the same
    baseline, or their gaps computed from levels. Never across a method break, never across bases
    (a published gap against a computed one)."""
    if earlier.segment != later.segment:
        return Movement(earlier, later, None, reason="method")
    if later.change is not None and later.change.published and later.reference == earlier.period:
        zero = Estimate(0.0, 0.0, 0.0, est.PUBLISHED, 0, ())
        return Movement(earlier, later, est.compare(zero, later.change), "published change", None, later.change)
    a, b = _candidates(earlier), _candidates(later)
    for basis in SHARED_BASES:
        if basis in a and basis in b:
            if basis == "published changes" and earlier.reference != later.reference:
                continue
            return Movement(earlier, later, est.compare(a[basis], b[basis]), basis, a[basis], b[basis])
    return Movement(earlier, later, None, reason="bases")


def latest_movements(points: Sequence[GapPoint]) -> list[Movement]:
    """Movements between successive periods of the record, latest last."""
    return [movement(a, b) for a, b in zip(points, points[1:])]


def latest_run(points: Sequence[GapPoint]) -> tuple[Movement | None, int]:
    """The latest movement and how many consecutive movements, between adjacent periods, share its
    direction (0 when it shows no movement or its periods are not adjacent)."""
    moves = latest_movements(points)
    if not moves:
        return None, 0
    last = moves[-1]
    if not last.adjacent or not last.direction:
        return last, 0
    run = 0
    for move in reversed(moves):
        if not move.adjacent or move.direction != last.direction:
            break
        run += 1
    return last, run


def implied_by_changes(points: Sequence[GapPoint], base: GapPoint | None) -> list[tuple[str, float]]:
    """The gap each published change from the baseline implies, baseline gap x (1 + change / 100) (:func:`gap_from_change`),
    in each period the change was published for, on the baseline's method: what "7% wider" and "14% wider" say of
    the gap, for a chart to draw beside the gap computed from rounded levels where that is the gap of record (the
    female life-expectancy gap is 1.95% from the levels of 2006-08 and 2.00% by the published 14%). Empty where
    no period has both a published change and a gap from the levels (every change is then drawn already, as the
    gap it implies)."""
    if base is None or base.gap is None:
        return []
    found = [(p.period, gap_from_change(base.gap.value, p.change.value)) for p in points
             if p.change is not None and p.change.published and p.reference == base.period
             and p.segment == base.segment]
    periods = dict(found)
    if not any(p.gap is not None and p.gap.basis == est.LEVELS and p.period in periods for p in points):
        return []
    return found


# --- what sources said ----------------------------------------------------------------------------

DIRECTIONS = {"widened": 1, "narrowed": -1, "unchanged": 0}

AGREES = "the figures agree"
SILENT = "the figures alone cannot show it"
DIFFERS = "the figures show otherwise"
UNCHECKED = "cannot be checked"


@dataclass(frozen=True)
class Statement:
    """A source's own statement of how a gap moved, recorded as data (``statements.csv``), with its quote.

    ``direction``: +1 widened, -1 narrowed, 0 unchanged (the size of the gap, whichever side the group is on).
    ``reference``: the period it is measured from ("" where the source names none); ``consecutive``: how many
    consecutive periods the source says it moved in that direction, from ``reference`` to ``period`` (None where
    it does not count them). ``said_by`` names who made the statement, ``publisher`` who reported it.
    """

    id: str
    measure: str
    period: str
    reference: str
    direction: int
    consecutive: int | None
    quote: str
    said_by: str
    publisher: str
    title: str
    published: str
    url: str
    note: str = ""

    @property
    def word(self) -> str:
        return {1: "widened", -1: "narrowed", 0: "unchanged"}[self.direction]


def statements_of(frame: pd.DataFrame) -> tuple[Statement, ...]:
    """The rows of ``statements.csv`` for one indicator and sex (with their sources' columns) as statements, in time
    order."""
    if frame is None or frame.empty:
        return ()
    found = []
    for _, r in frame.sort_values(["end", "start"], kind="stable").iterrows():
        found.append(Statement(
            id=str(r["id"]), measure=str(r["measure"]), period=str(r["period"]), reference=str(r["reference_period"]),
            direction=DIRECTIONS[r["direction"]], consecutive=int(r["consecutive"]) if r["consecutive"] else None,
            quote=str(r["quote"]), said_by=str(r.get("said_by", "") or r.get("publisher", "")),
            publisher=str(r.get("publisher", "")), title=str(r.get("title", "")),
            published=str(r.get("published", "")), url=str(r.get("url", "")), note=str(r.get("note", ""))))
    return tuple(found)


@dataclass(frozen=True)
class StatementCheck:
    """What the record's own figures show over a statement's span: :data:`AGREES`, :data:`SILENT` (they cannot
    show a movement the statement names), :data:`DIFFERS` (they show another), or :data:`UNCHECKED` (the
    record lacks a period, the span crosses a change of method, or the statement names no earlier period).
    ``moves`` are the movements compared (one per consecutive step, or one over the whole span)."""

    statement: Statement
    outcome: str
    moves: tuple[Movement, ...] = ()
    reason: str = ""


def check_statement(points: Sequence[GapPoint], statement: Statement) -> StatementCheck:
    """The statement against the record of its gap (the points of ``statement.measure``).

    A count of consecutive periods is checked step by step between adjacent periods of the record, from the
    reference period to the statement's; otherwise the reference period is compared with the statement's
    period (:func:`movement`, on the size of the gap, :attr:`Movement.size`). "Unchanged" agrees with figures
    that cannot show a movement at their precision.
    """
    by_period = {p.period: p for p in points}
    if not statement.reference:
        return StatementCheck(statement, UNCHECKED, reason="the statement names no earlier period")
    lacking = [q for q in (statement.reference, statement.period) if q not in by_period]
    if lacking:
        return StatementCheck(statement, UNCHECKED, reason=f"the record holds no figure for {' or '.join(lacking)}")
    if statement.consecutive:
        chain = [by_period[statement.reference]]
        for q in periods_between(statement.reference, statement.period) + [statement.period]:
            if q not in by_period:
                return StatementCheck(statement, UNCHECKED, reason=f"the record holds no figure for {q}")
            chain.append(by_period[q])
        moves = tuple(movement(a, b) for a, b in zip(chain, chain[1:]))
    else:
        moves = (movement(by_period[statement.reference], by_period[statement.period]),)
    if any(m.direction is None for m in moves):
        reason = "the method changed" if any(m.reason == "method" for m in moves) else "the figures were obtained differently"
        return StatementCheck(statement, UNCHECKED, moves, reason)
    sizes = [m.size for m in moves]
    if statement.direction == 0:
        outcome = AGREES if all(x == 0 for x in sizes) else DIFFERS
    elif any(x not in (0, statement.direction) for x in sizes):
        outcome = DIFFERS
    elif all(x == statement.direction for x in sizes):
        outcome = AGREES
    else:
        outcome = SILENT
    return StatementCheck(statement, outcome, moves)


def statement_for(statements: Sequence[Statement], measure: str, period: str) -> Statement | None:
    """The latest statement about one gap's movement into ``period`` (the last in the table where several are)."""
    found = [s for s in statements if s.measure == measure and s.period == period]
    return found[-1] if found else None
