"""Every area compared with England as Fingertips compares it (the "Compared to England" column).

England's value is taken as fixed and set against the area's confidence interval; this is not a test of
two overlapping intervals. With ``P`` England's value and the area's value ``v`` with limits:

* **one level** (95 %; Fingertips' ``SingleOverlappingCIsForOneCILevelComparer``): *similar* when
  ``lower95 <= P <= upper95``; otherwise the area is above or below England (``v > P`` or ``v < P``),
  *better* or *worse* by the indicator's polarity.
* **two levels** (95 % and 99.8 %; ``SingleOverlappingCIsForTwoCILevelsComparer``): *similar* inside the
  95 % interval; outside it but inside the 99.8 % interval (``lower998 <= P <= lower95`` or
  ``upper95 <= P <= upper998``) *better* or *worse*; outside the 99.8 % interval Fingertips' darker
  categories, which it names **Best** and **Worst** (its ``Significance.Best``/``Worst``, labelled "Best"
  and "Worst" by its ``SignificanceFormatter``; not "better (99.8%)").
* *not compared* where the area or England has no value, the area has no 95 % limits (or, with two levels,
  no 99.8 % limits), or the indicator has no polarity (Fingertips' ``IndicatorComparer``:
  ``CanComparisonGoAhead``, ``Are95CIsValid``, ``Are99_8CIsValid``). Limits are inclusive: England's value
  on a limit is *similar* (or the milder category).

Polarity: ``higher_is_worse=True`` is Fingertips' "RAG - low is good", ``False`` "RAG - high is good";
``None`` is its "blue-orange-blue" (no better or worse): *higher*, *similar*, *lower*, at one level only
(Fingertips' formatter has no darker shades for it).

Source: Fingertips' web services, ``PholioVisualisationWS/Analysis/IndicatorComparer.cs``,
``SingleOverlappingCIsForOneCILevelComparer.cs`` and ``SingleOverlappingCIsForTwoCILevelsComparer.cs``
(``ukhsa-collaboration/fingertips-open``; the two-level rule as at commit 678089724a51, whose tests set
England between each pair of limits), and OHID's Fingertips technical guidance. Checked against the
``Compared to England value or percentiles`` column of a real export (``tests/test_benchmark.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from healthgap.read.errors import DataError

BETTER, SIMILAR, WORSE = "better", "similar", "worse"
BEST, WORST = "best", "worst"
HIGHER, LOWER = "higher", "lower"
NOT_COMPARED = "not compared"

FINGERTIPS_LABELS = {BETTER: "Better", SIMILAR: "Similar", WORSE: "Worse", BEST: "Best", WORST: "Worst",
                     HIGHER: "Higher", LOWER: "Lower", NOT_COMPARED: "Not compared"}
"""Each category as Fingertips writes it (its exports and its ``SignificanceFormatter``)."""

LEVELS = ((0.95,), (0.95, 0.998))
ENGLAND = "E92000001"
KEYS = ("indicator_id", "sex", "age", "period")
"""What an area's row and England's row must share to be compared: the same indicator, sex, age and period."""


def _polarity(higher_is_worse: bool | None) -> None:
    if higher_is_worse is not None and not isinstance(higher_is_worse, (bool, np.bool_)):
        raise ValueError(f"higher_is_worse {higher_is_worse!r}: expected True, False or None (no polarity)")


def _levels(levels: Sequence[float]) -> tuple[float, ...]:
    found = tuple(float(x) for x in levels)
    if found not in LEVELS:
        raise ValueError(f"levels {levels!r}: expected (0.95,) or (0.95, 0.998), Fingertips' two comparisons")
    return found


def classify(value, lower95, upper95, england, higher_is_worse: bool | None, lower998=None,
             upper998=None) -> np.ndarray:
    """The comparison of each area with England, vectorised (arrays or scalars broadcast together); with
    ``lower998`` and ``upper998`` given, the two-level comparison. The rule is in the module's docstring."""
    _polarity(higher_is_worse)
    v, lo, hi, e = (np.asarray(x, dtype=float) for x in (value, lower95, upper95, england))
    two = lower998 is not None or upper998 is not None
    if two and (lower998 is None or upper998 is None):
        raise ValueError("give both lower998 and upper998 for the two-level comparison, or neither")
    if two and higher_is_worse is None:
        raise ValueError("higher_is_worse None (no polarity) is compared at 95 % only, as Fingertips does")
    v, lo, hi, e = np.broadcast_arrays(v, lo, hi, e)
    shape = v.shape
    out = np.full(shape, NOT_COMPARED, dtype=object)
    valid = ~(np.isnan(v) | np.isnan(lo) | np.isnan(hi) | np.isnan(e))
    if two:
        lo9, hi9 = (np.broadcast_to(np.asarray(x, dtype=float), shape) for x in (lower998, upper998))
        valid &= ~(np.isnan(lo9) | np.isnan(hi9))
    with np.errstate(invalid="ignore"):
        similar = valid & (e >= lo) & (e <= hi)
        # Fingertips' raw significance is "high is good": an area above England is better
        if two:
            above_moderate = valid & ~similar & (e <= lo) & (e >= lo9)
            below_moderate = valid & ~similar & ~above_moderate & (e >= hi) & (e <= hi9)
            rest = valid & ~similar & ~above_moderate & ~below_moderate
            below_far = rest & (v < e)
            above_far = rest & ~(v < e)
        else:
            below = valid & ~similar & (v < e)
            above = valid & ~similar & ~(v < e)
    if higher_is_worse is None:
        names = {"above": HIGHER, "below": LOWER}
    elif higher_is_worse:
        names = {"above": WORSE, "below": BETTER, "above_far": WORST, "below_far": BEST}
    else:
        names = {"above": BETTER, "below": WORSE, "above_far": BEST, "below_far": WORST}
    out[similar] = SIMILAR
    if two:
        out[above_moderate] = names["above"]
        out[below_moderate] = names["below"]
        out[above_far] = names["above_far"]
        out[below_far] = names["below_far"]
    else:
        out[above] = names["above"]
        out[below] = names["below"]
    return out


