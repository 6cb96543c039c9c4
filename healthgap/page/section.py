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

from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.analysis.indicator import Analysis, analyse_each_sex
from healthgap.analysis.estimates import number
from healthgap.read import labels
from healthgap.page import sentences as narrative
from healthgap.page.provenance import Ledger
from healthgap.page.render import Fragment, date_element, render, squash
from healthgap.page.render import capitalise as render_capitalise
from healthgap.page.sentences import Citer, direction_word, sex_suffix
from healthgap.read.briefing import Briefing, Indicator
from healthgap.read.config import COUNT_LAYOUTS
from healthgap.read.csvfile import neutral_frame
from healthgap.read.tables import published_after

SUMMARY_PREFIX = "summary-"
FIGURES_PREFIX = "figures-"


def section_anchor(indicator: str) -> str:
    return f"section-{indicator}"


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
        note = Markup(" ").join(x for x in (narrative.method_note(c), self.comparator_note(),
                                            narrative.intervals_note(self.ledger, self.analyses), self.no_sii_note(),
                                            *(self.fingertips_sii_note(a) for a in self.analyses)) if x)
        return Fragment(Markup("{}{}{}{}").format(Markup('<p class="note">{}</p>').format(note), self.agreement(),
                                                  self.ranking(), self.sources()))

    def comparator_note(self) -> Markup:
        """How the rest of England is found, where it is the comparator: derived from England's published value."""
        a = self.analyses[0]
        if a.levels.empty or "method" not in a.levels:
            return Markup("")
        rows = a.levels[a.levels["group"] == a.comparison.comparator]
        if rows.empty or rows.iloc[-1]["method"] != "derived":
            return Markup("")
        return Markup("{} is England without the group: {}, never the mean of the other areas' values.").format(
            render_capitalise(a.comparator_label),
            "its counts less the group's" if a.indicator.computed or a.method.startswith("pooled") else
            "England's published value less the group's part in it (its share of England's population)")

    def no_sii_note(self) -> Markup:
        """Why a group made of areas has no slope index of inequality, where it has none."""
        a = self.analyses[0]
        if a.group is None or not a.sii.empty:
            return Markup("")
        if self.briefing.deciles.empty:
            return Markup("No slope index of inequality: the data name no Indices of Deprivation to rank the areas by "
                          "(give one under [files] and name it in [group] deprivation).")
        return Markup("No slope index of inequality: the areas with a value do not fill all ten deprivation deciles.")

    def fingertips_sii_note(self, a: Analysis) -> Markup:
        """Beside the slope index computed from the areas' deciles, the one Fingertips' own deprivation deciles
        give, where the export carries them (each figure cited)."""
        frame = a.sii_fingertips
        if frame is None or frame.empty:
            return Markup("")
        row = frame.iloc[-1]
        c = Citer(self.ledger, a)
        from healthgap.analysis import estimates as est2
        from healthgap.analysis.estimates import Estimate

        e = Estimate(float(row["sii"]), float(row["lower"]), float(row["upper"]), est2.LEVELS, a.indicator.decimals,
                     (), "inequality.sii_from_fingertips_deciles",
                     "weighted least squares on Fingertips' deciles, each weighted by its denominator",
                     interval=est2.CONFIDENCE)
        figure_id = c._id(row["period"], "sii-fingertips")
        value = c.cite(e, figure_id, row["period"], "sii", "slope index of inequality across Fingertips' deciles")
        rng = c.range(e, figure_id, row["period"], "sii", "slope index of inequality across Fingertips' deciles")
        ours = a.sii[a.sii["period"] == row["period"]] if not a.sii.empty else a.sii
        return Markup("Fingertips' own deprivation deciles ({}) give a slope index of {} ({}) in {}{}.").format(
            row["category_type"], value, rng, row["period"],
            Markup(", beside the one computed here from the areas' own deciles") if not ours.empty else "")

    def agreement(self) -> Markup:
        """For figures computed from counts: how they agree with the publisher's own, area by area."""
        from healthgap.analysis import counts

        ind = self.indicator
        if ind is None or not ind.computed or self.briefing.counts is None:
            return Markup("")
        data = self.briefing.counts
        c = Citer(self.ledger, self.analyses[0])
        table = counts.agreement(data, [code for code in data.names.index
                                        if str(code)[:3] in ("E06", "E07", "E08", "E09")])
        compute = ind.spec.compute
        if compute in ("dsr_all_ages", "dsr_under_75"):
            rates = table[table["measure"] == "asmr"]
            worst = rates.loc[rates["difference_pct"].abs().idxmax()]
            n = c.plain("agreement-asmr-count", data.period, "agreement", "areas whose age-standardised "
                        "rates were checked against ONS's", float(rates["area_code"].nunique()),
                        f"{rates['area_code'].nunique()}", [], "counts.agreement: areas with a published rate")
            largest = c.plain("agreement-asmr-largest", data.period, "agreement",
                              "largest difference from ONS's published age-standardised rate (%)",
                              abs(float(worst["difference_pct"])), f"{abs(worst['difference_pct']):.2f}%",
                              [], "counts.agreement: 100 × (computed − published) / published")
            text = Markup("Checked against the publisher: computed the same way for all ages, the age-standardised "
                          "rates of all {} local authorities with a rate in ONS's Table 1a (persons, males and "
                          "females) agree with ONS's own within {} (the largest, {} {}). ONS publishes no rate under "
                          "75, so the rates shown here have that check behind them.").format(
                n, largest, worst["area_name"], {"male": "males", "female": "females"}.get(worst["sex"], "persons"))
        elif compute == "infant_mortality":
            rates = table[table["measure"] == "imr"]
            same = int((rates["computed"].round(1) == rates["published"]).sum())
            n = c.plain("agreement-imr-count", data.period, "agreement", "areas with a published infant "
                        "mortality rate", float(len(rates)), f"{len(rates)}", [], "counts.agreement")
            k = c.plain("agreement-imr-same", data.period, "agreement", "areas whose computed rate rounds "
                        "to ONS's published rate", float(same), f"{same}", [], "counts.agreement")
            text = Markup("Checked against the publisher: of the {} local authorities with an infant mortality rate in "
                          "ONS's Table 1a, the computed rate rounds to ONS's published figure in {} (ONS leaves the "
                          "rate blank below 3 deaths).").format(n, k)
        else:
            text = Markup("ONS's tables for this year publish no life expectancy for single years, so these figures "
                          "cannot be checked against the publisher's own; the method is the one tested against "
                          "PHEindicatormethods' reference outputs.")
        return Markup('<p class="note">{}</p>').format(text)

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
                              "compared": r.get("compared", "") or "",
                              "decile": "" if "decile" not in r or pd.isna(r.get("decile")) else int(r["decile"])})
            rows.append({"heading": labels.sex(a.sex).capitalize() if len(self.analyses) > 1 else "",
                         "period": a.latest.period if a.latest is not None else "", "items": items,
                         "benchmark": self.benchmark_sentence(a)})
        if not rows:
            return Markup("")
        ind = self.indicator
        return render("ranking.html.j2", title=ind.title, groups=rows, group=self.analyses[0].disadvantaged_label,
                      anchor=section_anchor(ind.key), unit=ind.unit, comparator="England")

    def benchmark_sentence(self, a: Analysis) -> Markup:
        """How many areas, and how many of the group's, are better or worse than England, as Fingertips compares
        them (England's value against each area's 95 % interval; 99.8 % too where the data give it), each count
        cited."""
        from healthgap.analysis import benchmark
        from healthgap.analysis.levels import benchmark_levels

        table = a.areas
        if table.empty or "compared" not in table or (table["compared"] == benchmark.NOT_COMPARED).all():
            return Markup("")
        levels = benchmark_levels(table)
        c = Citer(self.ledger, a)
        period = a.latest.period
        def cite(who: str, what: str, level: float, n: int, rows: pd.DataFrame) -> Markup:
            words = f"{'areas of the group' if who == 'group' else 'areas'} {what} than England at {percent(level)}"
            return c.plain(f"benchmark-{who}-{what}-{level:g}", period, "benchmark", words, float(n), str(n),
                           list(rows["row_id"]), "benchmark.counts: England's value against each area's interval")

        def percent(level: float) -> str:
            return f"{level:.1%}".replace(".0%", "%")

        parts = []
        for who, rows in (("all", table), ("group", table[table["member"]])):
            tally = benchmark.counts(rows["compared"], levels)
            for level in levels:
                found = tally[tally["level"] == level].set_index("comparison")["areas"]
                parts.append({"who": who, "level": percent(level), "compared": int(tally["compared"].iloc[0]),
                              "worse": cite(who, "worse", level, int(found.get("worse", 0)), rows),
                              "better": cite(who, "better", level, int(found.get("better", 0)), rows)})
        group = [p for p in parts if p["who"] == "group"]
        text = Markup("Compared with England as Fingertips compares an area (England's value against the area's {} "
                      "confidence interval{}): {} of the {} areas are worse than England and {} better; of the {} "
                      "areas of {} with a comparison, {} are worse and {} better.").format(
            parts[0]["level"], Markup(", and its 99.8% interval for the darker shades") if len(levels) == 2 else "",
            parts[0]["worse"], parts[0]["compared"], parts[0]["better"], group[0]["compared"],
            a.disadvantaged_label, group[0]["worse"], group[0]["better"])
        return text

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
        unmatched = [{"name": r["area_name"], "code": r["area_code"], "reason": r["reason"], "held_by": r["held_by"]}
                     for _, r in group.unmatched.iterrows()]
        from healthgap.analysis.levels import indicator_rows

        rows = indicator_rows(b, ind.key, ind.sexes[0])
        members_without = sorted(set(group.codes) - set(rows.loc[rows["value"].notna(), "area_code"]))
        names = dict(zip(group.ranked["area_code"], group.ranked["area_name"]))
        unmatched_names = [] if b.counts is None else [
            {"name": r["area_name"], "table": r["table"], "reason": r["reason"]} for _, r in b.counts.unmatched.iterrows()]
        return render("series_sources.html.j2", title=ind.title, anchor=section_anchor(ind.key), names=unmatched_names,
                      files=[{"name": f.path.name, "source": f.source, "url": f.url, "licence": f.licence,
                              "published": f.published, "sha256": f.sha256} for f in files],
                      group=group.description, unmatched=unmatched,
                      without=[names.get(code, code) for code in members_without])

    # --- the opening summary ------------------------------------------------------------------------

    def summary_entries(self) -> list[dict]:
        """This section's lines of the opening summary: a sentence and a table row per analysis."""
        return [summary_entry(self.ledger, a) for a in self.analyses]

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


