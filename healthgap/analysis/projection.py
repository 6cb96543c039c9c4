"""Projections of a gap: its straight-line trend, where that trend leads, and how well it has done before.

Method (for the methods section)
--------------------------------
A gap series is a list of (period, value) pairs: the gap of record in each period (:func:`gap_series`
takes them from an :class:`~healthgap.analysis.indicator.Analysis`, so a projection rests on the same figures the
page shows). Periods are placed on the time axis at their middle year (:func:`healthgap.read.tables.period_midpoint`).

1. **Independent periods only** (:func:`independent_periods`). Rolling three-year periods one year apart
   share two of their three years of deaths: 2004-06 and 2005-07 have 2005 and 2006 in common. Their
   sampling errors are therefore strongly correlated (two thirds, for equal years), and ordinary least
   squares on every period treats three periods that rest on five years of deaths as three independent
   observations: the degrees of freedom overstate the information, the smoothed series understates the
   scatter, and the prediction interval comes out too narrow. Rather than model the correlation (an
   error process whose parameters a dozen points cannot pin down), the trend is **fitted on periods
   that share no year**, chosen by counting back from the latest period: the latest is always used,
   then the latest period that ends before it starts, and so on (2006-08, 2003-05, 2000-02, 1997-99 ...).
   Only periods in the series count, so gaps in the record leave gaps in the choice.
2. **Never across a method break.** Figures on either side of a change of method (``data/breaks.csv``)
   are not comparable, so only the periods after the latest break are fitted (:func:`since_break`).
3. **The trend** (:func:`fit_trend`) is ordinary least squares of the gap on the period midpoint, with a
   constant: gap = a + b (t - t0) + e, e independent N(0, s^2), fitted with ``statsmodels.api.OLS``
   (statsmodels documentation, "Linear Regression": ``OLS``, ``OLSResults.get_prediction``). t0 is the
   midpoint of the latest fitted period, so the intercept a is the trend's value there. With
   n points (x_i, y_i): b = Sxy / Sxx, a = ybar + b (t0 - xbar), s^2 = SSE / (n - 2), where
   Sxx = sum (x_i - xbar)^2 and Sxy = sum (x_i - xbar)(y_i - ybar).
4. **The projection** (:func:`project`) to a period with midpoint x0 is a + b (x0 - t0), with the 95 %
   **prediction interval** for a single new observation (statsmodels' ``obs_ci_lower``/``obs_ci_upper``):
   point +/- t(0.975, n - 2) s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx) (e.g. Montgomery, Peck and Vining,
   *Introduction to Linear Regression Analysis*, ch. 2, "prediction of new observations"). Student's t
   with n - 2 degrees of freedom keeps the interval honest about few points: with three points t is 12.7.
   A trend needs at least three independent points (one degree of freedom for the residual variance);
   with fewer the answer is "too few periods to project".

Assumptions, stated where the projection is shown: the gap moves along a straight line in time and keeps
doing so to the projected period; the scatter about the line is the same throughout, normal and
independent between periods that share no year. The interval covers the scatter of the fitted periods
about their line and the uncertainty of the line itself; it does not cover a change of course (a policy,
a pandemic), a change of method, or error common to every period. It is a statement about the trend,
not a forecast of policy.

The pace (:func:`pace`), the verdict (:func:`verdict`), the counterfactual (:func:`counterfactual`) and the
back-test (:func:`backtest`) are built from the same pieces. Words are kept to :func:`describe`, which
gives the one sentence the issue asks for, rounded to the figure's decimals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthgap.analysis import estimates as est
from healthgap.read.periods import parse_period, period_midpoint
from healthgap.analysis.gaps import segment_of as segment

if TYPE_CHECKING:
    from healthgap.analysis.indicator import Analysis

MIN_POINTS = 3
"""Independent periods a trend needs: two for the line, one more for the scatter about it."""
CONFIDENCE = 0.95

LIKELY = "likely"
"""The whole prediction interval is on the target's side (at or below it, for a gap that must shrink)."""
UNLIKELY = "unlikely"
"""The whole prediction interval is on the wrong side of the target."""
SPANS = "spans the target"
"""The prediction interval includes the target: the trend cannot say which side the gap will fall."""
TOO_FEW = "too few periods"
VERDICTS = (LIKELY, UNLIKELY, SPANS, TOO_FEW)

