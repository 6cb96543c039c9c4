"""Narrative: the briefing's sentences, tables and alt text, generated from computed figures.

Every number here is formatted from an :class:`~healthgap.analysis.Analysis` or a data row;
none is written into the text. Text that comes from data (labels, titles, quotes) is
HTML-escaped here, once, so a stray ``<`` in a CSV cannot become markup in the briefing.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from healthgap import gaps, targets
from healthgap.analysis import Analysis
from healthgap.data import GAP_CHANGE_MEASURES, period_midpoint, published_after
from healthgap.provenance import Figure, Ledger

MEASURE_NAMES = {"absolute_gap": "absolute gap", "relative_gap_pct": "relative gap"}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
STATUS_CLASS = {
    targets.MET: "status-good",
    targets.ON_TRACK: "status-good",
    targets.NOT_ON_TRACK: "status-bad",
    targets.MISSED: "status-bad",
    targets.NOT_YET_ASSESSABLE: "status-none",
}


# --- formatting -------------------------------------------------------------------------------


def fmt(value: float, decimals: int = 1) -> str:
    """A number to a fixed number of decimals with thousands separators; "–" when missing."""
    if value is None or pd.isna(value):
        return "–"
    return f"{value:,.{decimals}f}"


def fmt_pct(value: float, decimals: int = 1) -> str:
    return "–" if value is None or pd.isna(value) else f"{fmt(value, decimals)}%"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def sex_suffix(sex: str) -> str:
    return "" if sex == "persons" else f", {sex}s"


def unit_label(meta: pd.Series) -> str:
    return str(meta["unit"])


def unit_html(meta: pd.Series) -> str:
    """The short unit as HTML, marked as a unit (its digits, as in "per 100,000", are not figures)."""
    return f'<span class="unit">{escape(short_unit(meta))}</span>'


def short_unit(meta: pd.Series) -> str:
    """The unit without its parenthetical qualifier: 'deaths per 100,000'."""
    return str(meta["unit"]).split(" (")[0]


# --- figures, each cited through the ledger ---------------------------------------------------


def _gap_number(value: float, measure: str, decimals: int) -> str:
    return fmt_pct(value, decimals) if measure == "relative_gap_pct" else fmt(value, decimals)


def _key(analysis: Analysis, period: str, measure: str) -> str:
    return f"{analysis.indicator['indicator']}-{analysis.sex}-{period}-{measure}"


def _figure(analysis: Analysis, figure_id: str, period: str, measure: str, value: float, displayed: str,
            kind: str, rows, derivation: str = "") -> Figure:
    return Figure(
        figure_id=figure_id, indicator=analysis.indicator["indicator"], sex=analysis.sex, period=period,
        measure=measure, value=float(value), displayed=displayed, kind=kind,
        source_rows=";".join(r for r in rows if r), derivation=derivation,
    )


def _number(value: float) -> str:
    """An input value inside a derivation formula, unrounded but without float noise."""
    return f"{float(value):.6g}"


def _gap_derivation(analysis: Analysis, row: pd.Series, measure: str) -> str:
    meta = analysis.indicator
    if row["gap_basis"] == "implied by published change":
        base = analysis.record_of(measure).iloc[0]
        return f"gaps.gap_from_change: {_number(base['gap'])} × (1 + {_number(row['change_pct'])} / 100)"
    levels = analysis.levels.set_index(["period", "group"])["value"]
    d = levels[(row["period"], meta["disadvantaged_group"])]
    c = levels[(row["period"], meta["comparator_group"])]
    first, second = (d, c) if meta["higher_is_worse"] == "yes" else (c, d)
    if measure == "absolute_gap":
        return f"gaps.absolute_gap: {_number(first)} − {_number(second)}"
    return f"gaps.relative_gap: 100 × ({_number(first)} − {_number(second)}) / {_number(c)}"


def cite_gap(ledger: Ledger, analysis: Analysis, row: pd.Series, measure: str, with_period: bool = False) -> str:
    """A gap as displayed and cited, with the published figure beside it when the two differ on display.

    ``"26.0% (published: 25.9%)"``; with ``with_period``: ``"26.0% (1995-97; published: 25.9%)"``.
    """
    shown = _gap_number(row["gap"], measure, int(row["gap_decimals"]))
    figure_id = _key(analysis, row["period"], measure)
    if row["gap_basis"] == "published":
        figure = _figure(analysis, figure_id, row["period"], measure, row["gap"], shown, "published", [row["gap_published_id"]])
    else:
        figure = _figure(analysis, figure_id, row["period"], measure, row["gap"], shown, "derived",
                         row["inputs"].split(";"), _gap_derivation(analysis, row, measure))
    text = ledger.cite(figure)
    notes = [str(row["period"])] if with_period else []
    if row["revision"] == "provisional":
        notes.append('<span class="provisional">provisional</span>')
    if row["gap_basis"] == "levels" and pd.notna(row["gap_published"]):
        published = _gap_number(row["gap_published"], measure, int(row["gap_published_decimals"]))
        if published != shown:
            notes.append("published: " + ledger.cite(_figure(
                analysis, figure_id + "-published", row["period"], measure, row["gap_published"], published,
                "published", [row["gap_published_id"]])))
    return f"{text} ({'; '.join(notes)})" if notes else text


def _change_text(ledger: Ledger, figure: Figure, change: float) -> str:
    if float(figure.displayed.rstrip("%")) == 0:  # unchanged as displayed
        ledger.cite(figure)
        return "unchanged"
    return f"{ledger.cite(figure)} {'narrower' if change < 0 else 'wider'}"


def cite_change(ledger: Ledger, analysis: Analysis, row: pd.Series, measure: str) -> str:
    """'11.1% narrower' (cited) for the change in a gap since the target's baseline."""
    baseline = analysis.target["baseline_period"]
    figure_id = _key(analysis, row["period"], measure) + f"-change-vs-{baseline}"
    shown = fmt_pct(abs(row["change_pct"]), int(row["change_decimals"]))
    if row["change_basis"] == "published":
        figure = _figure(analysis, figure_id, row["period"], GAP_CHANGE_MEASURES[measure], row["change_pct"],
                         shown, "published", [row["change_published_id"]])
    else:
        base = analysis.baseline
        figure = _figure(
            analysis, figure_id, row["period"], GAP_CHANGE_MEASURES[measure], row["change_pct"], shown,
            "derived", row["inputs"].split(";") + base["inputs"].split(";"),
            f"gaps.change_since_baseline: 100 × ({_number(row['gap'])} − {_number(base['gap'])}) / {_number(base['gap'])}",
        )
    return _change_text(ledger, figure, row["change_pct"])


