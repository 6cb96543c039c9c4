"""Projections of a gap: its trend through every period, where that trend leads, and how well it has done before.

Method (for the methods section)
--------------------------------
A gap series is a list of (period, value) pairs: the gap of record in each period (:func:`gap_series`
takes them from an :class:`~healthgap.analysis.indicator.Analysis`, so a projection rests on the same figures the
page shows), with, where known, each figure's error (:func:`gap_errors`: its 95 % confidence interval, or the
range its rounding allows). Periods are placed on the time axis at their middle year
(:func:`healthgap.read.periods.period_midpoint`).

1. **Every period, with the covariance of the years periods share** (:func:`overlap_matrix`). Rolling
   three-year periods one year apart share two of their three years of deaths: 2004-06 and 2005-07 have 2005
   and 2006 in common. Fingertips will not fit a trend to rolling periods at all ("time periods must be
   independent of one another: not overlapping, or rolling time periods": OHID, Fingertips technical
   guidance, "Trend markers"), and the earlier version of this module fitted only the periods that share no
   year, which threw away two thirds of the record and left two or three points. Instead the trend is
   fitted to every period by **generalised least squares** with the covariance the overlap implies. A
   period's figure is the mean of its years, each year carrying its own error u_y (sampling error and the
   year's own departure from the trend), independent between years with variance tau^2. The errors of
   periods i and j then have covariance tau^2 K_ij, K_ij = s_ij / (L_i L_j), s_ij the years they share and
   L_i, L_j their lengths: for three-year periods a variance of tau^2 / 3 and a correlation of s_ij / 3
   (2/3 one year apart, 1/3 two years apart, 0 from three years apart: a moving average of order 2, MA(2)).
   Periods missing from the record simply drop out; single years and periods of other lengths follow the
   same formula. This is the one model of the error that the overlap itself dictates: no correlation
   parameter is estimated. The model is fitted to the *gap of record*, not to the two groups' rates: the
   national record mostly publishes gaps (cancer's and circulatory disease's without their levels in most
   periods), so only the gap has a series every target shares; the two levels are fitted separately for
   the counterfactual (note 8), where an analyst's series gives them.
2. **Known errors on top** (:func:`known_covariance`). Where the figures carry their own errors, those are
   added: a gap with a 95 % confidence interval carries its sampling standard error (from its two levels'
   intervals, :func:`healthgap.analysis.gaps.gap_interval`), correlated between overlapping periods as their years are
   (s_ij / sqrt(L_i L_j)); a figure known only to its rounding carries a uniform rounding error, variance
   w^2 / 12 for a range of width w (an upper bound for a difference of two rounded figures), independent
   between periods. The covariance is V = tau^2 K + W. Without W, tau^2 is estimated from the residuals, as
   in ordinary GLS: tau^2 = r' K^-1 r / (n - 2). With W, tau^2 >= 0 is estimated by restricted maximum
   likelihood (REML, minimising log|V| + log|X'V^-1 X| + r'V^-1 r over tau^2; Patterson and Thompson,
   Biometrika 1971), and the whole covariance is then scaled by q = max(1, r'V^-1 r / (n - 2)), the
   modified Knapp-Hartung adjustment of meta-regression (Knapp and Hartung, Stat Med 2003; Roever, Knapp and
   Friede, BMC Med Res Methodol 2015): the interval is never narrower than the figures' own errors allow,
   and wider where the scatter exceeds them.
3. **The scale** (:func:`choose_scale`). A gap that has been on one side of zero in every period is fitted
   on the log scale, ln|gap|: the trend is a steady *percentage* change a year, which is how the targets
   were set ("reduce the gap by 10 per cent", absolute or relative), and no projection or interval can cross zero, so the trend
   can bring a gap close to nothing but never reverse it by extrapolation alone. A relative gap that has
   changed sign is fitted as the log of the ratio of the two rates, ln(1 + r/100) (ln(1 - r/100) where a
   higher level is better), so its interval never passes -100 %; an absolute gap that has changed sign is
   fitted as it is. Known errors move to the fitted scale by the delta method (se / |gap| on the log
   scale). Figures are transformed back at the end: the projected gap is the median of its distribution.
4. **The trend** (:func:`fit_trend`): y_i = a + b (t_i - t0) + e_i, e ~ N(0, V), t0 the midpoint of the
   latest fitted period; beta = (X'V^-1 X)^-1 X'V^-1 y, computed in numpy by whitening with the Cholesky
   factor of V (as statsmodels' ``GLS`` does: statsmodels documentation, ``regression.linear_model.GLS``,
   ``GLS.whiten``; the tests check the two agree). Never across a method break: only the periods after the
   latest change of method (``data/breaks.csv``) are fitted (:func:`since_break`).
5. **A bend** (:func:`bend_test`). Where the series is long enough, a segmented (broken-stick) trend with
   one knot, y = a + b t + c max(0, t - k) + e, is tested against the straight line: for each candidate
   knot k (the midpoint of a period with at least three periods that share no year on each side, the knot
   counted on both; and at least three residual degrees of freedom left, n >= 6), F = (RSS_line - RSS_bent) /
   q on 1 and n - 3 degrees of freedom, RSS in the whitened residuals of the bent model's covariance. The knot is chosen by fit (the largest F), so its
   p-value is multiplied by the number of candidates (Bonferroni), as joinpoint regression guards its
   choice (Kim, Fay, Feuer and Midthune, Stat Med 2000); a bend is declared at 5 %. Where the series bends,
   the page says so and the projection uses the recent segment, the periods from the knot on, as Barr,
   Higgerson and Whitehead (BMJ 2017;358:j3310) fitted segmented trends to the gap between the most
   deprived fifth of areas and the rest of England.
6. **The projection** (:func:`project`) to a period P (midpoint x0) is the best linear unbiased
   predictor (Goldberger, JASA 1962): z0 = x0'beta + c'V^-1 (y - X beta), c the covariance of P's error with
   the fitted periods' (zero unless P shares years with them), and its 95 % **prediction interval**
   z0 +/- t(0.975, n - 2) se, se^2 = q [v0 - c'V^-1 c + d'(X'V^-1 X)^-1 d], d = x0 - X'V^-1 c, v0 P's own
   error variance (tau^2 K_PP plus, where errors are known, the latest period's). Student's t with n - 2
   degrees of freedom keeps the interval honest about short series.
7. **What may be said.** A projection needs at least three periods on one method (one degree of freedom
   for the scatter); fewer: "too few periods". A *likelihood* ("likely to be met", "unlikely") needs at
   least three residual degrees of freedom (five periods on the line) and the whole interval on one side
   of the target; with fewer the page says the trend is too short to judge. A projection further beyond
   the latest fitted period than the fitted periods span (years between the first and latest midpoints)
   is **refused** on the page (:func:`outlook`), and **flagged** in the back-tests and the counterfactual
   (:data:`TOO_FAR`), which set a trend against what happened rather than offer a forecast.
8. **The counterfactual** (:func:`counterfactual_levels`) fits the group's and the comparator's own levels
   separately, each on the log scale by the same model (rates fall by percentages, and a straight line
   through a falling rate reaches zero), projects each, and takes the gap between the two projections;
   its interval treats the two projections' errors as independent (the group is part of England and both
   share each year's shocks, so their errors are positively correlated and the interval errs wide). The
   gap's own trend continued (:func:`counterfactual`) is a different question and is labelled as such.

Assumptions, stated where the projection is shown: the gap keeps to its trend (a steady percentage change a
year, or a steady change) to the projected period; the years' errors are independent of one another and of
the same variance within a segment; the figures' own errors are as published. The interval covers the
scatter of the years about the trend and the uncertainty of the trend itself; it does not cover a change of
course (a policy, a pandemic), a change of method, error common to every period, or the uncertainty in
choosing a bend's knot. Implied gaps (a published change applied to the baseline) share the baseline's
rounding error, which is not modelled. It is a statement about the trend, not a forecast of policy.

**The earlier model**, ordinary least squares on the periods that share no year (:func:`fit_trend_ols`,
:func:`projection_ols`), is kept for the back-test table, where its results are shown beside the new
model's. The pace (:func:`pace`), the verdict (:func:`verdict`) and the back-test (:func:`backtest`) are
built from the same pieces. This module returns data; the page words it (:mod:`healthgap.page.sentences`:
``describe``, ``describe_bend``, ``describe_method``, ``describe_pace``), each figure rounded to its decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from healthgap.analysis import estimates as est
from healthgap.analysis.gaps import segment_of as segment
from healthgap.read.periods import parse_period, period_midpoint

if TYPE_CHECKING:
    from healthgap.analysis.indicator import Analysis

MIN_POINTS = 3
"""Periods a projection needs (on one method): two for the line, one more for the scatter about it."""
MIN_JUDGE_DF = 3
"""Residual degrees of freedom a likelihood needs: five periods on a straight line."""
MIN_SIDE = 3
"""Periods that share no year a bend needs on each side of its knot (the knot's period counted on both)."""
BEND_LEVEL = 0.05
"""The level at which a bend is declared (after the Bonferroni adjustment for the choice of knot)."""
CONFIDENCE = 0.95

GLS = "GLS"
"""The model: generalised least squares on every period, with the covariance of the years they share."""
OLS = "OLS"
"""The earlier model: ordinary least squares on periods that share no year (kept for the back-tests)."""

LIKELY = "likely"
"""The whole prediction interval is on the target's side (at or below it, for a gap that must shrink)."""
UNLIKELY = "unlikely"
"""The whole prediction interval is on the wrong side of the target."""
SPANS = "spans the target"
"""The prediction interval includes the target: the trend cannot say which side the gap will fall."""
SHORT = "too short to judge"
"""Fewer than :data:`MIN_JUDGE_DF` residual degrees of freedom: no likelihood is stated either way."""
TOO_FEW = "too few periods"
TOO_FAR = "too far ahead"
"""The projected period lies further beyond the latest fitted period than the fitted periods span."""
VERDICTS = (LIKELY, UNLIKELY, SPANS, SHORT, TOO_FEW, TOO_FAR)

METHOD_BREAK = "method break"
NOT_OBSERVED = "not observed"

Point = tuple[str, float]
"""(period label, gap value)."""


def _signed(x: float, digits: int = 6) -> str:
    """A term added in a formula: "+ 0.0458342", "− 0.0427879" (never "+ -0.04...")."""
    return f"{'−' if x < 0 else '+'} {abs(x):.{digits}g}"


class Error(NamedTuple):
    """A figure's own error: its standard error on the figure's scale, and whether it is a sampling error
    shared with the periods that overlap it (a 95 % confidence interval: ``shared``) or the figure's own
    rounding (independent between periods)."""

    se: float
    shared: bool


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
    The earlier model (:func:`fit_trend_ols`) fitted only these; the bend test asks for three of them on
    each side of a knot.
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


# --- the covariance of periods that share years --------------------------------------------------

Span = tuple[float, float]
"""A period's first and last years (floats, so that a point between periods can be placed for the fan)."""


def span_of(period: str) -> Span:
    start, end = parse_period(period)
    return float(start), float(end)


def shared_years(a: Span, b: Span) -> float:
    """The calendar years two periods share: 2004-06 and 2005-07 share 2 (2005, 2006); 2004-06 and 2007-09
    none. For spans placed between whole years (the fan), the overlap of the two stretches of years."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]) + 1.0)


def _length(a: Span) -> float:
    return a[1] - a[0] + 1.0


def overlap_matrix(rows: Sequence[Span], cols: Sequence[Span] | None = None):
    """K_ij = s_ij / (L_i L_j): the covariance of two periods' mean errors, per unit of a year's error
    variance, where s_ij is the years they share and L_i, L_j their lengths (a year's error independent
    between years). For three-year periods: 1/3 on the diagonal, 2/9 one year apart (correlation 2/3),
    1/9 two years apart (1/3), 0 from three years apart."""
    import numpy as np

    cols = rows if cols is None else cols
    return np.array([[shared_years(a, b) / (_length(a) * _length(b)) for b in cols] for a in rows], dtype=float)


def correlation_matrix(rows: Sequence[Span], cols: Sequence[Span] | None = None):
    """R_ij = s_ij / sqrt(L_i L_j): the correlation of two periods' sampling errors (2/3 for three-year
    periods one year apart)."""
    import numpy as np

    cols = rows if cols is None else cols
    return np.array([[shared_years(a, b) / math.sqrt(_length(a) * _length(b)) for b in cols] for a in rows],
                    dtype=float)


def known_covariance(rows: Sequence[Span], row_errors: Sequence[Error | None], cols: Sequence[Span] | None = None,
                     col_errors: Sequence[Error | None] | None = None):
    """W: the covariance of the figures' own errors (on the fitted scale). Two sampling errors (confidence
    intervals) are correlated as their years are, se_i se_j R_ij; a rounding error is the figure's own, so
    it enters only its own variance; a figure without a known error adds nothing. With ``cols`` (another
    set of figures, such as a period to project), only the shared sampling errors covary."""
    import numpy as np

    same = cols is None  # the figures' covariance among themselves, else between two different sets
    cols = rows if cols is None else cols
    col_errors = row_errors if col_errors is None else col_errors
    r = correlation_matrix(rows, cols)
    w = np.zeros((len(rows), len(cols)))
    for i, ea in enumerate(row_errors):
        for j, eb in enumerate(col_errors):
            if ea is None or eb is None:
                continue
            if ea.shared and eb.shared:
                w[i, j] = ea.se * eb.se * r[i, j]
            elif same and i == j:
                w[i, j] = ea.se**2
    return w


# --- the scale ------------------------------------------------------------------------------------

LOG = "log"
LOG_RATIO = "log ratio"
LINEAR = "linear"


@dataclass(frozen=True)
class Scale:
    """The scale a gap is fitted on, and back.

    ``log``: z = ln(sign x gap), for a gap on one side of zero (``sign`` +1 or -1); back: sign x exp(z).
    ``log ratio``: z = ln(1 + sign x r / 100), the log of the ratio of the two rates behind a relative gap r
    in per cent (``sign`` +1 where r = 100 (R - 1), -1 where r = 100 (1 - R)); back: sign x 100 (exp(z) - 1).
    ``linear``: the gap itself.
    """

    name: str = LINEAR
    sign: float = 1.0

    def forward(self, value: float) -> float:
        if self.name == LOG:
            return math.log(self.sign * value)
        if self.name == LOG_RATIO:
            return math.log(1 + self.sign * value / 100)
        return float(value)

    def back(self, z: float) -> float:
        if self.name == LOG:
            return self.sign * math.exp(z)
        if self.name == LOG_RATIO:
            return self.sign * 100 * (math.exp(z) - 1)
        return float(z)

    def slope(self, value: float) -> float:
        """|dz/d gap| at a value: how a standard error moves to the fitted scale (the delta method)."""
        if self.name == LOG:
            return 1 / abs(value)
        if self.name == LOG_RATIO:
            return 1 / abs(100 + self.sign * value)
        return 1.0

    def interval(self, low: float, high: float) -> tuple[float, float]:
        ends = sorted((self.back(low), self.back(high)))
        return ends[0], ends[1]

    def label(self) -> str:
        """The fitted quantity, for formulas."""
        if self.name == LOG:
            return "ln(gap)" if self.sign > 0 else "ln(−gap)"
        if self.name == LOG_RATIO:
            return "ln(rate ratio)"
        return "gap"

    def inverse(self, z: str) -> str:
        """The back-transform written around a term, for formulas."""
        if self.name == LOG:
            return f"exp({z})" if self.sign > 0 else f"−exp({z})"
        if self.name == LOG_RATIO:
            return f"{'' if self.sign > 0 else '−'}100 × (exp({z}) − 1)"
        return z


def choose_scale(values: Sequence[float], relative: int = 0) -> Scale:
    """The log scale for a gap on one side of zero throughout (every value above zero, or every value
    below); otherwise, for a relative gap (``relative`` +1 where r = 100 (R - 1), -1 where r = 100 (1 - R)),
    the log of the rate ratio; otherwise the gap itself."""
    values = list(values)
    if values and all(v > 0 for v in values):
        return Scale(LOG, 1.0)
    if values and all(v < 0 for v in values):
        return Scale(LOG, -1.0)
    if relative:
        return Scale(LOG_RATIO, 1.0 if relative > 0 else -1.0)
    return Scale(LINEAR, 1.0)


# --- generalised least squares with the overlap covariance ----------------------------------------


@dataclass(frozen=True)
class _Fit:
    """A GLS fit on V = unit x base (``base`` = K where no errors are known, so that a perfect fit, tau^2 = 0,
    stays computable). ``beta`` the coefficients; ``bread`` = (X'base^-1 X)^-1; ``ssr`` the whitened residual
    sum of squares under ``base``; ``q`` the scale the prediction variance is multiplied by (with ``unit``)."""

    beta: object
    bread: object
    base: object
    unit: float
    tau2: float
    q: float
    ssr: float
    df: int
    known: bool

    @property
    def scale(self) -> float:
        """The variance multiplier of ``base``: tau^2 without known errors; q (floored at 1) with them."""
        return self.unit * self.q


def _whitened(x_matrix, y, v):
    import numpy as np

    chol = np.linalg.cholesky(v)
    xw = np.linalg.solve(chol, x_matrix)
    yw = np.linalg.solve(chol, y)
    beta, *_ = np.linalg.lstsq(xw, yw, rcond=None)
    resid = yw - xw @ beta
    bread = np.linalg.inv(xw.T @ xw)
    return beta, float(resid @ resid), bread, chol


def _golden(f, low: float, high: float, tolerance: float = 1e-10) -> tuple[float, float]:
    """The minimum of a unimodal ``f`` on [low, high] by golden-section search (Kiefer 1953), to ``tolerance``:
    (x, f(x)). Small and exact enough for the REML criterion, without importing scipy.optimize into a kernel."""
    ratio = (math.sqrt(5) - 1) / 2
    a, b = low, high
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c), f(d)
    while b - a > tolerance:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = f(c)
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = f(d)
    x = (a + b) / 2
    return x, f(x)


def _reml_tau2(x_matrix, y, k, w) -> float:
    """tau^2 >= 0 minimising the REML criterion log|V| + log|X'V^-1 X| + r'V^-1 r, V = tau^2 K + W: a grid of
    81 values over twelve orders of magnitude (and zero, where W alone is positive definite), refined by a
    golden-section search between the grid neighbours of the best (:func:`_golden`)."""
    import numpy as np

    def criterion(tau2: float) -> float:
        v = tau2 * k + w
        try:
            _, ssr, bread, chol = _whitened(x_matrix, y, v)
        except np.linalg.LinAlgError:
            return math.inf
        return 2 * float(np.log(np.diag(chol)).sum()) - float(np.linalg.slogdet(bread)[1]) + ssr

    ols = np.linalg.lstsq(x_matrix, y, rcond=None)[0]
    spread = float(np.mean((y - x_matrix @ ols) ** 2)) / float(np.mean(np.diag(k)))
    ref = max(spread, float(np.mean(np.diag(w))) / float(np.mean(np.diag(k))), 1e-300)
    logs = np.linspace(math.log(ref) - 18.4, math.log(ref) + 9.2, 81)  # 1e-8 to 1e4 times the reference
    values = [criterion(math.exp(u)) for u in logs]
    best = int(np.argmin(values))
    low, high = logs[max(best - 1, 0)], logs[min(best + 1, len(logs) - 1)]
    u, fun = _golden(lambda u: criterion(math.exp(u)), low, high)
    candidates = [(values[best], math.exp(logs[best])), (fun, math.exp(u))]
    zero = criterion(0.0)
    if math.isfinite(zero):
        candidates.append((zero, 0.0))
    return min(candidates)[1]


def _gls(x_matrix, y, spans: Sequence[Span], errors: Sequence[Error | None]) -> _Fit:
    """Fit y = X beta + e, Cov(e) = tau^2 K + W (module notes 1, 2, 4)."""
    k = overlap_matrix(spans)
    w = known_covariance(spans, errors)
    n, p = x_matrix.shape
    df = n - p
    if not w.any():
        beta, ssr, bread, _ = _whitened(x_matrix, y, k)
        tau2 = ssr / df
        return _Fit(beta=beta, bread=bread, base=k, unit=tau2, tau2=tau2, q=1.0, ssr=ssr, df=df, known=False)
    tau2 = _reml_tau2(x_matrix, y, k, w)
    base = tau2 * k + w
    beta, ssr, bread, _ = _whitened(x_matrix, y, base)
    return _Fit(beta=beta, bread=bread, base=base, unit=1.0, tau2=tau2, q=max(1.0, ssr / df), ssr=ssr, df=df,
                known=True)


def _design(midpoints, origin: float, knot: float | None = None):
    import numpy as np

    x = np.asarray(midpoints, dtype=float) - origin
    columns = [np.ones_like(x), x]
    if knot is not None:
        columns.append(np.maximum(0.0, x - (knot - origin)))
    return np.column_stack(columns)


# --- a bend ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bend:
    """The test of a one-knot segmented trend against the straight line (:func:`bend_test`).

    ``period`` is the knot (the trend bends at its midpoint); ``slope_before`` and ``slope_after`` the
    segmented fit's slopes on the fitted scale (b and b + c); ``f`` the F statistic on 1 and ``df``
    degrees of freedom at that knot, ``p`` its p-value, ``p_adjusted`` = min(1, p x ``candidates``) (the
    knot chosen among that many); ``significant`` when ``p_adjusted`` < 5 %.
    """

    period: str
    slope_before: float
    slope_after: float
    f: float
    df: int
    p: float
    p_adjusted: float
    candidates: int

    @property
    def significant(self) -> bool:
        return self.p_adjusted < BEND_LEVEL


def knot_candidates(periods: Sequence[str]) -> list[int]:
    """The positions of the periods that may be a bend's knot: at least :data:`MIN_SIDE` periods that share
    no year up to it and from it (the knot's period counted on both sides)."""
    return [k for k in range(1, len(periods) - 1)
            if len(independent_periods(periods[:k + 1])) >= MIN_SIDE
            and len(independent_periods(periods[k:])) >= MIN_SIDE]


def bend_test(points: Sequence[Point], errors: Mapping[str, Error] | None = None,
              scale: Scale | None = None) -> Bend | None:
    """Whether the trend of ``points`` (one method) bends: the best one-knot segmented trend against the
    straight line (module note 5). None where no period can be a knot, or where the bent model would keep
    fewer than :data:`MIN_JUDGE_DF` residual degrees of freedom (as a likelihood needs).

    For each candidate knot k (:func:`knot_candidates`): the bent model X1 = [1, t, max(0, t - t_k)] is
    fitted by GLS (its own tau^2), and under its covariance V1 both models' whitened residual sums of
    squares give F = (RSS0 - RSS1) / s^2, s^2 = RSS1 / (n - 3) (floored at 1 in units of V1 where the errors
    are known, as the projection's scale is). The knot with the largest F is chosen; its p-value from
    F(1, n - 3) is multiplied by the number of candidates (Bonferroni).
    """
    import numpy as np
    from scipy import special  # the t and F distributions (scipy.stats is slow to import)

    ordered = _ordered(points)
    periods = [p for p, _ in ordered]
    candidates = knot_candidates(periods)
    n = len(ordered)
    if not candidates or n - 3 < MIN_JUDGE_DF:  # a bend is a judgement too: three residual degrees of freedom
        return None
    scale = scale or choose_scale([v for _, v in ordered])
    y = np.array([scale.forward(v) for _, v in ordered])
    spans = [span_of(p) for p in periods]
    errs = _errors_on_scale(ordered, errors, scale)
    mids = [period_midpoint(p) for p in periods]
    origin = mids[-1]
    best = None
    for k in candidates:
        x1 = _design(mids, origin, knot=mids[k])
        fit1 = _gls(x1, y, spans, errs)
        _, ssr0, _, _ = _whitened(x1[:, :2], y, fit1.base)
        s2 = fit1.ssr / fit1.df
        if fit1.known:
            s2 = max(1.0, s2)
        f = (ssr0 - fit1.ssr) / s2 if s2 > 0 else math.inf
        if best is None or f > best[0]:
            best = (f, k, fit1)
    f, k, fit1 = best
    p = float(special.fdtrc(1, n - 3, f)) if math.isfinite(f) else 0.0
    b, c = float(fit1.beta[1]), float(fit1.beta[2])
    return Bend(period=periods[k], slope_before=b, slope_after=b + c, f=float(f), df=n - 3, p=p,
                p_adjusted=min(1.0, p * len(candidates)), candidates=len(candidates))


# --- the trend ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A trend fitted to a gap's periods (:func:`fit_trend`; the earlier model: :func:`fit_trend_ols`).

    On the fitted scale (``scale``), z(t) = ``intercept`` + ``slope`` x (t - ``origin``), t a period's
    midpoint in years; ``origin`` is the midpoint of the latest fitted period, so ``intercept`` is the
    trend's value there. ``periods`` and ``values`` are what was fitted (every period since the latest
    method break, or since a bend); ``left_out`` the periods of the series not fitted: those before a bend
    (GLS), or those sharing years with a fitted one (OLS); ``method_since`` the first period of the method
    fitted where a break cut the series. ``df`` = n - 2, the residual degrees of freedom. ``sigma`` is the
    standard error of one period's figure about the trend (the latest period's, on the fitted scale).

    GLS only: ``errors`` the figures' own errors as fitted (on the fitted scale; None where unknown),
    ``tau2`` the variance of a year's error, ``q`` the scale applied to the covariance where errors are
    known (1 otherwise), ``bend`` the bend test on the series since the method break (None where too short
    to test; see :attr:`Bend.significant`), ``slope_se`` the slope's standard error, sqrt(s (X'V^-1 X)^-1_11)
    with s the covariance's scale (tau^2 without known errors, q with them).
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
    model: str = GLS
    scale: Scale = field(default_factory=Scale)
    errors: tuple[Error | None, ...] = ()
    tau2: float = 0.0
    q: float = 1.0
    bend: Bend | None = None
    slope_se: float | None = None

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

    @property
    def span(self) -> float:
        """Years between the first and latest fitted midpoints."""
        return period_midpoint(self.latest) - period_midpoint(self.since)

    @property
    def bent(self) -> bool:
        """Whether the series bends significantly, so that only its recent segment is fitted."""
        return self.bend is not None and self.bend.significant

    def slope_interval(self, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
        """The slope's interval, slope +/- t(n - 2) x ``slope_se`` (None for the earlier model)."""
        if self.slope_se is None:
            return None
        from scipy import special  # the t and F distributions (scipy.stats is slow to import)

        t = float(special.stdtrit(self.df, 1 - (1 - confidence) / 2))
        return self.slope - t * self.slope_se, self.slope + t * self.slope_se

    @property
    def annual_change_pct(self) -> float | None:
        """On the log scale, the trend's change a year in per cent of the gap: 100 (exp(slope) - 1)."""
        return 100 * (math.exp(self.slope) - 1) if self.scale.name == LOG else None

    def at(self, period: str) -> float:
        """The trend's gap at a period's midpoint (back on the gap's scale)."""
        return self.scale.back(self.intercept + self.slope * (period_midpoint(period) - self.origin))


def _errors_on_scale(ordered: Sequence[Point], errors: Mapping[str, Error] | None,
                     scale: Scale) -> list[Error | None]:
    """The figures' errors moved to the fitted scale by the delta method: se x |dz/d gap|."""
    out: list[Error | None] = []
    for period, value in ordered:
        e = (errors or {}).get(period)
        out.append(None if e is None or not e.se > 0 else Error(e.se * scale.slope(value), e.shared))
    return out


def _fit_line(ordered: Sequence[Point], errs: Sequence[Error | None], scale: Scale):
    import numpy as np

    periods = [p for p, _ in ordered]
    mids = [period_midpoint(p) for p in periods]
    origin = mids[-1]
    y = np.array([scale.forward(v) for _, v in ordered])
    fit = _gls(_design(mids, origin), y, [span_of(p) for p in periods], errs)
    return fit, origin


def fit_trend(points: Sequence[Point], breaks: Sequence[str] = (), errors: Mapping[str, Error] | None = None,
              relative: int = 0, bends: bool = True, scale: Scale | None = None) -> Trend | None:
    """GLS of the gap on the period midpoint, with a constant, on every period since the latest method
    break (or, where the series bends, since its bend), with the covariance of the years periods share and
    the figures' own ``errors`` (module notes 1-5); None with fewer than three periods on the method.

    ``relative`` (+1 or -1) marks a relative gap, fitted as a log rate ratio where it changes sign
    (:func:`choose_scale`); ``scale`` overrides the choice; ``bends`` False skips the bend test.
    beta = (X'V^-1 X)^-1 X'V^-1 y, V = tau^2 K + W.
    """
    usable = since_break(points, breaks)
    if len(usable) < MIN_POINTS:
        return None
    scale = scale or choose_scale([v for _, v in usable], relative)
    bend = bend_test(usable, errors, scale) if bends else None
    fitted, left_out = usable, []
    if bend is not None and bend.significant:
        k = [p for p, _ in usable].index(bend.period)
        fitted, left_out = usable[k:], usable[:k]
    errs = _errors_on_scale(fitted, errors, scale)
    fit, origin = _fit_line(fitted, errs, scale)
    sigma = math.sqrt(fit.scale * float(fit.base[-1, -1]))
    return Trend(periods=tuple(p for p, _ in fitted), values=tuple(v for _, v in fitted),
                 slope=float(fit.beta[1]), intercept=float(fit.beta[0]), origin=origin, sigma=sigma, df=fit.df,
                 left_out=tuple(p for p, _ in left_out), method_since=method_since(points, breaks), model=GLS,
                 scale=scale, errors=tuple(errs), tau2=fit.tau2, q=fit.q, bend=bend,
                 slope_se=math.sqrt(fit.scale * float(fit.bread[1, 1])))


# --- the earlier model: OLS on periods that share no year -------------------------------------------


@dataclass(frozen=True)
class _OLSFit:
    """Ordinary least squares of y on (1, x - t0), in closed form (statsmodels' ``OLS`` gives the same, and the
    tests hold the two together): b = Sxy / Sxx, a = ybar + b (t0 - xbar), s^2 = SSE / (n - 2)."""

    intercept: float
    slope: float
    mse: float
    n: int
    xbar: float
    sxx: float
    origin: float

    def predict(self, xs: Sequence[float], t: float) -> list[tuple[float, float, float]]:
        """(value, lower, upper) of the prediction interval for a new observation at each x:
        value +/- t s sqrt(1 + 1/n + (x - xbar)^2 / Sxx)."""
        out = []
        for x in xs:
            value = self.intercept + self.slope * (x - self.origin)
            half = t * math.sqrt(self.mse * (1 + 1 / self.n + (x - self.xbar) ** 2 / self.sxx))
            out.append((value, value - half, value + half))
        return out


def _ols(trend: Trend) -> _OLSFit:
    """The earlier model's least-squares line through a trend's points (refitted from them)."""
    xs = [period_midpoint(p) for p in trend.periods]
    ys = list(trend.values)
    n = len(xs)
    xbar, ybar = sum(xs) / n, sum(ys) / n
    sxx = sum((x - xbar) ** 2 for x in xs)
    slope = sum((x - xbar) * (y - ybar) for x, y in zip(xs, ys)) / sxx
    intercept = ybar + slope * (trend.origin - xbar)
    sse = sum((y - (intercept + slope * (x - trend.origin))) ** 2 for x, y in zip(xs, ys))
    return _OLSFit(intercept=intercept, slope=slope, mse=sse / (n - 2), n=n, xbar=xbar, sxx=sxx, origin=trend.origin)


def fit_trend_ols(points: Sequence[Point], breaks: Sequence[str] = ()) -> Trend | None:
    """The earlier model, kept for the back-test table: OLS of the gap on the period midpoint, with a
    constant, on the periods since the latest method break that share no year (:func:`independent_periods`);
    None when fewer than three remain. Fitted in closed form (:func:`_ols`): b = Sxy / Sxx,
    a = ybar + b (t0 - xbar), s^2 = SSE / (n - 2), with t0 the latest fitted midpoint; the prediction
    interval point +/- t(0.975, n - 2) s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx).
    """
    usable = since_break(points, breaks)
    chosen = independent_periods([p for p, _ in usable])
    if len(chosen) < MIN_POINTS:
        return None
    values = dict(usable)
    trend = Trend(periods=tuple(chosen), values=tuple(values[p] for p in chosen), slope=0.0, intercept=0.0,
                  origin=period_midpoint(chosen[-1]), sigma=0.0, df=len(chosen) - 2,
                  left_out=tuple(p for p, _ in usable if p not in chosen), method_since=method_since(points, breaks),
                  model=OLS)
    result = _ols(trend)
    from dataclasses import replace

    return replace(trend, slope=result.slope, intercept=result.intercept, sigma=result.mse ** 0.5,
                   df=result.n - 2)


# --- the projection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Projection:
    """Where a gap's trend leads by ``period``: the point and its prediction interval.

    ``trend`` is None when the series had too few periods (``fitted`` then names the ones it had,
    ``value``/``lower``/``upper`` are None). ``flag`` is :data:`TOO_FAR` where ``period`` lies further beyond
    the latest fitted period than the fitted periods span: the figures are then withheld (``value`` None,
    the trend kept) where the projection was refused, kept where it was only flagged. ``method_since`` the
    first period of the method fitted, where a break cut the series. ``centre`` is the projection on the
    fitted scale (GLS: z0, including ``adjustment``, the best linear unbiased predictor's share of the
    fitted residuals where the period shares years with fitted ones); ``se`` the prediction's standard
    error on that scale; ``t`` the Student's t quantile the interval used.
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
    flag: str = ""
    centre: float | None = None
    adjustment: float = 0.0

    @property
    def enough(self) -> bool:
        """Whether there are figures to show: enough periods, and not refused as too far ahead."""
        return self.trend is not None and self.value is not None

    @property
    def since(self) -> str | None:
        return self.fitted[0] if self.fitted else None

    @property
    def df_resid(self) -> int | None:
        """The trend's residual degrees of freedom, n - 2 (None without a trend)."""
        return None if self.trend is None else self.trend.df

    @property
    def model(self) -> str | None:
        return None if self.trend is None else self.trend.model

    @property
    def bend(self) -> Bend | None:
        """The bend the series took, where it bent significantly (the projection then follows the trend
        since it); None otherwise."""
        return self.trend.bend if self.trend is not None and self.trend.bent else None

    @property
    def judged(self) -> bool:
        """Whether a likelihood may be stated: at least :data:`MIN_JUDGE_DF` residual degrees of freedom."""
        return self.trend is not None and self.trend.df >= MIN_JUDGE_DF

    @property
    def ahead(self) -> float | None:
        """Years from the latest fitted midpoint to the projected period's."""
        if not self.fitted:
            return None
        return period_midpoint(self.period) - period_midpoint(self.fitted[-1])

    @property
    def span(self) -> float | None:
        """Years between the first and latest fitted midpoints."""
        if not self.fitted:
            return None
        return period_midpoint(self.fitted[-1]) - period_midpoint(self.fitted[0])

    def contains(self, value: float) -> bool | None:
        """Whether a value lies within the prediction interval (None when there is no projection)."""
        if self.lower is None or self.upper is None:
            return None
        return self.lower - est.TOLERANCE <= value <= self.upper + est.TOLERANCE

    def formula(self, role: str) -> str:
        """How a figure of the projection was computed, for its provenance: ``projection``, ``lower``,
        ``upper``, or a bend's ``slope_before`` / ``slope_after``."""
        t = self.trend
        if t is None:
            return ""
        x0 = period_midpoint(self.period)
        if t.model == OLS:
            line = f"{t.intercept:.6g} {_signed(t.slope)} × ({x0:g} − {t.origin:g})"
            bound = "" if role == "projection" else f" {'−' if role == 'lower' else '+'} {self.t:.4g} × {self.se:.4g}"
            return f"OLS fitted on {_listing(self.fitted)} (periods that share no year): {line}{bound}"
        fitted = f"{t.since} to {t.latest}" if t.n > 2 else _listing(t.periods)
        model = (f"GLS on {t.scale.label()} of the {t.n} periods {fitted}, errors covarying as the years the "
                 f"periods share")
        if role in ("slope_before", "slope_after"):
            b = self.bend
            slope = b.slope_before if role == "slope_before" else t.slope
            term = f"100 × (exp({slope:.6g}) − 1)" if t.scale.name == LOG else f"{slope:.6g}"
            if role == "slope_after":
                return f"{model}: slope {term} (standard error {t.slope_se:.4g})"
            return (f"segmented GLS on {t.scale.label()} of the periods {(t.left_out or t.periods)[0]} to {t.latest}, its bend at {b.period} "
                    f"(F = {b.f:.4g} on 1 and {b.df} degrees of freedom, p = {b.p:.2g}, {b.p_adjusted:.2g} allowing "
                    f"for {b.candidates} places the bend could be), slope before it: {term}")
        if role == "projection":
            line = f"{t.intercept:.6g} {_signed(t.slope)} × ({x0:g} − {t.origin:g})"
            if abs(self.adjustment) > 0:
                line += f" {_signed(self.adjustment, 4)}"
            return f"{model}: {t.scale.inverse(line)}"
        sign = "−" if (role == "lower") == (t.scale.sign > 0 or t.scale.name == LINEAR) else "+"
        return (f"{model}: {t.scale.inverse(f'{self.centre:.6g} {sign} {self.t:.4g} × {self.se:.4g}')}, "
                f"t on {t.df} degrees of freedom")


def _predict(trend: Trend, spans: Sequence[Span], midpoints: Sequence[float]):
    """The best linear unbiased prediction of the fitted-scale value of figures over ``spans`` (centred at
    ``midpoints``), its standard error and the residuals' share in it (module note 6). Each new figure's own
    error is taken as the latest fitted period's."""
    import numpy as np

    periods = list(trend.periods)
    fitted_spans = [span_of(p) for p in periods]
    y = np.array([trend.scale.forward(v) for v in trend.values])
    x_matrix = _design([period_midpoint(p) for p in periods], trend.origin)
    errs = list(trend.errors) or [None] * len(periods)
    known = any(e is not None for e in errs)
    new_errors = [errs[-1]] * len(spans)
    k = overlap_matrix(fitted_spans)
    k_new = overlap_matrix(fitted_spans, spans)
    k_own = np.array([overlap_matrix([s])[0, 0] for s in spans])
    if known:
        base = trend.tau2 * k + known_covariance(fitted_spans, errs)
        cross = trend.tau2 * k_new + known_covariance(fitted_spans, errs, spans, new_errors)
        own = trend.tau2 * k_own + np.array([(e.se**2 if e is not None else 0.0) for e in new_errors])
        multiplier = trend.q
    else:
        base, cross, own, multiplier = k, k_new, k_own, trend.tau2
    beta = np.array([trend.intercept, trend.slope])
    solved = np.linalg.solve(base, cross)  # base^-1 c, one column per new figure
    resid = y - x_matrix @ beta
    adjustment = solved.T @ resid
    x0 = _design(midpoints, trend.origin)
    d = x0 - (x_matrix.T @ solved).T
    bread = np.linalg.inv(x_matrix.T @ np.linalg.solve(base, x_matrix))
    variance = multiplier * (own - np.einsum("ij,ij->j", cross, solved) + np.einsum("ij,jk,ik->i", d, bread, d))
    centre = x0 @ beta + adjustment
    return centre, np.sqrt(np.maximum(variance, 0.0)), adjustment


def project(trend: Trend, period: str, confidence: float = CONFIDENCE, limit: bool = True) -> Projection:
    """The trend's gap in ``period``, with its prediction interval (module note 6).

    GLS: z0 = x0'beta + c'V^-1 (y - X beta), interval z0 +/- t(1 - alpha/2, n - 2) se, both ends moved back to
    the gap's scale (:class:`Scale`); alpha = 1 - ``confidence``. Where ``period`` lies further beyond the
    latest fitted period than the fitted periods span, the projection is flagged :data:`TOO_FAR` and, with
    ``limit`` (the page's forward look), refused: no figures. The earlier model (a trend from
    :func:`fit_trend_ols`) gives statsmodels' OLS prediction interval for a new observation
    (``obs_ci_lower``/``obs_ci_upper``): point +/- t(n - 2) s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx).
    """
    from scipy import special  # the t and F distributions (scipy.stats is slow to import)

    base = Projection(period=period, fitted=trend.periods, left_out=trend.left_out, trend=trend,
                      confidence=confidence, method_since=trend.method_since)
    ahead = period_midpoint(period) - period_midpoint(trend.latest)
    flag = TOO_FAR if ahead > trend.span + est.TOLERANCE else ""
    if flag and limit:
        from dataclasses import replace

        return replace(base, flag=flag)
    t = float(special.stdtrit(trend.df, 1 - (1 - confidence) / 2))
    if trend.model == OLS:
        value, lower, upper = _ols(trend).predict([period_midpoint(period)], t)[0]
        return Projection(period=period, fitted=trend.periods, left_out=trend.left_out, trend=trend, value=value,
                          lower=lower, upper=upper, se=(upper - value) / t if t > 0 else None, t=t,
                          confidence=confidence, method_since=trend.method_since, flag=flag, centre=value)
    centre, se, adjustment = _predict(trend, [span_of(period)], [period_midpoint(period)])
    z, s = float(centre[0]), float(se[0])
    lower, upper = trend.scale.interval(z - t * s, z + t * s)
    return Projection(period=period, fitted=trend.periods, left_out=trend.left_out, trend=trend,
                      value=trend.scale.back(z), lower=lower, upper=upper, se=s, t=t, confidence=confidence,
                      method_since=trend.method_since, flag=flag, centre=z, adjustment=float(adjustment[0]))


def _too_few(points: Sequence[Point], period: str, breaks: Sequence[str], confidence: float,
             model: str = GLS) -> Projection:
    usable = since_break(points, breaks)
    chosen = [p for p, _ in usable] if model == GLS else independent_periods([p for p, _ in usable])
    return Projection(period=period, fitted=tuple(chosen), left_out=tuple(p for p, _ in usable if p not in chosen),
                      trend=None, confidence=confidence, method_since=method_since(points, breaks))


def projection(points: Sequence[Point], period: str, breaks: Sequence[str] = (), confidence: float = CONFIDENCE,
               errors: Mapping[str, Error] | None = None, relative: int = 0, limit: bool = True) -> Projection:
    """:func:`fit_trend` then :func:`project`; with too few periods, a :class:`Projection` without figures that
    names the periods it had. ``limit``: refuse (True) or only flag (False) a projection too far ahead."""
    trend = fit_trend(points, breaks, errors, relative)
    if trend is None:
        return _too_few(points, period, breaks, confidence)
    return project(trend, period, confidence, limit)


def projection_ols(points: Sequence[Point], period: str, breaks: Sequence[str] = (),
                   confidence: float = CONFIDENCE) -> Projection:
    """The earlier model's projection (:func:`fit_trend_ols`), never refused (its results are only set
    beside the new model's in the back-tests)."""
    trend = fit_trend_ols(points, breaks)
    if trend is None:
        return _too_few(points, period, breaks, confidence, OLS)
    return project(trend, period, confidence, limit=False)


def band(trend: Trend, start: float, end: float, steps: int = 24, confidence: float = CONFIDENCE) -> dict:
    """The trend and its prediction interval at evenly spaced midpoints from ``start`` to ``end`` (years):
    ``x``, ``value``, ``lower``, ``upper`` lists, for drawing the fan from the latest period to the
    projected one. Each point is a period of the latest period's length centred there (so that near the
    latest period the fan starts from it, as the best linear unbiased predictor does)."""
    import numpy as np
    from scipy import special  # the t and F distributions (scipy.stats is slow to import)

    xs = [float(x) for x in np.linspace(start, end, steps)]
    t = float(special.stdtrit(trend.df, 1 - (1 - confidence) / 2))
    if trend.model == OLS:
        found = _ols(trend).predict(xs, t)
        return {"x": xs, "value": [v for v, _, _ in found], "lower": [lo for _, lo, _ in found],
                "upper": [hi for _, _, hi in found]}
    half = (_length(span_of(trend.latest)) - 1) / 2
    centre, se, _ = _predict(trend, [(x - half, x + half) for x in xs], xs)
    t = float(special.stdtrit(trend.df, 1 - (1 - confidence) / 2))
    ends = [trend.scale.interval(z - t * s, z + t * s) for z, s in zip(centre, se)]
    return {"x": xs, "value": [trend.scale.back(float(z)) for z in centre], "lower": [lo for lo, _ in ends],
            "upper": [hi for _, hi in ends]}


# --- the verdict, the pace, the words -----------------------------------------------------------


def verdict(result: Projection, target: float | None, lower_is_better: bool = True) -> str | None:
    """Whether the trend makes the target likely, unlikely, or cannot say.

    :data:`TOO_FEW` or :data:`TOO_FAR` without figures; None without a target; :data:`SHORT` where the trend
    has fewer than :data:`MIN_JUDGE_DF` residual degrees of freedom (fewer than five periods on a line),
    whatever its interval. Otherwise, for a gap that must shrink to "T or less" (``lower_is_better``, every
    gap target here): :data:`LIKELY` when the whole prediction interval is at or below T (upper <= T),
    :data:`UNLIKELY` when it is wholly above (lower > T), otherwise :data:`SPANS`; the other way round when
    the gap must rise to "T or more". An interval touching T counts as meeting it, as "or less" allows T
    itself. A 95 % interval wholly on one side means that, were the trend to continue, a gap on the other
    side would be a 1-in-40 event or rarer.
    """
    if not result.enough:
        return TOO_FAR if result.flag == TOO_FAR else TOO_FEW
    if target is None:
        return None
    if result.trend is not None and not result.judged:
        return SHORT
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
    (latest lower - since upper) / years to (latest upper - since lower) / years; None where not known. Where
    the pace rests on a published change (``change``), the range that change and the baseline gap allow."""
    change: float | None = None
    """The published percentage change from ``since`` to ``latest`` that ``achieved`` rests on, where one was
    published: achieved = gap(since) x change / 100 / years. The baseline enters once, not as two independent
    figures, and no pace contradicts the change its source published."""

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


# --- against what happened ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A projection beside what happened in the period it projects to.

    ``actual`` is the observed gap (None where the period was not observed); ``comparable`` is False where
    the observed period lies beyond a method break from the fitted ones (``reason`` says so). ``inside``:
    whether the observed gap fell within the prediction interval (None when either is missing or the two
    are not comparable). ``flag``: the projection's (:data:`TOO_FAR` where it reached further ahead than its
    trend spans; the figures are kept here, for what they show).
    """

    projection: Projection
    actual: float | None
    comparable: bool = True
    reason: str = ""

    @property
    def period(self) -> str:
        return self.projection.period

    @property
    def flag(self) -> str:
        return self.projection.flag

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
             confidence: float, errors: Mapping[str, Error] | None = None, relative: int = 0,
             model: str = GLS) -> Outcome:
    fitted = since_break(fit_on, breaks)
    if model == OLS:
        result = projection_ols(fit_on, period, breaks, confidence)
    else:
        result = projection(fit_on, period, breaks, confidence, errors, relative, limit=False)
    actual = dict(_ordered(observed)).get(period)
    if actual is None:
        return Outcome(result, None, reason=NOT_OBSERVED)
    if fitted and segment(period, breaks) != segment(fitted[-1][0], breaks):
        return Outcome(result, actual, comparable=False, reason=METHOD_BREAK)
    return Outcome(result, actual)


