"""The sentence layer on hand-made analyses: no notebook, no build, a few milliseconds each.

Each analysis is built from a handful of figures written here (:func:`made`), so every expected word and number
is derived by hand: negative gaps, one period, no limits, ties, a change of method, opposite directions,
figures of one precision that differ, a source's statement of movement leading, and a pace resting on a
published change.
"""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest
from markupsafe import Markup

from healthgap.analysis import estimates as est
from healthgap.analysis import gaps, targets
from healthgap.analysis.indicator import Analysis
from healthgap.page import sentences as words
from healthgap.page.provenance import Ledger
from healthgap.page.sentences import summary_entry
from healthgap.read.briefing import Indicator
from healthgap.read.periods import parse_period


def text(html) -> str:
    """The words of a fragment: links and marks dropped, white space folded."""
    body = re.sub(r"</?(a|strong|span|em|sup|time)\b[^>]*>", "", str(html))
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def made(rows, *, higher_is_worse=True, decimals=1, relative_decimals=1, published=(), target=None, breaks=(),
         statements=(), method="", title="Campylobacter incidence", unit="per 100,000", measure="rate",
         later=()) -> Analysis:
    """An analysis from hand-written figures. ``rows``: (period, group value, comparator value) or, with 95 %
    limits, (period, (value, lower, upper), (value, lower, upper)). ``published``: (period, measure, value,
    decimals, reference period) rows about the gap. ``target``: (baseline, target period, measure, cut %).
    ``statements``: :class:`healthgap.analysis.gaps.Statement` objects."""
    records = []
    for period, d, c in rows:
        for code, v in (("d", d), ("c", c)):
            value, lower, upper = v if isinstance(v, tuple) else (v, float("nan"), float("nan"))
            start, end = parse_period(period)
            records.append({"group": code, "period": period, "value": value, "lower": lower, "upper": upper,
                            "decimals": decimals, "id": f"{code}-{period}", "revision": "final", "status": "published",
                            "log_scale": True, "interval": "confidence" if lower == lower else "rounding",
                            "method": method if code == "d" else "published", "areas": 12 if code == "d" else 0,
                            "inputs": f"{code}-{period}", "measure": measure, "start": start, "end": end})
    levels = pd.DataFrame(records, columns=["group", "period", "value", "lower", "upper", "decimals", "id", "revision",
                                            "status", "log_scale", "interval", "method", "areas", "inputs", "measure",
                                            "start", "end"])
    gap_rows = pd.DataFrame([{"period": p, "measure": m, "value": v, "decimals": dp, "reference_period": ref,
                              "id": f"gap-{p}-{m}-{ref}", "revision": "final", "status": "published",
                              "preferred": "yes"} for p, m, v, dp, ref in published],
                            columns=["period", "measure", "value", "decimals", "reference_period", "id", "revision",
                                     "status", "preferred"])
    ind = Indicator(key="x", title=title, measure=measure, unit=unit, decimals=decimals,
                    relative_decimals=relative_decimals, higher_is_worse=higher_is_worse, sexes=("persons",),
                    group="d", comparator="c", nested=False)
    comparison = gaps.Comparison("x", "persons", "d", "c", higher_is_worse, decimals, relative_decimals, False)
    baseline = target[0] if target else None
    record = gaps.gap_record(levels, gap_rows, comparison, baseline, list(breaks))
    t = assessment = None
    if target:
        base_period, target_period, gap_measure, cut = target
        row = pd.Series({"line": 2, "published_target_value": float("nan"), "gap_measure": gap_measure,
                         "baseline_period": base_period, "target_period": target_period, "reduction_pct": cut,
                         "wording": "", "wording_source_id": "", "note": ""})
        base = next((p for p in record[gap_measure] if p.period == base_period), None)
        t = targets.make_target(row, base)
        assessment = targets.assess(record[gap_measure], t)
    periods = [r[0] for r in rows] or [p[0] for p in published]
    as_of = max(periods, key=lambda p: parse_period(p)[1])
    breaks_frame = pd.DataFrame({"indicator": ["x"] * len(breaks), "first_period": list(breaks),
                                 "description": ["The method changed."] * len(breaks)})
    return Analysis(indicator=ind, comparison=comparison, sex="persons", as_of=as_of,
                    observations=pd.DataFrame(), levels=levels, record=record, target=t, assessment=assessment,
                    intervals=pd.DataFrame(columns=["period", "group", "value", "lower_ci", "upper_ci"]),
                    breaks=breaks_frame, labels={"d": "the group", "c": "England"}, method=method,
                    statements=tuple(statements), later=frozenset(later))


