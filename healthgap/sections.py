"""One section of the briefing, as a notebook builds it: everything about one indicator.

A section produces everything about itself: its heading, its text and tables, its sources, its
line of the opening summary and its figures. It writes them beside the briefing
(``summary-<section>.json``, ``figures-<section>.csv``, ``<indicator>_gaps.csv``), and the build
assembles the front and back matter from what the sections wrote, so a partial build cannot link
to a figure no section showed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from healthgap import data as hd
from healthgap import estimates as est
from healthgap import gaps, labels, narrative
from healthgap.analysis import Analysis, analyse
from healthgap.narrative import Citer, direction_word, sex_suffix
from healthgap.provenance import Ledger
from healthgap.render import date_element, render, squash

SUMMARY_PREFIX = "summary-"
FIGURES_PREFIX = "figures-"


def section_anchor(indicator: str) -> str:
    return f"section-{indicator}"


@dataclass
class Section:
    """The section a notebook shows: ``name`` (the notebook), its indicator, and its analyses, one per sex."""

    name: str
    dataset: hd.Dataset
    indicator: str | None
    as_of: str | None
    analyses: list[Analysis] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)

    @classmethod
    def load(cls, data_dir: str | Path, name: str, as_of: str | None = None) -> Section:
        """Read the data, find the indicator the configuration gives this notebook, and analyse it."""
        dataset = hd.load_dataset(data_dir)
        indicator = dataset.config.sections.get(name) if dataset.config is not None else None
        section = cls(name=name, dataset=dataset, indicator=indicator, as_of=as_of)
        if indicator is not None:
            meta = dataset.indicator(indicator)
            section.analyses = [analyse(dataset, indicator, sex, as_of) for sex in meta["sexes"].split(";")]
        return section

    @property
    def meta(self) -> pd.Series | None:
        return None if self.indicator is None else self.dataset.indicator(self.indicator)

    # --- the page --------------------------------------------------------------------------------

    def heading(self) -> Markup:
        """The section's heading and what it compares (or one line on why the data lacks it)."""
        if self.indicator is None:
            return render("section_missing.html.j2", name=self.name.replace("_", " "))
        meta, a0 = self.meta, self.analyses[0]
        return render("section_head.html.j2", anchor=section_anchor(self.indicator), title=meta["title"],
                      population=meta["population"], disadvantaged=a0.disadvantaged_label,
                      comparator=a0.comparator_label, unit=meta["unit"], note=meta["note"])

    def text(self, analysis: Analysis) -> Markup:
        return narrative.analysis_html(self.ledger, analysis, with_heading=len(self.analyses) > 1)

    def record(self, analysis: Analysis) -> Markup:
        return narrative.record_html(self.ledger, analysis)

    def closing(self) -> Markup:
        """The note on intervals, then the section's sources, collapsed."""
        if not self.analyses:
            return Markup("")
        return Markup("{}{}").format(
            Markup('<p class="note">{}</p>').format(narrative.intervals_note(self.ledger, self.analyses)),
            self.sources(),
        )

    def sources(self) -> Markup:
        """Every row of the indicator in this edition (used, corroborating or conflicting), the target
        wording, and the figures not used with the reason for each."""
        dataset, meta = self.dataset, self.meta
        edition = dataset.edition(self.as_of)
        groups = []
        for a in self.analyses:
            rows = a.observations.sort_values(["start", "end", "group", "measure", "preferred"],
                                              ascending=[True, True, True, True, False])
            items = [self._row_item(r, edition) for _, r in rows.iterrows()]
            target = None
            if a.target is not None:
                s = dataset.source(a.target.wording_source_id)
                target = {"wording": a.target.wording, "note": a.target.note, "title": s["title"], "url": s["url"],
                          "date": date_element(s["published"]),
                          "later": _later(s["published"], edition)}
            groups.append({"heading": labels.sex(a.sex).capitalize() if len(self.analyses) > 1 else "",
                           "items": items, "target": target})
        context = hd.context_as_of(dataset, self.as_of)
        context = context[context["indicator"] == self.indicator] if not context.empty else context
        unused = []
        for _, r in context.iterrows():
            s = dataset.source(r["source_id"])
            unused.append({"period": r["period"] or r["period_as_stated"], "sex": "" if r["sex"] == "persons" else labels.sex(r["sex"]),
                           "what": r["what"], "value": r["value"], "unit": r["unit"], "reason": r["reason"],
                           "quote": r["quote"], "title": s["title"], "url": s["url"],
                           "date": date_element(s["published"]),
                           "later": _later(s["published"], edition)})
        return render("section_sources.html.j2", title=meta["title"], groups=groups, unused=unused,
                      anchor=section_anchor(self.indicator))

    def _row_item(self, r: pd.Series, edition) -> dict:
        s = self.dataset.source(r["source_id"])
        a = self.analyses[0]
        what = labels.measure(r["measure"]) if r["group"] == "gap" else f"{a.label(r['group'])}, {labels.measure(r['measure'])}"
        if r["reference_period"]:
            what += f" since {r['reference_period']}"
        return {
            "id": r["id"], "period": r["period"], "what": what,
            "value": Citer(self.ledger, a).observation(r), "unit": r["unit"],
            "used": r["preferred"] == "yes", "provisional": r["revision"] == "provisional",
            "estimate": r["status"] == "estimate", "later": _later(s["published"], edition),
            "title": s["title"], "publisher": s["publisher"], "url": s["url"],
            "date": date_element(s["published"]), "quote": r["quote"], "note": r["note"],
        }

    # --- the opening summary ------------------------------------------------------------------------

    def summary_entries(self) -> list[dict]:
        """This section's lines of the opening summary: a sentence and a table row per analysis."""
        return [summary_entry(self.ledger, a) for a in self.analyses]

    # --- files ---------------------------------------------------------------------------------------

    def write(self, output_dir: str | Path) -> list[Path]:
        """Write the record (``<indicator>_gaps.csv``), the figures shown and the summary entries."""
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        written = []
        entries = self.summary_entries()
        if self.analyses:
            record = output_dir / f"{self.indicator}_gaps.csv"
            pd.concat([gaps.record_frame(a.record, a.comparison.indicator, a.sex) for a in self.analyses]).to_csv(
                record, index=False)
            written.append(record)
        summary = output_dir / f"{SUMMARY_PREFIX}{self.name}.json"
        summary.write_text(json.dumps({"section": self.name, "indicator": self.indicator, "entries": entries},
                                      indent=1), encoding="utf-8")
        written.append(summary)
        written.append(self.ledger.write(output_dir / f"{FIGURES_PREFIX}{self.name}.csv"))
        return written