def backtest(points: Sequence[Point], as_of: str, compare_period: str, breaks: Sequence[str] = (),
             confidence: float = CONFIDENCE, errors: Mapping[str, Error] | None = None, relative: int = 0,
             model: str = GLS) -> Outcome:
    """What an edition's trend projected for a later period, beside the gap observed there.

    The trend (``model``: :data:`GLS`, or the earlier :data:`OLS`) is fitted on the periods the edition knew
    (ending no later than ``as_of`` ends, :func:`known_by`; on its latest method), projected to
    ``compare_period`` (:func:`project`; flagged, not refused, where too far ahead), and set beside the
    observed gap in that period: inside or outside the prediction interval. About 1 in 20 should fall
    outside if the method's assumptions hold. Not comparable where a method break falls between the fitted
    periods and the compared one.
    """
    return _outcome(known_by(points, as_of), points, compare_period, breaks, confidence, errors, relative, model)


def counterfactual(points: Sequence[Point], set_in: int, periods: Sequence[str] | None = None,
                   breaks: Sequence[str] = (), confidence: float = CONFIDENCE,
                   errors: Mapping[str, Error] | None = None, relative: int = 0) -> tuple[Outcome, ...]:
    """The gap's own trend before the year the targets were set, continued, beside what happened.

    The trend is fitted on the periods that ended before ``set_in`` (on the latest method among them) and
    projected to each later period (``periods``, by default every observed period ending in or after
    ``set_in``; flagged where too far ahead), each beside its observed gap. This continues the *gap's*
    trend; :func:`counterfactual_levels` continues each group's own (a different and usually better question,
    since a gap is the difference of two trends).
    """
    before = [p for p in _ordered(points) if parse_period(p[0])[1] < set_in]
    later = periods if periods is not None else [p for p, _ in _ordered(points) if parse_period(p)[1] >= set_in]
    return tuple(_outcome(before, points, period, breaks, confidence, errors, relative) for period in later)


