"""Reconciliation: every published derived statistic, recomputed from the published figures it rests on.

A published gap, relative gap, percentage change in a gap, change in a rate or percentage change in
a rate was computed by its source from unrounded figures; the data holds only rounded ones. Each
input therefore stands for a range (:func:`healthgap.analysis.estimates.rounding_interval`), and the
recomputed statistic for the range its formula takes over them (:func:`healthgap.analysis.estimates.bounds`).
A published statistic whose own rounding range meets that range is "consistent with rounding"; one
that does not "differs — method or data revision" (:func:`verdict`).

The gaps and their changes are the gap record's own (:mod:`healthgap.analysis.gaps`): the recomputed gap of
a period is the record's gap from the levels, and a recomputed change is
:func:`healthgap.analysis.gaps.change_between` the record's gaps, never across a method break.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.analysis.estimates import Estimate, bounds, number, rounding_interval  # noqa: F401  (re-exported)
from healthgap.analysis.indicator import Analysis, analyse
from healthgap.read.briefing import Briefing

CONSISTENT = "consistent with rounding"
DIFFERS = "differs — method or data revision"
CANNOT = "cannot be recomputed"
VERDICTS = (CONSISTENT, DIFFERS, CANNOT)

GAP_CHANGES = {change: gap for gap, change in gaps.CHANGE_OF.items()}
LEVEL_STATISTICS = ("pct_change_rate", "change")

COLUMNS = [
    "id", "indicator", "sex", "period", "reference_period", "group", "measure", "revision", "source_id",
    "published", "published_decimals", "recomputed", "lower", "upper", "difference", "verdict", "inputs",
    "formula", "note", "why",
]

NO_LEVELS, METHOD_CHANGED, ZERO = "no levels", "method changed", "zero"


@dataclass(frozen=True)
class Unrecomputable:
    """Why a published statistic cannot be recomputed, as data (:func:`healthgap.page.reconcile.reason_words`
    words it): ``NO_LEVELS``, the data hold no ``measure`` for the groups ``missing`` (labels) in ``period``
    (``gap_measure``: nor was that gap published for it); ``METHOD_CHANGED`` between ``reference`` and ``period``;
    ``ZERO``, the ``reference`` figure (of ``measure``, or a level) could be zero within its rounding."""

    kind: str
    period: str = ""
    reference: str = ""
    measure: str = ""
    missing: tuple[str, ...] = ()
    gap_measure: str = ""


def verdict(published: float, decimals: int, interval: tuple[float, float]) -> str:
    """The verdict on a published figure against the range recomputed from its inputs.

    "consistent with rounding" when the published figure's own rounding range (a published "7"
    stands for 6.5 to 7.5) meets the recomputed range [lower, upper], touching included;
    otherwise "differs — method or data revision".
    """
    low, high = rounding_interval(published, decimals)
    lower, upper = interval
    return CONSISTENT if low <= upper + est.TOLERANCE and lower <= high + est.TOLERANCE else DIFFERS


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of a :func:`reconcile` frame have each verdict, every verdict listed (zeros too)."""
    counts = frame["verdict"].value_counts()
    return {name: int(counts.get(name, 0)) for name in VERDICTS}


def derived_statistics(observations: pd.DataFrame) -> pd.DataFrame:
    """Every published derived statistic, preferred or not: the gap rows (absolute and relative gaps and
    their percentage changes) and each group's change and percentage change in level."""
    is_gap = (observations["group"] == "gap") & observations["measure"].isin((*gaps.GAP_MEASURES, *GAP_CHANGES))
    return observations[is_gap | observations["measure"].isin(LEVEL_STATISTICS)]


# --- recomputing one statistic -------------------------------------------------------------------


def _point(a: Analysis, measure: str, period: str):
    return next((p for p in a.record.get(measure, []) if p.period == period), None)


def _missing_levels(a: Analysis, period: str, gap_measure: str = "") -> Unrecomputable:
    """The data hold no level for the Spearhead Group or England in 2003-05 (nor, with ``gap_measure``, that gap)."""
    have = set(a.levels.loc[a.levels["period"] == period, "group"])
    missing = tuple(a.label(g) for g in (a.comparison.disadvantaged, a.comparison.comparator) if g not in have)
    return Unrecomputable(NO_LEVELS, period=period, measure=a.indicator.measure, missing=missing,
                          gap_measure=gap_measure)


def recompute_gap(a: Analysis, measure: str, period: str) -> tuple[Estimate | None, Unrecomputable | None]:
    """The record's gap from the two levels at a period, or why there is none."""
    p = _point(a, measure, period)
    levels = p.levels_gap() if p is not None else None
    if levels is None:
        return None, _missing_levels(a, period)
    return levels, None


