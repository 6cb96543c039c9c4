"""Gap methods against hand calculations; the gap record's figures of record against the published figures;
and the rules for what may be said of how a gap moved."""

from __future__ import annotations

import pandas as pd
import pytest

from healthgap.analysis import estimates as est
from tests.support import analysed
from healthgap.analysis.estimates import Estimate
from healthgap.analysis.gaps import (
    Comparison,
    absolute_gap,
    adjacent,
    change_since_baseline,
    consecutive_run,
    gap_from_change,
    gap_record,
    latest_run,
    movement,
    periods_between,
    relative_gap,
)


def test_absolute_and_relative_gap_mortality():
    # circulatory 1995-97: Spearhead 178, England 141.3 (Straight Statistics 2009)
    assert absolute_gap(178, 141.3) == pytest.approx(36.7)  # published gap 36.7
    assert relative_gap(178, 141.3) == pytest.approx(100 * 36.7 / 141.3)  # = 25.97 %; published 25.9 %


def test_gap_orientation_for_life_expectancy():
    # male LE 1995-97: Spearhead 72.7, England 74.6 -> gap 1.9 years, 1.9 / 74.6 = 2.547 %
    assert absolute_gap(72.7, 74.6, higher_is_worse=False) == pytest.approx(1.9)
    assert relative_gap(72.7, 74.6, higher_is_worse=False) == pytest.approx(2.5469, abs=1e-4)


def test_change_since_baseline_cancer():
    # (18.4 - 20.7) / 20.7 = -11.1 %; the DH published -11.3 % from unrounded gaps
    assert change_since_baseline(18.4, 20.7) == pytest.approx(-11.111, abs=1e-3)
    assert gap_from_change(20.7, change_since_baseline(18.4, 20.7)) == pytest.approx(18.4)


def test_series_work_elementwise():
    d, c = pd.Series([6.3, 5.4]), pd.Series([5.6, 4.7])
    # infant mortality 1997-99 and 2005-07: 6.3/5.6 - 1 = 12.5 %, 5.4/4.7 - 1 = 14.9 %
    assert relative_gap(d, c).round(1).tolist() == [12.5, 14.9]


@pytest.mark.parametrize(
    "directions, expected",
    [([+1, -1, -1], (-1, 2)), ([-1, +1], (1, 1)), ([1, 1, 1], (1, 3)), ([1, 0], (0, 0)), ([], (0, 0))],
)
def test_consecutive_run(directions, expected):
    assert consecutive_run(directions) == expected


def test_adjacent_periods():
    assert adjacent("2004-06", "2005-07") and adjacent("2009", "2010") and adjacent("1999-01", "2000-02")
    assert not adjacent("2004-06", "2006-08") and not adjacent("1995-97", "2003-05") and not adjacent("2009", "2009-11")
    assert periods_between("2004-06", "2006-08") == ["2005-07"]
    assert periods_between("1997-99", "2000-02") == ["1998-00", "1999-01"]


# --- estimates: what a rounded figure stands for, and when two differ ----------------------------


def test_rounded_figures_differ_only_beyond_their_rounding():
    def pub(value, decimals):
        return est.published({"value": value, "decimals": decimals, "id": "x"})

    assert est.compare(pub(16, 0), pub(16, 0)) == 0  # "16% then 16%" shows no change
    assert est.compare(pub(11, 0), pub(14, 0)) == 1  # 10.5-11.5 against 13.5-14.5: wider
    assert est.compare(pub(18.1, 1), pub(18.4, 1)) == 1  # the DH's "slight rise" in the cancer gap
    # issue 18: figures of one precision that differ establish their order. 17 stands for [16.5, 17.5) and 16 for
    # [15.5, 16.5): the ranges touch at 16.5 and share no value, so 16 then 17 is a rise and 17 then 16 a fall
    assert est.compare(pub(17, 0), pub(16, 0)) == -1
    assert est.compare(pub(17, 0), pub(18, 0)) == 1 and est.compare(pub(18, 0), pub(17, 0)) == -1
    assert est.compare(pub(1.9, 1), pub(2.0, 1)) == 1  # 0.1 apart at one decimal place
    assert est.compare(pub(1.9, 1), pub(2.1, 1)) == 1
    # 17.5 itself: 18 stands for it, 17 does not; "17.5" (one decimal) overlaps both 17 and 18
    assert est.stands_for(pub(18, 0), 17.5) and not est.stands_for(pub(17, 0), 17.5)
    assert est.compare(pub(17, 0), pub(17.5, 1)) == 0 and est.compare(pub(17.5, 1), pub(18, 0)) == 0
    # different precision: 2 (1.5 to 2.5) and 2.4 (2.35 to 2.45) overlap, so cannot tell
    assert est.compare(pub(2, 0), pub(2.4, 1)) == 0