@dataclass(frozen=True)
class Counterfactual:
    """Where the gap would be had the group and the comparator each kept to its own trend (module note 8).

    ``group`` and ``comparator`` are the two levels' projections (log scale); ``value``, ``lower``, ``upper``
    the gap between them (``measure``: absolute or relative, in per cent) with its interval; ``actual`` the
    gap observed there; ``t`` the quantile used (Student's t on the smaller of the two fits' degrees of
    freedom).
    """

    period: str
    until: str
    measure: str
    group: Projection
    comparator: Projection
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    se: float | None = None
    t: float | None = None
    actual: float | None = None

    @property
    def enough(self) -> bool:
        return self.value is not None

    @property
    def flag(self) -> str:
        return self.group.flag or self.comparator.flag

    @property
    def inside(self) -> bool | None:
        if self.actual is None or self.lower is None:
            return None
        return self.lower - est.TOLERANCE <= self.actual <= self.upper + est.TOLERANCE

    @property
    def difference(self) -> float | None:
        """Observed minus counterfactual."""
        return None if self.actual is None or self.value is None else self.actual - self.value

    def formula(self, role: str) -> str:
        """How a figure of the counterfactual was computed, for its provenance."""
        if not self.enough:
            return ""
        g, c = self.group, self.comparator
        fits = (f"group and comparator fitted separately by GLS on ln(rate) to {self.until} "
                f"(group: {g.trend.since} to {g.trend.latest}, {g.trend.n} periods; comparator: {c.trend.since} to "
                f"{c.trend.latest}, {c.trend.n} periods), each projected to {self.period}")
        if self.measure == "absolute_gap":
            term = f"{g.value:.6g} − {c.value:.6g}"
        else:
            term = f"100 × ({g.value:.6g} / {c.value:.6g} − 1)"
        if role == "projection":
            return f"{fits}: {term}"
        scale = ("sqrt((G × sG)² + (C × sC)²)" if self.measure == "absolute_gap"
                 else "sqrt(sG² + sC²), on ln(G / C)")
        return (f"{fits}; {'lower' if role == 'lower' else 'upper'} end: ± {self.t:.4g} × {self.se:.4g} = {scale}, "
                f"sG and sC the two projections' standard errors on the log scale, taken as independent")


