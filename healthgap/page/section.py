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

from healthgap.read import tables as hd
from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.page import labels
from healthgap.page import sentences as narrative
from healthgap.analysis.indicator import Analysis, analyse
from healthgap.page.sentences import Citer, direction_word, sex_suffix
from healthgap.page.provenance import Ledger
from healthgap.analysis.estimates import number
from healthgap.page.render import date_element, render, squash

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
        """Read the data, find the indicator the configuration gives this notebook, and analyse it.

        A data directory of an analyst's series (``kind = "series"`` in its ``briefing.toml``) gives a
        :class:`SeriesSection`; the national record gives this class.
        """
        from healthgap.analysis import local

        if local.is_series(data_dir):
            return SeriesSection.load_series(data_dir, name, as_of)
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

    def backtests(self) -> list[dict]:
        """How the trends of earlier editions did for this section's targets (:mod:`healthgap.page.backtests`)."""
        from healthgap.page import backtests

        if self.indicator is None:
            return []
        return backtests.national_rows(self.ledger, self.dataset, self.as_of, [self.indicator])

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
        backtests = [{k: str(Markup.escape(v)) for k, v in row.items()} for row in self.backtests()]
        summary = output_dir / f"{SUMMARY_PREFIX}{self.name}.json"
        summary.write_text(json.dumps({"section": self.name, "indicator": self.indicator, "entries": entries,
                                       "backtests": backtests}, indent=1), encoding="utf-8")
        written.append(summary)
        written.append(self.ledger.write(output_dir / f"{FIGURES_PREFIX}{self.name}.csv"))
        return written


def _later(published: str, edition) -> bool:
    return edition is not None and hd.published_after(published, edition["published"])


MOVEMENT_STATUS = {
    (True, 1): "widened significantly", (True, -1): "narrowed significantly", (True, 0): "no significant change",
    (False, 1): "widened", (False, -1): "narrowed", (False, 0): "no change beyond rounding",
}
"""Without a target, the summary's verdict is the gap's movement from the first period to the latest."""


def movement_entry(ledger: Ledger, a: Analysis) -> dict:
    """A summary line for a gap with no target: where it stands, with its interval, against the first period."""
    c = Citer(ledger, a)
    meta = a.indicator
    name = f"{meta['title']}{sex_suffix(a.sex)}"
    base, latest = a.baseline, a.latest
    cells = {"indicator": name, "anchor": section_anchor(meta["indicator"]), "measure": labels.measure(a.gap_measure),
             "baseline": _gap_cell(c, base, marks=False) if base is not None else Markup("–"),
             "latest": _gap_cell(c, latest, marks=False) if latest is not None and latest is not base else Markup("–"),
             "change": Markup("–"), "target": Markup("–"), "flags": Markup(""), "stale": False,
             "latest_period": latest.period if latest is not None else ""}
    status, comparable = ("one period only" if len(a.points) == 1 else "no comparison"), False
    if base is not None and latest is not None and latest is not base and base.gap is not None and latest.gap is not None \
            and base.segment == latest.segment:
        ci = base.gap.confidence and latest.gap.confidence
        status = MOVEMENT_STATUS[(ci, est.compare(base.gap, latest.gap))]
        comparable = True
        if latest.change is not None and not est.contains_zero(latest.change):
            cells["change"] = Markup('<span class="nw">{} {}</span>').format(
                c.change(latest), direction_word(latest.change.value, latest.change.decimals))
    cells["projected"] = projected_cell(c)
    cells["projected_period"] = a.outlook.projection.period if a.outlook.projection is not None else ""
    cells["status"] = status
    cells["status_class"] = "status-none"
    sentence = render("summary_movement.html.j2", name=name, status=status, anchor=section_anchor(meta["indicator"]),
                      comparable=comparable, measure=labels.measure(a.gap_measure),
                      period=latest.period if latest is not None else "",
                      gap=c.gap(latest) if latest is not None and latest.gap is not None else None,
                      range=c.gap_range(latest) if latest is not None and latest.gap is not None else None,
                      base=c.gap(base) if comparable else None, base_range=c.gap_range(base) if comparable else None,
                      baseline=base.period if base is not None else "", unit=c.unit(a.gap_measure),
                      ci=bool(latest is not None and latest.gap is not None and latest.gap.confidence))
    return {"sentence": str(squash(sentence)), "cells": {k: str(Markup.escape(v)) for k, v in cells.items()}}