def cite_published_change(ledger: Ledger, analysis: Analysis, row: pd.Series, measure: str) -> str:
    baseline = analysis.target["baseline_period"]
    figure_id = _key(analysis, row["period"], measure) + f"-change-vs-{baseline}-published"
    shown = fmt_pct(abs(row["change_published"]), int(row["change_published_decimals"]))
    figure = _figure(analysis, figure_id, row["period"], GAP_CHANGE_MEASURES[measure],
                     row["change_published"], shown, "published", [row["change_published_id"]])
    return _change_text(ledger, figure, row["change_published"])


def _target_line(analysis: Analysis) -> str:
    return f"targets.csv:{int(analysis.target['line'])}"


def cite_target(ledger: Ledger, analysis: Analysis) -> str:
    """The target gap (baseline less the required cut), cited."""
    measure, target = analysis.gap_measure, analysis.target
    base = analysis.baseline
    shown = _gap_number(analysis.target_gap, measure, int(base["gap_decimals"]))
    return ledger.cite(_figure(
        analysis, _key(analysis, target["target_period"], measure) + "-target", target["target_period"], measure,
        analysis.target_gap, shown, "derived", base["inputs"].split(";") + [_target_line(analysis)],
        f"targets.target_value: {_number(base['gap'])} × (1 − {_number(target['reduction_pct'])} / 100)",
    ))


