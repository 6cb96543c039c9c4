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

from healthgap.read import tables as hd
from healthgap.page import labels
from healthgap.page import provenance
from healthgap.page import reconcile
from healthgap.page.sentences import observation_figure
from healthgap.page.provenance import Ledger
from healthgap.page.render import date_element, render

INPUT_PATTERNS = ("*.csv", "*.toml")


def conflict_rows(ledger: Ledger, dataset: hd.Dataset, observations: pd.DataFrame, edition) -> list[dict]:
    """Keys that sources published with different values: every value, which one is used and why."""
    rows = hd.conflicts(observations)
    out = []
    order = ["indicator", "sex", "start", "group", "preferred"]
    for _, r in rows.sort_values(order, ascending=[True, True, True, True, False]).iterrows():
        s = dataset.source(r["source_id"])
        title = dataset.indicator(r["indicator"])["title"]
        sex = "" if r["sex"] == "persons" else f", {labels.sex(r['sex'])}"
        what = labels.measure(r["measure"]) if r["group"] == "gap" else f"{dataset.group_label(r['group'])}, {labels.measure(r['measure'])}"
        out.append({"indicator": f"{title}{sex}", "period": r["period"], "what": what,
                    "value": ledger.cite(observation_figure(r, dataset.group_label(r["group"]), title)),
                    "url": s["url"], "publisher": s["publisher"], "used": r["preferred"] == "yes",
                    "later": edition is not None and hd.published_after(s["published"], edition["published"]),
                    "note": r["note"]})
    return out


def _reference(row_id: str, dataset: hd.Dataset, rows: pd.DataFrame, sources: pd.DataFrame) -> Markup:
    """One input of a figure, in words and linked: a data row, a source, or a line of a table."""
    if row_id in rows.index:
        r = rows.loc[row_id]
        s = sources.loc[r["source_id"]]
        what = labels.measure(r["measure"]) if r["group"] == "gap" else f"{dataset.group_label(r['group'])} {labels.measure(r['measure'])}"
        when = Markup(", {}").format(date_element(s["published"])) if s["published"] else Markup("")
        return Markup('<a href="#row-{}">{} {}</a> ({}{})').format(row_id, r["period"], what, s["publisher"], when)
    if row_id in sources.index:
        s = sources.loc[row_id]
        return Markup('<a href="{}">{}</a>').format(s["url"], s["title"])
    table, _, line = row_id.partition(":")
    if line:
        return Markup('<a class="ref" href="data/{}">{}, line {}</a>').format(table, table, line)
    return Markup.escape(row_id)


def _file_references(ids: list[str], figures: pd.DataFrame) -> list[Markup]:
    """Inputs of an analyst's series: rows of a file ("name.csv:12"), grouped by file, and figures shown
    elsewhere on the page (a group's value), linked to their entries."""
    by_file: dict[str, list[str]] = {}
    refs = []
    labels_by_id = dict(zip(figures["figure_id"], figures["label"]))
    for row_id in ids:
        if row_id in labels_by_id:
            refs.append(Markup('<a href="#{}">{}</a>').format(provenance.anchor(row_id), labels_by_id[row_id]))
            continue
        table, _, line = row_id.rpartition(":")
        by_file.setdefault(table or row_id, []).append(line)
    for table, lines in by_file.items():
        shown = ", ".join(lines[:12]) + (f" and {len(lines) - 12} more" if len(lines) > 12 else "")
        word = "line" if len(lines) == 1 else "lines"
        refs.append(Markup('<a class="ref" href="data/{}">{}, {} {}</a>').format(table, table, word, shown))
    return refs


def provenance_entries(figures: pd.DataFrame, dataset: hd.Dataset | None) -> list[dict]:
    rows = dataset.observations.set_index("id") if dataset is not None else None
    sources = dataset.sources.set_index("source_id") if dataset is not None else None
    entries = []
    for _, f in figures.iterrows():
        ids = [r for r in str(f["source_rows"]).split(";") if r]
        if dataset is None:
            refs = _file_references(ids, figures)
        else:
            refs = [_reference(r, dataset, rows, sources) for r in ids]
        formula = str(f["derivation"]).partition(": ")[2]
        how = "as published" if f["kind"] == "published" else ("computed as" if formula else "computed")
        entries.append({"anchor": provenance.anchor(f["figure_id"]), "label": f["label"], "displayed": f["displayed"],
                        "how": how, "formula": formula if f["kind"] != "published" else "", "refs": refs})
    return entries


