"""The reconciliation appendix: every published derived statistic beside its recomputation
(:mod:`healthgap.analysis.reconcile`), each figure cited."""

from __future__ import annotations

import pandas as pd
from markupsafe import Markup

from healthgap.analysis import reconcile as computed
from healthgap.analysis.estimates import number, rounding_interval
from healthgap.analysis.reconcile import CANNOT, CONSISTENT, DIFFERS, verdict_counts
from healthgap.read import labels
from healthgap.page.provenance import Figure, Ledger
from healthgap.page.render import bound_words, capitalise, date_element, possessive, render
from healthgap.read.briefing import Briefing
from healthgap.read.tables import published_after


def _cite(ledger: Ledger, figure_id: str, label: str, row: pd.Series | None, value: float, shown: str, kind: str,
          rows: str, derivation: str = "") -> Markup:
    return ledger.cite(Figure(
        figure_id=figure_id, label=label,
        indicator="" if row is None else str(row["indicator"]), sex="" if row is None else str(row["sex"]),
        period="" if row is None else str(row["period"]),
        measure="reconciliation" if row is None else str(row["measure"]),
        value=float(value), displayed=shown, kind=kind, source_rows=rows, derivation=derivation,
    ))


def _what(row: pd.Series, briefing: Briefing) -> str:
    name = labels.measure(row["measure"])
    what = name if row["group"] == "gap" else f"{name}, {briefing.label(row['group'])}"
    return f"{what} since {row['reference_period']}" if row["reference_period"] else what


def table_rows(ledger: Ledger, frame: pd.DataFrame, briefing: Briefing, edition) -> list[dict]:
    """The reconciliation table's rows, every figure cited."""
    sources = briefing.sources.set_index("source_id")
    out = []
    for _, row in frame.iterrows():
        title = briefing.indicator(row["indicator"]).title
        sex = "" if row["sex"] == "persons" else labels.sex(row["sex"])
        what = _what(row, briefing)
        label = f"{title}{', ' + sex if sex else ''}, {row['period']}: {what}"
        decimals = int(row["published_decimals"])
        published = _cite(ledger, str(row["id"]), label, row, row["published"], number(row["published"], decimals),
                          "published", str(row["id"]))
        recomputed = difference = None
        if row["verdict"] != CANNOT:
            shown = decimals + 1
            point, low, high = (
                _cite(ledger, f"reconcile-{row['id']}-{part}", f"{label}, recomputed ({part})", row, row[part],
                      number(row[part], shown), "derived", row["inputs"],
                      f"estimates.bounds: {row['formula']}" if part == "recomputed" else
                      f"estimates.bounds: {bound_words(row['formula'], part, confidence=False)}")
                for part in ("recomputed", "lower", "upper"))
            recomputed = Markup("{} ({} to {})").format(point, low, high)
            text = number(row["difference"], shown)
            text = text if text.startswith("-") or float(text) == 0 else f"+{text}"
            difference = _cite(ledger, f"reconcile-{row['id']}-difference", f"{label}, published minus recomputed",
                               row, row["difference"], text, "derived", f"{row['id']};{row['inputs']}",
                               "reconcile: published minus recomputed")
        source = sources.loc[row["source_id"]]
        later = edition is not None and published_after(source["published"], edition["published"])
        out.append({"id": row["id"], "indicator": title, "sex": sex, "period": row["period"], "what": what,
                    "published": published, "provisional": row["revision"] == "provisional", "later": later,
                    "recomputed": recomputed, "difference": difference, "verdict": row["verdict"],
                    "formula": row["formula"], "reason": reason_words(row, briefing)})
    return out


def reason_words(row: pd.Series, briefing: Briefing) -> str:
    """Why a reconciliation's verdict is what it is, in words from its figures: why it cannot be recomputed (its
    ``why``), the published figure outside the range its inputs' rounding allows, or a point value that would be
    published otherwise though the ranges meet; the relative gap's assumed formula where it is one."""
    why = row["why"]
    if isinstance(why, computed.Unrecomputable):
        if why.kind == computed.NO_LEVELS:
            text = (f"the data hold no {labels.measure(why.measure)} for {' or '.join(why.missing)} in {why.period}"
                    + (f", and no {labels.measure(why.gap_measure)} was published for it" if why.gap_measure else ""))
        elif why.kind == computed.METHOD_CHANGED:
            text = (f"the method changed between {why.reference} and {why.period}, and the source's revised "
                    f"{why.reference} figure is not in the data")
        else:
            text = f"the {why.reference} {labels.measure(why.measure) if why.measure else 'level'} could be zero " \
                   "within its rounding"
        return capitalise(text) + "."
    decimals = int(row["published_decimals"])
    shown = decimals + 1
    published = number(row["published"], decimals)
    low, high = (number(x, shown) for x in rounding_interval(row["published"], decimals))
    lower, upper = number(row["lower"], shown), number(row["upper"], shown)
    ind = briefing.indicator(row["indicator"])
    parts = []
    if row["measure"] in ("relative_gap_pct", "pct_change_relative_gap") and not ind.higher_is_worse:
        comparator = briefing.labels.get(ind.comparator, ind.comparator)
        parts.append(f"The relative gap is assumed to be the gap as a percentage of {possessive(comparator)} "
                     f"{labels.measure(ind.measure)}; the Department's exact formula was not found.")
    if row["verdict"] == DIFFERS:
        parts.append(f"The published {published} (that is, {low} to {high}) lies outside {lower} to {upper}, the range "
                     "the rounding of its inputs allows: its source computed it by another method or from other "
                     "(revised) data.")
        if row["note"]:
            parts.append(f"Source note: {row['note']}")
    elif number(row["recomputed"], decimals) != published:
        parts.append(f"From the rounded inputs the figure is {number(row['recomputed'], shown)}, which would be "
                     f"published as {number(row['recomputed'], decimals)}, not {published}; their rounding allows "
                     f"{lower} to {upper}, which the published figure ({low} to {high}) meets.")
    return " ".join(parts)


def reconciliation_html(ledger: Ledger, frame: pd.DataFrame, briefing: Briefing) -> Markup:
    """The briefing's reconciliation appendix, collapsed: the rule, one row per statistic, a closing tally.

    Rows have ``id="reconcile-<observation id>"``; the closing note counts the verdicts and lists each
    "differs" and "cannot be recomputed" row with its explanation.
    """
    edition = briefing.publication()
    rows = table_rows(ledger, frame, briefing, edition)
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
                  statements=statement_rows(ledger, briefing, frame),
                  consistent=CONSISTENT, differs=DIFFERS, cannot=CANNOT,
                  edition_date=date_element(edition["published"]) if edition is not None else "")


def statement_rows(ledger: Ledger, briefing: Briefing, frame: pd.DataFrame) -> list[dict]:
    """The sources' statements of movement (``statements.csv``) of the indicators reconciled, each beside what the
    record's own figures show (:func:`healthgap.page.sentences.statement_rows`)."""
    from healthgap.analysis.indicator import analyse
    from healthgap.page.sentences import statement_rows as rows_of

    if briefing.statements.empty:
        return []
    indicators = set(frame["indicator"]) if not frame.empty else set(briefing.statements["indicator"])
    keys = sorted({(r["indicator"], r["sex"]) for _, r in briefing.statements.iterrows() if r["indicator"] in indicators},
                  key=lambda k: (list(briefing.sections.values()).index(k[0]) if k[0] in briefing.sections.values()
                                 else 99, k[1]))
    return rows_of(ledger, [analyse(briefing, indicator, sex) for indicator, sex in keys])