def cite_reduction(ledger: Ledger, analysis: Analysis) -> str:
    target = analysis.target
    reduction = float(target["reduction_pct"])
    return ledger.cite(_figure(
        analysis, _key(analysis, target["target_period"], analysis.gap_measure) + "-required-cut",
        target["target_period"], GAP_CHANGE_MEASURES[analysis.gap_measure], -reduction,
        f"{reduction:g}%", "published", [_target_line(analysis), target["wording_source_id"]],
    ))


def cite_required(ledger: Ledger, analysis: Analysis) -> str:
    verdict, target = analysis.assessment, analysis.target
    b, t, p = (period_midpoint(x) for x in (target["baseline_period"], target["target_period"], verdict.period))
    figure = _figure(
        analysis, _key(analysis, verdict.period, analysis.gap_measure) + "-required-change", verdict.period,
        GAP_CHANGE_MEASURES[analysis.gap_measure], verdict.required_change_pct,
        fmt_pct(abs(verdict.required_change_pct), 1), "derived", [_target_line(analysis)],
        f"targets.required_change: −{_number(target['reduction_pct'])} × ({p:g} − {b:g}) / ({t:g} − {b:g})",
    )
    return _change_text(ledger, figure, verdict.required_change_pct)


def cite_observation(ledger: Ledger, row: pd.Series) -> str:
    """A data row's value as published, cited to the row itself."""
    return ledger.cite(Figure(
        figure_id=row["id"], indicator=row["indicator"], sex=row["sex"], period=row["period"], measure=row["measure"],
        value=float(row["value"]), displayed=fmt(row["value"], int(row["decimals"])), kind="published",
        source_rows=row["id"],
    ))


# --- sentences --------------------------------------------------------------------------------


def record_sentence(ledger: Ledger, analysis: Analysis, measure: str | None = None) -> str:
    """The whole record of a gap: '20.7 (1995-97) → 18.1 (2003-05) → 18.4 (2004-06) deaths per 100,000'."""
    measure = measure or analysis.gap_measure
    meta = analysis.indicator
    record = analysis.record_of(measure)
    if record.empty:
        return ""
    trail = " → ".join(cite_gap(ledger, analysis, r, measure, with_period=True) for _, r in record.iterrows())
    unit = "" if measure == "relative_gap_pct" else f" {unit_html(meta)}"
    return (
        f"The {MEASURE_NAMES[measure]} between {escape(meta['disadvantaged_label'])} and "
        f"{escape(meta['comparator_label'])}{escape(sex_suffix(analysis.sex))}: {trail}{unit}."
    )


def movement_sentence(analysis: Analysis) -> str:
    """How the gap moved in its latest period and for how many consecutive periods (no figures)."""
    record = analysis.target_record
    if len(record) < 2:
        return ""
    latest, previous = record.iloc[-1], record.iloc[-2]
    # compared as displayed, so the prose never says "rose" between two equal-looking figures
    shown = [round(g, int(d)) for g, d in zip(record["gap"], record["gap_decimals"])]
    direction, run = gaps.consecutive_run(shown)
    name = MEASURE_NAMES[analysis.gap_measure]
    verb = {"declined": "declined", "rose": "rose", "unchanged": "was unchanged"}[direction]
    text = f"In {latest['period']} the {name} {verb} from {previous['period']}"
    if run >= 2:
        text += f", the {ORDINALS.get(run, f'{run}th')} consecutive period it {verb}"
    return text + "."