def section_text(a: Analysis) -> str:
    return text(words.analysis_html(Ledger(), a, with_heading=False))


def summary_text(a: Analysis) -> tuple[str, dict]:
    entry = summary_entry(Ledger(), a)
    return text(entry["sentence"]), {k: text(v) for k, v in entry["cells"].items()}


def statement(period, reference, direction, consecutive=None, quote="the gap has now declined") -> gaps.Statement:
    return gaps.Statement(id="s", measure="relative_gap_pct", period=period, reference=reference,
                          direction=direction, consecutive=consecutive, quote=quote, said_by="the Department",
                          publisher="PharmaTimes", title="t", published="2007-12", url="https://example.org/s")


# --- the rule: figures of one precision that differ show their order ------------------------------


@pytest.mark.parametrize("earlier, later, expected", [
    ((17, 0), (18, 0), 1),        # [16.5, 17.5) below [17.5, 18.5): touching is not overlap
    ((18, 0), (17, 0), -1),
    ((1.9, 1), (2.0, 1), 1),      # 0.1 apart at one decimal place
    ((1.9, 1), (2.1, 1), 1),
    ((16, 0), (16, 0), 0),        # the same figure shows nothing
    ((17, 0), (17.5, 1), 0),      # 17.5 (17.45 to 17.55) overlaps 17 (16.5 to 17.5)
    ((17.5, 1), (18, 0), 0),
    ((2, 0), (2.4, 1), 0),        # different precision, overlapping
])
def test_same_precision_rule(earlier, later, expected):
    def pub(value, decimals):
        return est.published({"value": value, "decimals": decimals, "id": "x"})

    assert est.compare(pub(*earlier), pub(*later)) == expected


def test_17_5_belongs_to_18_only():
    assert est.stands_for(est.published({"value": 18, "decimals": 0, "id": "x"}), 17.5)
    assert not est.stands_for(est.published({"value": 17, "decimals": 0, "id": "x"}), 17.5)


def test_computed_gaps_whose_ranges_touch_are_ordered():
    # male life expectancy: 74.6 - 72.7 = 1.9 (below 2.0 whatever the rounding), 77.9 - 75.8 = 2.1 (above 2.0)
    a = made([("1995-97", 72.7, 74.6), ("2006-08", 75.8, 77.9)], higher_is_worse=False, measure="life_expectancy",
             unit="years", title="Life expectancy at birth", relative_decimals=2)
    m = gaps.movement(*a.record["absolute_gap"])
    assert m.direction == 1 and m.size == 1
    assert "widened, from 1.9 to 2.1 years" in section_text(a)
    assert "1.9 and then 2.1 years" not in section_text(a)


def test_rounded_relative_gaps_18_then_17_narrowed():
    a = made([], published=[("2003-05", "relative_gap_pct", 18, 0, ""), ("2004-06", "relative_gap_pct", 17, 0, "")],
             target=("2003-05", "2009-11", "relative_gap_pct", 10))
    assert "Between 2003-05 and 2004-06 the gap narrowed, from 18% to 17%." in section_text(a)
    assert "too close to show" not in section_text(a)


# --- negative gaps: words by the size of the gap, and the side the group is on ------------------------


def test_a_negative_gap_growing_in_size_widened():
    # campylobacter-like: the group's rate below England's; the gap -20.1 then -24.6 (higher is worse)
    a = made([("2014", 50.0, 70.1), ("2015", 48.0, 72.6)])
    out = section_text(a)
    assert "the gap widened, from -20.1 to -24.6 per 100,000 (computed from the rounded levels), the group still " \
           "doing better" in out
    assert "narrowed" not in out
    # the change: 100 x (-24.6 + 20.1) / -20.1 = 22.4 % wider, which agrees with the verb
    assert "wider, beyond the rounding of both, the group still doing better" in out
    sentence, cells = summary_text(a)
    assert cells["status"] == "widened" and cells["change"] == "22.4% wider"