def counterfactual_levels(group: Sequence[Point], comparator: Sequence[Point], until: str, period: str,
                          measure: str = "absolute_gap", higher_is_worse: bool = True,
                          group_errors: Mapping[str, Error] | None = None,
                          comparator_errors: Mapping[str, Error] | None = None, breaks: Sequence[str] = (),
                          confidence: float = CONFIDENCE, actual: float | None = None) -> Counterfactual:
    """The counterfactual gap in ``period`` from the two groups' own trends to ``until`` (module note 8).

    Each level series (periods ending no later than ``until`` ends) is fitted by :func:`fit_trend` on the log
    scale and projected to ``period`` (flagged, not refused, where too far ahead): G = exp(z_G),
    C = exp(z_C). Absolute gap G - C (C - G where higher is better), interval +/- t sqrt((G se_G)^2 +
    (C se_C)^2) (the delta method); relative gap 100 (G / C - 1) (100 (1 - G / C) where higher is better),
    interval from ln(G / C) +/- t sqrt(se_G^2 + se_C^2). t on the smaller of the two fits' degrees of
    freedom. The two projections' errors are taken as independent.
    """
    from scipy import special  # the t and F distributions (scipy.stats is slow to import)

    fits = []
    for points, errors in ((group, group_errors), (comparator, comparator_errors)):
        trend = fit_trend(known_by(points, until), breaks, errors, scale=Scale(LOG, 1.0))
        fits.append(project(trend, period, confidence, limit=False) if trend is not None
                    else _too_few(known_by(points, until), period, breaks, confidence))
    g, c = fits
    result = Counterfactual(period=period, until=until, measure=measure, group=g, comparator=c, actual=actual)
    if not (g.enough and c.enough):
        return result
    from dataclasses import replace

    t = float(special.stdtrit(min(g.trend.df, c.trend.df), 1 - (1 - confidence) / 2))
    if measure == "absolute_gap":
        value = g.value - c.value if higher_is_worse else c.value - g.value
        se = math.sqrt((g.value * g.se) ** 2 + (c.value * c.se) ** 2)
        return replace(result, value=value, lower=value - t * se, upper=value + t * se, se=se, t=t)
    log_ratio = g.centre - c.centre
    se = math.sqrt(g.se**2 + c.se**2)
    ends = [math.exp(log_ratio - t * se), math.exp(log_ratio + t * se)]

    def gap(ratio: float) -> float:
        return 100 * (ratio - 1) if higher_is_worse else 100 * (1 - ratio)

    lower, upper = sorted(gap(r) for r in ends)
    return replace(result, value=gap(math.exp(log_ratio)), lower=lower, upper=upper, se=se, t=t)


