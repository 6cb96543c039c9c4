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


def short_unit(meta: pd.Series) -> str:
    """The unit without its parenthetical qualifier: 'deaths per 100,000'."""
    return str(meta["unit"]).split(" (")[0]


def gap_figure(row: pd.Series, meta: pd.Series, measure: str, with_period: bool = False) -> str:
    """A gap as displayed, with the published figure beside it when the two differ on display.

    ``"26.0% (published: 25.9%)"``; with ``with_period``: ``"26.0% (1995-97; published: 25.9%)"``.
    """
    decimals = int(row["gap_decimals"])
    shown = _gap_number(row["gap"], measure, decimals)
    notes = [str(row["period"])] if with_period else []
    if row["gap_basis"] == "levels" and pd.notna(row["gap_published"]):
        published = _gap_number(row["gap_published"], measure, int(row["gap_published_decimals"]))
        if published != shown:
            notes.append(f"published: {published}")
    return f"{shown} ({'; '.join(notes)})" if notes else shown


def _gap_number(value: float, measure: str, decimals: int) -> str:
    return fmt_pct(value, decimals) if measure == "relative_gap_pct" else fmt(value, decimals)


def change_words(change: float, decimals: int = 1) -> str:
    """'11.1% narrower' / '2% wider' / 'unchanged' for a percentage change in a gap."""
    if pd.isna(change):
        return "–"
    if round(change, decimals) == 0:
        return "unchanged"
    return f"{fmt(abs(change), decimals)}% {'narrower' if change < 0 else 'wider'}"


def basis_phrase(row: pd.Series) -> str:
    return {
        "levels": "computed from the two groups' published levels",
        "published": "as published",
        "implied by published change": "implied by the published change from the baseline gap",
    }.get(row["gap_basis"], "")


# --- sentences --------------------------------------------------------------------------------


def record_sentence(analysis: Analysis, measure: str | None = None) -> str:
    """The whole record of a gap: '20.7 (1995-97) → 18.1 (2003-05) → 18.4 (2004-06) deaths per 100,000'."""
    measure = measure or analysis.gap_measure
    meta = analysis.indicator
    record = analysis.record_of(measure)
    if record.empty:
        return ""
    trail = " → ".join(gap_figure(r, meta, measure, with_period=True) for _, r in record.iterrows())
    unit = "" if measure == "relative_gap_pct" else f" {escape(short_unit(meta))}"
    return (
        f"The {MEASURE_NAMES[measure]} between {escape(meta['disadvantaged_label'])} and "
        f"{escape(meta['comparator_label'])}{escape(sex_suffix(analysis.sex))}: {trail}{unit}."
    )


def movement_sentence(analysis: Analysis) -> str:
    """How the gap moved in its latest period and for how many consecutive periods."""
    record = analysis.target_record
    if len(record) < 2:
        return ""
    latest, previous = record.iloc[-1], record.iloc[-2]
    direction, run = gaps.consecutive_run(record["gap"].round(6).tolist())
    name = MEASURE_NAMES[analysis.gap_measure]
    if direction == "unchanged":
        text = f"In {latest['period']} the {name} was unchanged from {previous['period']}"
    else:
        verb = "declined" if direction == "declined" else "rose"
        text = f"In {latest['period']} the {name} {verb} from {previous['period']}"
    if run >= 2:
        text += f", the {ORDINALS.get(run, f'{run}th')} consecutive period it {'declined' if direction == 'declined' else 'rose' if direction == 'rose' else 'was unchanged'}"
    return text + "."


def change_sentence(analysis: Analysis) -> str:
    """Where the gap stands against the baseline, computed and as published."""
    latest, base = analysis.latest, analysis.baseline
    if latest is None or base is None or pd.isna(latest["change_pct"]) or latest["period"] == base["period"]:
        return ""
    meta = analysis.indicator
    measure = analysis.gap_measure
    change_dec = int(latest["change_decimals"])
    parts = [f"In {latest['period']} the {MEASURE_NAMES[measure]} was"]
    if latest["gap_basis"] in ("levels", "published"):
        unit = "" if measure == "relative_gap_pct" else f" {escape(short_unit(meta))}"
        parts.append(f" {gap_figure(latest, meta, measure)}{unit},")
    parts.append(
        f" {change_words(latest['change_pct'], change_dec)} than at the {base['period']} baseline "
        f"({gap_figure(base, meta, measure)})"
    )
    if latest["change_basis"] == "gaps":
        bases = {base["gap_basis"], latest["gap_basis"]}
        source = {
            frozenset({"published"}): "the rounded published gaps",
            frozenset({"levels"}): "the rounded published levels",
        }.get(frozenset(bases), "the rounded published levels and gaps")
        parts.append(f", as computed from {source}")
        if pd.notna(latest["change_published"]):
            parts.append(f"; the published change is {change_words(latest['change_published'], int(latest['change_published_decimals']))}")
    else:
        parts.append(" as published")
        if latest["gap_basis"] == "implied by published change":
            parts.append(f" (the {MEASURE_NAMES[measure]} itself is not in the data for {latest['period']})")
    return "".join(parts) + "."