def compare_with_england(value: float, lower95: float, upper95: float, england_value: float,
                         higher_is_worse: bool | None, lower998: float | None = None,
                         upper998: float | None = None) -> str:
    """One area against England's value: ``better``, ``similar``, ``worse`` (and, with the 99.8 % limits,
    ``best``/``worst`` beyond them), ``higher``/``lower`` without polarity, or ``not compared``.

    >>> compare_with_england(80.0, 75.0, 85.0, 94.7, higher_is_worse=True)
    'better'
    """
    for name, x in (("value", value), ("lower95", lower95), ("upper95", upper95), ("england_value", england_value),
                    ("lower998", lower998), ("upper998", upper998)):
        if x is not None and (isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number))):
            raise ValueError(f"{name} {x!r}: expected a number (NaN where there is none)")
    return str(classify(value, lower95, upper95, england_value, higher_is_worse, lower998, upper998)[()])


def england_rows(frame: pd.DataFrame, code: str = ENGLAND, keys: Sequence[str] = KEYS) -> pd.DataFrame:
    """England's own rows of a tidy frame: its code **and no category** (Fingertips' exports label the rows
    of England's deprivation-decile aggregates with England's code too; taking the last England row gives
    the least deprived decile). One row per ``keys``, else :class:`DataError` naming the file and lines."""
    _columns(frame, [*keys, "area_code", "category_type", "value"])
    rows = frame[(frame["area_code"] == code) & (frame["category_type"].fillna("") == "")]
    twice = rows[rows.duplicated(list(keys), keep=False)]
    if not twice.empty:
        r = twice.iloc[0]
        where = f"{r['file']}, lines {', '.join(map(str, twice['line'].head(3)))}" if "file" in twice else "the data"
        raise DataError(f"{where}: expected one {code} row with no category per {', '.join(keys)}, "
                        f"got {len(twice)} for {' '.join(str(r[k]) for k in keys)}")
    return rows


def _columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame: expected columns {', '.join(missing)} (the tidy shape of healthgap.read.layouts)")