# --- from an analysis ---------------------------------------------------------------------------


def gap_series(analysis: Analysis, measure: str | None = None) -> list[Point]:
    """The gap of record in each period of an :class:`~healthgap.analysis.indicator.Analysis` (the target's gap
    measure by default): the same figures the page shows, published where published, else computed
    from the two groups' levels, else implied by a published change (:func:`healthgap.analysis.gaps.gap_record`).
    Periods with no gap of record are left out."""
    points = analysis.record.get(measure or analysis.gap_measure, [])
    return [(p.period, float(p.gap.value)) for p in points if p.gap is not None]


def gap_errors(analysis: Analysis, measure: str | None = None) -> dict[str, Error]:
    """Each gap of record's own error: from its 95 % confidence interval where it has one (its standard
    error, a sampling error shared with overlapping periods), else from the range its rounding allows
    (width / sqrt(12), the standard deviation of a uniform error over the range; the figure's own)."""
    out: dict[str, Error] = {}
    for p in analysis.record.get(measure or analysis.gap_measure, []):
        e = p.gap
        if e is None:
            continue
        if e.confidence and e.se is not None and e.se > 0:
            out[p.period] = Error(float(e.se), True)
        elif e.upper > e.lower:
            out[p.period] = Error(float(e.upper - e.lower) / math.sqrt(12), False)
    return out


