"""The briefing's back matter, assembled after the notebooks have run: conflicting sources, the
reconciliation of published against recomputed figures, and the provenance of every figure.

It also writes, beside the briefing, ``figures.csv`` (every figure shown, merged from the
notebooks' ``figures-<indicator>.csv``) and a copy of the input tables (``data/``), which the
briefing links to.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

import pandas as pd

from healthgap import data as hd
from healthgap import provenance, reconcile
from healthgap.narrative import cite_observation, source_link
from healthgap.provenance import Ledger


def conflicts_html(ledger: Ledger, dataset: hd.Dataset, observations: pd.DataFrame) -> str:
    """Keys that sources published with different values: every value, which one is used and why."""
    rows = hd.conflicts(observations)
    if rows.empty:
        return ""
    sources = dataset.sources.set_index("source_id")
    body = []
    for _, r in rows.sort_values(["indicator", "sex", "start", "group", "preferred"], ascending=[True, True, True, True, False]).iterrows():
        s = sources.loc[r["source_id"]]
        used = "used" if r["preferred"] == "yes" else "not used"
        body.append(
            f"<tr><td>{escape(r['indicator'])}</td><td>{escape(r['sex'])}</td><td>{escape(r['period'])}</td>"
            f"<td>{escape(r['group'])}</td><td>{cite_observation(ledger, r)}</td>"
            f"<td>{source_link(s, full=False)}</td>"
            f"<td>{used}</td><td>{escape(r['note'])}</td></tr>"
        )
    head = "".join(
        f'<th scope="col">{c}</th>' for c in ("Indicator", "Sex", "Period", "Group", "Value", "Source", "Used", "Why")
    )
    return (
        '<section id="conflicts"><h2>Where sources disagree</h2>'
        "<p>Where two sources give different values for the same figure, both are kept; the table says "
        "which one this briefing uses and why.</p>"
        f'<table class="conflicts"><caption>Conflicting published values</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )


def copy_inputs(data_dir: Path, output_dir: Path) -> Path:
    """Copy the input tables beside the briefing (``data/``), so its links to them work."""
    target = Path(output_dir) / "data"
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(data_dir).glob("*.csv")):
        shutil.copy2(path, target / path.name)
    readme = Path(data_dir) / "README.md"
    if readme.exists():
        shutil.copy2(readme, target / readme.name)
    return target


def back_matter_html(data_dir: Path, as_of: str | None, output_dir: Path) -> str:
    """Conflicts, reconciliation and provenance sections; writes ``figures.csv`` and ``data/``."""
    dataset = hd.load_dataset(data_dir)
    observations = hd.as_of(dataset.observations, as_of)
    ledger = Ledger()
    conflicts = conflicts_html(ledger, dataset, observations)
    reconciled = reconcile.reconciliation_html(ledger, reconcile.reconcile(dataset, as_of))
    ledger.write(Path(output_dir) / "figures-~appendix.csv")
    figures = provenance.merge_figures(output_dir)
    for path in Path(output_dir).glob("figures-*.csv"):
        path.unlink()
    figures.to_csv(Path(output_dir) / "figures.csv", index=False)
    copy_inputs(data_dir, output_dir)
    downloads = (
        '<section id="downloads"><h2>Data behind this briefing</h2><p>'
        '<a href="figures.csv">figures.csv</a>: every figure shown, unrounded, with its provenance. '
        'Input tables as read for this edition: '
        + ", ".join(f'<a href="data/{escape(p.name)}">{escape(p.name)}</a>' for p in sorted(Path(data_dir).glob("*.csv")))
        + ' (schema: <a href="data/README.md">data/README.md</a>).</p></section>'
    )
    return conflicts + reconciled + downloads + provenance.entries_html(figures, dataset)