def benchmark(frame: pd.DataFrame, higher_is_worse: bool | None, levels: Sequence[float] = (0.95,),
              england: pd.DataFrame | float | None = None, code: str = ENGLAND,
              keys: Sequence[str] = KEYS) -> pd.Series:
    """Each row of a tidy frame (``value, lower, upper`` and, for two levels, ``lower_998, upper_998``)
    compared with England, as Fingertips does; a Series on the frame's index named ``compared_with_england``.

    ``england``: England's value as a number, or England's rows (``keys`` and ``value``); by default
    England's rows of ``frame`` itself (:func:`england_rows`: England's code with no category). England's
    own rows and rows of a category (deprivation deciles and the like) are *not compared*, as in
    Fingertips' exports, and so is a row whose England row is missing.
    """
    levels = _levels(levels)
    _polarity(higher_is_worse)
    two = len(levels) == 2
    _columns(frame, ["value", "lower", "upper", *(["lower_998", "upper_998"] if two else [])])
    if isinstance(england, (int, float, np.number)) and not isinstance(england, (bool, np.bool_)):
        reference = pd.Series(float(england), index=frame.index)
    else:
        if england is None:
            england = england_rows(frame, code, keys)
        _columns(england, [*keys, "value"])
        if england.duplicated(list(keys)).any():
            raise DataError(f"England's rows: expected one per {', '.join(keys)}")
        _columns(frame, list(keys))
        lookup = england.set_index(list(keys))["value"]
        reference = pd.Series(lookup.reindex(pd.MultiIndex.from_frame(frame[list(keys)].astype(object))).to_numpy(),
                              index=frame.index, dtype=float)
    own = pd.Series(False, index=frame.index)
    if "area_code" in frame:
        own |= frame["area_code"] == code
    if "category_type" in frame:
        own |= frame["category_type"].fillna("") != ""
    reference = reference.where(~own)
    result = classify(frame["value"], frame["lower"], frame["upper"], reference, higher_is_worse,
                      frame["lower_998"] if two else None, frame["upper_998"] if two else None)
    return pd.Series(result, index=frame.index, name="compared_with_england", dtype=object)


def counts(comparisons: pd.Series | Sequence[str], levels: Sequence[float] = (0.95,)) -> pd.DataFrame:
    """How many areas are better, similar and worse than England at each level, as data.

    Returns one row per level and category: ``level`` (0.95 or 0.998), ``comparison`` (better, similar,
    worse, or higher/lower without polarity, and not compared), ``areas`` (how many), ``compared`` (areas
    compared at all) and ``total`` (all areas), e.g. level 0.998, worse, 12, 58, 60 for "12 of the 58 areas
    compared are worse than England at 99.8 %". At 95 % the two-level categories fold in (worse = worse +
    worst); at 99.8 % only the darker ones count (worse = worst; similar = similar + better + worse).
    """
    levels = _levels(levels)
    found = pd.Series(list(comparisons), dtype=object)
    known = {BETTER, SIMILAR, WORSE, BEST, WORST, HIGHER, LOWER, NOT_COMPARED}
    unknown = sorted(set(found) - known)
    if unknown:
        raise ValueError(f"comparisons: expected {', '.join(sorted(known))}, got {unknown[0]!r}")
    if len(levels) == 1 and found.isin([BEST, WORST]).any():
        raise ValueError("comparisons: best/worst are two-level categories; give levels=(0.95, 0.998)")
    tally = found.value_counts()
    n = {k: int(tally.get(k, 0)) for k in known}
    polar = not (n[HIGHER] or n[LOWER])
    if not polar and (n[BETTER] or n[WORSE] or n[BEST] or n[WORST]):
        raise ValueError("comparisons: expected higher/lower or better/worse, not both")
    up, down = (BETTER, WORSE) if polar else (HIGHER, LOWER)
    total = len(found)
    compared = total - n[NOT_COMPARED]
    rows = []
    for level in levels:
        if level == 0.95:
            by = {up: n[up] + (n[BEST] if polar else 0), SIMILAR: n[SIMILAR], down: n[down] + (n[WORST] if polar else 0)}
        else:
            by = {up: n[BEST], SIMILAR: n[SIMILAR] + n[up] + n[down], down: n[WORST]}
        by[NOT_COMPARED] = n[NOT_COMPARED]
        rows += [{"level": level, "comparison": k, "areas": v, "compared": compared, "total": total}
                 for k, v in by.items()]
    return pd.DataFrame(rows, columns=["level", "comparison", "areas", "compared", "total"])
