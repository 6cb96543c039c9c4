"""The briefing's back matter, assembled after the notebooks have run: conflicting sources, the
reconciliation of published against recomputed figures, and the provenance of every figure shown.

It also writes, beside the briefing, ``figures.csv`` (every figure shown, merged from the sections'
``figures-<section>.csv``) and a copy of the input tables (``data/``), which the briefing links to.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from healthgap.analysis import reconcile as computed
from healthgap.page import provenance, reconcile
from healthgap.page.provenance import Ledger
from healthgap.page.render import date_element, render
from healthgap.page.sentences import observation_figure
from healthgap.read import labels
from healthgap.read.briefing import Briefing
from healthgap.read.csvfile import neutral_frame
from healthgap.read.periods import parse_period
from healthgap.read.tables import conflicts, published_after
from healthgap.read.vocabulary import GAP_CHANGE_MEASURES



def conflict_rows(ledger: Ledger, briefing: Briefing, observations: pd.DataFrame) -> list[dict]:
    """Keys that sources published with different values: every value, which one is used and why."""
    if observations.empty:
        return []
    edition = briefing.publication()
    rows = conflicts(observations)
    out = []
    order = ["indicator", "sex", "start", "group", "preferred"]
    for _, r in rows.sort_values(order, ascending=[True, True, True, True, False]).iterrows():
        s = briefing.source(r["source_id"])
        title = briefing.indicator(r["indicator"]).title
        sex = "" if r["sex"] == "persons" else f", {labels.sex(r['sex'])}"
        what = labels.measure(r["measure"]) if r["group"] == "gap" else f"{briefing.label(r['group'])}, {labels.measure(r['measure'])}"
        out.append({"indicator": f"{title}{sex}", "period": r["period"], "what": what,
                    "value": ledger.cite(observation_figure(r, briefing.label(r["group"]), title)),
                    "url": s["url"], "publisher": s["publisher"], "used": r["preferred"] == "yes",
                    "later": edition is not None and published_after(s["published"], edition["published"]),
                    "note": r["note"]})
    return out


def _references(ids: list[str], briefing: Briefing, figures: pd.DataFrame) -> list[Markup]:
    """The inputs of a figure, in words and linked: published rows (with their source), sources, figures shown
    elsewhere on the page (a group's value), and lines of the files as published, grouped by file."""
    rows = briefing.observations.set_index("id") if not briefing.observations.empty else pd.DataFrame()
    sources = briefing.sources.set_index("source_id") if not briefing.sources.empty else pd.DataFrame()
    labels_by_id = dict(zip(figures["figure_id"], figures["label"]))
    refs: list = []
    by_file: dict[str, list[str]] = {}
    for row_id in ids:
        if row_id in rows.index:
            r = rows.loc[row_id]
            s = sources.loc[r["source_id"]]
            what = labels.measure(r["measure"]) if r["group"] == "gap" else f"{briefing.label(r['group'])} {labels.measure(r['measure'])}"
            when = Markup(", {}").format(date_element(s["published"])) if s["published"] else Markup("")
            refs.append(Markup('<a href="#row-{}">{} {}</a> ({}{})').format(row_id, r["period"], what, s["publisher"],
                                                                           when))
        elif row_id in sources.index:
            s = sources.loc[row_id]
            refs.append(Markup('<a href="{}">{}</a>').format(s["url"], s["title"]))
        elif row_id in labels_by_id:
            refs.append(Markup('<a href="#{}">{}</a>').format(provenance.anchor(row_id), labels_by_id[row_id]))
        else:  # a line of a file: the lines of one file are listed together, where the file first appears
            table, _, line = row_id.rpartition(":")
            if not table:
                table, line = row_id, ""  # a file as a whole (briefing.toml's target): no line to name
            if table not in by_file:
                by_file[table] = []
                refs.append(table)
            if line:
                by_file[table].append(line)

    def file_reference(table: str) -> Markup:
        lines = by_file[table]
        if not lines:
            return Markup('<a class="ref" href="data/{}">{}</a>').format(table, table)
        shown = ", ".join(lines[:12]) + (f" and {len(lines) - 12} more" if len(lines) > 12 else "")
        word = "line" if len(lines) == 1 else "lines"
        return Markup('<a class="ref" href="data/{}">{}, {} {}</a>').format(table, table, word, shown)

    return [file_reference(r) if isinstance(r, str) and not isinstance(r, Markup) else r for r in refs]


def displayed_with_direction(figure: pd.Series) -> str:
    """A figure as the page shows it, with the direction the words around it gave: a change in a gap is shown
    as its size ("8.1%") beside "narrower" or "wider", so the list of every figure, read alone, says which
    ("8.1% narrower"); a required cut says so in its label."""
    shown = str(figure["displayed"])
    if figure["measure"] not in GAP_CHANGE_MEASURES.values() or "cut" in str(figure["label"]) \
            or shown.lstrip().startswith(("-", "−", "+")):
        return shown
    try:
        value, size = float(figure["value"]), float(shown.rstrip("%").replace(",", ""))
    except ValueError:
        return shown
    shown = shown if shown.endswith("%") else f"{shown}%"  # a percentage change, as the page words it
    return shown if size == 0 else f"{shown} {'narrower' if value < 0 else 'wider'}"


def provenance_entries(figures: pd.DataFrame, briefing: Briefing) -> list[dict]:
    entries = []
    for _, f in figures.iterrows():
        ids = [r for r in str(f["source_rows"]).split(";") if r]
        formula = str(f["derivation"]).partition(": ")[2]
        how = "as published" if f["kind"] == "published" else (
            "" if formula.startswith(("computed ", "the ")) else "computed as" if formula else "computed")
        entries.append({"anchor": provenance.anchor(f["figure_id"]), "label": f["label"],
                        "displayed": displayed_with_direction(f),
                        "how": how, "formula": formula if f["kind"] != "published" else "",
                        "refs": _references(ids, briefing, figures)})
    return entries


def input_files(briefing: Briefing) -> list[Path]:
    """The files the briefing was read from: the tables and ``briefing.toml`` of a tables folder; the
    configuration, every file it names and a group's list of a series folder; and the folder's README."""
    folder = briefing.data_dir
    if briefing.kind == "tables":
        found = sorted([*folder.glob("*.csv"), *folder.glob("*.toml")])
    else:
        found = [folder / "briefing.toml", *(f.path for f in briefing.config.files.values())]
        if briefing.config.group is not None and briefing.config.group.path is not None:
            found.append(briefing.config.group.path)
    return [p for p in found if p.is_file()]


def copy_inputs(briefing: Briefing, output_dir: Path) -> list[Path]:
    """Copy the input files beside the briefing (``data/``), so its links to them work."""
    target = Path(output_dir) / "data"
    target.mkdir(parents=True, exist_ok=True)
    copied = input_files(briefing)
    readme = briefing.data_dir / "README.md"
    for path in [*copied, *([readme] if readme.exists() else [])]:
        shutil.copy2(path, target / path.name)
    return copied


def backtest_rows(output_dir: Path) -> list[dict]:
    """The back-test rows the sections wrote with their summaries (:mod:`healthgap.page.backtests`), their HTML
    marked safe (the sections escaped it), earliest edition first, in section order within one."""
    from healthgap.page.section import read_summaries

    rows = [row for summary in read_summaries(output_dir) for row in summary.get("backtests", [])]
    rows = [{k: Markup(v) for k, v in row.items()} for row in rows]
    return sorted(rows, key=lambda r: parse_period(str(r["edition"])) if r["edition"] else (0, 0))


def back_matter_html(data_dir: Path, as_of: str | None, output_dir: Path, indicators: list[str] | None = None) -> str:
    """Conflicting sources, the reconciliation of published derived statistics, how the projections have done,
    and the provenance of every figure shown, for the indicators built; writes ``figures.csv`` and ``data/``."""
    from healthgap.read.briefing import load

    briefing = load(data_dir, as_of)
    observations = briefing.observations
    if indicators is not None and not observations.empty:
        observations = observations[observations["indicator"].isin(indicators)]
    ledger = Ledger()
    conflicting = conflict_rows(ledger, briefing, observations)
    frame = computed.reconcile(briefing, indicators)
    reconciliation = reconcile.reconciliation_html(ledger, frame, briefing) if not frame.empty else Markup("")
    backtests = backtest_rows(output_dir)
    ledger.write(Path(output_dir) / "figures-~appendix.csv")
    figures = provenance.merge_figures(output_dir)
    for path in Path(output_dir).glob("figures-*.csv"):
        path.unlink()
    neutral_frame(figures).to_csv(Path(output_dir) / "figures.csv", index=False)  # no formula for a spreadsheet
    copied = copy_inputs(briefing, output_dir)
    tables = [Markup('<a href="data/{}">{}</a>').format(p.name, p.name) for p in copied]
    return str(render("back.html.j2", conflicts=conflicting, reconciliation=reconciliation,
                      by_until=bool(briefing.config.backtest_until) and briefing.editions.empty,
                      backtests=backtests, until=briefing.config.backtest_until, targets=not briefing.targets.empty,
                      figures=provenance_entries(figures, briefing), tables=tables,
                      readme=(briefing.data_dir / "README.md").exists()))
