"""How earlier trends did: each projection an earlier edition (or an analyst's series, to a set period) could
have made, beside the gap observed since, for the briefing's appendix.

A section computes the rows of its own indicator in its notebook (where the trends are already fitted) and
writes them with its summary; the back matter only lays them out. Every figure is cited in the section's
ledger: the projection in the terms of the analysis it was fitted in, the observed gap as the latest record
gives it.
"""

from __future__ import annotations

from markupsafe import Markup

from healthgap.analysis.indicator import Analysis
from healthgap.page.provenance import Ledger
from healthgap.page.sentences import sex_suffix
from healthgap.read import labels
from healthgap.read.briefing import Briefing
from healthgap.read.periods import parse_period, sort_periods


def _verdict(outcome) -> str:
    """Inside or outside the interval; flagged where the projection reached further ahead than its trend spans."""
    if not outcome.comparable:
        return "not comparable: the method changed"
    if outcome.inside is None:
        return "–"
    return ("inside" if outcome.inside else "outside") + (" (further ahead than its trend spans)" if outcome.flag else "")


def _outcome_cells(ledger: Ledger, then, now, outcome, old=None) -> dict:
    """A back-test's projection, observed gap and verdict, as the table shows them, each figure cited:
    the projection's in the trend's own terms (``then``, the analysis it was fitted in), the observed gap as
    the record of ``now`` gives it; ``old``, the same back-test on the earlier model, beside it."""
    from healthgap.page.sentences import Citer, listing, projected_html

    result = outcome.projection
    observed = next((p for p in now.points if p.period == outcome.period and p.gap is not None), None)
    actual = Citer(ledger, now).gap(observed) if observed is not None else Markup("not observed")
    cells = {"compared": outcome.period, "projected": projected_html(Citer(ledger, then), result), "actual": actual,
             "verdict": _verdict(outcome), "fitted": listing(result.fitted) if result.enough else "",
             "df": str(result.df_resid) if result.enough else ""}
    if old is not None:
        cells.update({"projected_old": projected_html(Citer(ledger, then), old.projection),
                      "verdict_old": _verdict(old),
                      "df_old": str(old.projection.df_resid) if old.projection.enough else ""})
    return cells


def _counterfactual_cells(ledger: Ledger, now, until: str) -> dict:
    """The counterfactual of a series (:func:`healthgap.analysis.projection.counterfactual_analysis`): the group
    and the comparator each continued on its own trend to ``until``, the gap between them, each figure cited."""
    from healthgap.analysis import estimates as est
    from healthgap.analysis import projection
    from healthgap.analysis.estimates import Estimate
    from healthgap.page.sentences import Citer, shortfall

    cf = projection.counterfactual_analysis(now, until)
    if cf is None or not cf.enough:
        return {"counterfactual": shortfall(None) if cf is None else projection.TOO_FEW,
                "counterfactual_verdict": "–"}
    c = Citer(ledger, now)
    fitted = set(cf.group.fitted) | set(cf.comparator.fitted)
    levels = now.levels
    inputs = tuple(dict.fromkeys(r for cell in levels[levels["period"].isin(fitted)]["inputs"]
                                 for r in str(cell).split(";") if r))
    suffix = c.suffix(now.gap_measure)
    decimals = now.outlook.decimals

    def cite(role: str, value: float, what: str) -> str:
        e = Estimate(value=value, lower=value, upper=value, basis=est.GAPS, decimals=decimals, inputs=inputs,
                     method="projection.counterfactual_levels", formula=cf.formula(role))
        return str(c.cite(e, c._id(cf.period, now.gap_measure, f"counterfactual-to-{until}", role), cf.period,
                          now.gap_measure, what, suffix))

    text = Markup("{} ({} to {})").format(
        Markup(cite("projection", cf.value, f"counterfactual gap: group and comparator each on its trend to {until}")),
        Markup(cite("lower", cf.lower, "lower end of the counterfactual's 95% interval")),
        Markup(cite("upper", cf.upper, "upper end of the counterfactual's 95% interval")))
    inside = "–" if cf.inside is None else ("inside" if cf.inside else "outside")
    return {"counterfactual": text,
            "counterfactual_verdict": inside + (" (further ahead than its trends span)" if cf.flag else "")}


def rows(ledger: Ledger, briefing: Briefing, analyses: list[Analysis]) -> list[dict]:
    """For each earlier edition and each analysis of a section: what the edition's trend projected for the target
    period (where there is one) and for the last period observed since on its method, beside the gap observed
    there. The earlier editions are the publications the data name (``editions.csv``) and the period set in
    ``[projection] backtest_until``, each before this edition: an edition never shows what happened after it.
    The latter is also the counterfactual: where the gap would be, had that trend gone on."""
    from healthgap.analysis import projection
    from healthgap.analysis.indicator import analyse
    from healthgap.page.sentences import Citer, projected_html

    if not analyses:
        return []
    end = parse_period(briefing.edition)[1]
    named = list(briefing.editions["period"]) if not briefing.editions.empty else []
    if briefing.config.backtest_until:
        named.append(briefing.config.backtest_until)
    earlier = sort_periods(p for p in named if p in briefing.periods and parse_period(p)[1] < end)
    found = []
    for period in earlier:
        then_briefing = briefing.edition_of(period)
        for now in analyses:
            then = analyse(then_briefing, now.indicator.key, now.sex)
            outcome = projection.backtest_analysis(then, now)
            if outcome is None:  # no later period on the edition's method to compare with
                continue
            old = projection.backtest_analysis(then, now, model=projection.OLS)
            outlook = then.outlook
            row = {"edition": period, "name": f"{then.indicator.title}{sex_suffix(now.sex)}",
                   "measure": labels.measure(then.gap_measure),
                   "target_period": outlook.target_period if then.target is not None else "",
                   "at_target": projected_html(Citer(ledger, then), outlook.projection) if then.target is not None
                   else ""}
            row.update(_outcome_cells(ledger, then, now, outcome, old))
            if period == briefing.config.backtest_until:  # the counterfactual: each level on its own trend
                row.update(_counterfactual_cells(ledger, now, period))
            found.append(row)
    return found