def change_sentence(ledger: Ledger, analysis: Analysis) -> str:
    """Where the gap stands against the baseline, computed and as published."""
    latest, base = analysis.latest, analysis.baseline
    if latest is None or base is None or pd.isna(latest["change_pct"]) or latest["period"] == base["period"]:
        return ""
    meta = analysis.indicator
    measure = analysis.gap_measure
    parts = [f"In {latest['period']} the {MEASURE_NAMES[measure]} was"]
    if latest["gap_basis"] in ("levels", "published"):
        unit = "" if measure == "relative_gap_pct" else f" {unit_html(meta)}"
        parts.append(f" {cite_gap(ledger, analysis, latest, measure)}{unit},")
    parts.append(
        f" {cite_change(ledger, analysis, latest, measure)} than at the {base['period']} baseline "
        f"({cite_gap(ledger, analysis, base, measure)})"
    )
    if latest["change_basis"] == "gaps":
        bases = frozenset({base["gap_basis"], latest["gap_basis"]})
        source = {
            frozenset({"published"}): "the rounded published gaps",
            frozenset({"levels"}): "the rounded published levels",
        }.get(bases, "the rounded published levels and gaps")
        parts.append(f", as computed from {source}")
        if pd.notna(latest["change_published"]):
            parts.append(f"; the published change is {cite_published_change(ledger, analysis, latest, measure)}")
    else:
        parts.append(" as published")
        if latest["gap_basis"] == "implied by published change":
            parts.append(f" (the {MEASURE_NAMES[measure]} itself is not in the data for {latest['period']})")
    return "".join(parts) + "."


def target_sentence(ledger: Ledger, analysis: Analysis) -> str:
    """The target and the verdict, with the figures it rests on."""
    target, verdict = analysis.target, analysis.assessment
    if target is None or verdict is None:
        return "This indicator has no target."
    meta = analysis.indicator
    measure = analysis.gap_measure
    text = (
        f"The target is a cut of at least {cite_reduction(ledger, analysis)} in the {MEASURE_NAMES[measure]} "
        f"between {target['baseline_period']} and {target['target_period']}"
    )
    if analysis.target_gap is not None:
        unit = "" if measure == "relative_gap_pct" else f" {unit_html(meta)}"
        shown = cite_target(ledger, analysis)
        text += f": a gap of {shown}{unit} or less"
        if pd.notna(target["published_target_value"]):
            decimals = int(analysis.baseline["gap_decimals"])
            published = _gap_number(target["published_target_value"], measure, decimals)
            if published != _gap_number(analysis.target_gap, measure, decimals):
                figure = _figure(
                    analysis, _key(analysis, target["target_period"], measure) + "-target-published",
                    target["target_period"], measure, target["published_target_value"], published, "published",
                    [_target_line(analysis), target["published_target_source_id"]],
                )
                text += f" (published: {ledger.cite(figure)})"
    text += f". Verdict: <strong class=\"{STATUS_CLASS[verdict.status]}\">{verdict.status}</strong>"
    if verdict.status == targets.NOT_YET_ASSESSABLE:
        return text + ": no gap after the baseline is in the data."
    latest = analysis.latest
    change = cite_change(ledger, analysis, latest, measure)
    if verdict.status in (targets.ON_TRACK, targets.NOT_ON_TRACK):
        text += (
            f": in {verdict.period} the gap was {change} than at baseline, where the straight line to the target "
            f"required it to be {cite_required(ledger, analysis)} by then"
        )
        if verdict.status == targets.NOT_ON_TRACK:
            text += "; the target is in danger"
        elif verdict.change_pct <= verdict.target_change_pct:
            text += "; the gap is already within the target"
    else:
        text += f": in {verdict.period} the gap was {change} than at baseline"
    if analysis.provisional:
        text += f" (the {latest['period']} figures are <span class=\"provisional\">provisional</span>)"
    return text + "."


