"""Provenance: every figure the briefing shows, where it came from, and the figures table.

Each number in the briefing's prose and tables is *cited* through a :class:`Ledger`: the ledger
records the figure (a stable id, a label in words, its unrounded value, how it is displayed, and
either the published rows it is taken from or the derivation that computed it) and returns the
displayed text wrapped in a link to the figure's entry under "Sources and derivations". Each
notebook writes its ledger as ``figures-<section>.csv``; the build merges them into
``figures.csv`` beside the briefing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from healthgap.analysis.estimates import Estimate

FIGURE_COLUMNS = [
    "figure_id",
    "label",
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

    ``kind`` is ``published`` (taken from ``source_rows``: observation ids, source ids, or a table
    row such as ``targets.csv:3``) or ``derived`` (computed by ``derivation``, "function: formula",
    from ``source_rows``). ``label`` says in words what the figure is.
    """

    figure_id: str
    label: str
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


def figure_of(estimate: Estimate, figure_id: str, label: str, indicator: str, sex: str, period: str,
              measure: str, displayed: str) -> Figure:
    """The :class:`Figure` of an estimate: published with its rows, or derived with its formula."""
    return Figure(
        figure_id=figure_id, label=label, indicator=indicator, sex=sex, period=period, measure=measure,
        value=float(estimate.value), displayed=displayed, kind="published" if estimate.published else "derived",
        source_rows=";".join(estimate.inputs), derivation=estimate.derivation(),
    )


class Ledger:
    """The figures one notebook (or the back matter) shows, in the order first shown."""

    def __init__(self) -> None:
        self._figures: dict[str, Figure] = {}

    def cite(self, figure: Figure) -> Markup:
        """Record a figure and return its displayed text linked to its provenance entry.

        A figure id shown twice must be displayed the same way both times; a different display is
        a programming error, because ``figures.csv`` keeps one display per id.
        """
        known = self._figures.get(figure.figure_id)
        if known is not None and known.displayed != figure.displayed:
            raise ValueError(
                f"figure {figure.figure_id!r} displayed as {figure.displayed!r} and as {known.displayed!r}"
            )
        self._figures.setdefault(figure.figure_id, figure)
        return Markup('<a class="fig" href="#{}">{}</a>').format(anchor(figure.figure_id), figure.displayed)

    def __len__(self) -> int:
        return len(self._figures)

    def __contains__(self, figure_id: str) -> bool:
        return figure_id in self._figures

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(f) for f in self._figures.values()], columns=FIGURE_COLUMNS)

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame().to_csv(path, index=False)
        return path


def merge_figures(folder: Path, pattern: str = "figures-*.csv") -> pd.DataFrame:
    """All the per-notebook figure tables in ``folder``, one row per figure id.

    Two notebooks citing the same id must agree on its display.
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