def target_sentence(analysis: Analysis) -> str:
    """The target and the verdict, with the figures it rests on."""
    target, verdict = analysis.target, analysis.assessment
    if target is None or verdict is None:
        return "This indicator has no target."
    meta = analysis.indicator
    measure = analysis.gap_measure
    reduction = float(target["reduction_pct"])
    text = f"The target is a cut of at least {reduction:g}% in the {MEASURE_NAMES[measure]} between {target['baseline_period']} and {target['target_period']}"
    if analysis.target_gap is not None:
        unit = "" if measure == "relative_gap_pct" else f" {escape(short_unit(meta))}"
        shown = _gap_number(analysis.target_gap, measure, int(analysis.baseline["gap_decimals"]))
        text += f": a gap of {shown}{unit} or less"
        if pd.notna(target["published_target_value"]):
            published = _gap_number(target["published_target_value"], measure, int(analysis.baseline["gap_decimals"]))
            if published != shown:
                text += f" (published: {published}, from the unrounded baseline)"
    text += f". Verdict: <strong class=\"{STATUS_CLASS[verdict.status]}\">{verdict.status}</strong>"
    if verdict.status == targets.NOT_YET_ASSESSABLE:
        return text + ": no gap after the baseline is in the data."
    change = change_words(verdict.change_pct, 1)
    if verdict.status in (targets.ON_TRACK, targets.NOT_ON_TRACK):
        required = change_words(verdict.required_change_pct, 1)
        text += (
            f": in {verdict.period} the gap was {change} than at baseline, where the straight line to the target "
            f"required it to be {required} by then"
        )
        if verdict.status == targets.NOT_ON_TRACK:
            text += "; the target is in danger"
        elif verdict.change_pct <= verdict.target_change_pct:
            text += "; the gap is already within the target"
    else:
        text += f": in {verdict.period} the gap was {change} than at baseline"
    if analysis.provisional:
        text += f" (the {analysis.latest['period']} figures are <span class=\"provisional\">provisional</span>)"
    return text + "."


def contrast_sentence(analysis: Analysis) -> str:
    """Absolute and relative gaps side by side, saying when they tell different stories."""
    other = "relative_gap_pct" if analysis.gap_measure == "absolute_gap" else "absolute_gap"
    meta = analysis.indicator
    mine, theirs = analysis.target_record, analysis.record_of(other)
    common = sorted(set(mine["period"]) & set(theirs["period"]), key=lambda p: list(mine["period"]).index(p))
    if len(common) < 2:
        return record_sentence(analysis, other)
    first, last = common[0], common[-1]

    def span(record: pd.DataFrame, measure: str) -> tuple[str, float]:
        a = record[record["period"] == first].iloc[0]
        b = record[record["period"] == last].iloc[0]
        moved = "narrowed" if b["gap"] < a["gap"] else "widened" if b["gap"] > a["gap"] else "did not move"
        unit = "" if measure == "relative_gap_pct" else f" {escape(short_unit(meta))}"
        return (
            f"the {MEASURE_NAMES[measure]} {moved} from {gap_figure(a, meta, measure)} to {gap_figure(b, meta, measure)}{unit}",
            b["gap"] - a["gap"],
        )

    one, d1 = span(mine, analysis.gap_measure)
    two, d2 = span(theirs, other)
    if d1 * d2 < 0:
        lead = f"The absolute and relative gaps tell different stories between {first} and {last}: "
    else:
        lead = f"Between {first} and {last} "
    return capitalise(lead + f"{one}, while {two}.") if d1 * d2 < 0 else lead + f"{one}, and {two}."


def data_note(analysis: Analysis) -> str:
    """What the data does not cover: a latest gap older than the edition, implied figures."""
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