MOVEMENT_STATUS = {
    (True, 1): "widened significantly", (True, -1): "narrowed significantly", (True, 0): "no significant change",
    (False, 1): "widened", (False, -1): "narrowed", (False, 0): "no change beyond rounding",
}
"""Without a target, the summary's verdict is the gap's movement from the first period to the latest."""


def movement_entry(ledger: Ledger, a: Analysis) -> dict:
    """A summary line for a gap with no target: where it stands, with its interval, against the first period."""
    c = Citer(ledger, a)
    meta = a.indicator
    name = f"{meta.title}{sex_suffix(a.sex)}"
    base, latest = a.baseline, a.latest
    cells = {"indicator": name, "title": meta.title, "anchor": section_anchor(meta.key),
             "measure": labels.measure(a.gap_measure),
             "baseline": _gap_cell(c, base, marks=False) if base is not None else Markup("–"),
             "latest": _gap_cell(c, latest, marks=False) if latest is not None and latest is not base else Markup("–"),
             "change": Markup("–"), "target": Markup("–"), "flags": Markup(""), "stale": False,
             "latest_period": latest.period if latest is not None else ""}
    status, comparable, other = ("one period only" if len(a.points) == 1 else "no comparison"), False, None
    if base is not None and latest is not None and latest is not base and base.gap is not None and latest.gap is not None \
            and base.segment == latest.segment:
        ci = base.gap.confidence and latest.gap.confidence
        size = gaps.size_direction(est.compare(base.gap, latest.gap), base.gap.value, latest.gap.value)
        status = MOVEMENT_STATUS[(ci, size)]
        other = narrative.opposite(c, base.period, latest.period)
        if other is not None:
            status += f"; {other['status']}"
        comparable = True
        if latest.change is not None and not est.contains_zero(latest.change):
            cells["change"] = Markup('<span class="nw">{} {}</span>').format(
                c.change(latest), direction_word(latest.change.value, latest.change.decimals))
    cells["projected"] = projected_cell(c)
    cells["projected_period"] = a.outlook.projection.period if a.outlook.projection is not None else ""
    cells["status"] = status
    cells["status_class"] = "status-none"
    sentence = render("summary_movement.html.j2", name=name, status=status, anchor=section_anchor(meta.key),
                      comparable=comparable, measure=labels.measure(a.gap_measure),
                      period=latest.period if latest is not None else "",
                      gap=c.gap(latest) if latest is not None and latest.gap is not None else None,
                      range=c.gap_range(latest) if latest is not None and latest.gap is not None else None,
                      base=c.gap(base) if comparable else None, base_range=c.gap_range(base) if comparable else None,
                      baseline=base.period if base is not None else "", unit=c.unit(a.gap_measure),
                      ci=bool(latest is not None and latest.gap is not None and latest.gap.confidence),
                      other=other["words"] if other is not None else None,
                      side=narrative.side_words(a, gaps.sides(base.gap.value, latest.gap.value)) if comparable else "",
                      relative=narrative.one_period_relative(c) if len(a.points) == 1 else None)
    return {"sentence": str(squash(sentence)), "cells": {k: str(Markup.escape(v)) for k, v in cells.items()}}