def relative_of(analysis: Analysis, measure: str | None = None) -> int:
    """+1 or -1 for a relative gap (100 (R - 1) where a higher level is worse, 100 (1 - R) where it is
    better), 0 for an absolute gap: how :func:`choose_scale` may fit it as a log rate ratio."""
    if (measure or analysis.gap_measure) != "relative_gap_pct":
        return 0
    return 1 if analysis.comparison.higher_is_worse else -1


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
                     confidence: float = CONFIDENCE, limit: bool = True) -> Projection:
    """The projection of an analysis's gap to its target period, or, without a target, to ``horizon``
    (a period set in the data's configuration)."""
    target = target_of(analysis)
    period = target[1] if target is not None and measure in (None, analysis.gap_measure) else horizon
    if period is None:
        raise ValueError(f"{analysis.key}: no target period, and no horizon to project to")
    return projection(gap_series(analysis, measure), period, breaks_of(analysis), confidence,
                      gap_errors(analysis, measure), relative_of(analysis, measure), limit)


def pace_analysis(analysis: Analysis) -> Pace | None:
    """:func:`pace` of an analysis's gap towards its target, measured from the target's baseline."""
    target = target_of(analysis)
    if target is None:
        return None
    value, period, baseline = target
    return pace(gap_series(analysis), value, period, baseline, breaks_of(analysis))