def test_a_computed_gap_carries_the_range_its_inputs_allow():
    d = est.published({"value": 6.3, "decimals": 1, "id": "rm"})
    c = est.published({"value": 5.6, "decimals": 1, "id": "all"})
    comparison = Comparison("infant_mortality", "persons", "rm", "all")
    from healthgap.analysis.gaps import gap_from_levels

    gap = gap_from_levels(d, c, "relative_gap_pct", comparison)
    # 100 x (6.3 - 5.6) / 5.6 = 12.5; extremes 100 x (6.25 - 5.65) / 5.65 = 10.62 and 100 x (6.35 - 5.55) / 5.55 = 14.41
    assert gap.value == pytest.approx(12.5)
    assert (gap.lower, gap.upper) == pytest.approx((10.619, 14.414), abs=1e-3)
    assert gap.basis == "levels" and gap.inputs == ("rm", "all")
    assert gap.formula == "100 × (6.3 − 5.6) / 5.6"


# --- figures of record -----------------------------------------------------------------------------


def point(a, period, measure=None):
    return next(p for p in a.record[measure or a.gap_measure] if p.period == period)


def test_a_published_gap_leads_and_the_recomputation_is_its_check(briefing):
    a = analysed(briefing, "infant_mortality", "persons")
    base = point(a, "1997-99")
    # Hansard (15 September 2004) published 13 %; 6.3 and 5.6, rounded, give 12.5 %
    assert base.gap.value == 13 and base.gap.published
    assert base.gap_check.value == pytest.approx(12.5) and base.gap_check.basis == "levels"
    # the target: published as 11.7 % (the 13 % baseline cut by 10 %), not 12.5 x 0.9 = 11.25
    assert a.target.value.value == 11.7 and a.target.value.published


def test_figures_of_record_in_the_latest_edition(briefing):
    male, female = (analysed(briefing, "life_expectancy", sex) for sex in ("male", "female"))
    # NAO (July 2010): the relative gap 7 % (males) and 14 % (females) wider in 2006-08 than in 1995-97;
    # recomputed from the rounded levels it is 5.8 % and 11.1 %, a check only
    assert point(male, "2006-08").change.value == 7 and point(male, "2006-08").change.published
    assert point(female, "2006-08").change.value == 14
    assert point(male, "2006-08").change_check.value == pytest.approx(5.8, abs=0.05)
    infant = analysed(briefing, "infant_mortality", "persons")
    latest = infant.assessment.point
    # Bambra (2012): 25 % narrower in 2008-10, an estimate on provisional data
    assert (latest.period, latest.change.value) == ("2008-10", -25)
    assert latest.change.estimated and latest.change.provisional


def test_figures_of_record_in_the_2004_06_edition(briefing):
    cancer = analysed(briefing, "cancer", "persons", "2004-06")
    # PharmaTimes (December 2007): the gap narrowed 11.3 % since the baseline; recomputed from the rounded
    # gaps, 100 x (18.4 - 20.7) / 20.7 = -11.1 %
    assert cancer.assessment.point.change.value == -11.3
    assert cancer.assessment.point.change_check.value == pytest.approx(-11.111, abs=1e-3)
    # no target value was published for cancer: 20.7 x (1 - 6 / 100) = 19.458, computed from the published baseline
    assert cancer.target.value.value == pytest.approx(19.458) and not cancer.target.value.published


def test_a_gap_implied_by_a_published_change(briefing):
    a = analysed(briefing, "life_expectancy", "female", "2004-06")
    p = point(a, "2004-06")
    # only the change was published (+11 %, PharmaTimes December 2007); the gap it implies: 1.4/79.7 x 1.11
    assert p.change.value == 11 and p.change.published
    assert p.gap.basis == "implied"
    assert p.gap.value == pytest.approx(100 * 1.4 / 79.7 * 1.11)
    assert "life_expectancy-female-2004-06-gap-pct_change_relative_gap-vs1995-97" in p.gap.inputs