def summary_entry(ledger: Ledger, a: Analysis) -> dict:
    """One line of the opening summary (``sentence``) and one row of its table (``cells``), as HTML."""
    if a.target is None:
        return movement_entry(ledger, a)
    c = Citer(ledger, a)
    meta, t, v = a.indicator, a.target, a.assessment
    name = f"{meta.title}{sex_suffix(a.sex)}"
    base, latest = a.baseline, a.latest
    point = v.point if v is not None and v.point is not None else latest
    cells = {"indicator": name, "title": meta.title, "anchor": section_anchor(meta.key),
             "measure": labels.measure(a.gap_measure)}
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
        else:
            cell += narrative.change_against_gaps(c, point, base, latest)
        if point.period != (latest.period if latest is not None else None):
            cell += Markup(" ({})").format(point.period)
    cells["change"] = cell or Markup("–")
    cells["target"] = Markup('<span class="nw">{} by {}</span>{}').format(c.target_value(), t.target_period, Markup(
        "" if t.value.published else ' <span class="computed">computed</span>')) \
        if t is not None and t.value is not None else Markup("–")
    status = v.status if v is not None else "no target"
    cells["projected"] = projected_cell(c)
    cells["status"] = status
    cells["status_class"] = narrative.STATUS_CLASS.get(status, "")
    flags = narrative.estimate_flags(point.change) if point is not None and point.change is not None else []
    cells["flags"] = Markup(" ").join(flags)
    stale = point is not None and point.period != a.as_of
    cells["stale"] = stale
    across = narrative.across_method(a)
    if across is not None:
        cells["flags"] = Markup(" ").join([cells["flags"], Markup('<span class="flag">across a change of method</span>')]) \
            if cells["flags"] else Markup('<span class="flag">across a change of method</span>')
    other = narrative.opposite(c, a.baseline_period, point.period) if point is not None and a.baseline_period else None
    said = narrative.statement_said(a, point.period) if point is not None else None
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
                      anchor=section_anchor(meta.key), flags=flags, across=across,
                      other=other["words"] if other is not None else None, said=said)
    return {"sentence": str(squash(sentence)), "cells": {k: str(Markup.escape(v)) for k, v in cells.items()}}


def projected_cell(c: Citer) -> Markup:
    """The summary table's projection: the gap the trend gives at the target period (or horizon) with its
    95% prediction interval, each figure cited; why not ("too few periods", "too far ahead") where there is none."""
    o = c.a.outlook
    if o.projection is None or not c.a.points:
        return Markup("–")
    if not o.projection.enough:
        return Markup('<span class="nw">{}</span>').format(narrative.outlook_interval(o))
    return Markup('<span class="nw">{}</span>').format(narrative.projected_html(c, o.projection))


def _gap_cell(c: Citer, p, marks: bool = True) -> Markup:
    """'20.7 (1995-97)', a computed gap marked so, an implied one shown as not published."""
    if p.gap is None or p.gap.basis == est.IMPLIED:
        return Markup('<span class="nw">{}:</span> gap not published').format(p.period)
    text = Markup('<span class="nw">{} in {}</span>').format(c.gap(p), p.period)
    if p.gap.basis == est.LEVELS and marks:
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


def show(*items) -> None:
    """Display each fragment or chart in the notebook, in order, skipping any that is None or empty (a chart
    with nothing to draw, a note that does not apply)."""
    from IPython.display import display

    for item in items:
        if item is not None and (not isinstance(item, str) or item):
            display(item)