def backtest_analysis(edition: Analysis, latest: Analysis, confidence: float = CONFIDENCE,
                      model: str = GLS) -> Outcome | None:
    """What an edition projected for the last period observed since, on the same method, beside what
    happened (the latest analysis's gap of record there).

    ``edition`` and ``latest`` are analyses of the same indicator, sex and measure as of an earlier and
    the latest edition. The compared period is the latest period of ``latest`` after the edition's that
    is on the edition's method (a later period beyond a break, such as infant mortality from 2007-09,
    cannot be compared). The trend (``model``: :data:`GLS` or the earlier :data:`OLS`) is fitted on what
    the edition knew (its own record and its figures' errors). None when no later period is on that method.
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
    return _outcome(known, observed, later[-1], breaks, confidence, gap_errors(edition), relative_of(edition), model)


def level_series(analysis: Analysis, group: str) -> tuple[list[Point], dict[str, Error]]:
    """A group's levels (``group`` or ``comparator``'s label in ``analysis.levels``) with their errors: from a
    95 % confidence interval, se = (upper - lower) / 3.92 (on the log scale, value x (ln upper - ln lower) /
    3.92, where the interval was made there), shared with overlapping periods; else the value's rounding,
    10^-decimals / sqrt(12), its own."""
    frame = analysis.levels
    if frame is None or frame.empty:
        return [], {}
    rows = frame[frame["group"] == group].sort_values("start") if "start" in frame else frame[frame["group"] == group]
    points, errors = [], {}
    for _, r in rows.iterrows():
        value = float(r["value"])
        points.append((str(r["period"]), value))
        lower, upper = r.get("lower"), r.get("upper")
        if r.get("interval") == "confidence" and not (math.isnan(lower) or math.isnan(upper)) and upper > lower:
            if bool(r.get("log_scale")) and lower > 0:
                se = value * (math.log(upper) - math.log(lower)) / (2 * est.Z95)
            else:
                se = (upper - lower) / (2 * est.Z95)
            errors[str(r["period"])] = Error(float(se), True)
        elif r.get("decimals") is not None and not math.isnan(float(r["decimals"])):
            errors[str(r["period"])] = Error(10.0 ** -int(r["decimals"]) / math.sqrt(12), False)
    return points, errors


def counterfactual_analysis(analysis: Analysis, until: str, period: str | None = None,
                            confidence: float = CONFIDENCE) -> Counterfactual | None:
    """:func:`counterfactual_levels` for an analysis: its group's and comparator's levels to ``until``, each
    continued to ``period`` (the latest period of the record by default), the gap between them beside the
    gap of record there. None where either group has no levels."""
    group, group_errors = level_series(analysis, analysis.comparison.disadvantaged)
    comparator, comparator_errors = level_series(analysis, analysis.comparison.comparator)
    points = gap_series(analysis)
    if not group or not comparator or not points:
        return None
    period = period or points[-1][0]
    return counterfactual_levels(group, comparator, until, period, analysis.gap_measure,
                                 analysis.comparison.higher_is_worse, group_errors, comparator_errors,
                                 breaks_of(analysis), confidence, dict(points).get(period))


# --- for the page: one outlook per analysis, computed once -------------------------------------------


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

def _pace_ranges(analysis: Analysis, steady: Pace) -> Pace:
    """The pace with the range its figures allow. Where the latest period's change from the baseline was
    published, the pace is that change applied to the baseline gap, gap(since) x change / 100 / years, over the
    range of both (:func:`healthgap.analysis.estimates.bounds`): a published widening is a widening, and the
    baseline counts once. Otherwise (latest lower - since upper) / years to (latest upper - since lower) / years,
    the two gaps' own ranges (their rounding, or their 95 % intervals)."""
    from dataclasses import replace

    points = {p.period: p for p in analysis.points}
    base, last = points.get(steady.since), points.get(steady.latest)
    years = period_midpoint(steady.latest) - period_midpoint(steady.since)
    if base is None or last is None or base.gap is None or years <= 0:
        return steady
    change = last.change
    if change is not None and change.published and last.reference == steady.since:
        low, high = est.bounds(lambda g, c: g * c / 100 / years, (base.gap.lower, base.gap.upper),
                               (change.lower, change.upper))
        return replace(steady, achieved=base.gap.value * change.value / 100 / years, achieved_low=low,
                       achieved_high=high, change=change.value)
    if last.gap is None:
        return steady
    return replace(steady, achieved_low=(last.gap.lower - base.gap.upper) / years,
                   achieved_high=(last.gap.upper - base.gap.lower) / years)


