"""Provenance: every figure the briefing shows, where it came from, and the figures table.

Each number in the briefing's prose and tables is *cited* through a :class:`Ledger`: the ledger
records the figure (a stable id, what it measures, its unrounded value, how it is displayed,
and either the published rows it is taken from or the derivation that computed it) and returns
the displayed text wrapped in a link to the figure's entry in the briefing's "Sources and
derivations" section. Each notebook writes its ledger as ``figures-<indicator>.csv``; the build
merges them into ``figures.csv`` beside the briefing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path

import pandas as pd

FIGURE_COLUMNS = [
    "figure_id",
    "indicator",
    "sex",
    "period",
    "measure",
    "value",
    "displayed",
    "kind",
    "source_rows",
    "derivation",
]


@dataclass(frozen=True)
class Figure:
    """One figure as the briefing shows it.

    ``kind`` is ``published`` (taken from ``source_rows``, observation ids or a table row such
    as ``targets.csv:3``) or ``derived`` (computed by ``derivation`` from ``source_rows``).
    """

    figure_id: str
    indicator: str
    sex: str
    period: str
    measure: str
    value: float
    displayed: str
    kind: str
    source_rows: str
    derivation: str = ""


def anchor(figure_id: str) -> str:
    """The HTML id of a figure's provenance entry."""
    return "fig-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in figure_id)


class Ledger:
    """The figures one notebook (or the front matter) shows, in the order first shown."""

    def __init__(self) -> None:
        self._figures: dict[str, Figure] = {}

    def cite(self, figure: Figure) -> str:
        """Record a figure and return its displayed text linked to its provenance entry.

        A figure id shown twice must be displayed the same way both times; a different display
        is a programming error, because ``figures.csv`` keeps one display per id.
        """
        known = self._figures.get(figure.figure_id)
        if known is not None and known.displayed != figure.displayed:
            raise ValueError(
                f"figure {figure.figure_id!r} displayed as {figure.displayed!r} and as {known.displayed!r}"
            )
        self._figures.setdefault(figure.figure_id, figure)
        return f'<a class="fig" href="#{anchor(figure.figure_id)}">{escape(figure.displayed)}</a>'

    def __len__(self) -> int:
        return len(self._figures)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self._figures.values()], columns=FIGURE_COLUMNS)

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame().to_csv(path, index=False)
        return path


def merge_figures(folder: Path, pattern: str = "figures-*.csv") -> pd.DataFrame:
    """All the per-notebook figure tables in ``folder``, one row per figure id.

    Two notebooks citing the same id must agree on its value and display.
    """
    frames = [pd.read_csv(p, dtype={"displayed": str}, keep_default_na=False) for p in sorted(Path(folder).glob(pattern))]
    if not frames:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    merged = pd.concat(frames, ignore_index=True)
    merged["value"] = pd.to_numeric(merged["value"], errors="coerce")
    clashes = merged.groupby("figure_id")["displayed"].nunique()
    if (clashes > 1).any():
        raise ValueError(f"figure {clashes[clashes > 1].index[0]!r} is displayed differently by two notebooks")
    return merged.drop_duplicates("figure_id").reset_index(drop=True)


def entries_html(figures: pd.DataFrame, dataset) -> str:
    """The "Sources and derivations" section: one entry per figure, the target of its links."""
    observations = dataset.observations.set_index("id")
    sources = dataset.sources.set_index("source_id")
    items = []
    for _, f in figures.iterrows():
        rows = [r for r in str(f["source_rows"]).split(";") if r]
        refs = []
        for row_id in rows:
            if row_id in observations.index:
                row = observations.loc[row_id]
                source = sources.loc[row["source_id"]]
                refs.append(
                    f'<a href="#row-{escape(row_id, quote=True)}"><code>{escape(row_id)}</code></a> '
                    f'(<a href="{escape(source["url"], quote=True)}">{escape(source["publisher"])}'
                    f'{", " + escape(source["published"]) if source["published"] else ""}</a>)'
                )
            else:
                refs.append(f"<code>{escape(row_id)}</code>")
        how = "published" if f["kind"] == "published" else f"derived: <code>{escape(str(f['derivation']))}</code>"
        items.append(
            f'<li id="{anchor(f["figure_id"])}"><code>{escape(f["figure_id"])}</code> '
            f'<span class="shown">{escape(str(f["displayed"]))}</span> — {how}; from {", ".join(refs) or "–"}</li>'
        )
    return (
        '<section id="provenance"><h2>Sources and derivations</h2>'
        '<p>Every figure in this briefing links here. Published figures name the data row they are taken '
        'from (each row gives its source, date and the sentence that carries the figure); derived figures '
        'name the computation and the rows it used. <a href="figures.csv">figures.csv</a> lists them all '
        'with unrounded values.</p>'
        f'<ol class="provenance">{"".join(items)}</ol></section>'
    )