def contrast_sentence(ledger: Ledger, analysis: Analysis) -> str:
    """Absolute and relative gaps side by side, saying when they tell different stories."""
    other = "relative_gap_pct" if analysis.gap_measure == "absolute_gap" else "absolute_gap"
    meta = analysis.indicator
    mine, theirs = analysis.target_record, analysis.record_of(other)
    common = [p for p in mine["period"] if p in set(theirs["period"])]
    if len(common) < 2:
        return record_sentence(ledger, analysis, other)
    first, last = common[0], common[-1]

    def span(record: pd.DataFrame, measure: str) -> tuple[str, float]:
        a = record[record["period"] == first].iloc[0]
        b = record[record["period"] == last].iloc[0]
        moved = "narrowed" if b["gap"] < a["gap"] else "widened" if b["gap"] > a["gap"] else "did not move"
        unit = "" if measure == "relative_gap_pct" else f" {unit_html(meta)}"
        return (
            f"the {MEASURE_NAMES[measure]} {moved} from {cite_gap(ledger, analysis, a, measure)} to "
            f"{cite_gap(ledger, analysis, b, measure)}{unit}",
            b["gap"] - a["gap"],
        )

    one, d1 = span(mine, analysis.gap_measure)
    two, d2 = span(theirs, other)
    if d1 * d2 < 0:
        return f"The absolute and relative gaps tell different stories between {first} and {last}: {one}, while {two}."
    return f"Between {first} and {last} {one}, and {two}."


def _cite_limit(ledger: Ledger, analysis: Analysis, interval: pd.Series, end: str) -> str:
    """One confidence limit of a level (``end`` is "lower" or "upper"), cited with its derivation."""
    value = interval[f"{end}_ci"]
    return ledger.cite(_figure(
        analysis, f"{interval['rate_id']}-{end}", interval["period"], "rate", value,
        fmt(value, int(analysis.indicator["decimals"])), "derived", [interval["rate_id"], interval["count_id"]],
        f"methods.crude_rate (Byar's {interval['confidence']:.0%} interval): {_number(interval['value'])} × "
        f"{end} limit of {_number(interval['count'])} events / {_number(interval['count'])}",
    ))


def intervals_sentence(ledger: Ledger, analysis: Analysis) -> str:
    """Which levels have confidence intervals (those published with their counts) and why the rest do not."""
    meta = analysis.indicator
    if analysis.levels.empty:
        return ""
    if analysis.intervals.empty:
        return (
            "No figure in this section has a confidence interval: the levels were published as rounded "
            "rates without the counts and populations behind them."
        )
    labels = {meta["disadvantaged_group"]: meta["disadvantaged_label"], meta["comparator_group"]: meta["comparator_label"]}
    rows = analysis.observations.set_index("id", drop=False)
    parts = []
    for _, r in analysis.intervals.iterrows():
        lower, upper = (_cite_limit(ledger, analysis, r, end) for end in ("lower", "upper"))
        parts.append(
            f"{escape(labels.get(r['group'], r['group']))} in {r['period']}, "
            f"{cite_observation(ledger, rows.loc[r['rate_id']])} {unit_html(meta)} ({lower} to {upper}) "
            f"from {cite_observation(ledger, rows.loc[r['count_id']])} deaths"
        )
    confidence = float(analysis.intervals["confidence"].iloc[0])
    level = ledger.cite(_figure(
        analysis, f"{meta['indicator']}-{analysis.sex}-confidence-level", analysis.as_of, "confidence level",
        100 * confidence, f"{confidence:.0%}", "derived", [], "healthgap.analysis.level_intervals: confidence level",
    ))
    text = (
        f"Where the count was published beside a rate, the rate has a {level} confidence interval "
        f"(Byar's method; the denominator is the one the count and rate imply): " + "; ".join(parts)
        + ". The other levels were published rounded and without counts, so they have none."
    )
    if meta["nested"] == "yes":
        text += (
            f" No interval is given for the gap: {escape(meta['disadvantaged_label'])} is part of "
            f"{escape(meta['comparator_label'])}, so the two rates are not independent."
        )
    return text


