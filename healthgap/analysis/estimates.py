"""Estimates: a figure together with the range it may stand for, how it was obtained, and the rows behind it.

A published figure was rounded by its publisher, so it stands for every value within half a unit
of its last published place (:func:`rounding_interval`); a figure computed from rounded figures
stands for the range its formula takes over their ranges (:func:`bounds`). Every gap, change and
target in the briefing is an :class:`Estimate`, computed once, and the narrative, the summary, the
charts and the reconciliation all read the same object.

Two estimates differ only when their ranges do not overlap (:func:`compare`): that is the rule by
which a sentence may say that a gap rose or fell. A range that rounding allows is half-open: a figure
published as 17 stands for [16.5, 17.5) and one published as 18 for [17.5, 18.5), so two figures published
to the same precision that differ always establish their order, and ranges that only touch do not overlap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

# Binary floating point: 20.7 - 0.05 is 20.650000000000002. Ranges that touch must count as meeting.
TOLERANCE = 1e-9

PUBLISHED = "published"
LEVELS = "levels"
IMPLIED = "implied"
GAPS = "gaps"

ROUNDING = "rounding"
CONFIDENCE = "confidence"
Z95 = 1.959963984540054  # the standard normal quantile at 0.975


def rounding_interval(value: float, decimals: int) -> tuple[float, float]:
    """The values a figure published to ``decimals`` places may stand for.

    value ± half a unit in the last published place: 20.7 (decimals=1) -> (20.65, 20.75);
    178 (decimals=0) -> (177.5, 178.5). The figure stands for the half-open range [lower, upper): 17.5 is
    published as 18, never as 17, whether rounded half-up or half-to-even, so every value belongs to exactly
    one figure of a given precision (:func:`stands_for`), and two figures of the same precision that differ
    share no value. Rounding half-to-even may also publish the upper end itself (18.5 as 18), which changes
    nothing here: that end is never shared with the next figure up, which cannot include it.
    """
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}")
    half = 0.5 * 10.0**-decimals
    return value - half, value + half


def bounds(f: Callable[..., float], *intervals: tuple[float, float]) -> tuple[float, float]:
    """The range of ``f`` over the box of input intervals, from its values at every corner of the box.

    With n intervals, f is evaluated at the 2**n corners (``itertools.product`` of the endpoints)
    and the least and greatest values are returned.

    This is exact when f is monotone in each argument separately over the box (the direction may
    depend on the other arguments): from any point of the box, moving one coordinate at a time to
    whichever endpoint does not decrease f reaches a corner with f at least as large, so the
    maximum (and likewise the minimum) is attained at a corner. Every statistic here is of that
    kind: a difference (d - c), a ratio with a positive denominator (100 (d - c) / c), a
    percentage change of positive quantities (100 (v - b) / b) and these composed over disjoint
    inputs. See R. E. Moore, R. B. Kearfott and M. J. Cloud, *Introduction to Interval Analysis*
    (SIAM, 2009), on the range of a function monotone in each variable being attained at
    endpoints. For other functions (e.g. x (1 - x) over [0, 1]) the corners can miss an interior
    extremum and the result is only an inner estimate.
    """
    for lower, upper in intervals:
        if lower > upper:
            raise ValueError(f"interval ({lower}, {upper}) has its lower end above its upper end")
    values = [f(*corner) for corner in itertools.product(*intervals)]
    return min(values), max(values)


def number(value: float, decimals: int) -> str:
    """A number to fixed decimals with thousands separators, an ASCII minus and no "-0.0"."""
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


@dataclass(frozen=True)
class Estimate:
    """A figure, the range it stands for, and how it was obtained.

    ``basis`` is ``published`` (taken as published), ``levels`` (computed from two groups'
    levels), ``implied`` (a gap implied by a published change from the baseline gap) or ``gaps``
    (a change computed from two gaps). ``lower``/``upper`` bound what the figure may stand for:
    its rounding for a published figure, the range its inputs' rounding allows for a computed
    one. ``decimals`` is the precision it is shown to. ``inputs`` are the data rows it rests on;
    ``method`` and ``formula`` say how it was computed (empty for a published figure).
    """

    value: float
    lower: float
    upper: float
    basis: str
    decimals: int
    inputs: tuple[str, ...]
    method: str = ""
    formula: str = ""
    revision: str = "final"
    estimated: bool = False
    interval: str = ROUNDING
    se: float | None = None

    @property
    def published(self) -> bool:
        return self.basis == PUBLISHED

    @property
    def confidence(self) -> bool:
        """Whether ``lower``/``upper`` are a 95 % confidence interval (else the range rounding allows)."""
        return self.interval == CONFIDENCE

    @property
    def provisional(self) -> bool:
        return self.revision == "provisional"

    def shown(self, suffix: str = "") -> str:
        """The figure as displayed: '18.4', '13%'."""
        return number(self.value, self.decimals) + suffix

    def derivation(self) -> str:
        """'gaps.absolute_gap: 178 − 141.3' for a computed figure; '' for a published one."""
        return f"{self.method}: {self.formula}" if self.method else ""

    def with_decimals(self, decimals: int) -> Estimate:
        return replace(self, decimals=decimals)


def _number_text(value: float) -> str:
    """An input inside a formula: as published, without float noise."""
    return f"{float(value):.6g}"


def published(row: pd.Series | dict) -> Estimate:
    """An observation as published: its value, the range it stands for and its row id.

    ``row`` needs ``value``, ``decimals`` (places to show), ``id``, and optionally ``revision`` and
    ``status`` (``estimate`` marks a figure its source gave as an estimate). Where it carries 95 %
    confidence limits (``lower``, ``upper``) they are its range and its standard error comes from them
    (:func:`standard_error`, on the log scale where ``log_scale`` is true, as for rates); otherwise its
    range is its rounding.
    """
    value, decimals = float(row["value"]), int(row["decimals"])
    revision = str(row.get("revision", "final") or "final")
    estimated = row.get("status", "") == "estimate"
    lower, upper = row.get("lower", math.nan), row.get("upper", math.nan)
    if lower is not None and upper is not None and not pd.isna(lower) and not pd.isna(upper):
        se = standard_error(value, float(lower), float(upper), bool(row.get("log_scale", False)))
        return Estimate(value=value, lower=float(lower), upper=float(upper), basis=PUBLISHED, decimals=decimals,
                        inputs=(str(row["id"]),), revision=revision, estimated=estimated, interval=CONFIDENCE, se=se)
    lower, upper = row.get("range_lower", math.nan), row.get("range_upper", math.nan)
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):  # a range carried through a derivation
        lower, upper = rounding_interval(value, decimals)                  # (the rest of England's), else its rounding
    return Estimate(value=value, lower=float(lower), upper=float(upper), basis=PUBLISHED, decimals=decimals,
                    inputs=(str(row["id"]),), revision=revision, estimated=estimated)


def standard_error(value: float, lower: float, upper: float, log_scale: bool) -> float:
    """The standard error a 95 % interval implies, on the value's own scale.

    On the log scale (rates, whose limits are asymmetric): se(ln x) = (ln U - ln L) / (2 x 1.96) and,
    by the delta method, se(x) = x se(ln x). Otherwise se = (U - L) / (2 x 1.96). Fingertips technical
    guidance ("Confidence intervals", APHO Technical Briefing 3); PHEindicatormethods' phe_sii does the
    same to recover standard errors from limits.
    """
    if log_scale:
        if lower <= 0 or upper <= 0:
            raise ValueError(f"limits {lower} to {upper}: a log-scale standard error needs positive limits")
        return value * (math.log(upper) - math.log(lower)) / (2 * Z95)
    return (upper - lower) / (2 * Z95)


def combine(f: Callable[..., float], method: str, formula: str, *estimates: Estimate,
            basis: str, decimals: int, inputs: tuple[str, ...] = ()) -> Estimate:
    """f over the estimates: its value at theirs, its range over their ranges (:func:`bounds`).

    The result is provisional if any input is, an estimate if any input is, and rests on every
    input's rows (plus ``inputs``, e.g. a table row such as ``targets.csv:4``).
    """
    value = f(*(e.value for e in estimates))
    lower, upper = bounds(f, *((e.lower, e.upper) for e in estimates))
    rows = tuple(dict.fromkeys(i for e in (*estimates,) for i in e.inputs)) + tuple(inputs)
    revision = "provisional" if any(e.provisional for e in estimates) else (
        "revised" if any(e.revision == "revised" for e in estimates) else "final")
    return Estimate(
        value=value, lower=lower, upper=upper, basis=basis, decimals=decimals, inputs=tuple(dict.fromkeys(rows)),
        method=method, formula=formula, revision=revision, estimated=any(e.estimated for e in estimates),
    )


def term(estimate: Estimate) -> str:
    """An estimate as a term of a formula: its published value, or its own formula in brackets."""
    if estimate.published:
        return _number_text(estimate.value)
    return f"({estimate.formula})" if estimate.formula else _number_text(estimate.value)


def stands_for(estimate: Estimate, value: float) -> bool:
    """Whether a figure may stand for ``value``: inside its 95 % interval (ends included), or inside the
    half-open range its rounding allows, [lower, upper) (:func:`rounding_interval`): 18 stands for 17.5,
    17 does not. An exact figure (no width) stands only for itself."""
    if estimate.confidence:
        return estimate.lower - TOLERANCE <= value <= estimate.upper + TOLERANCE
    if estimate.upper - estimate.lower <= TOLERANCE:
        return abs(value - estimate.value) <= TOLERANCE
    return estimate.lower - TOLERANCE <= value < estimate.upper - TOLERANCE


def contains_zero(estimate: Estimate) -> bool:
    """Whether the figure's range holds zero: its 95 % interval, ends included; a range rounding allows,
    strictly inside (a range that only reaches zero at an end, such as a change computed from figures whose
    rounding just allows no movement, is one that the ends of rounding never attain)."""
    if estimate.confidence:
        return estimate.lower - TOLERANCE <= 0 <= estimate.upper + TOLERANCE
    if estimate.upper - estimate.lower <= TOLERANCE:
        return abs(estimate.value) <= TOLERANCE
    return estimate.lower < -TOLERANCE and estimate.upper > TOLERANCE


def compare(earlier: Estimate, later: Estimate) -> int:
    """+1 if ``later`` is above ``earlier`` beyond their ranges, -1 if below, 0 if the ranges overlap.

    Two rounded figures differ only when no pair of values they may stand for is equal. A range rounding
    allows is half-open (:func:`rounding_interval`), so ranges that only touch do not overlap: figures
    published to the same precision that differ establish their order ("17%" [16.5, 17.5) is below "18%"
    [17.5, 18.5); "1.9" below "2.0"), and so do figures computed from rounded ones whose ranges touch (a gap
    of 1.9 years from 74.6 - 72.7, which is below 2.0, against 2.1 from 77.9 - 75.8, which is above it).
    "16%" and "16%" cannot show a change. Confidence intervals are closed: touching 95 % intervals count as
    overlapping, and the rule is conservative (non-overlapping 95 % intervals imply a difference
    significant at well below 5 %).
    """
    closed = earlier.confidence or later.confidence
    if closed:
        if later.lower > earlier.upper + TOLERANCE:
            return 1
        if later.upper < earlier.lower - TOLERANCE:
            return -1
        return 0
    if later.lower >= earlier.upper - TOLERANCE and later.value > earlier.value:
        return 1
    if later.upper <= earlier.lower + TOLERANCE and later.value < earlier.value:
        return -1
    return 0


def is_finite(estimate: Estimate | None) -> bool:
    return estimate is not None and math.isfinite(estimate.value)
