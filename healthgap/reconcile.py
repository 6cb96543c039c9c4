"""Reconciliation: every published derived statistic, recomputed from the published figures it rests on.

A published gap, relative gap, percentage change in a gap, change in a rate or percentage change in
a rate was computed by its source from unrounded figures; the data holds only the rounded ones. So
each input stands for an interval, the published value give or take half a unit in its last
published place (:func:`rounding_interval`), and the recomputed statistic is the interval its
formula takes over those inputs (:func:`bounds`). A published statistic whose own rounding interval
meets that interval is "consistent with rounding"; one that does not "differs — method or data
revision" (:func:`verdict`). :func:`reconcile` does this for every such row of ``observations.csv``,
and :func:`reconciliation_html` writes the briefing's appendix from the result.

The point computations are those of :mod:`healthgap.gaps`; which groups are compared and which way
round comes from ``indicators.csv`` (``disadvantaged_group``, ``comparator_group``,
``higher_is_worse``, ``level_measure``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

import pandas as pd

from healthgap import data as hd
from healthgap.gaps import absolute_gap, change_since_baseline, relative_gap
from healthgap.provenance import Figure, Ledger

CONSISTENT = "consistent with rounding"
DIFFERS = "differs — method or data revision"
CANNOT = "cannot be recomputed"
VERDICTS = (CONSISTENT, DIFFERS, CANNOT)

GAP_CHANGES = {change: gap for gap, change in hd.GAP_CHANGE_MEASURES.items()}
GAP_STATISTICS = ("absolute_gap", "relative_gap_pct", *GAP_CHANGES)
LEVEL_STATISTICS = ("pct_change_rate", "change")

COLUMNS = [
    "id",
    "indicator",
    "sex",
    "period",
    "reference_period",
    "group",
    "measure",
    "revision",
    "published",
    "published_decimals",
    "recomputed",
    "lower",
    "upper",
    "difference",
    "verdict",
    "inputs",
    "formula",
    "reason",
]

MEASURE_NAMES = {
    "absolute_gap": "absolute gap",
    "relative_gap_pct": "relative gap (%)",
    "pct_change_absolute_gap": "% change in the absolute gap",
    "pct_change_relative_gap": "% change in the relative gap",
    "pct_change_rate": "% change in the level",
    "change": "change in the level",
}

# Binary floating point: 20.7 - 0.05 is 20.650000000000002. Intervals that touch must count as meeting.
TOLERANCE = 1e-9


# --- intervals ----------------------------------------------------------------------------------


def rounding_interval(value: float, decimals: int) -> tuple[float, float]:
    """The values a figure published to ``decimals`` places may stand for.

    value ± half a unit in the last published place: 20.7 (decimals=1) -> (20.65, 20.75);
    178 (decimals=0) -> (177.5, 178.5). A figure that was rounded half-up or half-to-even lies
    inside this closed interval either way.
    """
    if decimals < 0:
        raise ValueError(f"decimals must be 0 or more, got {decimals}")
    half = 0.5 * 10.0**-decimals
    return value - half, value + half


def bounds(f: Callable[..., float], *intervals: tuple[float, float]) -> tuple[float, float]:
    """The range of ``f`` over the box of input intervals, from its values at every corner of the box.

    With n intervals, f is evaluated at the 2**n corners (``itertools.product`` of the endpoints)
    and the least and greatest values are returned.

    This is exact when f is monotone in each argument separately over the box (the direction
    may depend on the other arguments): from any point of the box, moving one coordinate at a
    time to whichever endpoint does not decrease f reaches a corner with f at least as large, so
    the maximum (and likewise the minimum) is attained at a corner. Every statistic here is of
    that kind: a difference (d - c), a ratio with a positive denominator (100 (d - c) / c), a
    percentage change of positive quantities (100 (v - b) / b) and these composed over disjoint
    inputs. See R. E. Moore, R. B. Kearfott and M. J. Cloud, *Introduction to Interval
    Analysis* (SIAM, 2009), on the range of a function monotone in each variable being attained
    at endpoints. For other functions (e.g. x (1 - x) over [0, 1]) the corners can miss an
    interior extremum and the result is only an inner estimate.
    """
    for lower, upper in intervals:
        if lower > upper:
            raise ValueError(f"interval ({lower}, {upper}) has its lower end above its upper end")
    values = [f(*corner) for corner in itertools.product(*intervals)]
    return min(values), max(values)


def verdict(published: float, decimals: int, interval: tuple[float, float]) -> str:
    """The verdict on a published figure against the interval recomputed from its inputs.

    "consistent with rounding" when the published figure's own rounding interval
    (:func:`rounding_interval`; a published "7" stands for 6.5 to 7.5) overlaps the recomputed
    interval [lower, upper], touching included; otherwise "differs — method or data revision".
    """
    low, high = rounding_interval(published, decimals)
    lower, upper = interval
    return CONSISTENT if low <= upper + TOLERANCE and lower <= high + TOLERANCE else DIFFERS


def verdict_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of a :func:`reconcile` frame have each verdict, every verdict listed (zeros too)."""
    counts = frame["verdict"].value_counts()
    return {name: int(counts.get(name, 0)) for name in VERDICTS}