def test_a_negative_gap_shrinking_towards_zero_narrowed():
    a = made([("2014", 50.0, 70.1), ("2015", 60.0, 72.6)])  # -20.1 then -12.6
    out = section_text(a)
    assert "the gap narrowed, from -20.1 to -12.6 per 100,000" in out and "the group still doing better" in out
    assert summary_text(a)[1]["status"] == "narrowed"


def test_negative_gaps_with_intervals():
    a = made([("2014", (50.0, 48.0, 52.0), (70.1, 69.8, 70.4)), ("2015", (48.0, 46.0, 50.0), (72.6, 72.3, 72.9))])
    out = section_text(a)
    assert "the gap widened significantly (the 95% confidence intervals do not overlap), from -20.1 to -24.6" in out
    assert summary_text(a)[1]["status"] == "widened significantly"


def test_a_gap_that_changes_side_reversed():
    a = made([("2014", 52.0, 50.0), ("2015", 47.0, 50.0)])  # +2.0 then -3.0
    out = section_text(a)
    assert "the gap reversed, from 2.0 to -3.0 per 100,000 (computed from the rounded levels), the group now doing " \
           "better than England" in out


def test_pace_of_a_negative_gap():
    p = words.describe_pace(
        __import__("healthgap.analysis.projection", fromlist=["Pace"]).Pace(
            since="2001-03", latest="2010-12", target_period="2013-15", since_value=-10.0, latest_value=-14.5,
            target=-9.0, achieved=-0.5, needed=None), 1, "", per="deaths per 100,000")
    assert p == "Since 2001-03 the gap has widened by 0.50 deaths per 100,000 a year, the group still doing better."


# --- one period, no limits, ties, a change of method -----------------------------------------------


def test_one_period_shows_the_relative_gap_too():
    a = made([("2014", 60.0, 50.0)], method="weighted")
    sentence, cells = summary_text(a)
    # 60.0 - 50.0 = 10.0; 100 x 10 / 50 = 20.0 %; ranges from the rounding of 59.95-60.05 and 49.95-50.05
    assert cells["status"] == "one period only"
    assert "In 2014 the absolute gap was 10.0 per 100,000 (its rounding allows 9.9 to 10.1), and the relative gap " \
           "20.0% (its rounding allows 19.8% to 20.2%)." in sentence
    assert "The relative gap was 20.0% (its rounding allows 19.8% to 20.2%)." in section_text(a)


def test_no_limits_are_called_rounding_and_limits_are_called_confidence_intervals():
    rounded = made([("2014", 60.0, 50.0), ("2015", 64.0, 50.0)])
    assert "its rounding allows" in section_text(rounded) and "confidence interval" not in section_text(rounded)
    limits = made([("2014", (60.0, 59.0, 61.0), (50.0, 49.8, 50.2)), ("2015", (64.0, 63.0, 65.0), (50.0, 49.8, 50.2))])
    assert "95% confidence interval" in section_text(limits) and "rounding" not in summary_text(limits)[0]


def test_ties_cannot_show_a_movement():
    a = made([], published=[("2005-07", "relative_gap_pct", 16, 0, ""), ("2006-08", "relative_gap_pct", 16, 0, "")],
             target=("2005-07", "2009-11", "relative_gap_pct", 10))
    assert ("The figures for 2005-07 and 2006-08 (16% and 16%) are too close to show whether the gap moved between "
            "them") in section_text(a)


def test_no_movement_across_a_change_of_method():
    a = made([], published=[("2006-08", "relative_gap_pct", 16, 0, ""), ("2007-09", "relative_gap_pct", 12, 0, "")],
             breaks=["2007-09"], target=("2006-08", "2009-11", "relative_gap_pct", 10))
    out = section_text(a)
    assert "The method changed in 2007-09, so 2007-09 is not compared with 2006-08." in out
    assert "narrowed" not in out.split("Where the gap is heading")[0]