METHOD_BREAK = "method break"
NOT_OBSERVED = "not observed"

Point = tuple[str, float]
"""(period label, gap value)."""


# --- which periods ------------------------------------------------------------------------------


def _ordered(points: Sequence[Point]) -> list[Point]:
    seen: dict[str, float] = {}
    for period, value in points:
        if period in seen:
            raise ValueError(f"period {period} appears twice in the series")
        seen[str(period)] = float(value)
    return sorted(seen.items(), key=lambda p: parse_period(p[0]))


def independent_periods(periods: Sequence[str]) -> list[str]:
    """The periods that share no calendar year, chosen counting back from the latest, in time order.

    The latest period (by last, then first year) is always chosen; then, repeatedly, the latest period
    that ends before the last chosen one starts. For rolling three-year periods one year apart this is
    every third period back from the latest: 2006-08, 2003-05, 2000-02, 1997-99 ... Periods absent from
    ``periods`` are not invented: ["1995-97", "2003-05", "2004-06"] gives ["1995-97", "2004-06"].
    Consecutive rolling periods share two thirds of their deaths, so their errors are correlated and
    fitting all of them would overstate the information in the series (see the module's notes).
    """
    ordered = sorted(set(periods), key=lambda p: (parse_period(p)[1], parse_period(p)[0]))
    chosen: list[str] = []
    for period in reversed(ordered):
        end = parse_period(period)[1]
        if not chosen or end < parse_period(chosen[-1])[0]:
            chosen.append(period)
    return sorted(chosen, key=parse_period)


def method_since(points: Sequence[Point], breaks: Sequence[str] = ()) -> str:
    """The first period of the method the latest point is on, where a break falls within the series
    (so that earlier points are left out of a fit); "" where no break cuts it."""
    ordered = _ordered(points)
    if not ordered or not breaks:
        return ""
    earliest, latest = parse_period(ordered[0][0])[0], parse_period(ordered[-1][0])[0]
    cutting = [b for b in breaks if earliest < parse_period(b)[0] <= latest]
    return max(cutting, key=parse_period) if cutting else ""


def since_break(points: Sequence[Point], breaks: Sequence[str] = ()) -> list[Point]:
    """The points on the same method as the latest one: those after the latest break that precedes it.

    ``breaks`` are the first periods of new methods (``data/breaks.csv``; infant mortality from 2007-09).
    A trend is never fitted across a break, whose two sides are not comparable.
    """
    ordered = _ordered(points)
    if not ordered or not breaks:
        return ordered
    last = segment(ordered[-1][0], breaks)
    return [p for p in ordered if segment(p[0], breaks) == last]


def known_by(points: Sequence[Point], as_of: str) -> list[Point]:
    """The points an edition could know: periods ending no later than ``as_of`` ends."""
    end = parse_period(as_of)[1]
    return [p for p in _ordered(points) if parse_period(p[0])[1] <= end]