# --- quantities: a value, its interval, how it was obtained ---------------------------------------


@dataclass(frozen=True)
class Quantity:
    """A number with the interval its inputs' rounding allows, its formula text and the rows behind it."""

    value: float
    interval: tuple[float, float]
    text: str
    inputs: tuple[str, ...]
    simple: bool = True  # a single published number (its text needs no brackets or naming)


def number(value: float, decimals: int) -> str:
    """A number to fixed decimals with an ASCII minus and no "-0.0"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def published_quantity(row: pd.Series) -> Quantity:
    """An observation as published: its value and its rounding interval."""
    value, decimals = float(row["value"]), int(row["decimals"])
    return Quantity(value, rounding_interval(value, decimals), number(value, decimals), (row["id"],))


def combine(f: Callable[..., float], text: str, *quantities: Quantity) -> Quantity:
    """f applied to the quantities' values, with :func:`bounds` over their intervals and their inputs joined."""
    inputs = tuple(dict.fromkeys(i for q in quantities for i in q.inputs))
    interval = bounds(f, *(q.interval for q in quantities))
    return Quantity(f(*(q.value for q in quantities)), interval, text, inputs, simple=False)


def _contains_zero(quantity: Quantity) -> bool:
    lower, upper = quantity.interval
    return lower <= 0 <= upper


# --- looking up inputs ---------------------------------------------------------------------------


def _levels_phrase(meta: pd.Series, sex: str, groups: list[str]) -> str:
    """e.g. "male Spearhead or England life expectancy", "all_nssec rate"."""
    name = str(meta["level_measure"]).replace("_", " ")
    sex_word = "" if sex == "persons" else f"{sex} "
    return f"{sex_word}{' or '.join(groups)} {name}"


def _level(preferred: pd.DataFrame, meta: pd.Series, sex: str, group: str, period: str) -> Quantity | None:
    rows = preferred[
        (preferred["indicator"] == meta["indicator"])
        & (preferred["sex"] == sex)
        & (preferred["group"] == group)
        & (preferred["period"] == period)
        & (preferred["measure"] == meta["level_measure"])
    ]
    return None if rows.empty else published_quantity(rows.iloc[0])


def _published_gap(preferred: pd.DataFrame, meta: pd.Series, sex: str, period: str, measure: str) -> Quantity | None:
    rows = preferred[
        (preferred["indicator"] == meta["indicator"])
        & (preferred["sex"] == sex)
        & (preferred["group"] == "gap")
        & (preferred["period"] == period)
        & (preferred["measure"] == measure)
        & (preferred["reference_period"] == "")
    ]
    return None if rows.empty else published_quantity(rows.iloc[0])


def _missing_levels(meta: pd.Series, sex: str, period: str, groups: list[str]) -> str:
    return f"no {_levels_phrase(meta, sex, groups)} for {period} in the data"


