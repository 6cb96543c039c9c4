"""Narrative: the briefing's sentences, generated from the analysis and cited figure by figure.

Python here decides what may be said (the rules: a figure of record leads; a rise or a fall only
where the figures' ranges allow it; "consecutive" only of adjacent periods; nothing compared
across a method break or across bases) and gathers the figures, each cited through the ledger;
the words are the templates' (``templates/fragments/sentences.html.j2``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
from markupsafe import Markup

from healthgap.analysis import estimates as est
from healthgap.analysis import gaps
from healthgap.analysis import projection as pj
from healthgap.read import labels
from healthgap.analysis import targets
from healthgap.analysis.indicator import Analysis
from healthgap.read.periods import parse_period, period_midpoint
from healthgap.analysis.estimates import Estimate, number
from healthgap.analysis.gaps import GapPoint, Movement
from healthgap.page.provenance import Figure, Ledger, figure_of
from healthgap.page.render import bound_words, capitalise, possessive, render, section_anchor, sentences, series, squash

STATUS_CLASS = {
    targets.MET: "status-good",
    targets.ON_TRACK: "status-good",
    targets.NOT_ON_TRACK: "status-bad",
    targets.MISSED: "status-bad",
    targets.TOO_CLOSE: "status-none",
    targets.NOT_YET_ASSESSABLE: "status-none",
}

LATER_MARK = Markup('<sup class="later-mark" title="published later">†</sup>')
"""The mark of a figure whose source came out after the publication an edition stands at."""

VERBS = {1: "widened", -1: "narrowed"}
COMPARATIVES = {1: "wider", -1: "narrower"}


def direction_word(value: float, decimals: int) -> str:
    """'narrower' for a negative change, 'wider' for a positive one, as displayed."""
    shown = float(number(value, decimals).replace(",", ""))
    return "narrower" if shown < 0 else "wider" if shown > 0 else "no different"


def sex_suffix(sex: str) -> str:
    return "" if sex == "persons" else f", {labels.sex(sex)}"


def short_unit(meta) -> str:
    """The unit without its parenthetical qualifier: 'deaths per 100,000'."""
    return meta.short_unit


class Citer:
    """Cites one analysis's figures in a ledger, with stable ids and labels in words."""

    def __init__(self, ledger: Ledger, analysis: Analysis) -> None:
        self.ledger = ledger
        self.a = analysis
        self.meta = analysis.indicator

    # ids and labels
    def _id(self, *parts: str) -> str:
        return "-".join([self.a.key, *parts])

    def _label(self, period: str, what: str) -> str:
        return f"{self.meta.title}{sex_suffix(self.a.sex)}, {period}: {what}"

    def suffix(self, measure: str) -> str:
        return "%" if measure in ("relative_gap_pct", *gaps.CHANGE_OF.values()) else ""

    def unit(self, measure: str) -> Markup:
        """' deaths per 100,000' after an absolute gap; nothing after a percentage."""
        if measure == "relative_gap_pct":
            return Markup("")
        return Markup(' <span class="unit">{}</span>').format(short_unit(self.meta))

    def cite(self, e: Estimate, figure_id: str, period: str, measure: str, what: str, suffix: str = "",
             absolute: bool = False) -> Markup:
        shown = number(abs(e.value) if absolute else e.value, e.decimals) + suffix
        return self.ledger.cite(figure_of(e, figure_id, self._label(period, what), self.meta.key,
                                          self.a.sex, period, measure, shown))

    def later(self, e: Estimate | None) -> Markup:
        """A mark after a figure resting on a row whose source came out after the publication the edition stands
        at (:attr:`Analysis.later`): a dagger, which the edition line explains ("published later"); nothing
        otherwise."""
        if e is None or not self.a.later or not set(e.inputs) & self.a.later:
            return Markup("")
        return LATER_MARK

    # the record
    def gap(self, p: GapPoint, check: bool = False, mark: bool = True) -> Markup:
        e = p.gap_check if check else p.gap
        what = labels.measure(p.measure) + (" recomputed from the levels" if check else "")
        if e.basis == est.IMPLIED:
            what += " implied by the published change"
        return self.cite(e, self._id(p.period, p.measure, "check" if check else "record"), p.period, p.measure,
                         what, self.suffix(p.measure)) + (self.later(e) if mark else Markup(""))

    def change(self, p: GapPoint, check: bool = False, mark: bool = True) -> Markup:
        e = p.change_check if check else p.change
        measure = gaps.CHANGE_OF[p.measure]
        what = f"change in the {labels.measure(p.measure)} since {p.reference}" + (" recomputed" if check else "")
        return self.cite(e, self._id(p.period, measure, p.reference, "check" if check else "record"), p.period,
                         measure, what, "%", absolute=True) + (self.later(e) if mark else Markup(""))

    def range(self, e: Estimate, figure_id: str, period: str, measure: str, what: str, suffix: str = "",
              change: bool = False) -> Markup:
        """'2.41% to 2.68%' (or '10.6% to 11.6% narrower' for a change): the range its rounding allows, cited."""
        ends = []
        for end, value in (("lower", e.lower), ("upper", e.upper)):
            bound = Estimate(value, value, value, est.GAPS, e.decimals, e.inputs, "estimates.bounds",
                             bound_words(e.formula, end, e.confidence), e.revision, e.estimated)
            ends.append((value, self.cite(bound, f"{figure_id}-{end}", period, measure, f"{what}, {end} end of its range",
                                          suffix, absolute=change)))
        (lo, lo_text), (hi, hi_text) = ends
        if not change:
            return Markup("{} to {}").format(lo_text, hi_text)

        def shown_zero(value: float) -> bool:
            return float(number(abs(value), e.decimals).replace(",", "")) == 0

        if hi <= 0:  # an end that shows as 0.0% is no change, not "0.0% narrower"
            return Markup("no change to {} narrower").format(lo_text) if shown_zero(hi) else \
                Markup("{} to {} narrower").format(hi_text, lo_text)
        if lo >= 0:
            return Markup("no change to {} wider").format(hi_text) if shown_zero(lo) else \
                Markup("{} to {} wider").format(lo_text, hi_text)
        return Markup("{} narrower to {} wider").format(lo_text, hi_text)

    def gap_range(self, p: GapPoint, check: bool = False) -> Markup:
        e = p.gap_check if check else p.gap
        return self.range(e, self._id(p.period, p.measure, "check" if check else "record"), p.period, p.measure,
                          labels.measure(p.measure), self.suffix(p.measure))

    def change_range(self, p: GapPoint, check: bool = False) -> Markup:
        e = p.change_check if check else p.change
        measure = gaps.CHANGE_OF[p.measure]
        return self.range(e, self._id(p.period, measure, p.reference, "check" if check else "record"), p.period,
                          measure, f"change in the {labels.measure(p.measure)} since {p.reference}", "%", change=True)

    # the target
    def target_value(self) -> Markup:
        t = self.a.target
        return self.cite(t.value, self._id(t.target_period, t.measure, "target"), t.target_period, t.measure,
                         f"target {labels.measure(t.measure)}", self.suffix(t.measure)) + self.later(t.value)

    def reduction(self) -> Markup:
        t = self.a.target
        return self.cite(t.reduction, self._id(t.target_period, t.measure, "required-cut"), t.target_period,
                         gaps.CHANGE_OF[t.measure], f"required cut in the {labels.measure(t.measure)}", "%", absolute=True)

    def required(self, verdict: targets.Assessment) -> Markup:
        t = self.a.target
        return self.cite(verdict.required, self._id(verdict.period, t.measure, "required-change"), verdict.period,
                         gaps.CHANGE_OF[t.measure], f"change the straight line to the target required by {verdict.period}",
                         "%", absolute=True)

    # data rows
    def observation(self, row: pd.Series) -> Markup:
        return self.ledger.cite(observation_figure(row, self.a.label(row["group"]), self.meta.title))

    def plain(self, figure_id: str, period: str, measure: str, what: str, value: float, shown: str, rows,
              derivation: str) -> Markup:
        return self.ledger.cite(Figure(
            figure_id=self._id(figure_id), label=self._label(period, what), indicator=self.meta.key,
            sex=self.a.sex, period=period, measure=measure, value=float(value), displayed=shown,
            kind="derived", source_rows=";".join(rows), derivation=derivation,
        ))


def observation_figure(row: pd.Series, group_label: str, title: str) -> Figure:
    """A data row's value as published, cited to the row itself."""
    what = labels.measure(row["measure"]) if row["group"] == "gap" else f"{group_label}, {labels.measure(row['measure'])}"
    if row["reference_period"]:
        what += f" since {row['reference_period']}"
    return Figure(
        figure_id=row["id"], label=f"{title}{sex_suffix(row['sex'])}, {row['period']}: {what}",
        indicator=row["indicator"], sex=row["sex"], period=row["period"], measure=row["measure"],
        value=float(row["value"]), displayed=number(row["value"], int(row["decimals"])), kind="published",
        source_rows=row["id"],
    )


# --- flags --------------------------------------------------------------------------------------


def basis_words(a: Analysis, e: Estimate) -> str:
    """How a figure was obtained, in words true of the data: a gap from two published levels "computed from the two
    groups' rounded published levels"; from an analyst's values (a group's value computed from its areas) "computed
    from the group's and England's values", with its 95% confidence interval where it has one, else "as rounded in
    the data"; otherwise the basis's label (:data:`healthgap.read.labels.BASES`)."""
    if e.basis == est.LEVELS and a.method:
        return (f"computed from {possessive(a.disadvantaged_label)} and {possessive(a.comparator_label)} values"
                + (", with its 95% confidence interval" if e.confidence else ", as rounded in the data"))
    if e.basis == est.GAPS and e.confidence:
        return "computed from the two gaps, with its 95% confidence interval"
    if e.basis == est.GAPS and a.method:
        return "computed from the gaps, as rounded in the data"
    return labels.BASES[e.basis]


def estimate_flags(e: Estimate) -> list[Markup]:
    flags = []
    if e.provisional:
        flags.append(Markup('<span class="provisional">provisional</span>'))
    if e.estimated:
        flags.append(Markup("an estimate by its source"))
    return flags


