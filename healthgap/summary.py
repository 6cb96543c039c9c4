"""The briefing's front matter: title, edition and the summary table of every target."""

from __future__ import annotations

from datetime import date
from html import escape
from pathlib import Path

from healthgap import data as hd
from healthgap import narrative
from healthgap.analysis import analyse_all
from healthgap.provenance import Ledger

TITLE = "Health inequalities in England: progress on the 2010 targets"


def edition_line(dataset: hd.Dataset, as_of: str | None, built: date | None = None) -> str:
    """'Data to 2004-06 · built 2026-11-25 · data version c818e40081e8' (escaped HTML)."""
    period = as_of or hd.latest_period(dataset.observations)
    built = built or date.today()
    return (
        f'<p class="edition">Edition: data to <strong>{escape(period)}</strong> · built {built.isoformat()} · '
        f'data version <code>{escape(dataset.version)}</code></p>'
    )


def edition_source(dataset: hd.Dataset, as_of: str | None) -> str:
    """Which publication this edition reproduces, from ``editions.csv`` (empty if none is named)."""
    period = as_of or hd.latest_period(dataset.observations)
    edition = dataset.edition(period)
    if edition is None:
        return ""
    return (
        f'<p class="edition-source">This edition corresponds to <cite>{escape(edition["title"])}</cite> '
        f'({escape(edition["publisher"])}, <span class="date">{escape(edition["published"])}</span>). '
        f"{escape(edition['note'])} Figures from sources published after it are marked "
        '<span class="later">published later</span>.</p>'
    )


def front_matter_html(data_dir: Path, as_of: str | None) -> str:
    """Title, edition and summary table, as the HTML fragment placed at the top of the briefing."""
    dataset = hd.load_dataset(data_dir)
    analyses = analyse_all(dataset, as_of)
    return (
        f"<header><h1>{escape(TITLE)}</h1>{edition_line(dataset, as_of)}{edition_source(dataset, as_of)}"
        "<p>In 2004 the Department of Health set targets to narrow health-inequality gaps by 2010. "
        "Each row below is one gap: where it stood at the baseline, the latest period known, how far it has "
        "moved and whether the target is on track.</p>"
        f"{narrative.summary_table_html(Ledger(), analyses)}</header>"
    )