# --- the trend ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A straight line fitted by OLS to a gap's independent periods (:func:`fit_trend`).

    gap(t) = ``intercept`` + ``slope`` x (t - ``origin``), t a period's midpoint in years; ``origin`` is the
    midpoint of the latest fitted period, so ``intercept`` is the trend's gap there. ``periods`` and
    ``values`` are what was fitted; ``left_out`` the periods of the series not fitted because they share
    years with a fitted one; ``method_since`` the first period of the method fitted where a break cut
    the series (earlier periods are not in ``left_out``). ``sigma`` is the residual standard error
    s = sqrt(SSE / df), ``df`` = n - 2.
    """

    periods: tuple[str, ...]
    values: tuple[float, ...]
    slope: float
    intercept: float
    origin: float
    sigma: float
    df: int
    left_out: tuple[str, ...] = ()
    method_since: str = ""

    @property
    def n(self) -> int:
        return len(self.periods)

    @property
    def since(self) -> str:
        """The first fitted period: the trend is "the pace since" it."""
        return self.periods[0]

    @property
    def latest(self) -> str:
        return self.periods[-1]

    def at(self, period: str) -> float:
        """The trend's gap at a period's midpoint."""
        return self.intercept + self.slope * (period_midpoint(period) - self.origin)


def _design(midpoints, origin: float):
    import numpy as np

    x = np.asarray(midpoints, dtype=float) - origin
    return np.column_stack([np.ones_like(x), x])


def _ols(trend: Trend):
    """The statsmodels OLS results of a trend (refitted from its points: cheap, and keeps Trend plain)."""
    from statsmodels.regression.linear_model import OLS  # statsmodels.api would import every model

    exog = _design([period_midpoint(p) for p in trend.periods], trend.origin)
    return OLS(list(trend.values), exog).fit()


def fit_trend(points: Sequence[Point], breaks: Sequence[str] = ()) -> Trend | None:
    """OLS of the gap on the period midpoint, with a constant, on the independent periods since the
    latest method break; None when fewer than three independent periods remain.

    Fitted with ``statsmodels.api.OLS`` (statsmodels documentation, "Linear Regression"):
    b = Sxy / Sxx, a = ybar + b (t0 - xbar), s^2 = SSE / (n - 2), with t0 the latest fitted midpoint.
    Which periods are fitted and why: :func:`independent_periods`, :func:`since_break`.
    """
    usable = since_break(points, breaks)
    chosen = independent_periods([p for p, _ in usable])
    if len(chosen) < MIN_POINTS:
        return None
    values = dict(usable)
    trend = Trend(periods=tuple(chosen), values=tuple(values[p] for p in chosen), slope=0.0, intercept=0.0,
                  origin=period_midpoint(chosen[-1]), sigma=0.0, df=len(chosen) - 2,
                  left_out=tuple(p for p, _ in usable if p not in chosen), method_since=method_since(points, breaks))
    result = _ols(trend)
    intercept, slope = (float(v) for v in result.params)
    sigma = float(result.mse_resid) ** 0.5
    return Trend(periods=trend.periods, values=trend.values, slope=slope, intercept=intercept, origin=trend.origin,
                 sigma=sigma, df=int(result.df_resid), left_out=trend.left_out, method_since=trend.method_since)


# --- the projection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Where a gap's trend leads by ``period``: the point and its prediction interval.

    ``trend`` is None when the series had too few independent periods (``fitted`` then names the ones it
    had, ``value``/``lower``/``upper`` are None); ``method_since`` the first period of the method fitted,
    where a break cut the series. ``se`` is the prediction's standard error
    s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx), ``t`` the Student's t quantile the interval used.
    """

    period: str
    fitted: tuple[str, ...]
    left_out: tuple[str, ...]
    trend: Trend | None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    se: float | None = None
    t: float | None = None
    confidence: float = CONFIDENCE
    method_since: str = ""

    @property
    def enough(self) -> bool:
        """Whether there were enough independent periods to project."""
        return self.trend is not None

    @property
    def since(self) -> str | None:
        return self.fitted[0] if self.fitted else None

    def contains(self, value: float) -> bool | None:
        """Whether a value lies within the prediction interval (None when there is no projection)."""
        if self.lower is None or self.upper is None:
            return None
        return self.lower - est.TOLERANCE <= value <= self.upper + est.TOLERANCE


def project(trend: Trend, period: str, confidence: float = CONFIDENCE) -> Projection:
    """The trend's gap at a period's midpoint x0, with its prediction interval.

    point = a + b (x0 - t0); interval = point +/- t(1 - alpha/2, n - 2) s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx),
    alpha = 1 - ``confidence``: statsmodels' ``OLSResults.get_prediction(...).summary_frame(alpha)``,
    columns ``mean``, ``obs_ci_lower``, ``obs_ci_upper`` (the interval for a new observation, not for
    the line). A period inside the fitted range interpolates; beyond it, the interval widens with the
    square of the distance from the fitted periods' mean midpoint.
    """
    from scipy import stats

    result = _ols(trend)
    frame = result.get_prediction(_design([period_midpoint(period)], trend.origin)).summary_frame(
        alpha=1 - confidence)
    row = frame.iloc[0]
    t = float(stats.t.ppf(1 - (1 - confidence) / 2, trend.df))
    value, lower, upper = float(row["mean"]), float(row["obs_ci_lower"]), float(row["obs_ci_upper"])
    return Projection(period=period, fitted=trend.periods, left_out=trend.left_out, trend=trend, value=value,
                      lower=lower, upper=upper, se=(upper - value) / t if t > 0 else None, t=t,
                      confidence=confidence, method_since=trend.method_since)


