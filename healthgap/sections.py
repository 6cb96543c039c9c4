"""The pieces of one indicator's section of the briefing that are not about a single sex:
its heading, its sources, and the tables it writes beside the briefing."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from healthgap import narrative
from healthgap.analysis import Analysis
from healthgap.data import Dataset
from healthgap.provenance import Ledger


def sexes(dataset: Dataset, indicator: str) -> list[str]:
    """The sexes an indicator is reported for, as listed in ``indicators.csv``."""
    return dataset.indicator(indicator)["sexes"].split(";")


def heading(dataset: Dataset, indicator: str) -> str:
    """The section heading and a line on what is compared, from ``indicators.csv``."""
    meta = dataset.indicator(indicator)
    return (
        f'<section aria-labelledby="{escape(indicator)}"><h2 id="{escape(indicator)}">{escape(meta["title"])}</h2>'
        f"<p class=\"note\">{escape(meta['population'])}. Gap: {escape(meta['disadvantaged_label'])} against "
        f"{escape(meta['comparator_label'])}; unit: {escape(meta['unit'])}. {escape(meta['note'])}</p></section>"
    )


def subheading(analysis: Analysis) -> str:
    """A heading per sex where an indicator has more than persons."""
    return "" if analysis.sex == "persons" else f"<h3>{escape(narrative.capitalise(analysis.sex))}s</h3>"


def sources(ledger: Ledger, dataset: Dataset, analyses: list[Analysis]) -> str:
    """Every row behind the section's numbers, the target wording, and what was left out and why."""
    parts = [f"<h3>Sources for {escape(analyses[0].indicator['title'].lower())}</h3>"]
    for analysis in analyses:
        if len(analyses) > 1:
            parts.append(f"<h4>{escape(narrative.capitalise(analysis.sex))}s</h4>")
        parts.append(narrative.sources_html(ledger, analysis, dataset))
    parts.append(narrative.excluded_html(ledger, dataset, analyses[0].indicator["indicator"]))
    return "".join(parts)


def write_tables(ledger: Ledger, analyses: list[Analysis], output_dir: str | Path) -> list[Path]:
    """Write the section's gap record (every gap and change, unrounded, with its basis) and the
    figures it showed (``figures-<indicator>.csv``, merged into ``figures.csv`` by the build)."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    name = analyses[0].indicator["indicator"]
    record = output_dir / f"{name}_gaps.csv"
    pd.concat([a.record for a in analyses]).to_csv(record, index=False)
    return [record, ledger.write(output_dir / f"figures-{name}.csv")]