def test_a_verdict_across_a_change_of_method_says_so():
    # a change from the 1997-99 baseline published across the break (as Bambra's 25 % for 2008-10 was)
    a = made([], published=[("1997-99", "relative_gap_pct", 13, 0, ""), ("2007-09", "relative_gap_pct", 12, 0, ""),
                            ("2008-10", "relative_gap_pct", 10, 0, ""),
                            ("2008-10", "pct_change_relative_gap", -25, 0, "1997-99")],
             breaks=["2007-09"], target=("1997-99", "2009-11", "relative_gap_pct", 10))
    out = section_text(a)
    assert out.startswith("Verdict: on track, on a change from the baseline measured across the change of method in "
                          "2007-09.")
    sentence, cells = summary_text(a)
    assert "on a change measured across the change of method in 2007-09" in sentence
    assert "across a change of method" in cells["status"] + " " + cells["flags"]


# --- opposite directions ------------------------------------------------------------------------------------


def test_opposite_directions_are_both_said():
    # cardiovascular-like: the absolute gap 16.0 -> 10.0 (narrower), the relative 20 % -> 33 % (wider), both beyond
    # their intervals
    a = made([("2001-03", (96.0, 95.0, 97.0), (80.0, 79.8, 80.2)), ("2022-24", (40.3, 39.6, 41.0), (30.3, 30.0, 30.5))])
    sentence, cells = summary_text(a)
    assert cells["status"] == "narrowed significantly; relative gap widened significantly"
    # with the intervals that show it: 100 (96 / 80 - 1) = 20.0 +/- 1.96 x 0.655 (delta method, by hand: 18.7 to
    # 21.3); 100 (40.3 / 30.3 - 1) = 33.0, its interval on the log scale of the ratio (30.5 to 35.6)
    assert ("while the relative gap widened significantly from 20.0% (18.7% to 21.3%) to 33.0% (30.5% to 35.6%)"
            in sentence)


def test_same_direction_is_not_called_opposite():
    a = made([("2001-03", 96.0, 80.0), ("2022-24", 90.0, 80.0)])  # 16 -> 10 and 20 % -> 12.5 %
    assert summary_text(a)[1]["status"] == "narrowed"


# --- a source's statement of movement leads -------------------------------------------------------------------


def infant(*values, said=()) -> Analysis:
    periods = ["2002-04", "2003-05", "2004-06"]
    return made([], published=[(p, "relative_gap_pct", v, 0, "") for p, v in zip(periods, values)],
                target=("2002-04", "2009-11", "relative_gap_pct", 10), statements=said)


def test_a_statement_the_figures_agree_with_is_said_beside_them():
    s = statement("2004-06", "2002-04", -1, 2, "the infant mortality gap has now declined for the second consecutive period")
    a = infant(19, 18, 17, said=[s])
    assert gaps.check_statement(a.points, s).outcome == gaps.AGREES
    assert ("Between 2003-05 and 2004-06 the gap narrowed, from 18% to 17%, the second consecutive period it "
            "narrowed, as the Department said: “the infant mortality gap has now declined for the second consecutive "
            "period” (PharmaTimes, December 2007).") in section_text(a)
    sentence, _ = summary_text(a)
    assert "it narrowed for the second consecutive period, as the Department said" in sentence


def test_a_statement_leads_where_the_figures_alone_cannot_show_it():
    s = statement("2004-06", "2002-04", -1, 2)
    a = infant(18, 18, 18, said=[s])
    check = gaps.check_statement(a.points, s)
    assert check.outcome == gaps.SILENT
    out = section_text(a)
    assert ("Between 2002-04 and 2004-06 the gap narrowed, the second consecutive period it did so, as the Department "
            "said: “the gap has now declined”") in out
    assert "too close to show" not in out  # the page does not contradict its source; the reconciliation says it
    rows = words.statement_rows(Ledger(), [a])
    assert rows[0]["outcome"] == gaps.SILENT
    assert [text(x) for x in rows[0]["steps"]] == ["2002-04 18% to 2003-05 18%: cannot show which way",
                                                   "2003-05 18% to 2004-06 18%: cannot show which way"]