def _how_gap(c: Citer, p: GapPoint) -> list[Markup]:
    """Flags for a gap of record: provisional, an estimate, or computed with the range rounding allows."""
    flags = estimate_flags(p.gap)
    if p.gap.basis == est.LEVELS and p.gap.confidence:
        flags.insert(0, Markup("95% confidence interval {}").format(c.gap_range(p)))
    elif p.gap.basis == est.LEVELS:
        flags.insert(0, Markup("computed from the {}, which allow {}").format(
            "values as rounded in the data" if c.a.method else "rounded published levels", c.gap_range(p)))
    return flags


# --- sentences ----------------------------------------------------------------------------------


PLACES = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def reversed_side(base: GapPoint, latest: GapPoint) -> bool:
    """Whether the gap changed side between two points (the group worse then better, or better then worse): its
    movement is then a reversal, neither a narrowing nor a widening (:func:`healthgap.analysis.gaps.sides`)."""
    return gaps.sides(base.gap.value, latest.gap.value) in (gaps.TO_BETTER, gaps.TO_WORSE)


def ranges_apart(c: Citer, base: GapPoint, latest: GapPoint) -> dict | None:
    """Where two gaps' ranges do not meet but look as if they do at the figures' own precision ("1.7 to 1.9"
    against "1.9 to 2.1"), the two facing ends at the fewest further decimal places that show them apart (1.937
    and 1.943), each cited; None where the ranges overlap or already show the gap between them."""
    a, b = base.gap, latest.gap
    if a is None or b is None or not (a.upper < b.lower or b.upper < a.lower):
        return None
    (low, low_point, low_end), (high, high_point, high_end) = (
        ((a.upper, base, "upper"), (b.lower, latest, "lower")) if a.upper < b.lower else
        ((b.upper, latest, "upper"), (a.lower, base, "lower")))
    decimals = max(a.decimals, b.decimals)
    if float(number(low, decimals).replace(",", "")) < float(number(high, decimals).replace(",", "")):
        return None
    for places in range(decimals + 1, decimals + 5):
        if float(number(low, places).replace(",", "")) < float(number(high, places).replace(",", "")):
            break
    else:  # apart only further than four more places: nothing the page could show
        return None
    ends = []
    for value, point, end in ((low, low_point, low_end), (high, high_point, high_end)):
        e = point.gap
        bound = Estimate(value, value, value, est.GAPS, places, e.inputs, "estimates.bounds",
                         bound_words(e.formula, end, e.confidence), e.revision, e.estimated)
        ends.append(c.cite(bound, c._id(point.period, point.measure, "record", f"{end}-to-{places}"), point.period,
                           point.measure, f"{labels.measure(point.measure)}, {end} end of its range to {places} "
                           "decimal places", c.suffix(point.measure)))
    return {"places": PLACES.get(places, str(places)), "low_period": low_point.period, "low": ends[0],
            "high_period": high_point.period, "high": ends[1]}


def standing_sentence(c: Citer, p: GapPoint) -> Markup:
    """Where the gap stood in a period, against the baseline: the figures of record, labelled.

    Without a target (an analyst's series), the latest gap is set against the first period's, each with
    its interval (or rounding range), and called wider or narrower only where the two do not overlap.
    """
    a = c.a
    base = a.baseline
    if a.target is None and base is not None and p.period != base.period and p.gap is not None \
            and base.gap is not None and p.segment == base.segment:
        ci = p.gap.confidence and base.gap.confidence
        return squash(sentences().standing_ci({
            "period": p.period, "measure": labels.measure(p.measure), "disadvantaged": a.disadvantaged_label,
            "comparator": a.comparator_label, "gap": c.gap(p), "unit": c.unit(p.measure),
            "range_words": "95% confidence interval" if ci else "its rounding allows", "range": c.gap_range(p),
            "base_gap": c.gap(base), "base_range": c.gap_range(base), "baseline": base.period,
            "direction": gaps.size_direction(est.compare(base.gap, p.gap), base.gap.value, p.gap.value), "ci": ci,
            "side": side_words(a, gaps.sides(base.gap.value, p.gap.value)), "apart": ranges_apart(c, base, p),
            "reversed": reversed_side(base, p),
        }))
    context = {
        "period": p.period, "measure": labels.measure(p.measure), "disadvantaged": a.disadvantaged_label,
        "comparator": a.comparator_label, "gap": None, "unit": c.unit(p.measure), "gap_flags": [],
        "change": None, "direction": "", "baseline": a.baseline_period, "base_gap": None,
        "base_unit": c.unit(p.measure), "base_flags": [], "change_how": None, "no_change": None,
    }
    if p.gap is not None and p.gap.basis != est.IMPLIED:
        context.update(gap=c.gap(p), gap_flags=_how_gap(c, p))
    if p.change is not None and base is not None and base.gap is not None:
        context.update(change=c.change(p), direction=direction_word(p.change.value, p.change.decimals),
                       base_gap=c.gap(base))
        if base.gap.basis == est.LEVELS:
            context["base_flags"] = [Markup("computed from the {}").format(
                "values as rounded in the data" if c.a.method else "rounded published levels")]
        context["change_how"] = _change_how(c, p)
    elif p.period != a.baseline_period and base is not None:
        brk = a.break_between(base.period, p.period)
        if brk is not None:
            context["no_change"] = (f"No change from the {base.period} baseline is computed: the method changed in "
                                    f"{brk['first_period']}.")
    if context["gap"] is None and context["change"] is None:
        return Markup("")
    return squash(sentences().standing(context))


def _change_how(c: Citer, p: GapPoint) -> Markup:
    e = p.change
    if e.published:
        base = c.a.baseline
        text = Markup("as published")
        if base is not None and base.segment != p.segment:
            text = Markup("as published by its source across the change of method")
        shown_with_gap = p.gap is not None and p.gap.basis != est.IMPLIED
        flags = [f for f in estimate_flags(e) if not (shown_with_gap and f in estimate_flags(p.gap))]
        return text + (Markup(" ({})").format(Markup(" and ").join(flags)) if flags else Markup(""))
    rng = c.change_range(p)
    if est.contains_zero(e):
        return Markup("computed from the rounded gaps, whose rounding allows anything from {}, so it cannot show "
                      "which way the gap moved").format(rng)
    return Markup("computed from the rounded gaps, which allow {}").format(rng)


def target_sentence(c: Citer) -> Markup:
    t = c.a.target
    if t is None:
        return Markup("")
    base = c.a.baseline
    if t.value is not None and t.value.published:
        how = "as published"
    elif base is not None and base.gap is not None and base.gap.published:
        how = f"computed from the published {t.baseline_period} gap"
    else:
        how = f"computed from the {t.baseline_period} gap, itself computed from rounded levels"
    return squash(sentences().target({
        "reduction": c.reduction(), "measure": labels.measure(t.measure), "baseline": t.baseline_period,
        "period": t.target_period, "value": c.target_value() if t.value is not None else None,
        "unit": c.unit(t.measure), "how": how,
    }))


def verdict_context(c: Citer) -> dict | None:
    a, v = c.a, c.a.assessment
    if v is None:
        return None
    context = {"status": v.status, "css": STATUS_CLASS[v.status], "stale": v.point is not None and v.period != a.as_of,
               "period": v.period, "kind": "none", "within": v.within_target, "across": across_method(a)}
    if v.point is not None:
        p = v.point
        final = parse_period(p.period)[1] >= parse_period(a.target.target_period)[1]
        context.update(
            change=c.change(p), direction=direction_word(p.change.value, p.change.decimals),
            required=c.reduction() if final else c.required(v),
            required_direction=direction_word(v.required.value, 1) if not final else "narrower",
            kind="final" if final else ("close" if v.status == targets.TOO_CLOSE else "track"),
            ci=p.change.confidence,
        )
    return context


def across_method(a: Analysis) -> dict | None:
    """Where the verdict's change from the baseline crosses a change of method (a source's change published
    across it, such as Bambra's for infant mortality in 2008-10): the break's first period and what the figure
    is (provisional, an estimate by its source); None where it does not."""
    v, base = a.assessment, a.baseline
    if v is None or v.point is None or base is None or v.point.segment == base.segment:
        return None
    brk = a.break_between(base.period, v.point.period)
    e = v.point.change
    flags = [w for w, on in (("provisional", e is not None and e.provisional),
                             ("an estimate by its source", e is not None and e.estimated)) if on]
    return {"first_period": brk["first_period"] if brk is not None else v.point.period, "flags": flags,
            "period": v.point.period}


def verdict_sentence(c: Citer) -> Markup:
    """'Verdict: on track (latest found: 2005-07).' Across a change of method, the verdict says so."""
    context = verdict_context(c)
    return squash(sentences().verdict(context)) if context else Markup("")


def requirement_sentence(c: Citer) -> Markup:
    """What the straight line to the target required by the verdict's period."""
    context = verdict_context(c)
    return squash(sentences().requirement(context)) if context else Markup("")


def side_words(a: Analysis, side: str) -> str:
    """Which side of its comparator the group is on, where a direction word alone would mislead: ", the group
    still doing better" for a negative gap; where the gap changed sign, which side it is on now. Empty where
    the group does worse throughout (the usual case, which "wider" and "narrower" already describe)."""
    if side == gaps.BETTER:
        return f", {a.disadvantaged_label} still doing better"
    if side == gaps.TO_BETTER:
        return f", {a.disadvantaged_label} now doing better than {a.comparator_label}"
    if side == gaps.TO_WORSE:
        return f", {a.disadvantaged_label} now doing worse than {a.comparator_label}"
    return ""


def said_context(s: gaps.Statement) -> dict:
    """A statement's words for the templates: who said it, the quote, and where it was published (linked)."""
    from healthgap.page.render import date_element

    return {"said_by": s.said_by, "quote": s.quote, "url": s.url, "publisher": s.publisher,
            "date": date_element(s.published), "word": s.word, "run": s.consecutive or 0,
            "verb": "was unchanged" if s.direction == 0 else s.word,
            "reference": s.reference, "period": s.period}