def copy_inputs(data_dir: Path, output_dir: Path) -> Path:
    """Copy the input tables beside the briefing (``data/``), so its links to them work."""
    target = Path(output_dir) / "data"
    target.mkdir(parents=True, exist_ok=True)
    for pattern in INPUT_PATTERNS:
        for path in sorted(Path(data_dir).glob(pattern)):
            shutil.copy2(path, target / path.name)
    readme = Path(data_dir) / "README.md"
    if readme.exists():
        shutil.copy2(readme, target / readme.name)
    return target


def backtest_rows(output_dir: Path) -> list[dict]:
    """The back-test rows the sections wrote with their summaries (:mod:`healthgap.page.backtests`), their HTML
    marked safe (the sections escaped it), earliest edition first, in section order within one."""
    from healthgap.page.section import read_summaries

    rows = [row for summary in read_summaries(output_dir) for row in summary.get("backtests", [])]
    rows = [{k: Markup(v) for k, v in row.items()} for row in rows]
    return sorted(rows, key=lambda r: hd.parse_period(str(r["edition"])) if r["edition"] else (0, 0))


def series_back_matter_html(data_dir: Path, output_dir: Path) -> str:
    """An analyst's series: the provenance of every figure and the files behind it (no published
    derived statistics to reconcile); writes ``figures.csv`` and copies the files as published to ``data/``."""
    from healthgap.analysis import local

    data = local.load(data_dir)
    backtests = backtest_rows(output_dir)
    figures = provenance.merge_figures(output_dir)
    for path in Path(output_dir).glob("figures-*.csv"):
        path.unlink()
    figures.to_csv(Path(output_dir) / "figures.csv", index=False)
    target = Path(output_dir) / "data"
    target.mkdir(parents=True, exist_ok=True)
    copied = [Path(data_dir) / local.CONFIG_NAME, *(f.path for f in data.config.files.values())]
    for extra in ("README.md",):
        if (Path(data_dir) / extra).exists():
            copied.append(Path(data_dir) / extra)
    for path in copied:
        shutil.copy2(path, target / path.name)
    tables = [Markup('<a href="data/{}">{}</a>').format(p.name, p.name) for p in copied if p.suffix != ".md"]
    return str(render("back.html.j2", conflicts=[], reconciliation=Markup(""), series=True,
                      backtests=backtests, until=data.config.backtest_until,
                      figures=provenance_entries(figures, None), tables=tables,
                      readme=(Path(data_dir) / "README.md").exists()))


def back_matter_html(data_dir: Path, as_of: str | None, output_dir: Path, indicators: list[str] | None = None) -> str:
    """Conflicts, reconciliation and provenance, for the indicators built; writes ``figures.csv`` and ``data/``."""
    from healthgap.analysis import local

    if local.is_series(data_dir):
        return series_back_matter_html(data_dir, output_dir)
    dataset = hd.load_dataset(data_dir)
    observations = hd.as_of(dataset.observations, as_of)
    if indicators is not None:
        observations = observations[observations["indicator"].isin(indicators)]
    edition = dataset.edition(as_of)
    ledger = Ledger()
    conflicts = conflict_rows(ledger, dataset, observations, edition)
    frame = reconcile.reconcile(dataset, as_of, indicators)
    reconciliation = reconcile.reconciliation_html(ledger, frame, dataset, as_of) if not frame.empty else Markup("")
    backtests = backtest_rows(output_dir)
    ledger.write(Path(output_dir) / "figures-~appendix.csv")
    figures = provenance.merge_figures(output_dir)
    for path in Path(output_dir).glob("figures-*.csv"):
        path.unlink()
    figures.to_csv(Path(output_dir) / "figures.csv", index=False)
    copy_inputs(data_dir, output_dir)
    tables = [Markup('<a href="data/{}">{}</a>').format(p.name, p.name)
              for pattern in INPUT_PATTERNS for p in sorted(Path(data_dir).glob(pattern))]
    return str(render("back.html.j2", conflicts=conflicts, reconciliation=reconciliation, series=False,
                      backtests=backtests, until=None,
                      figures=provenance_entries(figures, dataset), tables=tables, readme=True))