def outlook(analysis: Analysis, horizon: str | None = None, confidence: float = CONFIDENCE) -> Outlook:
    """The :class:`Outlook` of an analysis: its gap of record projected to its target period or, without a
    target, to ``horizon`` (refused where too far ahead); the pace towards the target."""
    target = target_of(analysis)
    period = target[1] if target is not None else horizon
    decimals = analysis.comparison.decimals_for(analysis.gap_measure)
    shown = [p.gap.decimals for p in analysis.points if p.gap is not None and p.gap.decimals is not None]
    decimals = min([decimals, *shown])  # no finer than the gaps it rests on were given
    unit = "%" if analysis.gap_measure == "relative_gap_pct" else ""
    result = projection(gap_series(analysis), period, breaks_of(analysis), confidence, gap_errors(analysis),
                        relative_of(analysis)) if period else None
    steady = pace_analysis(analysis)
    if steady is not None and target is not None and steady.since != target[2]:
        steady = None  # the baseline is not on the latest method: no pace across a change of method
    if steady is not None and steady.achieved is not None:
        steady = _pace_ranges(analysis, steady)
    target_places = analysis.target.value.decimals if target is not None else None
    return Outlook(projection=result, target=target[0] if target is not None else None,
                   target_period=period, pace=steady, decimals=decimals, unit=unit, target_decimals=target_places)