def movement_context(c: Citer, m: Movement, run: int) -> dict:
    """What the movement template needs for one :class:`~healthgap.analysis.gaps.Movement`: the direction of the
    gap's size (:attr:`~healthgap.analysis.gaps.Movement.size`), the group's side where it does better, and a
    source's own statement of the same movement where the data record one (it leads)."""
    a = c.a
    context = {"earlier": m.earlier.period, "later": m.later.period, "basis": m.basis, "run": run,
               "levels_how": "computed from the values as rounded in the data" if a.method
               else "computed from the rounded levels",
               "unit": c.unit(m.later.measure), "reference": m.later.reference, "missing": m.missing,
               "ci": bool(m.later_figure is not None and m.later_figure.confidence
                          and (m.earlier_figure is None or m.earlier_figure.confidence)),
               "side": "", "said": None, "said_mode": "", "still": ""}
    if m.direction is None:
        if m.reason == "method":
            brk = a.break_between(m.earlier.period, m.later.period)
            context.update(kind="method", break_period=brk["first_period"] if brk is not None else m.later.period)
        else:
            context.update(kind="bases", how_earlier=_basis_words(m.earlier), how_later=_basis_words(m.later))
        return _with_statement(c, m, run, context)
    if m.basis == "published change":
        context.update(b=c.change(m.later))
    elif m.basis == "published changes":
        fa, fb = c.change(m.earlier), c.change(m.later)
        context.update(a=fa, b=fb, a_direction=direction_word(m.earlier.change.value, m.earlier.change.decimals),
                       b_direction=direction_word(m.later.change.value, m.later.change.decimals))
    elif m.basis == "published gaps":
        context.update(a=c.gap(m.earlier), b=c.gap(m.later))
    else:
        context.update(a=c.gap(m.earlier, check=m.earlier.gap.basis != est.LEVELS),
                       b=c.gap(m.later, check=m.later.gap.basis != est.LEVELS))
    size = m.size
    context["side"] = side_words(a, m.side)
    crossed = m.side in (gaps.TO_BETTER, gaps.TO_WORSE)
    if size == 0:
        context["kind"] = "flat"
    elif m.adjacent:
        context.update(kind="run", verb="reversed" if crossed else VERBS[size])
    else:
        context.update(kind="gap", verb=COMPARATIVES[size] if m.basis == "published changes"
                       else "reversed" if crossed else VERBS[size])
    return _with_statement(c, m, run, context)


def _with_statement(c: Citer, m: Movement, run: int, context: dict) -> dict:
    """A source's statement of the movement into the latest period leads (``statements.csv``): where it covers the
    same step and the figures agree, the sentence is the figures' with the statement beside them ("as the
    Department of Health said"); where the figures alone cannot show it, or show otherwise, or the periods cannot
    be compared, the statement is said without them (the reconciliation says what the figures show); a statement
    over another span is said after the figures' sentence. Where the gap moved one way since the previous period
    and is still on the other side of its baseline, the sentence says so."""
    a = c.a
    statement = gaps.statement_for(a.statements, m.later.measure, m.later.period)
    if statement is not None:
        check = gaps.check_statement(a.record.get(statement.measure, []), statement)
        said = said_context(statement)
        steps = statement.consecutive or 1
        same_span = (statement.reference == m.earlier.period and steps == 1) or (
            statement.consecutive is not None and m.adjacent and statement.reference in [p.period for p in a.points]
            and len(gaps.periods_between(statement.reference, m.later.period)) + 1 == statement.consecutive)
        if same_span and check.outcome == gaps.AGREES and m.size:
            context.update(said=said, said_mode="agrees")
        elif same_span or m.direction is None or m.size == 0:
            context.update(said=said, said_mode="leads", side=side_words(a, m.side) if m.direction is not None else "")
        else:
            context.update(said=said, said_mode="also")
    base = a.baseline
    if base is not None and m.later.change is not None and context.get("kind") in ("run", "gap") \
            and m.later.segment == base.segment and not est.contains_zero(m.later.change):
        since = 1 if m.later.change.value > 0 else -1
        if m.size is not None and m.size == -since:
            context["still"] = (f"It is still {COMPARATIVES[since]} than at the {base.period} baseline"
                                + (" and off track" if a.assessment is not None
                                   and a.assessment.status == targets.NOT_ON_TRACK else "") + ".")
    return context


def move_terms(c: Citer, m: Movement) -> tuple[Markup, Markup] | None:
    """The two figures a movement compares, cited: the published gaps, the gaps from the levels, or the published
    changes from the baseline; None where it compares none (across a break, or a published change alone)."""
    if m.direction is None or m.basis == "published change":
        return None
    if m.basis == "published changes":
        return c.change(m.earlier), c.change(m.later)
    if m.basis == "published gaps":
        return c.gap(m.earlier), c.gap(m.later)
    return (c.gap(m.earlier, check=m.earlier.gap.basis != est.LEVELS),
            c.gap(m.later, check=m.later.gap.basis != est.LEVELS))


def statement_rows(ledger: Ledger, analyses: list[Analysis]) -> list[dict]:
    """Each source's statement of movement beside what the record's own figures show over the same span
    (:func:`healthgap.analysis.gaps.check_statement`), for the reconciliation: the statement leads on the page,
    and only here does the briefing say where its own reading of the figures differs."""
    rows = []
    for a in analyses:
        c = Citer(ledger, a)
        for s in a.statements:
            check = gaps.check_statement(a.record.get(s.measure, []), s)
            steps = []
            for m in check.moves:
                terms = move_terms(c, m)
                if terms is None:
                    continue
                word = {1: "wider", -1: "narrower", 0: "cannot show which way"}[m.size] if m.size is not None else ""
                steps.append(Markup("{} {} to {} {}: {}").format(m.earlier.period, terms[0], m.later.period, terms[1],
                                                                 word))
            rows.append({"indicator": f"{a.indicator.title}{sex_suffix(a.sex)}", "measure": labels.measure(s.measure),
                         "span": f"{s.reference} to {s.period}" if s.reference else s.period,
                         "said": said_context(s), "steps": steps, "outcome": check.outcome, "reason": check.reason})
    return rows


def _basis_words(p: GapPoint) -> str:
    if p.gap is not None and p.gap.basis != est.IMPLIED:
        return f"{p.period}: the gap {labels.BASES[p.gap.basis]}"  # the national record's bases only
    return f"{p.period}: the change from the baseline, {labels.BASES[p.change.basis]}"


def movement_sentence(c: Citer) -> Markup:
    """How the gap moved into its latest period, with "consecutive" only for adjacent periods, and a source's
    own statement of it leading where the data record one."""
    m, run = gaps.latest_run(c.a.points)
    if m is None:
        return Markup("")
    return squash(sentences().movement(movement_context(c, m, run)))


def later_statements_sentence(c: Citer) -> Markup:
    """What sources said, in words only, of periods after the latest figure of the gap (the October 2011 bulletin's
    statements on the life-expectancy gaps, for instance), each quoted and linked; nothing where they said
    nothing."""
    a = c.a
    latest = a.latest
    if latest is None or not a.statements:
        return Markup("")
    end = parse_period(latest.period)[1]
    found, seen = [], set()
    for s in a.statements:
        if parse_period(s.period)[1] <= end or (s.said_by, s.quote) in seen:
            continue
        seen.add((s.said_by, s.quote))
        found.append(said_context(s))
    if not found:
        return Markup("")
    return squash(sentences().later_statements({"latest": latest.period, "said": found,
                                                "measure": labels.measure(a.gap_measure)}))


def standing_point(a: Analysis) -> GapPoint | None:
    """The period the section's opening sentence stands on: the verdict's, else the latest."""
    if a.assessment is not None and a.assessment.point is not None:
        return a.assessment.point
    return a.latest


def contrast_sentence(c: Citer) -> Markup:
    """Absolute and relative gaps side by side, from the baseline to the latest period both have.

    Where the opening sentence has already given the target gap's change over the same span, only
    the other gap is described, and whether it tells the same story.
    """
    a = c.a
    mine, theirs = a.points, a.record.get(a.other_measure, [])
    if not mine or not theirs or a.baseline is None:
        return Markup("")
    common = [p.period for p in mine if p.period in {q.period for q in theirs}]
    first = a.baseline_period
    if first not in common or common[-1] == first:
        return Markup("")
    last = common[-1]
    pieces = []
    for points in (mine, theirs):
        b = next(p for p in points if p.period == first)
        l = next(p for p in points if p.period == last)
        pieces.append((b, l, gaps.movement(b, l)))
    (b1, l1, m1), (b2, l2, m2) = pieces
    ci = bool(l1.gap is not None and l1.gap.confidence)
    stated = standing_point(a) is not None and standing_point(a).period == last and l1.change is not None
    if m1.reason == "method" or m2.reason == "method":
        if l2.change is None or not l2.change.published or (not stated and not (l1.change and l1.change.published)):
            return Markup("")
        context = {"kind": "changes", "earlier": first, "later": last, "stated": stated,
                   "first_measure": labels.measure(l1.measure), "second_measure": labels.measure(l2.measure),
                   "second": Markup("{} {}").format(c.change(l2), direction_word(l2.change.value, l2.change.decimals))}
        if not stated:
            context["first"] = Markup("{} {}").format(c.change(l1), direction_word(l1.change.value, l1.change.decimals))
        return squash(sentences().contrast(context))
    described = [_moved(c, b, l, m) for b, l, m in pieces]
    if any(d is None for d in described):
        return Markup("")
    if stated:
        if not m2.size:
            kind = "other-flat"
        elif m1.size and m2.size != m1.size:
            kind = "other-differs"
            described[1] = _moved(c, b2, l2, m2, pronoun=True)
        else:
            kind = "other-same"
        return squash(sentences().contrast({"kind": kind, "earlier": first, "later": last, "second": described[1],
                                            "second_measure": labels.measure(l2.measure), "ci": ci}))
    differ = bool(m1.size and m2.size and m1.size != m2.size)
    kind = "differ" if differ else "same"
    if not m1.size and not m2.size:
        kind = "neither"
    elif not m1.size or not m2.size:
        kind = "one"
        if not m1.size:
            described.reverse()
    return squash(sentences().contrast({"kind": kind, "earlier": first, "later": last,
                                        "first": described[0], "second": described[1], "ci": ci}))