def recompute_gap_change(a: Analysis, measure: str, period: str, reference: str
                         ) -> tuple[Estimate | None, Unrecomputable | None]:
    """:func:`healthgap.analysis.gaps.change_between` the record's gaps at two periods, or why it cannot be had."""
    now, then = _point(a, measure, period), _point(a, measure, reference)
    for label, p in ((period, now), (reference, then)):
        if p is None or p.gap is None or p.gap.basis == est.IMPLIED:
            return None, _missing_levels(a, label, gap_measure=measure)
    if now.segment != then.segment:
        return None, Unrecomputable(METHOD_CHANGED, period=period, reference=reference)
    if est.contains_zero(then.gap):
        return None, Unrecomputable(ZERO, reference=reference, measure=measure)
    return gaps.change_between(now.gap, then.gap), None


def recompute_level_change(a: Analysis, row: pd.Series) -> tuple[Estimate | None, Unrecomputable | None]:
    """A group's change (level P - level R) or percentage change (100 (P - R) / R) from its published levels."""
    group, period, reference = row["group"], row["period"], row["reference_period"]
    o = a.observations
    rows = o[(o["group"] == group) & (o["measure"] == a.indicator.measure) & (o["preferred"] == "yes")]
    found = {r["period"]: est.published(r) for _, r in rows.iterrows() if r["period"] in (period, reference)}
    missing = [p for p in (reference, period) if p not in found]
    if missing:
        return None, Unrecomputable(NO_LEVELS, period=" or ".join(missing), measure=a.indicator.measure,
                                    missing=(a.label(group),))
    if a.break_between(reference, period) is not None:
        return None, Unrecomputable(METHOD_CHANGED, period=period, reference=reference)
    now, then = found[period], found[reference]
    if row["measure"] == "change":
        return est.combine(lambda x, y: x - y, "reconcile.level_change", f"{est.term(now)} − {est.term(then)}",
                           now, then, basis=est.GAPS, decimals=int(row["decimals"]) + 1), None
    if est.contains_zero(then):
        return None, Unrecomputable(ZERO, reference=reference)
    return est.combine(gaps.change_since_baseline, "gaps.change_since_baseline",
                       f"100 × ({est.term(now)} − {est.term(then)}) / {est.term(then)}", now, then,
                       basis=est.GAPS, decimals=1), None


def recompute(a: Analysis, row: pd.Series) -> tuple[Estimate | None, Unrecomputable | None]:
    """One published derived statistic recomputed from the preferred published inputs, or why it cannot be."""
    measure = row["measure"]
    if measure in gaps.GAP_MEASURES:
        return recompute_gap(a, measure, row["period"])
    if measure in GAP_CHANGES:
        return recompute_gap_change(a, GAP_CHANGES[measure], row["period"], row["reference_period"])
    return recompute_level_change(a, row)


def reconcile(briefing: Briefing, indicators: list[str] | None = None) -> pd.DataFrame:
    """One row per published derived statistic of the briefing's edition: published against recomputed, with
    the verdict. Columns: :data:`COLUMNS`. ``difference`` is published minus recomputed. Only the observations
    the edition knew are reconciled or used; with ``indicators``, only those indicators.
    """
    observations = briefing.observations
    if observations.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    analyses: dict[tuple[str, str], Analysis] = {}
    for _, row in derived_statistics(observations).iterrows():
        if indicators is not None and row["indicator"] not in indicators:
            continue
        key = (row["indicator"], row["sex"])
        if key not in analyses:
            analyses[key] = analyse(briefing, row["indicator"], row["sex"])
        rows.append(_reconcile_row(row, analyses[key]))
    return pd.DataFrame(rows, columns=COLUMNS)


def _reconcile_row(row: pd.Series, a: Analysis) -> dict:
    published, decimals = float(row["value"]), int(row["decimals"])
    result = {column: row[column] for column in ("id", "indicator", "sex", "period", "reference_period", "group",
                                                 "revision", "source_id")}
    result.update(measure=row["measure"], published=published, published_decimals=decimals, note=row["note"])
    q, why = recompute(a, row)
    if q is None:
        nan = float("nan")
        return result | {"recomputed": nan, "lower": nan, "upper": nan, "difference": nan, "verdict": CANNOT,
                         "inputs": "", "formula": "", "why": why}
    outcome = verdict(published, decimals, (q.lower, q.upper))
    return result | {"recomputed": q.value, "lower": q.lower, "upper": q.upper, "difference": published - q.value,
                     "verdict": outcome, "inputs": ";".join(q.inputs), "formula": q.formula, "why": None}