def test_no_change_is_computed_across_a_method_break(briefing):
    a = analysed(briefing, "infant_mortality", "persons")
    linked = point(a, "2007-09")
    # 12 % in 2007-09 is on the linked method: no change from the 1997-99 baseline is computed for it
    assert linked.segment == 1 and linked.gap.value == 12 and linked.change is None
    # the 2008-10 change crosses the break too, but its source published it: kept, as published
    assert point(a, "2008-10").change.published and point(a, "2008-10").change_check is None


def test_gap_record_on_its_own():
    levels = pd.DataFrame({
        "group": ["d", "c", "d", "c"], "period": ["2001-03", "2001-03", "2002-04", "2002-04"],
        "value": [10.0, 8.0, 9.0, 8.0], "decimals": [1, 1, 1, 1], "id": ["d1", "c1", "d2", "c2"],
        "revision": ["final"] * 4, "status": ["published"] * 4,
    })
    published = pd.DataFrame(columns=["period", "measure", "reference_period", "value", "decimals", "id"])
    record = gap_record(levels, published, Comparison("x", "persons", "d", "c"), None)
    points = record["absolute_gap"]
    # gaps 10 - 8 = 2 and 9 - 8 = 1; change (1 - 2) / 2 = -50 % from the first period, the default baseline
    assert [p.gap.value for p in points] == pytest.approx([2.0, 1.0])
    assert points[1].change.value == pytest.approx(-50.0) and points[1].reference == "2001-03"


# --- movements -----------------------------------------------------------------------------------


def test_a_rise_only_where_rounding_allows_it(briefing):
    female = analysed(briefing, "life_expectancy", "female")
    m = movement(point(female, "2005-07"), point(female, "2006-08"))
    # published changes from 1995-97: 11 % wider then 14 % wider: the gap widened
    assert (m.basis, m.direction, m.adjacent) == ("published changes", 1, True)
    m = movement(point(female, "2004-06"), point(female, "2005-07"))
    # 11 % then 11 %: the published precision cannot tell
    assert m.direction == 0
    infant = analysed(briefing, "infant_mortality", "persons")
    m = movement(point(infant, "2005-07"), point(infant, "2006-08"))
    assert (m.basis, m.direction) == ("published gaps", 0)  # 16 % and 16 %


def test_consecutive_only_for_adjacent_periods(briefing):
    circulatory = analysed(briefing, "circulatory", "persons")
    last, run = latest_run(circulatory.points)
    # 24.9 (2004-06) then 22.6 (2006-08): narrower, but 2005-07 is missing, so no "consecutive"
    assert (last.earlier.period, last.later.period, last.direction) == ("2004-06", "2006-08", -1)
    assert not last.adjacent and last.missing == ["2005-07"] and run == 0
    male = analysed(briefing, "life_expectancy", "male")
    last, run = latest_run(male.points)
    # 2 % (2004-06), 4 % (2005-07), 7 % (2006-08) wider: two consecutive widenings; 2003-05 is on another basis
    assert (last.direction, run) == (1, 2)


def test_no_comparison_across_a_method_break_or_across_bases(briefing):
    infant = analysed(briefing, "infant_mortality", "persons")
    assert movement(point(infant, "2006-08"), point(infant, "2007-09")).reason == "method"
    male = analysed(briefing, "life_expectancy", "male")
    # 2003-05: a gap computed from levels; 2004-06: only a published change. Nothing is shared.
    m = movement(point(male, "2003-05"), point(male, "2004-06"))
    assert (m.direction, m.reason) == (None, "bases")


def test_a_published_change_from_the_earlier_period_decides(briefing):
    male = analysed(briefing, "life_expectancy", "male")
    m = movement(point(male, "1995-97"), point(male, "2006-08"))
    # the levels' ranges (2.41-2.68 % against 2.57-2.82 %) meet, but the published change, 7 % wider, does not
    assert (m.basis, m.direction) == ("published change", 1)


def test_estimate_flags():
    e = Estimate(1.0, 0.5, 1.5, "published", 0, ("x",), revision="provisional", estimated=True)
    assert e.provisional and e.estimated and e.shown("%") == "1%"