def _moved(c: Citer, base: GapPoint, latest: GapPoint, m: Movement, pronoun: bool = False) -> Markup | None:
    """'the absolute gap narrowed from 36.7 to 22.6', on the shared basis of the movement."""
    macro = sentences().moved
    if m.direction is None:
        return None
    size = m.size
    verbs = {**VERBS, **({size: "reversed"} if size and m.side in (gaps.TO_BETTER, gaps.TO_WORSE) else {})}
    context = {"measure": labels.measure(latest.measure), "unit": c.unit(latest.measure), "change": None,
               "direction": size, "pronoun": pronoun, "side": side_words(c.a, m.side) if size else "",
               "ci": bool(latest.gap is not None and latest.gap.confidence), "a_range": None, "b_range": None}
    if size and latest.change is not None and latest.change.published and latest.reference == base.period:
        context.update(change=c.change(latest), verb=verbs[size], how="as published")
    elif m.basis == "published gaps":
        context.update(a=c.gap(base), b=c.gap(latest), verb=verbs.get(size, ""))
        if size and context["ci"] and base.gap is not None and base.gap.confidence:  # the intervals that show it
            context.update(a_range=c.gap_range(base), b_range=c.gap_range(latest))
    elif m.basis == "gaps computed from levels":
        check_base, check_latest = base.gap.basis != est.LEVELS, latest.gap.basis != est.LEVELS
        context.update(a=c.gap(base, check=check_base), b=c.gap(latest, check=check_latest), verb=verbs.get(size, ""))
        if size and context["ci"] and base.gap is not None and base.gap.confidence:
            context.update(a_range=c.gap_range(base, check=check_base), b_range=c.gap_range(latest, check=check_latest))
    else:
        context.update(change=c.change(latest), verb=verbs.get(size, ""), how="as published")
        if not size:
            return None
    return squash(macro(context))


def opposite(c: Citer, first: str, last: str) -> dict | None:
    """Where the absolute and relative gaps moved in opposite directions between two periods, each beyond its
    interval (or its rounding): the other gap's movement in words, "the relative gap widened significantly, from
    26.5% to 33.2%" (``words``), and as a verdict ("relative gap widened significantly", ``status``). None where
    they moved the same way, or either cannot show a movement, or the periods are not in both records."""
    a = c.a
    found = []
    for measure in (a.gap_measure, a.other_measure):
        points = {p.period: p for p in a.record.get(measure, [])}
        if first not in points or last not in points:
            return None
        m = gaps.movement(points[first], points[last])
        if not m.size:
            return None
        found.append((points[first], points[last], m))
    (_, _, m1), (b2, l2, m2) = found
    if m1.size == m2.size:
        return None
    words = _moved(c, b2, l2, m2)
    if words is None:
        return None
    ci = bool(l2.gap is not None and l2.gap.confidence and b2.gap is not None and b2.gap.confidence)
    return {"words": words, "status": f"{labels.measure(l2.measure)} {VERBS[m2.size]}"
            + (" significantly" if ci else ""), "measure": labels.measure(l2.measure)}


def one_period_relative(c: Citer) -> dict | None:
    """Where the data hold one period, the relative gap beside the absolute one (the summary gives both), each
    with its interval or the range its rounding allows; None where there is no relative gap."""
    a = c.a
    points = a.record.get(a.other_measure, [])
    if len(points) != 1 or points[0].gap is None:
        return None
    p = points[0]
    return {"measure": labels.measure(p.measure), "gap": c.gap(p), "range": c.gap_range(p), "ci": p.gap.confidence}


def change_against_gaps(c: Citer, point: GapPoint, base: GapPoint | None, latest: GapPoint | None) -> Markup:
    """Beside a published change in a table whose row also shows the two gaps: where the change those gaps give
    (its recomputation, shown at the published change's precision) is not the published one, "as published; the
    gaps shown give 11%", so the row does not contradict itself; nothing where they agree or a gap is not shown."""
    e, check = point.change, point.change_check
    if e is None or check is None or base is None or latest is None or latest is not point:
        return Markup("")
    if base.gap is None or point.gap is None or point.gap.basis == est.IMPLIED:
        return Markup("")
    if number(abs(check.value), e.decimals) == number(abs(e.value), e.decimals):
        return Markup("")
    shown = Estimate(check.value, check.lower, check.upper, check.basis, e.decimals, check.inputs, check.method,
                     check.formula, check.revision, check.estimated)
    figure = c.cite(shown, c._id(point.period, gaps.CHANGE_OF[point.measure], point.reference, "check", "table"),
                    point.period, gaps.CHANGE_OF[point.measure],
                    f"change in the {labels.measure(point.measure)} since {point.reference} from the gaps shown", "%",
                    absolute=True)
    return Markup(' <span class="formula">as published; the gaps shown give {}</span>').format(figure)


def one_period_other(c: Citer) -> Markup:
    """Where the data hold one period, the other gap in a sentence of its own ("The relative gap was 2.38% (95%
    confidence interval 2.26% to 2.49%)."), so a one-period page shows both; nothing otherwise."""
    if len(c.a.points) != 1:
        return Markup("")
    other = one_period_relative(c) if c.a.other_measure == "relative_gap_pct" else None
    if other is None:
        return Markup("")
    return Markup("The {} was {} ({}{}).").format(other["measure"], other["gap"],
                                                  "95% confidence interval " if other["ci"] else "its rounding allows ",
                                                  other["range"])


def statement_said(a: Analysis, period: str) -> dict | None:
    """A source's statement of how the target's gap moved into ``period`` (the summary repeats it); None without."""
    s = gaps.statement_for(a.statements, a.gap_measure, period)
    if s is None or not s.reference:
        return None
    return said_context(s)


def break_note(c: Citer) -> Markup:
    """The method break inside the edition, named, with what is and is not compared across it."""
    if c.a.breaks.empty:
        return Markup("")
    b = c.a.breaks.iloc[0]
    return Markup("{} The chart draws it as a break; no change is computed across it, and a change its source "
                  "published across it is labelled so.").format(b["description"])


def single_period_note(c: Citer) -> Markup:
    """One line where the data hold a single period: no trend can be stated."""
    a = c.a
    if a.group is not None and len(a.points) == 1:
        return Markup("The data hold one period, {}, so this section says where the gap stands, not how it has "
                      "moved.").format(a.points[0].period)
    return Markup("")


def stale_note(c: Citer) -> Markup:
    """Why nothing later than the latest figure is shown, when it is older than the edition."""
    a = c.a
    if not a.stale:
        return Markup("")
    later = a.later_figures()
    text = f"No {labels.measure(a.gap_measure)} for a period after {a.latest.period} is in the data for this edition"
    if later.empty:
        return Markup("{}.").format(text)
    covered = sorted({(a.label(r["group"]), labels.measure(r["measure"]), r["period"]) for _, r in later.iterrows()},
                     key=lambda x: (parse_period(x[2]), x[0], x[1]))
    items = [f"{possessive(g)} {m} for {p}" for g, m, p in covered]
    from healthgap.page.render import series
    return Markup("{}: the later figures found give only {}, from which no gap can be computed.").format(
        text, series(items))


def intervals_note(ledger: Ledger, analyses: list[Analysis]) -> Markup:
    """One note per section on intervals: which levels have them and, worded for the indicator, why the rest do not.

    Where the group's value is computed from its areas, the note says how its interval and the gap's are found
    (:func:`computed_intervals_note`); where the groups' values are published, which have intervals and why
    the others do not."""
    a0 = analyses[0]
    if a0.method:
        return computed_intervals_note(a0)
    meta = a0.indicator
    noun = labels.LEVEL_NOUNS.get(meta.measure, "levels")
    behind = "the deaths and populations by age behind them" if meta.measure == "life_expectancy" \
        else "the counts and populations behind them"
    rows = [(a, r) for a in analyses for _, r in a.intervals.iterrows()]
    if not rows:
        text = Markup("The {} figures were published rounded, without {}, so no figure here has a confidence "
                      "interval, the gap's included: the ranges given are those their rounding allows.").format(
            indicator_name(a0), behind)
    else:
        parts = []
        for a, r in rows:
            c = Citer(ledger, a)
            obs = a.observations.set_index("id", drop=False)
            decimals = meta.decimals
            limits = [c.plain(f"{r['rate_id']}-{end}", r["period"], "rate",
                              f"{a.label(r['group'])}, rate, {end} {r['confidence']:.0%} limit",
                              r[f"{end}_ci"], number(r[f"{end}_ci"], decimals), [r["rate_id"], r["count_id"]],
                              f"methods.crude_rate: Byar's {r['confidence']:.0%} limit for {r['count']:g} deaths, "
                              f"scaled to the published rate {r['value']:g}")
                      for end in ("lower", "upper")]
            parts.append(Markup("{} in {}, {} ({} to {}) from {} deaths").format(
                a.label(r["group"]), r["period"], c.observation(obs.loc[r["rate_id"]]), limits[0], limits[1],
                c.observation(obs.loc[r["count_id"]])))
        confidence = float(rows[0][1]["confidence"])
        level = Citer(ledger, a0).plain("confidence-level", a0.as_of, "confidence-level", "confidence level",
                                        100 * confidence, f"{confidence:.0%}", [],
                                        "analysis.level_intervals: the level of Byar's intervals, the conventional 95%")
        text = Markup("Where the number of deaths was published beside a rate, the rate has a {} confidence interval "
                      "(Byar's method, on the denominator the two imply): {}. The other {} were published rounded, "
                      "without counts, so the ranges given for them are those their rounding allows.").format(
            level, Markup("; ").join(parts), noun)
    both = sorted({r["period"] for a, r in rows
                   if (a.intervals["period"] == r["period"]).sum() >= 2}, key=parse_period)
    if not rows:
        pass  # the gap's want of an interval is said with the levels'
    elif not both:
        text += Markup(" No interval is given for the gap: no period has counts published for both groups.")
    else:
        published = all(any(p.period == q and p.gap is not None and p.gap.published for p in a0.points) for q in both)
        text += Markup(" No interval is given for the gap: counts were published for both groups only in {}, {}.").format(
            series(both), "where the gap of record is the one its source published, without an interval" if published
            else "and the gaps are computed from the rounded rates, with the range their rounding allows")
    return text