def paragraphs(analysis: Analysis) -> str:
    """The section's narrative as HTML paragraphs."""
    sentences = [
        record_sentence(analysis),
        " ".join(s for s in (movement_sentence(analysis), change_sentence(analysis)) if s),
        target_sentence(analysis),
        contrast_sentence(analysis),
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


def summary_rows(analyses: list[Analysis]) -> pd.DataFrame:
    """One row per indicator and sex: baseline gap, latest gap, change since baseline, target, status."""
    rows = []
    for a in analyses:
        meta, measure = a.indicator, a.gap_measure
        base, latest = a.baseline, a.latest
        rows.append(
            {
                "Indicator": meta["title"] + sex_suffix(a.sex),
                "Gap": MEASURE_NAMES[measure],
                "Baseline": gap_figure(base, meta, measure, with_period=True) if base is not None else "–",
                "Latest": (
                    f"{_gap_number(latest['gap'], measure, int(latest['gap_decimals']))} ({latest['period']})"
                    if latest is not None and (base is None or latest["period"] != base["period"]) else "–"
                ),
                "Change since baseline": change_words(latest["change_pct"], int(latest["change_decimals"])) if latest is not None else "–",
                "Target": (
                    f"{_gap_number(a.target_gap, measure, int(base['gap_decimals']))} by {a.target['target_period']}"
                    if a.target_gap is not None else "–"
                ),
                "Status": a.assessment.status if a.assessment is not None else "no target",
                "provisional": a.provisional,
            }
        )
    return pd.DataFrame(rows)


def summary_table_html(analyses: list[Analysis]) -> str:
    """The summary table as an accessible HTML table (caption, header scopes, escaped cells)."""
    frame = summary_rows(analyses)
    columns = [c for c in frame.columns if c != "provisional"]
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for c in columns:
            value = escape(str(row[c]))
            if c == "Status":
                cls = STATUS_CLASS.get(row[c], "")
                value = f'<span class="{cls}">{value}</span>' + (' <span class="provisional">(provisional)</span>' if row["provisional"] else "")
            tag = "th scope=\"row\"" if c == "Indicator" else "td"
            cells.append(f"<{tag}>{value}</{tag.split()[0]}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<table class="summary"><caption>Where each gap stands against its target</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def sources_html(analysis: Analysis, dataset) -> str:
    """The rows behind a section's numbers, each with its source, date and supporting quote."""
    used = set()
    for ids in analysis.record["inputs"]:
        used.update(i for i in ids.split(";") if i)
    for column in ("gap_published_id", "change_published_id"):
        used.update(i for i in analysis.record[column] if i)
    used.update(analysis.levels["id"])
    rows = analysis.observations[analysis.observations["id"].isin(used)].sort_values(["start", "group", "measure"])
    sources = dataset.sources.set_index("source_id")
    items = []
    for _, r in rows.iterrows():
        s = sources.loc[r["source_id"]]
        flag = ' <span class="provisional">provisional</span>' if r["revision"] == "provisional" else ""
        items.append(
            f'<li id="row-{escape(r["id"])}"><strong>{escape(r["period"])}, {escape(r["group"])}, '
            f'{escape(r["measure"].replace("_", " "))}: {fmt(r["value"], int(r["decimals"]))}</strong>{flag}. '
            f'<a href="{escape(s["url"], quote=True)}">{escape(s["title"])}</a> ({escape(s["publisher"])}'
            f'{", " + escape(s["published"]) if s["published"] else ""}): “{escape(r["quote"])}”'
            f'{" <em>" + escape(r["note"]) + "</em>" if r["note"] else ""}</li>'
        )
    target = analysis.target
    if target is not None:
        s = sources.loc[target["wording_source_id"]]
        items.append(
            f'<li><strong>Target wording.</strong> <a href="{escape(s["url"], quote=True)}">{escape(s["title"])}</a>: '
            f'“{escape(target["wording"])}” <em>{escape(target["note"])}</em></li>'
        )
    return '<ul class="sources">' + "".join(items) + "</ul>"


def excluded_html(dataset, indicator: str) -> str:
    """Figures kept out of the computation for this indicator, with the reason for each."""
    rows = dataset.context[dataset.context["indicator"] == indicator] if not dataset.context.empty else pd.DataFrame()
    if rows.empty:
        return ""
    sources = dataset.sources.set_index("source_id")
    items = "".join(
        f"<li>{escape(r['period'])}, {escape(r['group'])}: {escape(r['value'])} — {escape(r['reason'])} "
        f"(<a href=\"{escape(sources.loc[r['source_id'], 'url'], quote=True)}\">{escape(sources.loc[r['source_id'], 'title'])}</a>)</li>"
        for _, r in rows.iterrows()
    )
    return f'<details><summary>Figures not used, and why ({len(rows)})</summary><ul class="sources">{items}</ul></details>'