def data_note(analysis: Analysis) -> str:
    """What the data does not cover: a latest gap older than the edition, implied figures (no figures)."""
    notes = []
    latest = analysis.latest
    if latest is not None and latest["period"] != analysis.as_of:
        later = analysis.observations[analysis.observations["end"] > latest["end"]]
        text = f"No {MEASURE_NAMES[analysis.gap_measure]} after {latest['period']} is in the data"
        if not later.empty:
            text += "; later figures in the data cover only " + ", ".join(
                sorted({f"{escape(r['group'])} {r['measure'].replace('_', ' ')} ({r['period']})" for _, r in later.iterrows()})
            )
        notes.append(text + ".")
    if (analysis.target_record["gap_basis"] == "implied by published change").any():
        notes.append(
            "Where only a percentage change was published, the gap shown is the one that change implies "
            "from the baseline gap (diamond markers)."
        )
    return " ".join(notes)


def paragraphs(ledger: Ledger, analysis: Analysis) -> str:
    """The section's narrative as HTML paragraphs, every figure cited in ``ledger``."""
    sentences = [
        record_sentence(ledger, analysis),
        " ".join(s for s in (movement_sentence(analysis), change_sentence(ledger, analysis)) if s),
        target_sentence(ledger, analysis),
        contrast_sentence(ledger, analysis),
        intervals_sentence(ledger, analysis),
        data_note(analysis),
    ]
    return "\n".join(f"<p>{s}</p>" for s in sentences if s)


# --- alt text ---------------------------------------------------------------------------------


def levels_alt_text(analysis: Analysis) -> str:
    meta = analysis.indicator
    parts = []
    for role in ("disadvantaged", "comparator"):
        rows = analysis.levels[analysis.levels["group"] == meta[f"{role}_group"]].sort_values("start")
        if not rows.empty:
            values = ", ".join(f"{fmt(v, int(meta['decimals']))} in {p}" for p, v in zip(rows["period"], rows["value"]))
            parts.append(f"{capitalise(meta[f'{role}_label'])}: {values}")
    return f"Line chart of {meta['title'].lower()}{sex_suffix(analysis.sex)} ({meta['unit']}). " + "; ".join(parts) + "."


def gap_alt_text(analysis: Analysis) -> str:
    meta = analysis.indicator
    measure = analysis.gap_measure
    record = analysis.target_record
    values = ", ".join(f"{_gap_number(r['gap'], measure, int(r['gap_decimals']))} in {r['period']}" for _, r in record.iterrows())
    text = f"Line chart of the {MEASURE_NAMES[measure]} in {meta['title'].lower()}{sex_suffix(analysis.sex)}: {values}."
    if analysis.target_gap is not None:
        text += (
            f" A dashed line runs from the baseline to the target of "
            f"{_gap_number(analysis.target_gap, measure, int(analysis.baseline['gap_decimals']))} in {analysis.target['target_period']}."
        )
    return text


# --- tables -----------------------------------------------------------------------------------