def computed_intervals_note(a: Analysis) -> Markup:
    """The intervals of a group made of areas: from its areas' limits, and the gap's allowing for the group being
    part of the comparator; or none, where the data give no limits."""
    if a.intervals.empty:
        return Markup("The data give no confidence limits, so no figure here has an interval: the ranges given "
                      "are those the values' rounding allows.")
    if a.comparison.nested:
        return Markup("Intervals are 95% confidence intervals: the group's from its areas' limits (standard errors "
                      "from the limits, on the log scale for rates), and the gap's allowing for the group being part "
                      "of {} (about {} of its {}), as the two are not independent.").format(
            a.comparator_label, f"{a.share:.0%}", a.share_of)
    return Markup("Intervals are 95% confidence intervals; the group and {} are independent.").format(
        a.comparator_label)


# --- tables -------------------------------------------------------------------------------------


def record_rows(c: Citer) -> list[dict]:
    """The rows of the section's record table: each period's gap and change, of record and recomputed."""
    rows = []
    for p in c.a.points:
        gap = how_gap = check = change = how_change = change_check = None
        if p.gap is not None:
            gap = c.gap(p)
            how_gap = basis_words(c.a, p.gap)
            if p.gap.basis == est.LEVELS:
                check = c.gap_range(p)
        if p.gap_check is not None:
            check = Markup("{} ({})").format(c.gap(p, check=True), c.gap_range(p, check=True))
        if p.change is not None:
            change = Markup("{} {}").format(c.change(p), direction_word(p.change.value, p.change.decimals))
            how_change = basis_words(c.a, p.change)
            if not p.change.published:
                change_check = c.change_range(p)
        if p.change_check is not None:
            change_check = Markup("{} {} ({})").format(
                c.change(p, check=True), direction_word(p.change_check.value, p.change_check.decimals),
                c.change_range(p, check=True))
        flags = estimate_flags(p.gap) if p.gap is not None else []
        if p.change is not None:
            flags += [f for f in estimate_flags(p.change) if f not in flags]
        rows.append({"period": p.period, "gap": gap, "how_gap": how_gap, "check": check, "change": change,
                     "how_change": how_change, "change_check": change_check, "flags": flags,
                     "break": p.segment != (c.a.points[0].segment if c.a.points else 0)})
    return rows


LEVEL_FORMULAS = {
    "pooled": "the sum of its areas' counts over the sum of their denominators",
    "weighted": "the mean of its areas' values weighted by population",
    "unweighted": "the unweighted mean of its areas' values",
    "counts": "its areas' summed deaths, births and populations by age",
}
"""How a group's value is computed, as the list of every figure says it ("computed as ...")."""


def level_method_words(a: Analysis, row: pd.Series) -> str:
    """How a group's or the comparator's value was computed, in words: "the mean of its areas' values weighted by
    population (14 areas)"; for the rest of England, "England's published value less the group's part in it"."""
    method = str(row["method"])
    if method == "derived":
        return rest_of_england_derivation(a)
    words = LEVEL_FORMULAS.get(method.split(" (")[0], method)
    n = int(row["areas"]) if not pd.isna(row["areas"]) else 0
    return f"{words} ({n} area{'s' if n != 1 else ''})" if n else words


def level(c: Citer, row: pd.Series) -> tuple[Markup, Markup]:
    """A group's or the comparator's level, cited, and its interval (or nothing), for an analyst's series."""
    a = c.a
    label = a.label(row["group"])
    what = f"{possessive(label)} value"
    inputs = tuple(i for i in str(row.get("inputs", row["id"])).split(";") if i)
    confidence = not pd.isna(row["lower"])
    e = Estimate(float(row["value"]), float(row["lower"]) if confidence else float(row["value"]),
                 float(row["upper"]) if confidence else float(row["value"]),
                 est.PUBLISHED if row["status"] == "published" else est.LEVELS, int(row["decimals"]),
                 inputs if row["status"] != "published" else (row["id"],),
                 "" if row["status"] == "published" else "groups.group_value",
                 "" if row["status"] == "published" else level_method_words(a, row),
                 interval=est.CONFIDENCE if confidence else est.ROUNDING)
    figure_id = c._id(row["period"], row["group"], "level")
    value = c.cite(e, figure_id, row["period"], a.indicator.measure, what)
    if not confidence:
        return value, Markup("")
    return value, c.range(e, figure_id, row["period"], a.indicator.measure, what)


def levels_sentence(c: Citer) -> Markup:
    """The group's and the comparator's values in the latest period, with their intervals."""
    a = c.a
    if not a.method or a.latest is None:
        return Markup("")
    rows = a.levels[a.levels["period"] == a.latest.period]
    found = {r["group"]: r for _, r in rows.iterrows()}
    group, comparator = a.comparison.disadvantaged, a.comparison.comparator
    if not {group, comparator} <= set(found):
        return Markup("")
    value, rng = level(c, found[group])
    comparator_value, comparator_range = level(c, found[comparator])
    row = found[group]
    return squash(sentences().levels({
        "group": a.disadvantaged_label, "name": indicator_name(a), "value": value, "how": str(row.get("method", "")),
        "areas": int(row["areas"]) if "areas" in row and not pd.isna(row["areas"]) else 0,
        "unit": c.unit("absolute_gap"), "range": rng, "period": a.latest.period, "comparator": a.comparator_label,
        "comparator_value": comparator_value, "comparator_range": comparator_range,
        "ci": not pd.isna(row.get("lower", float("nan"))),
    }))


def indicator_name(a: Analysis) -> str:
    """The indicator as the data name it, for a sentence: "preventable cancer mortality under 75", "healthy life
    expectancy at birth" (its title, its first letter lower-cased unless the title starts with an acronym)."""
    title = a.indicator.title
    if len(title) > 1 and title[:2].isupper():
        return title
    return title[:1].lower() + title[1:]


def sii_sentence(c: Citer) -> Markup:
    """The slope index of inequality across deprivation deciles: its latest value, and how it moved."""
    a = c.a
    frame = a.sii
    if frame is None or frame.empty:
        return Markup("")
    decimals = a.indicator.decimals

    def cite(row: pd.Series) -> tuple[Markup, Markup, Estimate]:
        has = not pd.isna(row["lower"])
        e = Estimate(float(row["sii"]), float(row["lower"]) if has else float(row["sii"]),
                     float(row["upper"]) if has else float(row["sii"]), est.LEVELS, decimals, (),
                     "methods.sii", "weighted least squares on the deciles' cumulative population midpoints",
                     interval=est.CONFIDENCE if has else est.ROUNDING)
        figure_id = c._id(row["period"], "sii")
        value = c.cite(e, figure_id, row["period"], "sii", "slope index of inequality")
        rng = c.range(e, figure_id, row["period"], "sii", "slope index of inequality") if has else Markup("")
        return value, rng, e

    last = frame.iloc[-1]
    value, rng, e = cite(last)
    # quantile 1 is the most deprived: a negative slope means the most deprived end is higher
    higher = e.value < 0
    distance = Estimate(abs(e.value), abs(e.value), abs(e.value), est.LEVELS, decimals, (), "methods.sii",
                        "the slope index's size")
    context = {"period": last["period"], "value": value, "range": rng, "unit": c.unit("absolute_gap"),
               "distance": c.cite(distance, c._id(last["period"], "sii-size"), last["period"], "sii",
                                  "size of the slope index of inequality"),
               "direction": "higher" if higher else "lower",
               "first_period": None}
    if len(frame) > 1:
        first = frame.iloc[0]
        first_value, first_range, f = cite(first)
        moved = ""
        if f.confidence and e.confidence:
            if est.compare(f, e) == 0:
                moved = "the intervals overlap, so the data cannot show that it moved"
            elif abs(e.value) < abs(f.value):
                moved = "the gap between the ends is significantly smaller now, as the intervals do not overlap"
            else:
                moved = "the gap between the ends is significantly larger now, as the intervals do not overlap"
        context.update(first_period=first["period"], first_value=first_value, first_range=first_range, moved=moved)
    return squash(sentences().sii(context))


def method_note(c: Citer) -> Markup:
    """How the group's value is computed, in one line (an analyst's series)."""
    a = c.a
    if not a.method or a.group is None:
        return Markup("")
    return Markup("{} is made up of {}. Its value in each period is {}.").format(
        narrative_capitalise(a.disadvantaged_label), a.group.description, a.method)


def narrative_capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def analysis_html(ledger: Ledger, analysis: Analysis, with_heading: bool) -> Markup:
    """The text of one indicator and sex: verdict first, then movement, contrast and notes."""
    c = Citer(ledger, analysis)
    latest = analysis.latest
    return render(
        "analysis.html.j2",
        heading=labels.sex(analysis.sex).capitalize() if with_heading else "",
        standing=standing_sentence(c, analysis.assessment.point if analysis.assessment is not None
                                   and analysis.assessment.point is not None else latest) if latest is not None else Markup(""),
        target=target_sentence(c), verdict=verdict_sentence(c), requirement=requirement_sentence(c),
        movement=movement_sentence(c), contrast=contrast_sentence(c) or one_period_other(c), levels=levels_sentence(c),
        later_statements=later_statements_sentence(c),
        sii=sii_sentence(c), outlook=outlook_html(analysis, ledger),
        notes=[n for n in (single_period_note(c), stale_note(c), break_note(c)) if n],
    )


# --- where the gap is heading: the projection's words (the analysis returns data; these word it) ------------

Show = Callable[[str, float, int], str]
"""How a figure is written into a sentence: (role, value, decimals) -> text. Roles: ``projection``, ``lower``,
``upper``, ``target``, ``achieved``, ``needed``, ``achieved_low``, ``achieved_high``, ``allowance``, a bend's
``slope_before`` and ``slope_after`` (a change a year, "%" added by the sentence on the log scale), and the
method's own constants ``confidence`` (95) and ``minimum`` (3 periods to project, 5 to judge). The page links
each figure to its provenance (:func:`outlook_show`)."""