def summary_entry(ledger: Ledger, a: Analysis) -> dict:
    """One line of the opening summary (``sentence``) and one row of its table (``cells``), as HTML."""
    if a.target is None:
        return movement_entry(ledger, a)
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
    cells["projected"] = projected_cell(c)
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
    return {"sentence": str(squash(sentence)), "cells": {k: str(Markup.escape(v)) for k, v in cells.items()}}


def projected_cell(c: Citer) -> Markup:
    """The summary table's projection: the gap the trend gives at the target period (or horizon) with its
    95% prediction interval, each figure cited; why not ("too few periods", "too far ahead") where there is none."""
    o = c.a.outlook
    if o.projection is None or not c.a.points:
        return Markup("–")
    if not o.projection.enough:
        return Markup('<span class="nw">{}</span>').format(o.interval())
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


# --- an analyst's own series ------------------------------------------------------------------------------


@dataclass
class SeriesSection(Section):
    """A section on an analyst's own series: the same text and tables, and the group's definition, the
    slope index of inequality, every area ranked and the files as published in place of the national
    record's sources."""

    data: object = None

    @classmethod
    def load_series(cls, data_dir: str | Path, name: str, as_of: str | None = None) -> SeriesSection:
        from healthgap.analysis import local

        data = local.load(data_dir)
        indicator = data.config.sections.get(name)
        section = cls(name=name, dataset=None, indicator=indicator, as_of=as_of, data=data)
        if indicator is not None:
            spec = data.config.indicators[indicator]
            section.analyses = [local.analyse(data, indicator, sex, as_of) for sex in spec.sexes]
        return section

    @property
    def meta(self) -> pd.Series | None:
        from healthgap.analysis import local

        if self.indicator is None:
            return None
        return local.indicator_meta(self.data.config.indicators[self.indicator], self.data.config)

    def closing(self) -> Markup:
        """How the group's value is computed, the note on intervals, the ranked areas, then the sources."""
        if not self.analyses:
            return Markup("")
        c = Citer(self.ledger, self.analyses[0])
        return Markup("{}{}{}{}").format(
            Markup('<p class="note">{} {}</p>').format(narrative.method_note(c), self.intervals_note()),
            self.agreement(), self.ranking(), self.sources(),
        )

    def agreement(self) -> Markup:
        """For counts: how the computed figures agree with the publisher's own, area by area."""
        from healthgap.analysis import counts

        spec = self.data.config.indicators[self.indicator]
        if not spec.compute or self.data.counts is None:
            return Markup("")
        c = Citer(self.ledger, self.analyses[0])
        table = counts.agreement(self.data.counts, [code for code in self.data.counts.names.index
                                                     if str(code)[:3] in ("E06", "E07", "E08", "E09")])
        if spec.compute in ("dsr_all_ages", "dsr_under_75"):
            rates = table[table["measure"] == "asmr"]
            worst = rates.loc[rates["difference_pct"].abs().idxmax()]
            n = c.plain("agreement-asmr-count", self.data.counts.period, "agreement", "areas whose age-standardised "
                        "rates were checked against ONS's", float(rates["area_code"].nunique()),
                        f"{rates['area_code'].nunique()}", [], "counts.agreement: areas with a published rate")
            largest = c.plain("agreement-asmr-largest", self.data.counts.period, "agreement",
                              "largest difference from ONS's published age-standardised rate (%)",
                              abs(float(worst["difference_pct"])), f"{abs(worst['difference_pct']):.2f}%",
                              [], "counts.agreement: 100 × (computed − published) / published")
            text = Markup("Checked against the publisher: computed the same way for all ages, the age-standardised "
                          "rates of all {} local authorities with a rate in ONS's Table 1a (persons, males and "
                          "females) agree with ONS's own within {} (the largest, {} {}). ONS publishes no rate under "
                          "75, so the rates shown here have that check behind them.").format(
                n, largest, worst["area_name"], {"male": "males", "female": "females"}.get(worst["sex"], "persons"))
        elif spec.compute == "infant_mortality":
            rates = table[table["measure"] == "imr"]
            same = int((rates["computed"].round(1) == rates["published"]).sum())
            n = c.plain("agreement-imr-count", self.data.counts.period, "agreement", "areas with a published infant "
                        "mortality rate", float(len(rates)), f"{len(rates)}", [], "counts.agreement")
            k = c.plain("agreement-imr-same", self.data.counts.period, "agreement", "areas whose computed rate rounds "
                        "to ONS's published rate", float(same), f"{same}", [], "counts.agreement")
            text = Markup("Checked against the publisher: of the {} local authorities with an infant mortality rate in "
                          "ONS's Table 1a, the computed rate rounds to ONS's published figure in {} (ONS leaves the "
                          "rate blank below 3 deaths).").format(n, k)
        else:
            text = Markup("ONS's tables for 2014 publish no life expectancy for single years, so these figures "
                          "cannot be checked against the publisher's own; the method is the one tested against "
                          "PHEindicatormethods' reference outputs.")
        return Markup('<p class="note">{}</p>').format(text)

    def intervals_note(self) -> Markup:
        a = self.analyses[0]
        if a.intervals.empty:
            return Markup("The data give no confidence limits, so no figure here has an interval: the ranges given "
                          "are those the values' rounding allows.")
        share = a.extras.get("share", 0.0)
        return Markup(
            "Intervals are 95% confidence intervals: the group's from its areas' limits (standard errors from the "
            "limits, on the log scale for rates), and the gap's allowing for the group being part of {} (about {} "
            "of its areas), as the two are not independent.").format(
            a.comparator_label, f"{share:.0%}") if a.comparison.nested else Markup(
            "Intervals are 95% confidence intervals; the group and the rest of England are independent.")

    def ranking(self) -> Markup:
        """Every area in the latest period, ranked, the group marked (collapsed)."""
        rows = []
        for a in self.analyses:
            table = a.extras.get("areas")
            if table is None or table.empty:
                continue
            items = []
            for _, r in table.iterrows():
                items.append({"rank": int(r["rank"]), "name": r["area_name"] or r["area_code"], "code": r["area_code"],
                              "value": number(r["value"], int(a.indicator["decimals"])),
                              "range": "" if pd.isna(r["lower"]) else
                              f"{number(r['lower'], int(a.indicator['decimals']))} to {number(r['upper'], int(a.indicator['decimals']))}",
                              "member": bool(r["member"]),
                              "decile": "" if "decile" not in r or pd.isna(r.get("decile")) else int(r["decile"])})
            rows.append({"heading": labels.sex(a.sex).capitalize() if len(self.analyses) > 1 else "",
                         "period": a.latest.period if a.latest is not None else "", "items": items})
        if not rows:
            return Markup("")
        return render("ranking.html.j2", title=self.meta["title"], groups=rows, group=self.analyses[0].disadvantaged_label,
                      anchor=section_anchor(self.indicator), unit=self.meta["unit"])

    def sources(self) -> Markup:
        """The files as published (source, licence, sha256), the group and the areas not matched."""
        from healthgap.analysis import local

        config = self.data.config
        spec = config.indicators[self.indicator]
        files = [f for f in config.files.values() if f.layout in local.COUNT_LAYOUTS] if spec.compute \
            else [config.files[spec.file]]
        if config.group.get("deprivation") in config.files:
            files.append(config.files[config.group["deprivation"]])
        group = self.data.group
        unmatched = [{"name": r["area_name"], "code": r["area_code"], "reason": r["reason"], "held_by": r["held_by"]}
                     for _, r in group.unmatched.iterrows()]
        rows = self.data.rows(self.indicator, spec.sexes[0])
        members_without = sorted(set(group.codes) - set(rows.loc[rows["value"].notna(), "area_code"]))
        names = dict(zip(group.ranked["area_code"], group.ranked["area_name"]))
        names = [] if self.data.counts is None else [
            {"name": r["area_name"], "table": r["table"], "reason": r["reason"]}
            for _, r in self.data.counts.unmatched.iterrows()]
        return render("series_sources.html.j2", title=spec.title, anchor=section_anchor(self.indicator),
                      names=names,
                      files=[{"name": f.path.name, "source": f.source, "url": f.url, "licence": f.licence,
                              "published": f.published, "sha256": f.sha256} for f in files],
                      group=group.description, unmatched=unmatched,
                      without=[names.get(code, code) for code in members_without])

    def summary_entries(self) -> list[dict]:
        return [summary_entry(self.ledger, a) for a in self.analyses]

    def backtests(self) -> list[dict]:
        """How the trend to ``[projection] backtest_until`` did for this section's gaps."""
        from healthgap.page import backtests

        return backtests.series_rows(self.ledger, self.analyses, self.data.config.backtest_until) \
            if self.data is not None else []