def projection(points: Sequence[Point], period: str, breaks: Sequence[str] = (),
               confidence: float = CONFIDENCE) -> Projection:
    """:func:`fit_trend` then :func:`project`; with too few independent periods, a :class:`Projection`
    without figures that names the periods it had."""
    trend = fit_trend(points, breaks)
    if trend is None:
        usable = since_break(points, breaks)
        chosen = independent_periods([p for p, _ in usable])
        return Projection(period=period, fitted=tuple(chosen),
                          left_out=tuple(p for p, _ in usable if p not in chosen), trend=None,
                          confidence=confidence, method_since=method_since(points, breaks))
    return project(trend, period, confidence)


# --- the verdict, the pace, the words -----------------------------------------------------------


def verdict(result: Projection, target: float | None, lower_is_better: bool = True) -> str | None:
    """Whether the trend makes the target likely, unlikely, or cannot say.

    For a gap that must shrink to "T or less" (``lower_is_better``, every gap target here):
    :data:`LIKELY` when the whole prediction interval is at or below T (upper <= T), :data:`UNLIKELY` when
    it is wholly above (lower > T), otherwise :data:`SPANS`; the other way round when the gap must rise
    to "T or more". An interval touching T counts as meeting it, as "or less" allows T itself.
    :data:`TOO_FEW` without a projection; None without a target. A 95 % interval wholly on one side
    means that, were the line to continue, a gap on the other side would be a 1-in-40 event or rarer.
    """
    if not result.enough:
        return TOO_FEW
    if target is None:
        return None
    lower, upper = (result.lower, result.upper) if lower_is_better else (-result.upper, -result.lower)
    line = target if lower_is_better else -target
    if upper <= line + est.TOLERANCE:
        return LIKELY
    if lower > line + est.TOLERANCE:
        return UNLIKELY
    return SPANS


@dataclass(frozen=True)
class Pace:
    """The annual change in the gap achieved so far, against the annual change still needed.

    achieved = (gap(latest) - gap(since)) / (mid(latest) - mid(since)); needed = (target - gap(latest)) /
    (mid(target period) - mid(latest)), both in the gap's units per year (None where the periods leave
    no time between them). For a gap that must shrink, ``needed`` is negative and the pace is enough
    when ``achieved`` is at or below it.
    """

    since: str
    latest: str
    target_period: str
    since_value: float
    latest_value: float
    target: float
    achieved: float | None
    needed: float | None
    lower_is_better: bool = True
    achieved_low: float | None = None
    achieved_high: float | None = None
    """The range of ``achieved`` that the two gaps' own ranges allow (their rounding, or their 95 % intervals):
    (latest lower - since upper) / years to (latest upper - since lower) / years; None where not known."""

    @property
    def direction_known(self) -> bool:
        """Whether the gap's ranges allow only one direction of movement (both ends of the range on one side
        of zero); True where the range is not known."""
        if self.achieved_low is None or self.achieved_high is None:
            return True
        return self.achieved_low > 0 or self.achieved_high < 0

    @property
    def verdict_known(self) -> bool:
        """Whether the whole range of ``achieved`` is on one side of ``needed``."""
        if self.achieved_low is None or self.achieved_high is None or self.needed is None:
            return True
        return self.achieved_low > self.needed or self.achieved_high < self.needed

    @property
    def enough(self) -> bool | None:
        """Whether the pace so far, kept up, reaches the target by the target period."""
        if self.needed is None:
            return (self.latest_value <= self.target + est.TOLERANCE if self.lower_is_better
                    else self.latest_value >= self.target - est.TOLERANCE)
        if self.achieved is None:
            return None
        if self.lower_is_better:
            return self.achieved <= self.needed + est.TOLERANCE
        return self.achieved >= self.needed - est.TOLERANCE


