"""One section of the briefing, as a notebook shows it: everything about one indicator, one class for every
kind of data.

A :class:`Section` renders what the analysis computed (:class:`~healthgap.analysis.indicator.Analysis`, one per
sex) as the page shows it: the heading, the text, the charts, the record table, the notes and the sources. Each
method returns a fragment the notebook displays (HTML, or a chart with its alt text). The section also writes
what the rest of the page is assembled from (``summary-<section>.json``, ``figures-<section>.csv``,
``<indicator>_gaps.csv``), so a partial build cannot link to a figure no section showed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from markupsafe import Markup

from healthgap.analysis import gaps
from healthgap.analysis.indicator import Analysis, analyse_each_sex
from healthgap.analysis.estimates import number
from healthgap.read import labels
from healthgap.page import sentences as narrative
from healthgap.page.provenance import Ledger
from healthgap.page.render import Fragment, date_element, render, section_anchor
from healthgap.page.sentences import Citer
from healthgap.read.briefing import Briefing, Indicator
from healthgap.read.config import COUNT_LAYOUTS
from healthgap.read.csvfile import neutral_frame
from healthgap.read.tables import published_after

SUMMARY_PREFIX = "summary-"
FIGURES_PREFIX = "figures-"


@dataclass
class Section:
    """The section a notebook shows: ``name`` (the section, as ``[sections]`` names it), the briefing, and the
    analyses of its indicator, one per sex (:func:`healthgap.analysis.indicator.analyse_each_sex`)."""

    briefing: Briefing
    name: str
    analyses: list[Analysis] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)

    @classmethod
    def of(cls, briefing: Briefing, name: str, analyses: list[Analysis] | None = None) -> Section:
        """The section ``name`` of a briefing, with its analyses (computed here unless given)."""
        ind = briefing.indicator_for(name)
        if analyses is None:
            analyses = analyse_each_sex(briefing, ind.key if ind is not None else None)
        return cls(briefing=briefing, name=name, analyses=list(analyses))

    @property
    def indicator(self) -> Indicator | None:
        return self.briefing.indicator_for(self.name) if self.name is not None else None

    # --- the page --------------------------------------------------------------------------------

    def heading(self) -> Fragment:
        """The section's heading and what it compares (or one line on why the data lack it)."""
        ind = self.indicator
        if self.name is None:
            return Fragment(Markup('<p class="note missing">No section is given to this notebook: set '
                                   '<code>section</code> to one of {}.</p>').format(", ".join(self.briefing.sections)))
        if ind is None or not self.analyses:
            return Fragment(render("section_missing.html.j2", name=self.name.replace("_", " ")))
        a0 = self.analyses[0]
        return Fragment(render("section_head.html.j2", anchor=section_anchor(ind.key), title=ind.title,
                               population=ind.population, disadvantaged=a0.disadvantaged_label,
                               comparator=a0.comparator_label, unit=ind.unit, note=ind.note))

    def text(self, analysis: Analysis) -> Fragment:
        """The words of one analysis: where the gap stands, the target and verdict, how it moved, the other gap,
        the slope index, where it is heading."""
        return Fragment(narrative.analysis_html(self.ledger, analysis, with_heading=len(self.analyses) > 1))

    def chart(self, analysis: Analysis, measure: str | None = None, levels: bool = True):
        """The levels of both groups beside the gap (``measure``: "absolute" or "relative"; default the gap the
        target is set on), or the gap alone with ``levels=False``. None where no series has two points."""
        from healthgap.page import charts

        return charts.chart(analysis, measure=measure, levels=levels)

    def inequality_chart(self, analysis: Analysis):
        """The slope index of inequality over time beside every area ranked, where the group is made of areas."""
        from healthgap.page import charts

        return charts.inequality_chart(analysis)

    def record(self, analysis: Analysis) -> Fragment:
        """The gap's record, period by period, collapsed."""
        return Fragment(narrative.record_html(self.ledger, analysis))

    def commentary(self, text: str, only_in: str | None = None) -> Fragment:
        """An analyst's paragraph, shown in every edition or ``only_in`` one (``"2004-06"``). Its words are
        the analyst's: a figure belongs in the data and the analysis, not typed here."""
        if only_in is not None and self.briefing.as_of != only_in:
            return Fragment(Markup(""))
        return Fragment(Markup('<p class="commentary">{}</p>').format(text))

    def closing(self) -> Fragment:
        """How the group's value is computed, the note on intervals, the check against the publisher, every
        area ranked, then the sources (collapsed)."""
        if not self.analyses:
            return Fragment(Markup(""))
        c = Citer(self.ledger, self.analyses[0])
        note = Markup(" ").join(x for x in (
            narrative.method_note(c), narrative.rest_of_england_note(self.analyses[0]),
            narrative.intervals_note(self.ledger, self.analyses),
            narrative.no_sii_note(self.analyses[0], self.briefing.deciles),
            *(narrative.fingertips_sii_note(self.ledger, a) for a in self.analyses)) if x)
        return Fragment(Markup("{}{}{}{}").format(Markup('<p class="note">{}</p>').format(note), narrative.agreement_note(self.ledger, self.analyses[0], self.briefing.counts),
                                                  self.ranking(), self.sources()))

    def ranking(self) -> Markup:
        """Every area in the latest period, ranked, the group marked (collapsed); nothing where the group's value
        is published rather than made of areas."""
        rows = []
        for a in self.analyses:
            table = a.areas
            if table is None or table.empty:
                continue
            d = a.indicator.decimals
            items = []
            for _, r in table.iterrows():
                items.append({"rank": int(r["rank"]), "name": r["area_name"] or r["area_code"], "code": r["area_code"],
                              "value": number(r["value"], d),
                              "range": "" if pd.isna(r["lower"]) else f"{number(r['lower'], d)} to {number(r['upper'], d)}",
                              "member": bool(r["member"]), "note": r.get("value_note", "") or "",
                              "compared": narrative.published_comparison(r),
                              "decile": "" if "decile" not in r or pd.isna(r.get("decile")) else int(r["decile"])})
            period = a.latest.period if a.latest is not None else ""
            rows.append({"heading": labels.sex(a.sex).capitalize() if len(self.analyses) > 1 else "",
                         "period": period, "items": items, "without": self._without_value(a, period, table),
                         "benchmark": narrative.benchmark_sentence(self.ledger, a)})
        if not rows:
            return Markup("")
        ind = self.indicator
        return render("ranking.html.j2", title=ind.title, groups=rows, group=self.analyses[0].disadvantaged_label,
                      anchor=section_anchor(ind.key), unit=ind.unit, comparator="England")

    def _without_value(self, a: Analysis, period: str, ranked: pd.DataFrame) -> list[str]:
        """The tier's areas the data name in ``period`` with no value there (the publisher's note beside each),
        so that no area leaves the ranking unsaid."""
        if not period:
            return []
        from healthgap.analysis.levels import in_tier, indicator_rows

        if a.indicator.computed:  # ONS's counts: the areas whose deaths and populations the tables give
            counts = self.briefing.counts
            if counts is None:
                return []
            held = pd.DataFrame({"area_code": sorted(set(counts.deaths["area_code"]))})
            held = in_tier(self.briefing, held)
            return [str(counts.names.get(code, code)) for code in held["area_code"]
                    if code not in set(ranked["area_code"])]
        rows = in_tier(self.briefing, indicator_rows(self.briefing, a.indicator.key, a.sex))
        rows = rows[(rows["period"] == period) & rows["value"].isna() & ~rows["area_code"].isin(ranked["area_code"])]
        return [f"{r['area_name'] or r['area_code']}{' (' + r['value_note'] + ')' if r.get('value_note') else ''}"
                for _, r in rows.drop_duplicates("area_code").iterrows()]

    def sources(self) -> Markup:
        """Where every figure came from: the published rows used (with their quotes), the target's wording and
        the figures not used; the files as published (source, licence, sha256) with the group's definition and
        every area not matched."""
        return Markup("{}{}").format(self._published_sources(), self._file_sources())

    def _published_sources(self) -> Markup:
        b, ind = self.briefing, self.indicator
        if ind is None or all(a.observations.empty for a in self.analyses):
            return Markup("")
        edition = b.publication()
        found = []
        for a in self.analyses:
            rows = a.observations.sort_values(["start", "end", "group", "measure", "preferred"],
                                              ascending=[True, True, True, True, False])
            items = [self._row_item(r, edition) for _, r in rows.iterrows()]
            target = None
            if a.target is not None and a.target.wording_source_id:
                s = b.source(a.target.wording_source_id)
                target = {"wording": a.target.wording, "note": a.target.note, "title": s["title"], "url": s["url"],
                          "date": date_element(s["published"]), "later": _later(s["published"], edition)}
            found.append({"heading": labels.sex(a.sex).capitalize() if len(self.analyses) > 1 else "",
                          "items": items, "target": target})
        context = b.context[b.context["indicator"] == ind.key] if not b.context.empty else b.context
        unused = []
        for _, r in context.iterrows():
            s = b.source(r["source_id"])
            unused.append({"period": r["period"] or r["period_as_stated"],
                           "sex": "" if r["sex"] == "persons" else labels.sex(r["sex"]),
                           "what": r["what"], "value": r["value"], "unit": r["unit"], "reason": r["reason"],
                           "quote": r["quote"], "title": s["title"], "url": s["url"],
                           "date": date_element(s["published"]), "later": _later(s["published"], edition)})
        return render("section_sources.html.j2", title=ind.title, groups=found, unused=unused,
                      anchor=section_anchor(ind.key))

    def _row_item(self, r: pd.Series, edition) -> dict:
        s = self.briefing.source(r["source_id"])
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

    def _file_sources(self) -> Markup:
        b, ind = self.briefing, self.indicator
        if ind is None or ind.spec is None or not self.analyses:
            return Markup("")
        config, spec = b.config, ind.spec
        files = [f for f in config.files.values() if f.layout in COUNT_LAYOUTS] if spec.compute \
            else [config.files[spec.file]]
        for extra in (config.group.deprivation if config.group is not None else "", config.areas.populations):
            if extra and extra in config.files and config.files[extra] not in files:
                files.append(config.files[extra])
        group = b.group
        names_seen = list(group.unmatched["area_name"])
        unmatched = [{"name": r["area_name"], "code": r["area_code"], "reason": r["reason"], "held_by": r["held_by"],
                      "code_shown": names_seen.count(r["area_name"]) > 1}  # one name under two codes: say which
                     for _, r in group.unmatched.iterrows()]
        from healthgap.analysis.levels import in_tier, indicator_rows

        rows = indicator_rows(b, ind.key, ind.sexes[0])
        members_without = sorted(set(group.codes) - set(rows.loc[rows["value"].notna(), "area_code"]))
        names = dict(zip(group.ranked["area_code"], group.ranked["area_name"]))
        # an indicator on other boundaries than the areas the group is drawn from: which areas differ, both ways
        held = in_tier(b, rows[rows["value"].notna()]) if not ind.computed else rows.iloc[0:0]
        drawn = set(group.ranked["area_code"])
        outside = held[~held["area_code"].isin(drawn)].drop_duplicates("area_code")
        absent = sorted(drawn - set(held["area_code"])) if not held.empty else []
        unmatched_names = [] if b.counts is None else [
            {"name": r["area_name"], "table": r["table"], "reason": r["reason"]} for _, r in b.counts.unmatched.iterrows()]
        return render("series_sources.html.j2", title=ind.title, anchor=section_anchor(ind.key), names=unmatched_names,
                      files=[{"name": f.path.name, "source": f.source, "url": f.url, "licence": f.licence,
                              "published": f.published, "sha256": f.sha256} for f in files],
                      group=group.description, unmatched=unmatched,
                      without=[names.get(code, code) for code in members_without],
                      outside=[r["area_name"] or r["area_code"] for _, r in outside.iterrows()],
                      absent=[names.get(code, code) for code in absent])

    # --- the opening summary ------------------------------------------------------------------------

    def summary_entries(self) -> list[dict]:
        """This section's lines of the opening summary: a sentence and a table row per analysis."""
        return [narrative.summary_entry(self.ledger, a) for a in self.analyses]

    def backtests(self) -> list[dict]:
        """How the trends of earlier editions did for this section's gaps (:mod:`healthgap.page.backtests`)."""
        from healthgap.page import backtests

        return backtests.rows(self.ledger, self.briefing, self.analyses) if self.analyses else []

    # --- files ---------------------------------------------------------------------------------------

    def write(self, output_dir: str | Path) -> list[Path]:
        """Write the record (``<indicator>_gaps.csv``), the figures shown and the summary entries."""
        if self.name is None:
            return []
        output_dir = Path(output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        written = []
        entries = self.summary_entries()
        ind = self.indicator
        if self.analyses:
            record = output_dir / f"{ind.key}_gaps.csv"
            neutral_frame(pd.concat([gaps.record_frame(a.record, a.comparison.indicator, a.sex)
                                     for a in self.analyses])).to_csv(record, index=False)
            written.append(record)
        backtests = [{k: str(Markup.escape(v)) for k, v in row.items()} for row in self.backtests()]
        summary = output_dir / f"{SUMMARY_PREFIX}{self.name}.json"
        summary.write_text(json.dumps({"section": self.name, "indicator": ind.key if ind is not None and self.analyses
                                       else None, "entries": entries, "backtests": backtests}, indent=1),
                           encoding="utf-8")
        written.append(summary)
        written.append(self.ledger.write(output_dir / f"{FIGURES_PREFIX}{self.name}.csv"))
        return written


def _later(published: str, edition) -> bool:
    return edition is not None and published_after(published, edition["published"])


def read_summaries(folder: Path) -> list[dict]:
    """The summary entries the sections wrote, in the order the notebooks ran."""
    found = []
    for path in sorted(Path(folder).glob(f"{SUMMARY_PREFIX}*.json")):
        found.append(json.loads(path.read_text(encoding="utf-8")))
    return found


def show(*items) -> None:
    """Display each fragment or chart in the notebook, in order, skipping any that is None or empty (a chart
    with nothing to draw, a note that does not apply)."""
    from IPython.display import display

    for item in items:
        if item is not None and (not isinstance(item, str) or item):
            display(item)