def _gap_from_levels(
    preferred: pd.DataFrame, meta: pd.Series, sex: str, period: str, measure: str
) -> tuple[Quantity | None, str]:
    """The absolute or relative gap at a period from the two groups' levels, or why it cannot be had.

    absolute gap = disadvantaged - comparator (comparator - disadvantaged where higher is better);
    relative gap = 100 x absolute gap / comparator (:mod:`healthgap.gaps`).
    """
    groups = [meta["disadvantaged_group"], meta["comparator_group"]]
    d, c = (_level(preferred, meta, sex, group, period) for group in groups)
    if d is None or c is None:
        return None, _missing_levels(meta, sex, period, [g for g, x in zip(groups, (d, c)) if x is None])
    worse = meta["higher_is_worse"] == "yes"
    first, second = (d, c) if worse else (c, d)
    if measure == "absolute_gap":
        return combine(lambda a, b: absolute_gap(a, b, worse), f"{first.text} − {second.text}", d, c), ""
    if _contains_zero(c):
        return None, f"the {c.text} {meta['comparator_group']} level for {period} could be zero within its rounding"
    text = f"100 × ({first.text} − {second.text}) / {c.text}"
    return combine(lambda a, b: relative_gap(a, b, worse), text, d, c), ""


def _gap(preferred: pd.DataFrame, meta: pd.Series, sex: str, period: str, measure: str) -> tuple[Quantity | None, str]:
    """The gap at a period from the levels where both exist, else the published gap, else why neither."""
    from_levels, missing = _gap_from_levels(preferred, meta, sex, period, measure)
    if from_levels is not None:
        return from_levels, ""
    published = _published_gap(preferred, meta, sex, period, measure)
    if published is not None:
        return published, ""
    return None, f"{missing}, and no published {MEASURE_NAMES[measure]} for {period}"


def _change_text(now: Quantity, then: Quantity, period: str, reference: str) -> str:
    """100 × (18.4 − 20.7) / 20.7, or with named terms where a term is itself a formula."""
    if now.simple and then.simple:
        return f"100 × ({now.text} − {then.text}) / {then.text}"
    return f"100 × (X − B) / B; X ({period}) = {now.text}; B ({reference}) = {then.text}"


def _pct_change(now: Quantity, then: Quantity, period: str, reference: str, what: str) -> tuple[Quantity | None, str]:
    """100 x (now - then) / then (:func:`healthgap.gaps.change_since_baseline`) with its interval."""
    if _contains_zero(then):
        return None, f"the {reference} {what}, {then.text}, could be zero within its rounding"
    return combine(change_since_baseline, _change_text(now, then, period, reference), now, then), ""


# --- one statistic -------------------------------------------------------------------------------


def _relative_gap_assumed(meta: pd.Series) -> bool:
    """Whether the relative-gap formula is an assumption for this indicator.

    For mortality (higher is worse) the sources state it (gaps.relative_gap: "13 per cent.
    higher", "as a percentage of the England average"); for life expectancy no source does.
    """
    return meta["higher_is_worse"] == "no"


def _assumption(meta: pd.Series) -> str:
    return (
        f"Relative gap assumed to be 100 × ({meta['comparator_group']} − {meta['disadvantaged_group']}) / "
        f"{meta['comparator_group']}, the gap as a percentage of {meta['comparator_label']}'s "
        f"{str(meta['level_measure']).replace('_', ' ')}; the Department of Health's exact formula was not found."
    )


def recompute(preferred: pd.DataFrame, meta: pd.Series, row: pd.Series) -> tuple[Quantity | None, str]:
    """One published derived statistic recomputed from the preferred published inputs, or why it cannot be.

    - absolute_gap, relative_gap_pct at P: from the two groups' levels at P.
    - pct_change_absolute_gap, pct_change_relative_gap at P from R: 100 x (gap P - gap R) / gap R,
      each gap from the levels where both exist, else the published gap of that period.
    - pct_change_rate of a group: 100 x (level P - level R) / level R.
    - change of a group: level P - level R.
    """
    sex, period, reference, measure = row["sex"], row["period"], row["reference_period"], row["measure"]
    if measure in ("absolute_gap", "relative_gap_pct"):
        return _gap_from_levels(preferred, meta, sex, period, measure)
    if measure in GAP_CHANGES:
        gap = GAP_CHANGES[measure]
        (now, why_now), (then, why_then) = (_gap(preferred, meta, sex, p, gap) for p in (period, reference))
        if now is None or then is None:
            return None, "; ".join(why for why in (why_now, why_then) if why)
        return _pct_change(now, then, period, reference, MEASURE_NAMES[gap])
    group = row["group"]
    now, then = (_level(preferred, meta, sex, group, p) for p in (period, reference))
    if now is None or then is None:
        missing = [p for p, x in ((period, now), (reference, then)) if x is None]
        return None, _missing_levels(meta, sex, " or ".join(missing), [group])
    if measure == "pct_change_rate":
        return _pct_change(now, then, period, reference, f"{group} level")
    return combine(lambda a, b: a - b, f"{now.text} − {then.text}", now, then), ""