def pace(points: Sequence[Point], target: float, target_period: str, since: str | None = None,
         breaks: Sequence[str] = (), lower_is_better: bool = True) -> Pace | None:
    """The pace so far and the pace needed (:class:`Pace`) on the gap's series since the latest method break.

    ``since`` is the period the pace is measured from (the target's baseline); where it is not in the
    series on the latest method, the first period that is. The two ends of a change need not be
    independent of each other, so every period of the series may serve. None for an empty series.
    """
    usable = since_break(points, breaks)
    if not usable:
        return None
    values = dict(usable)
    start = since if since in values else usable[0][0]
    latest, latest_value = usable[-1]
    span = period_midpoint(latest) - period_midpoint(start)
    ahead = period_midpoint(target_period) - period_midpoint(latest)
    return Pace(since=start, latest=latest, target_period=target_period, since_value=values[start],
                latest_value=latest_value, target=float(target),
                achieved=(latest_value - values[start]) / span if span > 0 else None,
                needed=(float(target) - latest_value) / ahead if ahead > 0 else None,
                lower_is_better=lower_is_better)


def _listing(periods: Sequence[str]) -> str:
    items = list(periods)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


Show = Callable[[str, float, int], str]
"""How a figure is written into a sentence: (role, value, decimals) -> text. Roles: ``projection``, ``lower``,
``upper``, ``target``, ``achieved``, ``needed``, ``achieved_low``, ``achieved_high``, ``allowance``, and the
method's own constants ``confidence`` (95) and ``minimum`` (3). The page links each figure to its provenance."""


def _plain(unit: str) -> Show:
    def show(role: str, value: float, decimals: int) -> str:
        if role in ("confidence", "minimum"):
            return f"{value:g}" + ("%" if role == "confidence" else "")
        per_year = role in ("achieved", "needed", "achieved_low", "achieved_high", "allowance")
        return est.number(value, decimals) + ("" if per_year else unit)
    return show


def describe(result: Projection, decimals: int, target: float | None = None, unit: str = "",
             lower_is_better: bool = True, target_decimals: int | None = None, show: Show | None = None) -> str:
    """The projection in one sentence, its figures rounded to ``decimals`` (the gap's own precision), the
    target to ``target_decimals`` (its own; ``decimals`` by default), each written by ``show``.

    "At the pace since 1995-97 the gap would be 17.2 (12.1 to 22.3) in 2009-11, against a target of 16.6
    or less." followed, only where the interval is wholly on one side of the target (:func:`verdict`), by a
    statement of likelihood; where it spans the target, by saying so. With fewer than three independent
    periods: "Too few periods to project: ...". ``unit`` follows each figure (e.g. "%").
    """
    show = show or _plain(unit)
    if not result.enough:
        have = len(result.fitted)
        method = f" on the method used since {result.method_since}" if result.method_since else ""
        count = ("none", "one", "two")[have] if have < 3 else str(have)
        named = f"{count}{method} ({_listing(result.fitted)})" if have else f"none{method}"
        return (f"Too few periods to project: a trend with an interval needs at least {show('minimum', MIN_POINTS, 0)} "
                f"periods that share no year, and the series has {named}.")
    sentence = (f"At the pace since {result.since} the gap would be {show('projection', result.value, decimals)} "
                f"({show('lower', result.lower, decimals)} to {show('upper', result.upper, decimals)}) in {result.period}")
    if target is None:
        return sentence + "."
    side = "or less" if lower_is_better else "or more"
    places = decimals if target_decimals is None else target_decimals
    sentence += f", against a target of {show('target', target, places)} {side}."
    call = verdict(result, target, lower_is_better)
    percent = show("confidence", result.confidence * 100, 0)
    if call == LIKELY:
        sentence += f" The whole {percent} interval meets the target: on this trend it is likely to be met."
    elif call == UNLIKELY:
        sentence += f" The whole {percent} interval misses the target: on this trend it is unlikely to be met."
    else:
        sentence += f" The {percent} interval spans the target, so the trend cannot say whether it will be met."
    return sentence


