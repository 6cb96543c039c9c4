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
from markupsafe import Markup

from healthgap.read import tables as hd
from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.page import labels
from healthgap.analysis.indicator import Analysis, analyse
from healthgap.analysis.estimates import Estimate, bounds, number, rounding_interval  # noqa: F401  (re-exported)
from healthgap.page.provenance import Figure, Ledger
from healthgap.page.render import date_element, render

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
    level = labels.measure(a.indicator["level_measure"])
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
    rows = hd.preferred(a.observations[(a.observations["group"] == group)
                                       & (a.observations["measure"] == a.indicator["level_measure"])])
    found = {r["period"]: est.published(r) for _, r in rows.iterrows() if r["period"] in (period, reference)}
    missing = [p for p in (reference, period) if p not in found]
    if missing:
        return None, f"the data hold no {labels.measure(a.indicator['level_measure'])} for {a.label(group)} in {' or '.join(missing)}"
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
    if row["measure"] in ("relative_gap_pct", "pct_change_relative_gap") and a.indicator["higher_is_worse"] == "no":
        parts.append(f"The relative gap is assumed to be the gap as a percentage of {a.comparator_label}'s "
                     f"{labels.measure(a.indicator['level_measure'])}; the Department's exact formula was not found.")
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


def reconcile(dataset: hd.Dataset, as_of: str | None = None, indicators: list[str] | None = None) -> pd.DataFrame:
    """One row per published derived statistic of an edition: published against recomputed, with the verdict.

    Columns: :data:`COLUMNS`. ``difference`` is published minus recomputed. With ``as_of``, only the
    observations an edition knew are reconciled or used; with ``indicators``, only those indicators.
    """
    observations = hd.as_of(dataset.observations, as_of)
    rows = []
    analyses: dict[tuple[str, str], Analysis] = {}
    for _, row in derived_statistics(observations).iterrows():
        if indicators is not None and row["indicator"] not in indicators:
            continue
        key = (row["indicator"], row["sex"])
        if key not in analyses:
            analyses[key] = analyse(dataset, row["indicator"], row["sex"], as_of)
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


# --- the appendix --------------------------------------------------------------------------------


def _cite(ledger: Ledger, figure_id: str, label: str, row: pd.Series | None, value: float, shown: str, kind: str,
          rows: str, derivation: str = "") -> Markup:
    return ledger.cite(Figure(
        figure_id=figure_id, label=label,
        indicator="" if row is None else str(row["indicator"]), sex="" if row is None else str(row["sex"]),
        period="" if row is None else str(row["period"]),
        measure="reconciliation" if row is None else str(row["measure"]),
        value=float(value), displayed=shown, kind=kind, source_rows=rows, derivation=derivation,
    ))


def _what(row: pd.Series, dataset: hd.Dataset) -> str:
    name = labels.measure(row["measure"])
    what = name if row["group"] == "gap" else f"{name}, {dataset.group_label(row['group'])}"
    return f"{what} since {row['reference_period']}" if row["reference_period"] else what


def table_rows(ledger: Ledger, frame: pd.DataFrame, dataset: hd.Dataset, edition) -> list[dict]:
    """The reconciliation table's rows, every figure cited."""
    sources = dataset.sources.set_index("source_id")
    out = []
    for _, row in frame.iterrows():
        title = dataset.indicator(row["indicator"])["title"]
        sex = "" if row["sex"] == "persons" else labels.sex(row["sex"])
        what = _what(row, dataset)
        label = f"{title}{', ' + sex if sex else ''}, {row['period']}: {what}"
        decimals = int(row["published_decimals"])
        published = _cite(ledger, str(row["id"]), label, row, row["published"], number(row["published"], decimals),
                          "published", str(row["id"]))
        recomputed = difference = None
        if row["verdict"] != CANNOT:
            shown = decimals + 1
            how = f"estimates.bounds: {row['formula']}"
            point, low, high = (
                _cite(ledger, f"reconcile-{row['id']}-{part}", f"{label}, recomputed ({part})", row, row[part],
                      number(row[part], shown), "derived", row["inputs"], how)
                for part in ("recomputed", "lower", "upper"))
            recomputed = Markup("{} ({} to {})").format(point, low, high)
            text = number(row["difference"], shown)
            text = text if text.startswith("-") or float(text) == 0 else f"+{text}"
            difference = _cite(ledger, f"reconcile-{row['id']}-difference", f"{label}, published minus recomputed",
                               row, row["difference"], text, "derived", f"{row['id']};{row['inputs']}",
                               "reconcile: published minus recomputed")
        source = sources.loc[row["source_id"]]
        later = edition is not None and hd.published_after(source["published"], edition["published"])
        out.append({"id": row["id"], "indicator": title, "sex": sex, "period": row["period"], "what": what,
                    "published": published, "provisional": row["revision"] == "provisional", "later": later,
                    "recomputed": recomputed, "difference": difference, "verdict": row["verdict"],
                    "formula": row["formula"], "reason": row["reason"]})
    return out


def reconciliation_html(ledger: Ledger, frame: pd.DataFrame, dataset: hd.Dataset, as_of: str | None = None) -> Markup:
    """The briefing's reconciliation appendix, collapsed: the rule, one row per statistic, a closing tally.

    Rows have ``id="reconcile-<observation id>"``; the closing note counts the verdicts and lists each
    "differs" and "cannot be recomputed" row with its explanation.
    """
    edition = dataset.edition(as_of)
    rows = table_rows(ledger, frame, dataset, edition)
    counts = verdict_counts(frame)

    def count(name: str, value: int, what: str) -> Markup:
        return _cite(ledger, f"reconciliation-count-{name}", f"Reconciliation: {what}", None, value, str(value),
                     "derived", "", "reconcile.verdict_counts")

    tally = {
        "total": count("total", len(frame), "published derived statistics"),
        "recomputed": count("recomputed", len(frame) - counts[CANNOT], "statistics recomputed"),
        "consistent": count("consistent", counts[CONSISTENT], CONSISTENT),
        "differs": count("differs", counts[DIFFERS], "differing beyond rounding"),
        "cannot": count("cannot", counts[CANNOT], CANNOT),
    }
    example = next((r for r in rows if r["recomputed"] is not None), None)
    return render("reconciliation.html.j2", rows=rows, tally=tally, example=example,
                  consistent=CONSISTENT, differs=DIFFERS, cannot=CANNOT,
                  edition_date=date_element(edition["published"]) if edition is not None else "")