def test_a_statement_the_figures_contradict_is_checked_in_the_reconciliation():
    s = statement("2004-06", "2003-05", -1)
    a = infant(17, 17, 19, said=[s])
    assert gaps.check_statement(a.points, s).outcome == gaps.DIFFERS
    assert "Between 2003-05 and 2004-06 the gap narrowed, as the Department said" in section_text(a)


def test_a_statement_without_an_earlier_period_cannot_be_checked():
    s = statement("2004-06", "", 1)
    assert gaps.check_statement(infant(19, 18, 17).points, s).outcome == gaps.UNCHECKED


def test_statements_of_later_periods_are_quoted():
    s = statement("2007-09", "2004-06", 1, quote="the relative gap widened slightly between 2004-06 and 2007-09")
    a = infant(19, 18, 17, said=[s])
    assert ("No figure of the gap was found for a period after 2004-06, but sources said in words how it moved: the "
            "Department, of 2004-06 to 2007-09: “the relative gap widened slightly between 2004-06 and 2007-09”"
            ) in section_text(a)


def test_still_wider_than_the_baseline():
    a = made([], published=[("1997-99", "relative_gap_pct", 13, 0, ""), ("2003-05", "relative_gap_pct", 18, 0, ""),
                            ("2004-06", "relative_gap_pct", 17, 0, "")],
             target=("1997-99", "2009-11", "relative_gap_pct", 10))
    out = section_text(a)
    assert "the gap narrowed, from 18% to 17%. It is still wider than at the 1997-99 baseline and off track." in out


# --- a published change leads the pace and the table ---------------------------------------------------------


def test_a_pace_resting_on_a_published_change():
    # life-expectancy-like: 1995-97 gap from levels 2.55 %; 2004-06 only "2% wider" as published. The pace is
    # 2.547 x 2 / 100 / 9 = 0.0057 a year, its range 2.41 x 1.5 / 900 to 2.68 x 2.5 / 900: a widening
    a = made([("1995-97", 72.7, 74.6)], published=[("2004-06", "pct_change_relative_gap", 2, 0, "1995-97")],
             higher_is_worse=False, measure="life_expectancy", unit="years", title="Life expectancy at birth",
             relative_decimals=2, target=("1995-97", "2009-11", "relative_gap_pct", 10))
    o = a.outlook
    assert o.pace.change == 2 and o.pace.achieved == pytest.approx(100 * 1.9 / 74.6 * 0.02 / 9)
    assert o.pace.achieved_low > 0
    out = section_text(a)
    assert "Since 1995-97 the gap has widened by 0.006 percentage points a year" in out
    assert "cannot tell from no movement" not in out


def test_a_published_change_beside_gaps_that_give_another_is_marked():
    # female life expectancy: 1.76 % then 1.95 % from the levels (11 % wider), 14 % wider as published
    a = made([("1995-97", 78.3, 79.7), ("2006-08", 80.4, 82.0)],
             published=[("2006-08", "pct_change_relative_gap", 14, 0, "1995-97")], higher_is_worse=False,
             measure="life_expectancy", unit="years", title="Life expectancy at birth", relative_decimals=2,
             target=("1995-97", "2009-11", "relative_gap_pct", 10))
    assert summary_text(a)[1]["change"] == "14% wider as published; the gaps shown give 11%"


# --- own data: the indicator as named, the group's value as computed -----------------------------------------


def test_an_unweighted_mean_is_called_one():
    a = made([("2014", 60.0, 50.0), ("2015", 62.0, 50.0)], method="unweighted", title="Healthy life expectancy")
    a = Analysis(**{**a.__dict__, "method": "the unweighted mean of its areas' values"})
    out = section_text(a)
    assert "The mean of the 12 areas' values of the group (not the group's own healthy life expectancy) was 62.0" in out
    assert "the group's rate" not in out


def test_figures_published_later_are_marked():
    a = made([], published=[("2003-05", "relative_gap_pct", 18, 0, ""), ("2004-06", "relative_gap_pct", 17, 0, "")],
             target=("2003-05", "2009-11", "relative_gap_pct", 10), later={"gap-2004-06-relative_gap_pct-"})
    html = words.analysis_html(Ledger(), a, with_heading=False)
    assert str(words.LATER_MARK) in str(html)
    assert isinstance(html, Markup)