# --- against what happened ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A projection beside what happened in the period it projects to.

    ``actual`` is the observed gap (None where the period was not observed); ``comparable`` is False where
    the observed period lies beyond a method break from the fitted ones (``reason`` says so). ``inside``:
    whether the observed gap fell within the prediction interval (None when either is missing or the two
    are not comparable).
    """

    projection: Projection
    actual: float | None
    comparable: bool = True
    reason: str = ""

    @property
    def period(self) -> str:
        return self.projection.period

    @property
    def inside(self) -> bool | None:
        if not self.comparable or self.actual is None:
            return None
        return self.projection.contains(self.actual)

    @property
    def difference(self) -> float | None:
        """Observed minus projected."""
        if not self.comparable or self.actual is None or self.projection.value is None:
            return None
        return self.actual - self.projection.value


def _outcome(fit_on: Sequence[Point], observed: Sequence[Point], period: str, breaks: Sequence[str],
             confidence: float) -> Outcome:
    fitted = since_break(fit_on, breaks)
    result = projection(fit_on, period, breaks, confidence)
    actual = dict(_ordered(observed)).get(period)
    if actual is None:
        return Outcome(result, None, reason=NOT_OBSERVED)
    if fitted and segment(period, breaks) != segment(fitted[-1][0], breaks):
        return Outcome(result, actual, comparable=False, reason=METHOD_BREAK)
    return Outcome(result, actual)


def backtest(points: Sequence[Point], as_of: str, compare_period: str, breaks: Sequence[str] = (),
             confidence: float = CONFIDENCE) -> Outcome:
    """What an edition's trend projected for a later period, beside the gap observed there.

    The trend is fitted on the periods the edition knew (ending no later than ``as_of`` ends,
    :func:`known_by`; on its latest method), projected to ``compare_period`` (:func:`project`), and set
    beside the observed gap in that period: inside or outside the prediction interval. About 1 in 20
    should fall outside if the method's assumptions hold. Not comparable where a method break falls
    between the fitted periods and the compared one.
    """
    return _outcome(known_by(points, as_of), points, compare_period, breaks, confidence)


def counterfactual(points: Sequence[Point], set_in: int, periods: Sequence[str] | None = None,
                   breaks: Sequence[str] = (), confidence: float = CONFIDENCE) -> tuple[Outcome, ...]:
    """What the trend before the targets would have given, beside what happened.

    The trend is fitted on the periods that ended before the year the targets were set (period end
    < ``set_in``; independent periods, on the latest method among them) and projected to each later
    period (``periods``, by default every observed period ending in or after ``set_in``), each beside its
    observed gap. The difference, observed minus counterfactual, is what changed after the targets, not
    necessarily what the targets changed.
    """
    before = [p for p in _ordered(points) if parse_period(p[0])[1] < set_in]
    later = periods if periods is not None else [p for p, _ in _ordered(points) if parse_period(p)[1] >= set_in]
    return tuple(_outcome(before, points, period, breaks, confidence) for period in later)


# --- from an analysis ---------------------------------------------------------------------------


def gap_series(analysis: Analysis, measure: str | None = None) -> list[Point]:
    """The gap of record in each period of an :class:`~healthgap.analysis.indicator.Analysis` (the target's gap
    measure by default): the same figures the page shows, published where published, else computed
    from the two groups' levels, else implied by a published change (:func:`healthgap.analysis.gaps.gap_record`).
    Periods with no gap of record are left out."""
    points = analysis.record.get(measure or analysis.gap_measure, [])
    return [(p.period, float(p.gap.value)) for p in points if p.gap is not None]


def breaks_of(analysis: Analysis) -> list[str]:
    """The first periods of the method breaks the analysis knows (``data/breaks.csv``)."""
    frame = analysis.breaks
    return [] if frame is None or frame.empty else list(frame["first_period"])


def target_of(analysis: Analysis) -> tuple[float, str, str] | None:
    """(target gap, target period, baseline period) of an analysis, or None without a target gap."""
    target = analysis.target
    if target is None or target.value is None:
        return None
    return float(target.value.value), target.target_period, target.baseline_period


def project_analysis(analysis: Analysis, horizon: str | None = None, measure: str | None = None,
                     confidence: float = CONFIDENCE) -> Projection:
    """The projection of an analysis's gap to its target period, or, without a target, to ``horizon``
    (a period set in the data's configuration)."""
    target = target_of(analysis)
    period = target[1] if target is not None and measure in (None, analysis.gap_measure) else horizon
    if period is None:
        raise ValueError(f"{analysis.key}: no target period, and no horizon to project to")
    return projection(gap_series(analysis, measure), period, breaks_of(analysis), confidence)


def pace_analysis(analysis: Analysis) -> Pace | None:
    """:func:`pace` of an analysis's gap towards its target, measured from the target's baseline."""
    target = target_of(analysis)
    if target is None:
        return None
    value, period, baseline = target
    return pace(gap_series(analysis), value, period, baseline, breaks_of(analysis))


def describe_analysis(analysis: Analysis, horizon: str | None = None, confidence: float = CONFIDENCE) -> str:
    """:func:`describe` for an analysis: its gap, to its target (or ``horizon``), to the gap's decimals."""
    result = project_analysis(analysis, horizon, confidence=confidence)
    target = target_of(analysis)
    decimals = analysis.comparison.decimals_for(analysis.gap_measure)
    return describe(result, decimals, target[0] if target is not None else None,
                    "%" if analysis.gap_measure == "relative_gap_pct" else "")


def backtest_analysis(edition: Analysis, latest: Analysis, confidence: float = CONFIDENCE) -> Outcome | None:
    """What an edition projected for the last period observed since, on the same method, beside what
    happened (the latest analysis's gap of record there).

    ``edition`` and ``latest`` are analyses of the same indicator, sex and measure as of an earlier and
    the latest edition. The compared period is the latest period of ``latest`` after the edition's that
    is on the edition's method (a later period beyond a break, such as infant mortality from 2007-09,
    cannot be compared). The trend is fitted on what the edition knew (its own record). None when no
    later period is on that method.
    """
    known = gap_series(edition)
    if not known:
        return None
    observed = gap_series(latest)
    breaks = breaks_of(latest)
    method = segment(known[-1][0], breaks)
    end = parse_period(edition.as_of)[1]
    later = [p for p, _ in observed if parse_period(p)[1] > end and segment(p, breaks) == method]
    if not later:
        return None
    return _outcome(known, observed, later[-1], breaks, confidence)


# --- for the page: one outlook per analysis, computed once -------------------------------------------


def band(trend: Trend, start: float, end: float, steps: int = 24, confidence: float = CONFIDENCE) -> dict:
    """The trend and its prediction interval at evenly spaced midpoints from ``start`` to ``end`` (years):
    ``x``, ``value``, ``lower``, ``upper`` lists, for drawing the fan from the latest period to the
    projected one (the interval at each x as in :func:`project`)."""
    import numpy as np

    xs = list(np.linspace(start, end, steps))
    frame = _ols(trend).get_prediction(_design(xs, trend.origin)).summary_frame(alpha=1 - confidence)
    return {"x": xs, "value": list(frame["mean"]), "lower": list(frame["obs_ci_lower"]),
            "upper": list(frame["obs_ci_upper"])}


@dataclass(frozen=True)
class Outlook:
    """Where one gap is heading, for the page: the projection to the target period (or the configured
    horizon), the target it is set against, the pace, and how the figures are written.

    ``projection`` is None when there is neither a target period nor a horizon; ``unit`` follows each
    figure ("%" for a relative gap); ``decimals`` is the gap's own precision.
    """

    projection: Projection | None
    target: float | None
    target_period: str | None
    pace: Pace | None
    decimals: int
    unit: str
    lower_is_better: bool = True
    target_decimals: int | None = None

    @property
    def verdict(self) -> str | None:
        return None if self.projection is None else verdict(self.projection, self.target, self.lower_is_better)

    def sentence(self) -> str:
        """:func:`describe` of the projection (empty without one)."""
        if self.projection is None:
            return ""
        return describe(self.projection, self.decimals, self.target, self.unit, self.lower_is_better,
                        self.target_decimals)

    def interval(self) -> str:
        """The projected gap with its interval, "17.2 (12.1 to 22.3)", or "too few periods"."""
        p = self.projection
        if p is None or not p.enough:
            return TOO_FEW

        def n(x: float) -> str:
            return est.number(x, self.decimals) + self.unit

        return f"{n(p.value)} ({n(p.lower)} to {n(p.upper)})"


def outlook(analysis: Analysis, horizon: str | None = None, confidence: float = CONFIDENCE) -> Outlook:
    """The :class:`Outlook` of an analysis: its gap of record projected to its target period or, without a
    target, to ``horizon``; the pace towards the target."""
    target = target_of(analysis)
    period = target[1] if target is not None else horizon
    decimals = analysis.comparison.decimals_for(analysis.gap_measure)
    shown = [p.gap.decimals for p in analysis.points if p.gap is not None and p.gap.decimals is not None]
    decimals = min([decimals, *shown])  # no finer than the gaps it rests on were given
    unit = "%" if analysis.gap_measure == "relative_gap_pct" else ""
    result = projection(gap_series(analysis), period, breaks_of(analysis), confidence) if period else None
    steady = pace_analysis(analysis)
    if steady is not None and target is not None and steady.since != target[2]:
        steady = None  # the baseline is not on the latest method: no pace across a change of method
    if steady is not None and steady.achieved is not None:
        from dataclasses import replace

        gaps = {p.period: p.gap for p in analysis.points if p.gap is not None}
        first, last = gaps.get(steady.since), gaps.get(steady.latest)
        years = period_midpoint(steady.latest) - period_midpoint(steady.since)
        if first is not None and last is not None:
            steady = replace(steady, achieved_low=(last.lower - first.upper) / years,
                             achieved_high=(last.upper - first.lower) / years)
    target_places = analysis.target.value.decimals if target is not None else None
    return Outlook(projection=result, target=target[0] if target is not None else None,
                   target_period=period, pace=steady, decimals=decimals, unit=unit, target_decimals=target_places)


def describe_pace(p: Pace, decimals: int, unit: str, target_decimals: int | None = None,
                  show: Show | None = None) -> str:
    """The pace in words: the change a year achieved since the baseline, against the change a year needed
    from the latest period to reach the target by the target period. Both are differences of gaps of record
    divided by the years between the periods' midpoints, given to one decimal place more than the gap. A
    direction is named only where the gaps' own ranges allow one direction (:attr:`Pace.direction_known`),
    a verdict only where the whole range of the pace achieved is on one side of the pace needed.

    "Since 1995-97 the gap has narrowed by 1.31 a year; to reach 22.0 by 2009-11 it must narrow by 0.58 a
    year from 2004-06, so the pace so far is enough."
    """
    show = show or _plain(unit)
    places = decimals + 1
    per = " percentage points" if unit == "%" else ""

    def moved(x: float) -> str:
        if round(abs(x), places) == 0:
            return "has barely moved"
        if not p.direction_known:
            return (f"has moved by {'+' if x > 0 else ''}{show('achieved', x, places)}{per} a year, which the "
                    f"precision of its figures "
                    f"cannot tell from no movement ({show('achieved_low', p.achieved_low, places)} to "
                    f"{show('achieved_high', p.achieved_high, places)})")
        return f"has {'narrowed' if x < 0 else 'widened'} by {show('achieved', abs(x), places)}{per} a year"

    if p.achieved is None:
        return ""
    target = show("target", p.target, decimals if target_decimals is None else target_decimals)
    text = f"Since {p.since} the gap {moved(p.achieved)}"
    if p.needed is None:
        return text + "."
    if (p.needed >= 0) == p.lower_is_better and p.latest_value <= p.target + est.TOLERANCE:
        text += (f"; in {p.latest} it was already within the target of {target}, which allows it to widen by up "
                 f"to {show('allowance', abs(p.needed), places)}{per} a year until {p.target_period}")
        return text + "."
    need = f"{'narrow' if p.needed < 0 else 'widen'} by {show('needed', abs(p.needed), places)}{per} a year"
    text += f"; to reach {target} by {p.target_period} it must {need} from {p.latest}"
    if not p.verdict_known:
        return text + ", and the precision of the figures cannot say whether the pace so far is enough."
    return text + (", so the pace so far is enough." if p.enough else ", so the pace so far is not enough.")