def _explain(row: pd.Series, meta: pd.Series, recomputed: Quantity, outcome: str, sources: dict[str, str]) -> str:
    """Why a verdict is what it is, in words generated from the figures."""
    decimals = int(row["decimals"])
    shown = decimals + 1
    published = number(row["value"], decimals)
    low, high = (number(x, shown) for x in rounding_interval(row["value"], decimals))
    lower, upper = (number(x, shown) for x in recomputed.interval)
    parts = []
    if row["measure"] in ("relative_gap_pct", "pct_change_relative_gap") and _relative_gap_assumed(meta):
        parts.append(_assumption(meta))
    if outcome == DIFFERS:
        parts.append(
            f"The published {published} (that is, {low} to {high}) lies outside {lower} to {upper}, the range the "
            "rounding of its inputs allows: the source computed it by another method or from other (revised) data."
        )
        other = sorted({sources[i] for i in recomputed.inputs if sources[i] != row["source_id"]})
        if other:
            parts.append(f"Its inputs are published by {', '.join(other)}; the figure by {row['source_id']}.")
        if row["note"]:
            parts.append(f"Source note: {row['note']}")
    elif number(recomputed.value, decimals) != published:
        parts.append(
            f"From the rounded inputs the figure is {number(recomputed.value, shown)}, which would be published as "
            f"{number(recomputed.value, decimals)}, not {published}; their rounding allows {lower} to {upper}, which "
            f"the published figure ({low} to {high}) meets."
        )
    return " ".join(parts)


def derived_statistics(observations: pd.DataFrame) -> pd.DataFrame:
    """Every published derived statistic, preferred or not: the gap rows (absolute and relative gaps and
    their % changes) and each group's change and % change in level."""
    is_gap = (observations["group"] == "gap") & observations["measure"].isin(GAP_STATISTICS)
    return observations[is_gap | observations["measure"].isin(LEVEL_STATISTICS)]