PER_YEAR = ("achieved", "needed", "achieved_low", "achieved_high", "allowance", "slope_before", "slope_after")

WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


def listing(periods) -> str:
    """'2004-06, 2005-07 and 2006-08'."""
    items = list(periods)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plain(unit: str) -> Show:
    def show(role: str, value: float, decimals: int) -> str:
        if role in ("confidence", "minimum"):
            return f"{value:g}" + ("%" if role == "confidence" else "")
        return number(value, decimals) + ("" if role in PER_YEAR else unit)
    return show


def count_words(n: float, show: Show | None = None) -> str:
    """A count in words (a count of periods or years is not a figure of the data); beyond twenty, or not
    whole, as a method constant written by ``show``."""
    if float(n).is_integer() and 0 <= n < len(WORDS):
        return WORDS[int(n)]
    return (show or _plain(""))("minimum", n, 0 if float(n).is_integer() else 1)


def _years(x: float, show: Show | None = None) -> str:
    return f"{'one' if x == 1 else count_words(x, show)} year" + ("" if x == 1 else "s")


def shortfall(result: pj.Projection | None) -> str:
    """Why a projection has no figures, in the words the tables use: "too far ahead" or "too few periods"."""
    return pj.TOO_FAR if result is not None and result.flag == pj.TOO_FAR else pj.TOO_FEW


def per_year_unit(unit: str, per: str = "") -> str:
    """The unit of a change a year: ``per`` where given ("deaths per 100,000", "years"), "percentage points" for
    a relative gap (``unit`` "%"), else nothing."""
    if per:
        return f" {per}"
    return " percentage points" if unit == "%" else ""


def describe_bend(result: pj.Projection, decimals: int, unit: str = "", show: Show | None = None,
                  per: str = "") -> str:
    """Where the series bent, in words: "The gap's course changed in 2011-13: it had been narrowing by 4.8% a
    year, and since then it has moved by +1.0% a year, which its figures cannot tell from no movement."

    Before the bend: the segmented fit's first slope (:class:`~healthgap.analysis.projection.Bend`); since: the
    slope of the trend the projection follows (the periods from the knot on), with a direction named only where
    its 95 % interval (:meth:`~healthgap.analysis.projection.Trend.slope_interval`) lies on one side of zero. On
    the log scale (of the gap's size) each slope is given as a percentage change a year, 100 (exp(b) - 1), to one
    decimal place, and called narrowing or widening; on another scale as a change a year in the gap's units, to
    one decimal place more than the gap. Empty where the series did not bend."""
    b = result.bend
    if b is None:
        return ""
    show = show or _plain(unit)
    trend = result.trend
    log = trend.scale.name == pj.LOG
    places = 1 if log else decimals + 1
    units = "%" if log else per_year_unit(unit, per)

    def shown(slope: float) -> float:
        return 100 * (math.exp(slope) - 1) if log else slope

    def words(value: float, falling: str, rising: str) -> str:
        return falling if value < 0 else rising

    before = shown(b.slope_before)
    if round(abs(before), places) == 0:
        then = "had barely moved"
    else:
        then = (f"had been {words(before, 'narrowing' if log else 'falling', 'widening' if log else 'rising')} by "
                f"{show('slope_before', abs(before), places)}{units} a year")
    after = shown(trend.slope)
    low_high = trend.slope_interval(result.confidence)
    known = low_high is not None and (low_high[0] > 0 or low_high[1] < 0)
    if round(abs(after), places) == 0:
        now = "it has barely moved"
    elif known:
        now = (f"it has {words(after, 'narrowed' if log else 'fallen', 'widened' if log else 'risen')} by "
               f"{show('slope_after', abs(after), places)}{units} a year")
    else:
        now = (f"it has moved by {'+' if after > 0 else '−'}{show('slope_after', abs(after), places)}{units} a year, "
               f"which its figures cannot tell from no movement")
    return f"The gap's course changed in {b.period}: it {then}, and since then {now}."


def describe(result: pj.Projection, decimals: int, target: float | None = None, unit: str = "",
             lower_is_better: bool = True, target_decimals: int | None = None, show: Show | None = None,
             per: str = "") -> str:
    """The projection in words, its figures rounded to ``decimals`` (the gap's own precision), the target to
    ``target_decimals`` (its own; ``decimals`` by default), each written by ``show``.

    Where the series bent, first :func:`describe_bend`. Then "At the pace since 1995-97 the gap would be
    17.2 (12.1 to 22.3) in 2009-11, against a target of 16.6 or less." followed, only where the trend has at
    least three residual degrees of freedom and the interval is wholly on one side of the target
    (:func:`healthgap.analysis.projection.verdict`), by a statement of likelihood; where it spans the target, by
    saying so; where the trend is too short, by saying that. With fewer than three periods: "Too few periods to
    project: ..."; beyond the span of the trend: "Too far ahead to project: ...". ``unit`` follows each figure
    (e.g. "%").
    """
    show = show or _plain(unit)
    bend = describe_bend(result, decimals, unit, show, per)
    lead = bend + " " if bend else ""
    if result.flag == pj.TOO_FAR and not result.enough:
        return (f"{lead}Too far ahead to project: {result.period} lies {_years(result.ahead, show)} beyond the "
                f"latest period, {result.fitted[-1]}, further than the {_years(result.span, show)} the trend since "
                f"{result.since} spans.")
    if not result.enough:
        have = len(result.fitted)
        method = f" on the method used since {result.method_since}" if result.method_since else ""
        named = f"{count_words(have, show)}{method} ({listing(result.fitted)})" if have else f"none{method}"
        return (f"Too few periods to project: a trend with an interval needs at least "
                f"{show('minimum', pj.MIN_POINTS, 0)} periods, and the series has {named}.")
    sentence = (f"{lead}At the pace since {result.since} the gap would be {show('projection', result.value, decimals)} "
                f"({show('lower', result.lower, decimals)} to {show('upper', result.upper, decimals)}) in "
                f"{result.period}")
    if target is None:
        return sentence + "."
    side = "or less" if lower_is_better else "or more"
    places = decimals if target_decimals is None else target_decimals
    sentence += f", against a target of {show('target', target, places)} {side}."
    call = pj.verdict(result, target, lower_is_better)
    percent = show("confidence", result.confidence * 100, 0)
    if call == pj.SHORT:
        sentence += (f" On {count_words(result.trend.n, show)} periods the trend is too short to say whether the gap "
                     f"will reach {show('target', target, places)} (a likelihood needs at least "
                     f"{show('minimum', result.trend.n - result.trend.df + pj.MIN_JUDGE_DF, 0)}).")
    elif call == pj.LIKELY:
        sentence += f" The whole {percent} interval meets the target: on this trend it is likely to be met."
    elif call == pj.UNLIKELY:
        sentence += f" The whole {percent} interval misses the target: on this trend it is unlikely to be met."
    else:
        sentence += f" The {percent} interval spans the target, so the trend cannot say whether it will be met."
    return sentence