def summary_table_html(ledger: Ledger, analyses: list[Analysis]) -> str:
    """One row per indicator and sex: baseline gap, latest gap, change since baseline, target, status.

    An accessible HTML table (caption, header scopes); every figure cited in ``ledger``.
    """
    columns = ["Indicator", "Gap", "Baseline", "Latest", "Change since baseline", "Target", "Status"]
    body = []
    for a in analyses:
        meta, measure = a.indicator, a.gap_measure
        base, latest = a.baseline, a.latest
        has_latest = latest is not None and (base is None or latest["period"] != base["period"])
        cells = [
            f'<span class="label">{escape(meta["title"] + sex_suffix(a.sex))}</span>',
            escape(MEASURE_NAMES[measure]),
            cite_gap(ledger, a, base, measure, with_period=True) if base is not None else "–",
            cite_gap(ledger, a, latest, measure, with_period=True) if has_latest else "–",
            cite_change(ledger, a, latest, measure) if has_latest and pd.notna(latest["change_pct"]) else "–",
            f"{cite_target(ledger, a)} by {a.target['target_period']}" if a.target_gap is not None else "–",
        ]
        status = a.assessment.status if a.assessment is not None else "no target"
        flag = ' <span class="provisional">(provisional)</span>' if a.provisional else ""
        cells.append(f'<span class="{STATUS_CLASS.get(status, "")}">{escape(status)}</span>{flag}')
        row = f'<th scope="row">{cells[0]}</th>' + "".join(f"<td>{c}</td>" for c in cells[1:])
        body.append(f"<tr>{row}</tr>")
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    return (
        '<table class="summary"><caption>Where each gap stands against its target</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def source_link(source: pd.Series, full: bool = True) -> str:
    """A source as a link: its title (or publisher) to its URL, then publisher and date."""
    if not full:
        return f'<a href="{escape(source["url"], quote=True)}">{escape(source["publisher"])}</a>'
    date = f", {escape(source['published'])}" if source["published"] else ""
    return (
        f'<a href="{escape(source["url"], quote=True)}">{escape(source["title"])}</a> '
        f"({escape(source['publisher'])}{date})"
    )


def sources_html(ledger: Ledger, analysis: Analysis, dataset) -> str:
    """The rows behind a section's numbers, each with its source, date and supporting quote."""
    used = set()
    for ids in analysis.record["inputs"]:
        used.update(i for i in ids.split(";") if i)
    for column in ("gap_published_id", "change_published_id"):
        used.update(i for i in analysis.record[column] if i)
    used.update(analysis.levels["id"])
    used.update(analysis.intervals["count_id"])
    rows = analysis.observations[analysis.observations["id"].isin(used)].sort_values(["start", "group", "measure"])
    sources = dataset.sources.set_index("source_id")
    edition = dataset.edition(analysis.as_of)
    items = []
    for _, r in rows.iterrows():
        s = sources.loc[r["source_id"]]
        flag = ' <span class="provisional">provisional</span>' if r["revision"] == "provisional" else ""
        if edition is not None and published_after(s["published"], edition["published"]):
            flag += ' <span class="later">published later</span>'

        items.append(
            f'<li id="row-{escape(r["id"], quote=True)}"><strong>{escape(r["period"])}, {escape(r["group"])}, '
            f'{escape(r["measure"].replace("_", " "))}: {cite_observation(ledger, r)}</strong>{flag}. '
            f'{source_link(s)}: <q class="quote">{escape(r["quote"])}</q>'
            f'{" <em>" + escape(r["note"]) + "</em>" if r["note"] else ""}</li>'
        )
    target = analysis.target
    if target is not None:
        s = sources.loc[target["wording_source_id"]]
        items.append(
            f'<li><strong>Target wording.</strong> <a href="{escape(s["url"], quote=True)}">{escape(s["title"])}</a>: '
            f'<q class="quote">{escape(target["wording"])}</q> <em>{escape(target["note"])}</em></li>'
        )
    return '<ul class="sources">' + "".join(items) + "</ul>"


def excluded_html(ledger: Ledger, dataset, indicator: str) -> str:
    """Figures kept out of the computation for this indicator, with the reason for each."""
    rows = dataset.context[dataset.context["indicator"] == indicator] if not dataset.context.empty else pd.DataFrame()
    if rows.empty:
        return ""
    sources = dataset.sources.set_index("source_id")
    items = []
    for _, r in rows.iterrows():
        number = pd.to_numeric(r["value"], errors="coerce")
        shown = ledger.cite(Figure(
            figure_id=f"context-{indicator}-line{int(r['line'])}", indicator=indicator, sex=r["sex"], period=r["period"],
            measure="not used", value=float(number), displayed=r["value"], kind="published",
            source_rows=f"context.csv:{int(r['line'])};{r['source_id']}",
        ))
        items.append(
            f"<li><span class=\"label\">{escape(r['period'])}, {escape(r['group'])}</span>: {shown} — <em>{escape(r['reason'])}</em> "
            f"(<a href=\"{escape(sources.loc[r['source_id'], 'url'], quote=True)}\">{escape(sources.loc[r['source_id'], 'title'])}</a>)</li>"
        )
    return f'<details><summary>Figures not used, and why</summary><ul class="sources">{"".join(items)}</ul></details>'