def _later(published: str, edition) -> bool:
    return edition is not None and hd.published_after(published, edition["published"])


def summary_entry(ledger: Ledger, a: Analysis) -> dict:
    """One line of the opening summary (``sentence``) and one row of its table (``cells``), as HTML."""
    c = Citer(ledger, a)
    meta, t, v = a.indicator, a.target, a.assessment
    name = f"{meta['title']}{sex_suffix(a.sex)}"
    base, latest = a.baseline, a.latest
    point = v.point if v is not None and v.point is not None else latest
    cells = {"indicator": name, "anchor": section_anchor(meta["indicator"]), "measure": labels.measure(a.gap_measure)}
    cells["baseline"] = _gap_cell(c, base) if base is not None else Markup("–")
    cells["latest"] = _gap_cell(c, latest) if latest is not None and latest is not base else Markup("–")
    change = cell = None
    computed = False
    if point is not None and point.change is not None:
        change = Markup("{} {}").format(c.change(point), direction_word(point.change.value, point.change.decimals))
        cell = Markup('<span class="nw">{}</span>').format(change)
        computed = not point.change.published
        if computed:
            cell += Markup(' <span class="computed">computed</span>')
        if point.period != (latest.period if latest is not None else None):
            cell += Markup(" ({})").format(point.period)
    cells["change"] = cell or Markup("–")
    cells["target"] = Markup('<span class="nw">{} by {}</span>{}').format(c.target_value(), t.target_period, Markup(
        "" if t.value.published else ' <span class="computed">computed</span>')) \
        if t is not None and t.value is not None else Markup("–")
    status = v.status if v is not None else "no target"
    cells["status"] = status
    cells["status_class"] = narrative.STATUS_CLASS.get(status, "")
    flags = narrative.estimate_flags(point.change) if point is not None and point.change is not None else []
    cells["flags"] = Markup(" ").join(flags)
    stale = point is not None and point.period != a.as_of
    cells["stale"] = stale
    cells["latest_period"] = latest.period if latest is not None else ""
    gaps_instead = None
    if computed and base is not None and point.gap is not None and base.gap is not None \
            and point.gap.basis != est.IMPLIED and base.gap.basis != est.IMPLIED and not est.contains_zero(point.change):
        gaps_instead = {"gap": c.gap(point), "base": c.gap(base), "unit": c.unit(point.measure),
                        "comparative": direction_word(point.change.value, point.change.decimals)}
    sentence = render("summary_sentence.html.j2", name=name, status=status, css=cells["status_class"],
                      gaps=gaps_instead,
                      stale=stale, period=point.period if point is not None else "",
                      change=change, computed=computed, measure=labels.measure(a.gap_measure),
                      baseline=a.baseline_period,
                      reduction=c.reduction() if t is not None else None,
                      target_period=t.target_period if t is not None else "",
                      anchor=section_anchor(meta["indicator"]), flags=flags)
    return {"sentence": str(squash(sentence)), "cells": {k: str(v) for k, v in cells.items()}}


def _gap_cell(c: Citer, p) -> Markup:
    """'20.7 (1995-97)', a computed gap marked so, an implied one shown as not published."""
    if p.gap is None or p.gap.basis == est.IMPLIED:
        return Markup('<span class="nw">{}:</span> gap not published').format(p.period)
    text = Markup('<span class="nw">{} in {}</span>').format(c.gap(p), p.period)
    if p.gap.basis == est.LEVELS:
        text += Markup(' <span class="computed">computed</span>')
    if p.gap.provisional:
        text += Markup(' <span class="provisional">provisional</span>')
    return text


def read_summaries(folder: Path) -> list[dict]:
    """The summary entries the sections wrote, in the order the notebooks ran."""
    found = []
    for path in sorted(Path(folder).glob(f"{SUMMARY_PREFIX}*.json")):
        found.append(json.loads(path.read_text(encoding="utf-8")))
    return found