def describe_method(result: pj.Projection, show: Show | None = None) -> str:
    """How the projection was computed, in one sentence for the page (the model's terms are in the methods
    appendix): "Computed from all twelve periods from 2011-13 to 2022-24, as a steady percentage change a year,
    allowing for the years that neighbouring periods share, with its 95% prediction interval, which assumes
    the gap keeps to that course." Empty without figures."""
    if not result.enough or result.trend is None:
        return ""
    show = show or _plain("")
    t = result.trend
    percent = show("confidence", result.confidence * 100, 0)
    if t.model == pj.OLS:
        return (f"Computed: a straight line fitted to the gap in {listing(t.periods)} and its {percent} prediction "
                f"interval, which assumes the gap keeps to that line.")
    kind = {pj.LOG: "a steady percentage change a year",
            pj.LOG_RATIO: "a steady percentage change a year in the ratio of the two rates"}.get(t.scale.name,
                                                                                                 "a steady change a year")
    which = f"all {count_words(t.n, show)} periods from {t.since} to {t.latest}" if t.n > 2 else listing(t.periods)
    where = []
    if t.bent:
        where.append(f"those before {t.since} follow the earlier course")
    if t.method_since:
        where.append(f"none from before the change of method in {t.method_since}")
    aside = f" ({'; '.join(where)})" if where else ""
    spans = [parse_period(p) for p in t.periods]
    shared = any(a_end >= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    errors = "allowing for the years that neighbouring periods share" if shared else \
        "the periods sharing no years"
    pandemic = any(start <= 2021 and end >= 2020 for start, end in spans)
    return (f"Computed from {which}{aside}, as {kind}, {errors}, with its {percent} prediction interval, which "
            f"assumes the gap keeps to that course."
            + (" The periods fitted include 2020 or 2021, years of the COVID-19 pandemic, weighed like any other."
               if pandemic else ""))


def describe_analysis(analysis: Analysis, horizon: str | None = None, confidence: float = pj.CONFIDENCE) -> str:
    """:func:`describe` for an analysis: its gap, to its target (or ``horizon``), to the gap's decimals."""
    result = pj.project_analysis(analysis, horizon, confidence=confidence)
    target = pj.target_of(analysis)
    decimals = analysis.comparison.decimals_for(analysis.gap_measure)
    return describe(result, decimals, target[0] if target is not None else None,
                    "%" if analysis.gap_measure == "relative_gap_pct" else "")


def outlook_sentence(o: pj.Outlook) -> str:
    """:func:`describe` of an outlook's projection, figures written plainly (empty without one)."""
    if o.projection is None:
        return ""
    return describe(o.projection, o.decimals, o.target, o.unit, o.lower_is_better, o.target_decimals)


def outlook_interval(o: pj.Outlook) -> str:
    """The projected gap with its interval, "17.2 (12.1 to 22.3)", or why there is none ("too few periods",
    "too far ahead")."""
    p = o.projection
    if p is None or not p.enough:
        return shortfall(p)

    def n(x: float) -> str:
        return number(x, o.decimals) + o.unit

    return f"{n(p.value)} ({n(p.lower)} to {n(p.upper)})"


def describe_pace(p: pj.Pace, decimals: int, unit: str, target_decimals: int | None = None,
                  show: Show | None = None, per: str = "", group: str = "the group") -> str:
    """The pace in words: the change a year achieved since the baseline, against the change a year needed
    from the latest period to reach the target by the target period, each with its unit ("0.26 deaths per
    100,000 a year"; ``per``, else "percentage points" for a relative gap). Both are differences of gaps of
    record divided by the years between the periods' midpoints, given to one decimal place more than the gap;
    where the latest period's change from the baseline was published, the pace achieved rests on it
    (:attr:`~healthgap.analysis.projection.Pace.change`), so it never contradicts it. A direction is named only
    where the figures' own ranges allow one direction (:attr:`~healthgap.analysis.projection.Pace.direction_known`),
    a verdict only where the whole range of the pace achieved is on one side of the pace needed. Directions are of
    the gap's size: where the group does better than its comparator (a negative gap), a gap growing more negative
    has widened, "{group} still doing better".

    "Since 1995-97 the gap has narrowed by 1.31 deaths per 100,000 a year; to reach 22.0 by 2009-11 it must narrow
    by 0.58 deaths per 100,000 a year from 2004-06, so the pace so far is enough."
    """
    show = show or _plain(unit)
    places = decimals + 1
    units = per_year_unit(unit, per)
    better = p.since_value < 0 and p.latest_value < 0

    def word(x: float) -> str:
        wider = (x > 0) != better
        return "widened" if wider else "narrowed"

    def moved(x: float) -> str:
        if round(abs(x), places) == 0:
            return "has barely moved"
        if not p.direction_known:
            return (f"has moved by {'+' if x > 0 else ''}{show('achieved', x, places)}{units} a year, which the "
                    f"precision of its figures cannot tell from no movement "
                    f"({show('achieved_low', p.achieved_low, places)} to "
                    f"{show('achieved_high', p.achieved_high, places)})")
        text = f"has {word(x)} by {show('achieved', abs(x), places)}{units} a year"
        if p.change is not None:
            text += " (its published change from the baseline, spread over the years between)"
        if better:
            text += f", {group} still doing better"
        return text

    if p.achieved is None:
        return ""
    target = show("target", p.target, decimals if target_decimals is None else target_decimals)
    text = f"Since {p.since} the gap {moved(p.achieved)}"
    if p.needed is None:
        return text + "."
    if (p.needed >= 0) == p.lower_is_better and p.latest_value <= p.target + est.TOLERANCE:
        text += (f"; in {p.latest} it was already within the target of {target}, which allows it to widen by up "
                 f"to {show('allowance', abs(p.needed), places)}{units} a year until {p.target_period}")
        return text + "."
    need = f"{'narrow' if p.needed < 0 else 'widen'} by {show('needed', abs(p.needed), places)}{units} a year"
    text += f"; to reach {target} by {p.target_period} it must {need} from {p.latest}"
    if not p.verdict_known:
        return text + ", and the precision of the figures cannot say whether the pace so far is enough."
    return text + (", so the pace so far is enough." if p.enough else ", so the pace so far is not enough.")


def outlook_show(c: Citer, o) -> Callable[[str, float, int], str]:
    """How :func:`describe` and :func:`describe_pace` write each figure on the page: cited in
    the ledger as a derived figure (its formula and the data rows of the gaps it rests on), linked to its
    provenance; the method's own constants (95%, 3) marked as method, not data."""
    projection = pj
    a, p, pace = c.a, o.projection, o.pace
    measure, suffix = a.gap_measure, c.suffix(a.gap_measure)
    by_period = {point.period: point.gap for point in a.points if point.gap is not None}

    def rows(periods) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for period in periods if period in by_period for r in by_period[period].inputs))

    def cite(role: str, value: float, decimals: int, what: str, formula: str, periods, at: str, unit: str) -> str:
        fitted = role in ("projection", "lower", "upper", "slope_before", "slope_after")
        e = Estimate(value=value, lower=value, upper=value, basis=est.GAPS, decimals=decimals, inputs=rows(periods),
                     method=f"projection.{'project' if fitted else 'pace'}", formula=formula)
        model = ("ols",) if fitted and p.model == projection.OLS else ()  # the earlier model, in the back-tests
        return str(c.cite(e, c._id(at, measure, f"trend-to-{a.as_of}", *model, role), at, measure, what, unit))

    def show(role: str, value: float, decimals: int) -> str:
        if role in ("confidence", "minimum"):
            text = f"{value:g}" + ("%" if role == "confidence" else "")
            return str(Markup('<span class="formula">{}</span>').format(text))
        if role == "target":
            return str(c.target_value())
        if role in ("projection", "lower", "upper"):
            earlier = " (earlier model)" if p.model == projection.OLS else ""
            what = {"projection": f"gap projected by the trend since {p.since}{earlier}",
                    "lower": f"lower end of the projection's 95% prediction interval{earlier}",
                    "upper": f"upper end of the projection's 95% prediction interval{earlier}"}[role]
            return cite(role, value, decimals, what, p.formula(role), p.fitted, p.period, suffix)
        if role in ("slope_before", "slope_after"):
            what = (f"change a year in the gap {'before' if role == 'slope_before' else 'since'} its bend in "
                    f"{p.bend.period}")
            return cite(role, value, decimals, what, p.formula(role), p.trend.periods + p.trend.left_out,
                        p.bend.period, "")
        span = period_midpoint(pace.latest) - period_midpoint(pace.since)
        ahead = period_midpoint(pace.target_period) - period_midpoint(pace.latest)
        first, last = by_period.get(pace.since), by_period.get(pace.latest)
        base_gap = by_period.get(pace.since)
        from_change = pace.change is not None and base_gap is not None
        achieved_formula = (f"{base_gap.value:.6g} × ({pace.change:.6g}) / 100 / {span:g}".replace("(-", "(−")
                            if from_change else f"({pace.latest_value:.6g} − {pace.since_value:.6g}) / {span:g}")
        narrowed = pace.change < 0 if from_change else abs(pace.latest_value) < abs(pace.since_value)
        formulas = {
            "achieved": (f"{'narrowing' if narrowed else 'widening'} of the gap a year since {pace.since}"
                         + (", from its published change" if from_change else ""), achieved_formula, pace.latest),
            "achieved_low": (f"change in the gap a year since {pace.since}, lowest its figures allow",
                             "" if from_change else
                             f"({last.lower:.6g} − {first.upper:.6g}) / {span:g}" if first and last else "", pace.latest),
            "achieved_high": (f"change in the gap a year since {pace.since}, highest its figures allow",
                              "" if from_change else
                              f"({last.upper:.6g} − {first.lower:.6g}) / {span:g}" if first and last else "", pace.latest),
            "needed": (f"{'narrowing' if abs(pace.target) < abs(pace.latest_value) else 'widening'} of the gap a year needed "
                       f"from {pace.latest} to reach the target",
                       f"({pace.target:.6g} − {pace.latest_value:.6g}) / {ahead:g}", pace.target_period),
            "allowance": (f"widening a year the target allows from {pace.latest}",
                          f"({pace.target:.6g} − {pace.latest_value:.6g}) / {ahead:g}", pace.target_period),
        }
        what, formula, at = formulas[role]
        return cite(role, value, decimals, what, formula, (pace.since, pace.latest), at, "")

    return show


def projected_html(c: Citer, result) -> Markup:
    """A projection with its interval, each figure cited: "17.2 (12.1 to 22.3)"; "too few periods" without one."""
    if result is None or not result.enough:
        return Markup(shortfall(result))
    o = c.a.outlook
    show = outlook_show(c, replace_projection(o, result))
    d = o.decimals
    return Markup("{} ({} to {})").format(Markup(show("projection", result.value, d)),
                                          Markup(show("lower", result.lower, d)), Markup(show("upper", result.upper, d)))


def replace_projection(o, result):
    """An outlook with another projection of the same gap (a back-test's), for citing its figures."""
    from dataclasses import replace

    return replace(o, projection=result)


def outlook_html(analysis: Analysis, ledger: Ledger) -> Markup:
    """Where the gap is heading: the projection to the target period (or the horizon), the pace, and how
    the projection was computed (:attr:`Analysis.outlook`), every figure cited in ``ledger``."""
    o = analysis.outlook
    if o.projection is None or not analysis.points:
        return Markup("")
    p = o.projection
    c = Citer(ledger, analysis)
    show = outlook_show(c, o)
    per = "" if o.unit == "%" else short_unit(analysis.indicator)
    method = Markup(describe_method(p, show))  # the show marks up its 95%
    if o.pace is not None:
        pace = Markup(describe_pace(o.pace, o.decimals, o.unit, o.target_decimals, show, per,
                                    analysis.disadvantaged_label))
    elif o.target is not None and p.method_since:
        pace = Markup("The pace since the {} baseline cannot be measured: the method changed in {}.").format(
            analysis.baseline_period, p.method_since)
    else:
        pace = Markup("")
    sentence = Markup(describe(p, o.decimals, o.target, o.unit, o.lower_is_better, o.target_decimals, show, per))
    return render("outlook.html.j2", sentence=sentence, pace=pace, method=method)


def record_html(ledger: Ledger, analysis: Analysis) -> Markup:
    """The record of the target's gap, period by period, in a collapsed table."""
    c = Citer(ledger, analysis)
    if not analysis.points:
        return Markup("")
    return render("record.html.j2", rows=record_rows(c), measure=labels.measure(analysis.gap_measure),
                  series=bool(analysis.method),
                  sex=sex_suffix(analysis.sex), baseline=analysis.baseline_period, key=analysis.key,
                  unit=short_unit(analysis.indicator) if analysis.gap_measure == "absolute_gap" else "%")


# --- alt text -----------------------------------------------------------------------------------


def levels_alt_text(analysis: Analysis, groups: list[str]) -> str:
    meta = analysis.indicator
    parts = []
    for group in groups:
        rows = analysis.levels[analysis.levels["group"] == group].sort_values("start")
        values = ", ".join(f"{number(v, int(d))} in {p}" for p, v, d in zip(rows["period"], rows["value"], rows["decimals"]))
        parts.append(f"{analysis.label(group)[:1].upper()}{analysis.label(group)[1:]}: {values}")
    return f"Line chart of {meta.title.lower()}{sex_suffix(analysis.sex)} ({meta.unit}). " + "; ".join(parts) + "."


