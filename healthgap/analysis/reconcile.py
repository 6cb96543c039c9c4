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

import pandas as pd

from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.analysis.estimates import Estimate, bounds, number, rounding_interval  # noqa: F401  (re-exported)
from healthgap.analysis.indicator import Analysis, analyse
from healthgap.read import labels
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
    "formula", "reason",
]


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


def _missing_levels(a: Analysis, period: str) -> str:
    """'the data hold no rate for the Spearhead Group or England in 2003-05'."""
    have = set(a.levels.loc[a.levels["period"] == period, "group"])
    missing = [a.label(g) for g in (a.comparison.disadvantaged, a.comparison.comparator) if g not in have]
    level = labels.measure(a.indicator.measure)
    return f"the data hold no {level} for {' or '.join(missing)} in {period}"


def recompute_gap(a: Analysis, measure: str, period: str) -> tuple[Estimate | None, str]:
    """The record's gap from the two levels at a period, or why there is none."""
    p = _point(a, measure, period)
    levels = p.levels_gap() if p is not None else None
    if levels is None:
        return None, _missing_levels(a, period)
    return levels, ""


def recompute_gap_change(a: Analysis, measure: str, period: str, reference: str) -> tuple[Estimate | None, str]:
    """:func:`healthgap.analysis.gaps.change_between` the record's gaps at two periods, or why it cannot be had."""
    now, then = _point(a, measure, period), _point(a, measure, reference)
    for label, p in ((period, now), (reference, then)):
        if p is None or p.gap is None or p.gap.basis == est.IMPLIED:
            return None, f"{_missing_levels(a, label)}, and no {labels.measure(measure)} was published for it"
    if now.segment != then.segment:
        return None, f"the method changed between {reference} and {period}, and the source's revised {reference} figure is not in the data"
    if est.contains_zero(then.gap):
        return None, f"the {reference} {labels.measure(measure)} could be zero within its rounding"
    return gaps.change_between(now.gap, then.gap), ""


def recompute_level_change(a: Analysis, row: pd.Series) -> tuple[Estimate | None, str]:
    """A group's change (level P - level R) or percentage change (100 (P - R) / R) from its published levels."""
    group, period, reference = row["group"], row["period"], row["reference_period"]
    o = a.observations
    rows = o[(o["group"] == group) & (o["measure"] == a.indicator.measure) & (o["preferred"] == "yes")]
    found = {r["period"]: est.published(r) for _, r in rows.iterrows() if r["period"] in (period, reference)}
    missing = [p for p in (reference, period) if p not in found]
    if missing:
        return None, f"the data hold no {labels.measure(a.indicator.measure)} for {a.label(group)} in {' or '.join(missing)}"
    if a.break_between(reference, period) is not None:
        return None, f"the method changed between {reference} and {period}, and the source's revised {reference} figure is not in the data"
    now, then = found[period], found[reference]
    if row["measure"] == "change":
        return est.combine(lambda x, y: x - y, "reconcile.level_change", f"{est.term(now)} − {est.term(then)}",
                           now, then, basis=est.GAPS, decimals=int(row["decimals"]) + 1), ""
    if est.contains_zero(then):
        return None, f"the {reference} level could be zero within its rounding"
    return est.combine(gaps.change_since_baseline, "gaps.change_since_baseline",
                       f"100 × ({est.term(now)} − {est.term(then)}) / {est.term(then)}", now, then,
                       basis=est.GAPS, decimals=1), ""


def recompute(a: Analysis, row: pd.Series) -> tuple[Estimate | None, str]:
    """One published derived statistic recomputed from the preferred published inputs, or why it cannot be."""
    measure = row["measure"]
    if measure in gaps.GAP_MEASURES:
        return recompute_gap(a, measure, row["period"])
    if measure in GAP_CHANGES:
        return recompute_gap_change(a, GAP_CHANGES[measure], row["period"], row["reference_period"])
    return recompute_level_change(a, row)


def _explain(row: pd.Series, a: Analysis, q: Estimate, outcome: str) -> str:
    """Why a verdict is what it is, in words generated from the figures."""
    decimals = int(row["decimals"])
    shown = decimals + 1
    published = number(row["value"], decimals)
    low, high = (number(x, shown) for x in rounding_interval(row["value"], decimals))
    lower, upper = number(q.lower, shown), number(q.upper, shown)
    parts = []
    if row["measure"] in ("relative_gap_pct", "pct_change_relative_gap") and not a.indicator.higher_is_worse:
        of = a.comparator_label + ("'" if a.comparator_label.endswith("s") else "'s")
        parts.append(f"The relative gap is assumed to be the gap as a percentage of {of} "
                     f"{labels.measure(a.indicator.measure)}; the Department's exact formula was not found.")
    if outcome == DIFFERS:
        parts.append(f"The published {published} (that is, {low} to {high}) lies outside {lower} to {upper}, the range "
                     "the rounding of its inputs allows: its source computed it by another method or from other "
                     "(revised) data.")
        if row["note"]:
            parts.append(f"Source note: {row['note']}")
    elif number(q.value, decimals) != published:
        parts.append(f"From the rounded inputs the figure is {number(q.value, shown)}, which would be published as "
                     f"{number(q.value, decimals)}, not {published}; their rounding allows {lower} to {upper}, which the "
                     f"published figure ({low} to {high}) meets.")
    return " ".join(parts)


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
    result.update(measure=row["measure"], published=published, published_decimals=decimals)
    q, why = recompute(a, row)
    if q is None:
        nan = float("nan")
        return result | {"recomputed": nan, "lower": nan, "upper": nan, "difference": nan, "verdict": CANNOT,
                         "inputs": "", "formula": "", "reason": why[:1].upper() + why[1:] + "."}
    outcome = verdict(published, decimals, (q.lower, q.upper))
    return result | {"recomputed": q.value, "lower": q.lower, "upper": q.upper, "difference": published - q.value,
                     "verdict": outcome, "inputs": ";".join(q.inputs), "formula": q.formula,
                     "reason": _explain(row, a, q, outcome)}