def test_a_group_named_in_the_plural_takes_the_plural_possessive():
    """"the most deprived tenth of upper-tier local authorities' and the rest of England's values", never
    "authorities's"."""
    import dataclasses

    a = made([("2021-23", (56.0, 55.0, 57.0), (61.4, 61.1, 61.6)), ("2022-24", (56.5, 55.5, 57.5), (61.5, 61.2, 61.8))],
             higher_is_worse=False, method="population-weighted")
    a = dataclasses.replace(a, labels={"d": "the most deprived tenth of upper-tier local authorities",
                                       "c": "the rest of England"})
    gap = a.record["absolute_gap"][-1].gap
    assert words.basis_words(a, gap) == ("computed from the most deprived tenth of upper-tier local authorities' and "
                                         "the rest of England's values, with its 95% confidence interval")


def test_ranges_that_look_as_if_they_meet_are_shown_apart():
    """The example's male life-expectancy gap: 1.8 years in 2015-17 (its rounding allows 1.7 to 1.9) and 2.0 in
    2023-25 (1.9 to 2.1). The ranges do not meet (1.7369 to 1.9369 against 1.9431 to 2.1431: England's 79.5 and
    79.7 less the group's 77.6631 and 77.6569, each ± 0.05), so the gap is wider beyond the rounding of both; at
    one decimal place they seem to touch at 1.9, and the sentence shows the facing ends at three."""
    a = made([("2015-17", 77.6631, 79.5), ("2023-25", 77.6569, 79.7)], higher_is_worse=False, method="population-weighted",
             unit="years")
    said = section_text(a)
    assert ("was 2.0 years (its rounding allows 1.9 to 2.1), against 1.8 years (1.7 to 1.9) in 2015-17: wider, beyond "
            "the rounding of both (to three decimal places, the 2015-17 range ends at 1.937 and the 2023-25 range "
            "begins at 1.943)") in said
    # ranges that show their order at the figures' own precision get no such clause
    apart = made([("2015-17", 77.4, 79.5), ("2023-25", 77.6, 80.1)], higher_is_worse=False, method="population-weighted",
                 unit="years")
    assert "wider, beyond the rounding of both." in section_text(apart) and "decimal places" not in section_text(apart)


def test_a_range_of_change_whose_end_shows_as_zero_says_no_change():
    """A change's range from -0.7% to -0.02% is "no change to 0.7% narrower", never "0.0% to 0.7% narrower"."""
    a = made([("2001-03", 100.0, 80.0), ("2002-04", 99.7, 80.0)])
    c = words.Citer(Ledger(), a)
    e = est.Estimate(-0.4, -0.7, -0.02, est.GAPS, 1, (), "x", "y")
    assert text(c.range(e, "x-change", "2002-04", "pct_change_absolute_gap", "change", "%", change=True)) == \
        "no change to 0.7% narrower"
    wider = est.Estimate(0.4, 0.03, 0.7, est.GAPS, 1, (), "x", "y")
    assert text(c.range(wider, "x-wider", "2002-04", "pct_change_absolute_gap", "change", "%", change=True)) == \
        "no change to 0.7% wider"
    apart = est.Estimate(-0.4, -0.7, -0.2, est.GAPS, 1, (), "x", "y")
    assert text(c.range(apart, "x-apart", "2002-04", "pct_change_absolute_gap", "change", "%", change=True)) == \
        "0.2% to 0.7% narrower"


def test_a_gap_that_changes_side_is_a_reversal_not_a_narrowing():
    """The group 10 worse than the comparator (90 against 80), then 10 better (70 against 80), each beyond the
    other's interval: the gap reversed; "narrowed" would say the group's disadvantage merely shrank."""
    a = made([("2001-03", (90.0, 88.0, 92.0), (80.0, 79.5, 80.5)), ("2022-24", (70.0, 68.0, 72.0), (80.0, 79.5, 80.5))])
    said = section_text(a)
    assert "reversed significantly, as the intervals do not overlap" in said
    assert "significantly narrower" not in said
    _, cells = summary_text(a)
    assert cells["status"].startswith("reversed significantly")