def reconcile(dataset: hd.Dataset, as_of: str | None = None) -> pd.DataFrame:
    """One row per published derived statistic: published against recomputed, with the verdict.

    Inputs are the preferred published rows; each is an interval (:func:`rounding_interval`) and
    the recomputed statistic the interval of its formula over them (:func:`bounds`), with the
    point value ``recomputed`` from the inputs as published. Verdict (:func:`verdict`): "consistent
    with rounding" when the published figure's own rounding interval overlaps [lower, upper],
    otherwise "differs — method or data revision"; "cannot be recomputed" when an input is missing,
    ``reason`` naming it. ``difference`` is published - recomputed. Columns: :data:`COLUMNS`.
    With ``as_of`` (a period label), only observations up to that period are reconciled or used
    (:func:`healthgap.data.as_of`), as an edition of the briefing would see them.
    """
    observations = hd.as_of(dataset.observations, as_of)
    preferred = hd.preferred(observations)
    sources = dict(zip(observations["id"], observations["source_id"]))
    rows = [
        _reconcile_row(row, dataset.indicator(row["indicator"]), preferred, sources)
        for _, row in derived_statistics(observations).iterrows()
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def _reconcile_row(row: pd.Series, meta: pd.Series, preferred: pd.DataFrame, sources: dict[str, str]) -> dict:
    """One line of the :func:`reconcile` frame."""
    published, decimals = float(row["value"]), int(row["decimals"])
    result = {column: row[column] for column in ("id", "indicator", "sex", "period", "reference_period", "group")}
    result.update(measure=row["measure"], revision=row["revision"], published=published, published_decimals=decimals)
    quantity, why = recompute(preferred, meta, row)
    if quantity is None:
        nan = float("nan")
        return result | {
            "recomputed": nan,
            "lower": nan,
            "upper": nan,
            "difference": nan,
            "verdict": CANNOT,
            "inputs": "",
            "formula": "",
            "reason": why[:1].upper() + why[1:] + ".",
        }
    outcome = verdict(published, decimals, quantity.interval)
    return result | {
        "recomputed": quantity.value,
        "lower": quantity.interval[0],
        "upper": quantity.interval[1],
        "difference": published - quantity.value,
        "verdict": outcome,
        "inputs": ";".join(quantity.inputs),
        "formula": quantity.text,
        "reason": _explain(row, meta, quantity, outcome, sources),
    }


# --- the appendix --------------------------------------------------------------------------------


def _cite(ledger: Ledger, figure_id: str, row: pd.Series | None, value: float, shown: str, kind: str,
          rows: str, derivation: str = "") -> str:
    """A number of the appendix, cited in the ledger (so figures.csv lists it) and linked to its entry."""
    return ledger.cite(Figure(
        figure_id=figure_id,
        indicator="" if row is None else str(row["indicator"]),
        sex="" if row is None else str(row["sex"]),
        period="" if row is None else str(row["period"]),
        measure="reconciliation" if row is None else str(row["measure"]),
        value=float(value), displayed=shown, kind=kind, source_rows=rows, derivation=derivation,
    ))


def _period(row: pd.Series) -> str:
    return f"{row['period']} from {row['reference_period']}" if row["reference_period"] else str(row["period"])


def _measure(row: pd.Series) -> str:
    name = MEASURE_NAMES.get(row["measure"], str(row["measure"]).replace("_", " "))
    return name if row["group"] == "gap" else f"{name}, {row['group']}"


def _recomputed_cell(ledger: Ledger, row: pd.Series) -> str:
    if row["verdict"] == CANNOT or pd.isna(row["recomputed"]):
        return "not recomputed"
    shown = int(row["published_decimals"]) + 1
    how = f"reconcile.bounds over the inputs' rounding: {row['formula']}"
    point, low, high = (
        _cite(ledger, f"reconcile-{row['id']}-{part}", row, row[column], number(row[column], shown), "derived",
              row["inputs"], how)
        for part, column in (("recomputed", "recomputed"), ("lower", "lower"), ("upper", "upper"))
    )
    return f"{point} ({low} to {high})"


def _difference_cell(ledger: Ledger, row: pd.Series) -> str:
    if pd.isna(row["difference"]):
        return "not recomputed"
    text = number(row["difference"], int(row["published_decimals"]) + 1)
    text = text if text.startswith("-") or float(text) == 0 else f"+{text}"
    return _cite(ledger, f"reconcile-{row['id']}-difference", row, row["difference"], text, "derived",
                 f"{row['id']};{row['inputs']}", "published minus recomputed")


def _published_cell(ledger: Ledger, row: pd.Series) -> str:
    shown = number(row["published"], int(row["published_decimals"]))
    cited = _cite(ledger, str(row["id"]), row, row["published"], shown, "published", str(row["id"]))
    return cited + (' <span class="provisional">provisional</span>' if row["revision"] == "provisional" else "")


def _explanation(ledger: Ledger, frame: pd.DataFrame) -> str:
    example = frame[frame["verdict"] != CANNOT].head(1)
    instance = ""
    if not example.empty:
        row = example.iloc[0]
        decimals = int(row["published_decimals"])
        low, high = (
            _cite(ledger, f"reconcile-{row['id']}-published-{end}", row, x, number(x, decimals + 1), "derived",
                  str(row["id"]), "reconcile.rounding_interval: published value ± half a unit in its last place")
            for end, x in zip(("low", "high"), rounding_interval(row["published"], decimals))
        )
        instance = f" (a published {_published_cell(ledger, row)} stands for {low} to {high})"
    return (
        "<p>Each published gap, relative gap and change below was recomputed from the published figures it "
        "rests on. Those figures are rounded, so each stands for every value within half a unit of its last "
        f"published place{instance}, and the recomputed statistic is the range its formula takes over them, "
        "evaluated at every combination of the inputs' ends (exact here, as each formula moves one way with each "
        "input). The point value is computed from the inputs as published; the difference is published minus "
        f"recomputed. A published figure whose own rounding range overlaps the recomputed range is "
        f"<em>{escape(CONSISTENT)}</em>; otherwise it <em>{escape(DIFFERS)}</em>: its source used another method "
        f"or other data. Where an input is not in the data the figure <em>{escape(CANNOT)}</em>.</p>"
    )


TABLE_COLUMNS = (
    "Indicator", "Sex", "Period", "Measure", "Published", "Recomputed (range)", "Difference", "Verdict", "Formula"
)


def _table(ledger: Ledger, frame: pd.DataFrame) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in TABLE_COLUMNS)
    body = []
    for _, row in frame.iterrows():
        cells = [
            escape(str(row["indicator"]).replace("_", " ")),
            escape(str(row["sex"])),
            escape(_period(row)),
            escape(_measure(row)),
            _published_cell(ledger, row),
            _recomputed_cell(ledger, row),
            _difference_cell(ledger, row),
            escape(str(row["verdict"])),
            f"<code>{escape(str(row['formula']))}</code>",
        ]
        tds = "".join(f"<td>{c}</td>" for c in cells)
        body.append(f'<tr id="reconcile-{escape(str(row["id"]), quote=True)}">{tds}</tr>')
    return (
        "<table><caption>Published derived statistics against their recomputation from published inputs"
        f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def _listing(ledger: Ledger, frame: pd.DataFrame, title: str, empty: str) -> str:
    if frame.empty:
        return f"<h3>{escape(title)}</h3><p>{escape(empty)}</p>"
    items = "".join(
        f'<li><a href="#reconcile-{escape(str(r["id"]), quote=True)}">{escape(str(r["indicator"]).replace("_", " "))}'
        f"{escape('' if r['sex'] == 'persons' else ', ' + str(r['sex']))}, {escape(_period(r))}, "
        f"{escape(_measure(r))}</a>, published {_published_cell(ledger, r)}: "
        f"<em>{escape(str(r['reason']))}</em></li>"
        for _, r in frame.iterrows()
    )
    return f"<h3>{escape(title)}</h3><ul>{items}</ul>"


def _closing(ledger: Ledger, frame: pd.DataFrame) -> str:
    counts = verdict_counts(frame)

    def count(name: str, value: int) -> str:
        return _cite(ledger, f"reconciliation-count-{name}", None, value, str(value), "derived", "",
                     "reconcile.verdict_counts")

    tally = ", ".join(f"{escape(name)}: {count(name.replace(' ', '_'), counts[name])}" for name in VERDICTS)
    summary = (
        f"<p>Of the {count('total', len(frame))} published derived statistics in the data, "
        f"{count('recomputed', len(frame) - counts[CANNOT])} were recomputed and "
        f"{count('reconciled', counts[CONSISTENT])} reconciled within rounding. Verdicts: {tally}.</p>"
    )
    differs = frame[frame["verdict"] == DIFFERS]
    cannot = frame[frame["verdict"] == CANNOT]
    notes = frame[(frame["verdict"] == CONSISTENT) & (frame["reason"] != "")]
    return (
        summary
        + _listing(ledger, differs, "Differs beyond rounding", "No published figure differs beyond rounding.")
        + _listing(ledger, cannot, "Not recomputed, and why", "Every published figure was recomputed.")
        + _listing(ledger, notes, "Consistent with rounding, with a note", "No notes.")
    )


def reconciliation_html(ledger: Ledger, frame: pd.DataFrame) -> str:
    """The briefing's reconciliation appendix: the rule, one table row per statistic, a closing note.

    Rows have ``id="reconcile-<observation id>"``; the closing note counts the verdicts and lists
    each "differs" and "cannot be recomputed" row with its explanation, and each consistent row
    that carries a note (e.g. an assumed formula). Every string from the data is HTML-escaped;
    numbers use an ASCII minus.
    """
    return (
        '<section id="reconciliation"><h2>Reconciliation: published against recomputed</h2>'
        + _explanation(ledger, frame)
        + _table(ledger, frame)
        + _closing(ledger, frame)
        + "</section>"
    )