def gap_alt_text(analysis: Analysis, measure: str | None = None) -> str:
    meta = analysis.indicator
    measure = measure or analysis.gap_measure
    own = measure == analysis.gap_measure
    suffix = "%" if measure == "relative_gap_pct" else ""
    values = []
    for p in analysis.record.get(measure, []):
        if p.gap is None:
            continue
        how = {est.PUBLISHED: "published", est.LEVELS: "computed from levels", est.IMPLIED: "implied by a published change"}[p.gap.basis]
        flag = ", provisional" if p.gap.provisional else ""
        values.append(f"{p.gap.shown(suffix)} in {p.period} ({how}{flag})")
    text = f"Chart of the {labels.measure(measure)} in {meta.title.lower()}{sex_suffix(analysis.sex)}: {'; '.join(values)}."
    t = analysis.target
    if own and t is not None and t.value is not None and not analysis.trajectory.empty:
        text += f" A dashed line runs from the baseline to the target of {t.value.shown(suffix)} in {t.target_period}."
    if own:
        implied = gaps.implied_by_changes(analysis.record.get(measure, []), analysis.baseline)
        decimals = next((p.gap.decimals for p in analysis.record.get(measure, []) if p.gap is not None), 1)
        if implied:
            shown = "; ".join(f"{number(v, decimals)}{suffix} in {p}" for p, v in implied)
            text += f" A dotted line gives the gap as the published changes from the baseline imply it: {shown}."
    if not analysis.breaks.empty:
        text += f" A vertical line marks the change of method in {analysis.breaks.iloc[0]['first_period']}."
    o = analysis.outlook
    if own and o.projection is not None and o.projection.enough and analysis.points \
            and period_midpoint(o.projection.period) > period_midpoint(analysis.points[-1].period):
        text += (f" A dash-dot line and a hatched fan project the trend since {o.projection.since} to "
                 f"{o.projection.period}: {outlook_interval(o)}.")
    return text


def sii_alt_text(analysis: Analysis) -> str:
    frame = analysis.sii
    unit = short_unit(analysis.indicator)
    decimals = analysis.indicator.decimals
    first, last = frame.iloc[0], frame.iloc[-1]
    return (f"Line chart of the slope index of inequality in {analysis.indicator.title.lower()}{sex_suffix(analysis.sex)} "
            f"across deprivation deciles ({unit}), from "
            f"{number(first['sii'], decimals)} in {first['period']} to {number(last['sii'], decimals)} in {last['period']}.")


def ranking_alt_text(analysis: Analysis) -> str:
    table = analysis.areas
    decimals = analysis.indicator.decimals
    worst, best = table.iloc[0], table.iloc[-1]
    members = table[table["member"]]
    top = int((members["rank"] <= len(table) // 5).sum())
    return (f"Dot chart of {analysis.indicator.title.lower()}{sex_suffix(analysis.sex)} in the {len(table)} areas "
            f"in {analysis.latest.period}, worst first: from {worst['area_name']} "
            f"({number(worst['value'], decimals)}) to {best['area_name']} ({number(best['value'], decimals)}). "
            f"{len(members)} areas of {analysis.disadvantaged_label} are marked; {top} of them are among the worst fifth. "
            f"A dashed line marks {analysis.comparator_label}.")


# --- the section's notes -------------------------------------------------------------------------


def rest_of_england_note(a: Analysis) -> Markup:
    """How the rest of England is found, where it is the comparator: derived from England's published value."""
    if a.levels.empty or "method" not in a.levels:
        return Markup("")
    rows = a.levels[a.levels["group"] == a.comparison.comparator]
    if rows.empty or rows.iloc[-1]["method"] != "derived":
        return Markup("")
    return Markup("{} is England without the group: {}, never the mean of the other areas' values.").format(
        capitalise(a.comparator_label), rest_of_england_derivation(a))


def rest_of_england_derivation(a: Analysis) -> str:
    """How the rest of England is derived: from England's counts where the group's value is pooled from counts,
    else from England's published value and the group's population share."""
    if a.indicator.computed or a.method.startswith("pooled"):
        return "England's counts less the group's"
    return "England's published value less the group's part in it (its share of England's population)"


def no_sii_note(a: Analysis, deciles: pd.DataFrame) -> Markup:
    """Why a group made of areas has no slope index of inequality, where it has none."""
    if a.group is None or not a.sii.empty:
        return Markup("")
    if deciles.empty:
        return Markup("No slope index of inequality: the data name no Indices of Deprivation to rank the areas by "
                      "(give one under [files] and name it in [group] deprivation).")
    return Markup("No slope index of inequality: the areas with a value do not fill all ten deprivation deciles.")


def fingertips_sii_note(ledger: Ledger, a: Analysis) -> Markup:
    """Beside the slope index computed from the areas' deciles, the one Fingertips' own deprivation deciles
    give, where the export carries them (each figure cited)."""
    frame = a.sii_fingertips
    if frame is None or frame.empty:
        return Markup("")
    row = frame.iloc[-1]
    c = Citer(ledger, a)
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


def agreement_note(ledger: Ledger, a: Analysis, data) -> Markup:
    """For figures computed from counts: how they agree with the publisher's own, area by area."""
    from healthgap.analysis import counts

    ind = a.indicator
    if not ind.computed or data is None:
        return Markup("")
    c = Citer(ledger, a)
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


def published_comparison(r: pd.Series) -> str:
    """An area's comparison with England: as computed from its interval, else as its publisher gave it, said so."""
    from healthgap.analysis.benchmark import NOT_COMPARED

    compared = r.get("compared", "") or ""
    published = r.get("compared_published", "") or ""
    if compared == NOT_COMPARED and published:
        return f"{published} (as Fingertips gave it)"
    return compared


def published_benchmark_sentence(ledger: Ledger, a: Analysis) -> Markup:
    """Where the data give no intervals to compare areas with England but keep Fingertips' own comparison of each
    (an extract's ``significance``), how many areas, and how many of the group's, it marked worse or better, each
    count cited."""
    table = a.areas
    if "compared_published" not in table or not (table["compared_published"] != "").any():
        return Markup("")
    c = Citer(ledger, a)
    period = a.latest.period
    counts = {}
    for who, rows in (("all", table), ("group", table[table["member"]])):
        marked = rows[rows["compared_published"] != ""]
        for what in ("worse", "better"):
            chosen = marked[marked["compared_published"] == what]
            counts[who, what] = c.plain(
                f"benchmark-published-{who}-{what}", period, "benchmark",
                f"{'areas of the group' if who == 'group' else 'areas'} Fingertips marked {what} than England",
                float(len(chosen)), str(len(chosen)), list(chosen["row_id"]),
                "the publisher's comparison, as the data give it")
        counts[who] = len(marked)
    return Markup("As Fingertips compared them (the data give no intervals to compare here): {} of the {} areas it "
                  "compared are worse than England and {} better; of the {} areas of {}, {} are worse and {} "
                  "better.").format(counts["all", "worse"], counts["all"], counts["all", "better"], counts["group"],
                                    a.disadvantaged_label, counts["group", "worse"], counts["group", "better"])


def benchmark_sentence(ledger: Ledger, a: Analysis) -> Markup:
    """How many areas, and how many of the group's, are better or worse than England, as Fingertips compares
    them (England's value against each area's 95 % interval; 99.8 % too where the data give it), each count
    cited."""
    from healthgap.analysis import benchmark
    from healthgap.analysis.levels import benchmark_levels

    table = a.areas
    if table.empty or "compared" not in table:
        return Markup("")
    if (table["compared"] == benchmark.NOT_COMPARED).all():
        return published_benchmark_sentence(ledger, a)
    levels = benchmark_levels(table)
    c = Citer(ledger, a)
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


# --- the opening summary: a sentence and a table row per analysis --------------------------------


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
    status, comparable, other, apart = ("one period only" if len(a.points) == 1 else "no comparison"), False, None, None
    if base is not None and latest is not None and latest is not base and base.gap is not None and latest.gap is not None \
            and base.segment == latest.segment:
        ci = base.gap.confidence and latest.gap.confidence
        size = gaps.size_direction(est.compare(base.gap, latest.gap), base.gap.value, latest.gap.value)
        status = MOVEMENT_STATUS[(ci, size)] if not (size and reversed_side(base, latest)) else \
            "reversed significantly" if ci else "reversed"
        apart = ranges_apart(c, base, latest) if size else None
        other = opposite(c, base.period, latest.period)
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
                      other=other["words"] if other is not None else None, apart=apart,
                      side=side_words(a, gaps.sides(base.gap.value, latest.gap.value)) if comparable else "",
                      relative=one_period_relative(c) if len(a.points) == 1 else None)
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
            cell += change_against_gaps(c, point, base, latest)
        if point.period != (latest.period if latest is not None else None):
            cell += Markup(" ({})").format(point.period)
    cells["change"] = cell or Markup("–")
    cells["target"] = Markup('<span class="nw">{} by {}</span>{}').format(c.target_value(), t.target_period, Markup(
        "" if t.value.published else ' <span class="computed">computed</span>')) \
        if t is not None and t.value is not None else Markup("–")
    status = v.status if v is not None else "no target"
    cells["projected"] = projected_cell(c)
    cells["status"] = status
    cells["status_class"] = STATUS_CLASS.get(status, "")
    flags = estimate_flags(point.change) if point is not None and point.change is not None else []
    cells["flags"] = Markup(" ").join(flags)
    stale = point is not None and point.period != a.as_of
    cells["stale"] = stale
    across = across_method(a)
    if across is not None:
        cells["flags"] = Markup(" ").join([cells["flags"], Markup('<span class="flag">across a change of method</span>')]) \
            if cells["flags"] else Markup('<span class="flag">across a change of method</span>')
    other = opposite(c, a.baseline_period, point.period) if point is not None and a.baseline_period else None
    said = statement_said(a, point.period) if point is not None else None
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
        return Markup('<span class="nw">{}</span>').format(outlook_interval(o))
    return Markup('<span class="nw">{}</span>').format(projected_html(c, o.projection))


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
