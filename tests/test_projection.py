"""Projections of a gap: the trend against a hand calculation, too few periods, the pace, the verdict, the
sentence, and the back-tests on the national record and on the analyst's example series."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import healthgap as hg
from healthgap.analysis import projection as pj
from tests.support import analysed

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"

# A small series of three-year periods. The independent periods, counting back from 2010-12, are 2010-12,
# 2007-09, 2004-06 and 2001-03 (midpoints 2002, 2005, 2008, 2011); 2002-04, 2003-05 and 2009-11 share
# years with them and are left out (2009-11's 20.0 would pull the line far up if it were fitted).
SERIES = [("2001-03", 10.0), ("2002-04", 9.8), ("2003-05", 9.2), ("2004-06", 9.0), ("2007-09", 7.0),
          ("2009-11", 20.0), ("2010-12", 6.0)]

# The least-squares arithmetic, by hand, on the fitted points (2002, 10), (2005, 9), (2008, 7), (2011, 6):
#   xbar = 2006.5, deviations -4.5, -1.5, 1.5, 4.5: Sxx = 20.25 + 2.25 + 2.25 + 20.25 = 45
#   ybar = 8,      deviations  2,    1,   -1,  -2:  Sxy = -9 - 1.5 - 1.5 - 9 = -21
#   slope b = Sxy / Sxx = -21 / 45 = -7/15 = -0.46667 per year
#   intercept at the latest midpoint (2011): ybar + b (2011 - 2006.5) = 8 - 2.1 = 5.9
#   fitted 10.1, 8.7, 7.3, 5.9; residuals -0.1, 0.3, -0.3, 0.1: SSE = 0.2, s^2 = SSE / (n - 2) = 0.1
# Projected to 2016-18 (x0 = 2017): 5.9 - 7/15 x 6 = 3.1
#   prediction se = s sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx) = sqrt(0.1 x (1 + 0.25 + 110.25/45)) = sqrt(0.37)
#   95 % interval = 3.1 +/- t(0.975, 2) x sqrt(0.37) = 3.1 +/- 4.302653 x 0.608276 = 0.48279 to 5.71721
SLOPE, INTERCEPT, S2 = -7 / 15, 5.9, 0.1
SE_2017 = math.sqrt(0.37)


def test_independent_periods_count_back_from_the_latest():
    rolling = [f"{y}-{(y + 2) % 100:02d}" for y in range(1995, 2007)]  # 1995-97 ... 2006-08
    assert pj.independent_periods(rolling) == ["1997-99", "2000-02", "2003-05", "2006-08"]
    assert pj.independent_periods(rolling[:-2]) == ["1995-97", "1998-00", "2001-03", "2004-06"]
    # only periods in the series count: the national cancer record of the 2004-06 edition
    assert pj.independent_periods(["1995-97", "2003-05", "2004-06"]) == ["1995-97", "2004-06"]
    # single years share nothing; a year inside a three-year period overlaps it
    assert pj.independent_periods(["2008", "2009", "2010"]) == ["2008", "2009", "2010"]
    assert pj.independent_periods(["2008-10", "2010"]) == ["2010"]
    assert pj.independent_periods([]) == []


def test_trend_against_the_hand_calculation():
    trend = pj.fit_trend(SERIES)
    assert trend.periods == ("2001-03", "2004-06", "2007-09", "2010-12")
    assert trend.left_out == ("2002-04", "2003-05", "2009-11")
    assert trend.slope == pytest.approx(SLOPE, abs=1e-12)
    assert trend.intercept == pytest.approx(INTERCEPT, abs=1e-12)
    assert trend.origin == 2011 and trend.df == 2 and trend.n == 4 and trend.since == "2001-03"
    assert trend.sigma == pytest.approx(math.sqrt(S2), abs=1e-12)
    assert trend.at("2001-03") == pytest.approx(10.1)
    # and numpy's least squares agrees, on the same four points
    slope, constant = np.polyfit([2002, 2005, 2008, 2011], [10, 9, 7, 6], 1)
    assert (slope, constant + slope * 2011) == pytest.approx((SLOPE, INTERCEPT))


def test_projection_and_its_prediction_interval_against_the_hand_calculation():
    result = pj.projection(SERIES, "2016-18")
    t = stats.t.ppf(0.975, 2)
    assert t == pytest.approx(4.302653, abs=1e-6)
    assert result.value == pytest.approx(3.1, abs=1e-12)
    assert result.se == pytest.approx(SE_2017, abs=1e-12)
    assert (result.lower, result.upper) == pytest.approx((3.1 - t * SE_2017, 3.1 + t * SE_2017), abs=1e-12)
    assert (result.lower, result.upper) == pytest.approx((0.48279, 5.71721), abs=1e-5)
    assert result.t == pytest.approx(t) and result.fitted[0] == "2001-03" and result.enough
    # inside the fitted range the interval is narrower: at 2007-09, x0 = 2008
    inside = pj.project(pj.fit_trend(SERIES), "2007-09")
    assert inside.value == pytest.approx(7.3)
    assert inside.upper - inside.value == pytest.approx(t * math.sqrt(S2 * (1 + 1 / 4 + 1.5**2 / 45)))


def test_too_few_independent_periods():
    assert pj.fit_trend([("2004-06", 18.4), ("2009-11", 17.0)]) is None  # two points
    # four rolling periods, but only two that share no year: 2004-06 and 2007-09
    overlapping = [("2004-06", 5.0), ("2005-07", 4.0), ("2006-08", 3.0), ("2007-09", 2.0)]
    assert pj.fit_trend(overlapping) is None
    result = pj.projection(overlapping, "2009-11")
    assert not result.enough and result.value is None and result.lower is None
    assert result.fitted == ("2004-06", "2007-09") and result.left_out == ("2005-07", "2006-08")
    assert pj.verdict(result, 3.0) == pj.TOO_FEW
    assert pj.describe(result, 1, 3.0) == (
        "Too few periods to project: a trend with an interval needs at least 3 periods that share no year, "
        "and the series has two (2004-06 and 2007-09).")
    assert pj.describe(pj.projection([], "2009-11"), 1).endswith("and the series has none.")


def test_no_trend_across_a_method_break():
    # infant mortality: linked records from 2007-09; the fit keeps only the periods on the latest method
    points = [("1997-99", 13.0), ("2000-02", 16.0), ("2003-05", 18.0), ("2006-08", 16.0), ("2007-09", 12.0),
              ("2008-10", 10.0)]
    assert pj.since_break(points, ["2007-09"]) == [("2007-09", 12.0), ("2008-10", 10.0)]
    assert pj.method_since(points, ["2007-09"]) == "2007-09"
    assert pj.fit_trend(points) is not None and pj.fit_trend(points, ["2007-09"]) is None
    result = pj.projection(points, "2009-11", ["2007-09"])
    assert pj.describe(result, 0).endswith("and the series has one on the method used since 2007-09 (2008-10).")
    # a break after the series's last period does not cut it
    assert pj.since_break(points[:4], ["2007-09"]) == points[:4] and pj.method_since(points[:4], ["2007-09"]) == ""


def test_the_sentence_rounds_to_the_gap_decimals_and_states_likelihood_only_where_the_interval_allows():
    result = pj.projection(SERIES, "2016-18")  # 3.1 (0.48279 to 5.71721)
    base = "At the pace since 2001-03 the gap would be 3.1 (0.5 to 5.7) in 2016-18"
    assert pj.describe(result, 1) == base + "."
    assert pj.describe(result, 1, 4.0) == (
        base + ", against a target of 4.0 or less. The 95% interval spans the target, so the trend cannot say "
        "whether it will be met.")
    assert pj.describe(result, 1, 6.0) == (
        base + ", against a target of 6.0 or less. The whole 95% interval meets the target: on this trend it "
        "is likely to be met.")
    assert pj.describe(result, 1, 0.4) == (
        base + ", against a target of 0.4 or less. The whole 95% interval misses the target: on this trend it "
        "is unlikely to be met.")
    assert pj.describe(result, 2, unit="%") == (
        "At the pace since 2001-03 the gap would be 3.10% (0.48% to 5.72%) in 2016-18.")


def interval(lower: float, upper: float) -> pj.Projection:
    trend = pj.fit_trend(SERIES)
    return pj.Projection("2016-18", trend.periods, (), trend, (lower + upper) / 2, lower, upper)


@pytest.mark.parametrize(
    "lower, upper, target, lower_is_better, call",
    [
        (1.0, 2.0, 2.0, True, pj.LIKELY),  # "2.0 or less": an interval reaching exactly 2.0 meets it
        (1.0, 2.0, 1.999, True, pj.SPANS),
        (1.0, 2.0, 1.0, True, pj.SPANS),  # the target at the lower end: the interval still spans it
        (1.0, 2.0, 0.999, True, pj.UNLIKELY),
        (1.0, 2.0, 1.0, False, pj.LIKELY),  # "1.0 or more"
        (1.0, 2.0, 2.0, False, pj.SPANS),
        (1.0, 2.0, 2.001, False, pj.UNLIKELY),
        (1.0, 2.0, None, True, None),
    ],
)
def test_likelihood_rule_at_the_edges(lower, upper, target, lower_is_better, call):
    assert pj.verdict(interval(lower, upper), target, lower_is_better) == call


def test_pace_against_hand_calculations():
    # circulatory, 2004-06 edition: 36.7 (1995-97) to 24.9 (2004-06): -11.8 / 9 = -1.311 a year achieved;
    # to reach 22.0 by 2009-11: (22.0 - 24.9) / 5 = -0.58 a year needed: fast enough
    p = pj.pace([("1995-97", 36.7), ("2003-05", 26.4), ("2004-06", 24.9)], 22.0, "2009-11", "1995-97")
    assert (p.achieved, p.needed) == pytest.approx((-11.8 / 9, -0.58))
    assert p.since == "1995-97" and p.latest == "2004-06" and p.enough is True
    # a baseline missing from the series: the pace runs from its first period
    p = pj.pace([("1997-99", 13.0), ("2004-06", 17.0)], 11.7, "2009-11", "1995-97")
    assert p.since == "1997-99" and p.achieved == pytest.approx(4 / 7) and p.needed == pytest.approx(-1.06)
    assert p.enough is False
    # at or after the target period nothing more can be needed: the latest figure decides
    p = pj.pace([("1995-97", 36.7), ("2009-11", 21.0)], 22.0, "2009-11")
    assert p.needed is None and p.enough is True
    assert pj.pace([], 22.0, "2009-11") is None


# --- the national record ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national(briefing):
    keys = [("cancer", "persons"), ("circulatory", "persons"), ("infant_mortality", "persons"),
            ("life_expectancy", "male"), ("life_expectancy", "female")]
    return {f"{i}-{s}": (analysed(briefing, i, s, "2004-06"), analysed(briefing, i, s)) for i, s in keys}


@pytest.mark.parametrize(
    "key, achieved, needed",
    [
        # (latest - baseline) / (2005 - 1996) against (target - latest) / (2010 - 2005), 2004-06 edition
        ("cancer-persons", (18.4 - 20.7) / 9, (20.7 * 0.94 - 18.4) / 5),  # target 6 % below 20.7
        ("circulatory-persons", (24.9 - 36.7) / 9, (22.0 - 24.9) / 5),
        ("infant_mortality-persons", (17 - 13) / 7, (11.7 - 17) / 5),  # from 1997-99 (midpoint 1998)
        # relative gaps: 100 (74.6 - 72.7) / 74.6 = 2.5469 in 1995-97, 2 % wider by 2004-06 (published), target 10 % less
        ("life_expectancy-male", 100 * 1.9 / 74.6 * 0.02 / 9, 100 * 1.9 / 74.6 * (0.9 - 1.02) / 5),
        ("life_expectancy-female", 100 * 1.4 / 79.7 * 0.11 / 9, 100 * 1.4 / 79.7 * (0.9 - 1.11) / 5),
    ],
    ids=["cancer-persons", "circulatory-persons", "infant_mortality-persons", "life_expectancy-male",
         "life_expectancy-female"],
)
def test_pace_of_the_2004_06_edition(national, key, achieved, needed):
    p = pj.pace_analysis(national[key][0])
    assert p.latest == "2004-06" and (p.achieved, p.needed) == pytest.approx((achieved, needed), abs=1e-9)


def test_2004_06_edition_projects_only_infant_mortality(national):
    # cancer, circulatory and life expectancy knew 1995-97, 2003-05 and 2004-06: two periods sharing no year
    for key in ("cancer-persons", "circulatory-persons", "life_expectancy-male", "life_expectancy-female"):
        result = pj.project_analysis(national[key][0])
        assert not result.enough and result.fitted == ("1995-97", "2004-06"), key
    # infant mortality (relative gap, %): 1997-99 13, 2001-03 19, 2004-06 17 (2000-02, 2002-04, 2003-05 left out)
    # Sxx = 74/3, Sxy = 46/3, b = 23/37; at 2010: 49/3 + 23/37 x (2010 - 6005/3) = 21.51;
    # s^2 = SSE / 1 = 9.1316; t(0.975, 1) = 12.706: 21.5 (-56.7 to 99.7) against 11.7 or less
    infant = national["infant_mortality-persons"][0]
    result = pj.project_analysis(infant)
    assert result.fitted == ("1997-99", "2001-03", "2004-06")
    assert result.value == pytest.approx(49 / 3 + 23 / 37 * (2010 - 6005 / 3))
    assert (result.lower, result.upper) == pytest.approx((-56.708, 99.735), abs=1e-3)
    assert pj.describe_analysis(infant) == (
        "At the pace since 1997-99 the gap would be 21.5% (-56.7% to 99.7%) in 2009-11, against a target of "
        "11.7% or less. The 95% interval spans the target, so the trend cannot say whether it will be met.")


def test_latest_edition_projection_of_circulatory(national):
    # 1995-97 36.7, 2003-05 26.4, 2006-08 22.6 (2004-06 left out): a line close through all three
    result = pj.project_analysis(national["circulatory-persons"][1])
    x, y = np.array([1996, 2004, 2007]), np.array([36.7, 26.4, 22.6])
    b, a = np.polyfit(x, y, 1)
    s2 = np.sum((y - (a + b * x)) ** 2) / 1
    se = math.sqrt(s2 * (1 + 1 / 3 + (2010 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2)))
    t = stats.t.ppf(0.975, 1)
    assert (result.value, result.lower, result.upper) == pytest.approx((a + b * 2010, a + b * 2010 - t * se,
                                                                        a + b * 2010 + t * se))
    assert pj.describe_analysis(national["circulatory-persons"][1]) == (
        "At the pace since 1995-97 the gap would be 18.7 (18.0 to 19.4) in 2009-11, against a target of 22.0 or "
        "less. The whole 95% interval meets the target: on this trend it is likely to be met.")


def test_backtest_of_the_2004_06_edition(national):
    """What the 2004-06 edition projected for the last period observed since, on its method, and where the
    gap landed."""
    table = {key: pj.backtest_analysis(edition, latest) for key, (edition, latest) in national.items()}
    # infant mortality: the last period on the 2004-06 edition's method is 2006-08 (2007-09 on is linked
    # records). Projected from 1997-99, 2001-03, 2004-06 to 2007: 49/3 + 23/37 x 16/3 = 19.65, se^2 =
    # 9.1316 x (1 + 1/3 + (16/3)^2 / (74/3)); interval 19.65 +/- 12.706 x 4.765 = -40.9 to 80.2; the gap
    # landed at 16 %: inside
    infant = table["infant_mortality-persons"]
    x, y = np.array([1998, 2002, 2005]), np.array([13.0, 19.0, 17.0])
    b, a = np.polyfit(x, y, 1)
    sse = np.sum((y - (a + b * x)) ** 2)
    se = math.sqrt(sse * (1 + 1 / 3 + (2007 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2)))
    t = stats.t.ppf(0.975, 1)
    assert infant.period == "2006-08" and infant.actual == 16.0 and infant.inside is True
    assert infant.projection.value == pytest.approx(a + b * 2007) == pytest.approx(2181 / 111)
    assert (infant.projection.lower, infant.projection.upper) == pytest.approx((a + b * 2007 - t * se,
                                                                                a + b * 2007 + t * se))
    assert (infant.projection.lower, infant.projection.upper) == pytest.approx((-40.909, 80.206), abs=1e-3)
    # the others: too few periods in 2004-06 to project, so nothing to hold against what happened
    landed = {"cancer-persons": ("2005-07", 18.009), "circulatory-persons": ("2006-08", 22.6),
              "life_expectancy-male": ("2006-08", 2.6958), "life_expectancy-female": ("2006-08", 1.9512)}
    for key, (period, actual) in landed.items():
        outcome = table[key]
        assert outcome.period == period and outcome.actual == pytest.approx(actual, abs=1e-4), key
        assert not outcome.projection.enough and outcome.inside is None, key


def test_backtest_never_compares_across_a_method_break(national):
    latest = national["infant_mortality-persons"][1]
    series = pj.gap_series(latest)
    outcome = pj.backtest(series, "2004-06", "2008-10", pj.breaks_of(latest))
    assert outcome.projection.enough and outcome.actual == 10.0
    assert not outcome.comparable and outcome.reason == pj.METHOD_BREAK and outcome.inside is None
    assert pj.backtest(series, "2004-06", "2006-08", pj.breaks_of(latest)).inside is True
    assert pj.backtest(series, "2004-06", "2010-12").reason == pj.NOT_OBSERVED


# --- the analyst's own series -------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_circulatory():
    return hg.analyse(hg.load(EXAMPLE), "circulatory", "persons")


@pytest.fixture(scope="module")
def circulatory(own_circulatory):
    return pj.gap_series(own_circulatory)


def test_own_series_backtest(circulatory):
    """Fitted on 2001-03 ... 2010-12 (four periods sharing no year), projected to 2022-24: the fall of the
    2000s, continued, would have left a gap of 2.0 (0.2 to 3.8) per 100,000; it was 10.3, outside."""
    outcome = pj.backtest(circulatory, "2010-12", "2022-24")
    assert outcome.projection.fitted == ("2001-03", "2004-06", "2007-09", "2010-12")
    values = dict(circulatory)
    x = np.array([2002, 2005, 2008, 2011])
    y = np.array([values[p] for p in outcome.projection.fitted])
    b, a = np.polyfit(x, y, 1)
    sse = np.sum((y - (a + b * x)) ** 2)
    se = math.sqrt(sse / 2 * (1 + 1 / 4 + (2023 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2)))
    t = stats.t.ppf(0.975, 2)
    assert outcome.projection.trend.slope == pytest.approx(b)
    assert (outcome.projection.value, outcome.projection.lower, outcome.projection.upper) == pytest.approx(
        (a + b * 2023, a + b * 2023 - t * se, a + b * 2023 + t * se))
    assert (outcome.projection.value, outcome.projection.lower, outcome.projection.upper) == pytest.approx(
        (2.005, 0.175, 3.835), abs=1e-3)
    assert outcome.actual == pytest.approx(10.310, abs=1e-3) and outcome.inside is False
    assert outcome.difference == pytest.approx(10.310 - 2.005, abs=1e-3)


def test_counterfactual(circulatory):
    # by hand: fitted on the periods ending before 2010, (2002, 10), (2005, 9), (2008, 7): b = -9/18 = -0.5,
    # at 2011: 26/3 - 0.5 x 6 = 5.667; SSE = 1/6 on 1 df; se = sqrt(1/6 x (1 + 1/3 + 36/18)) = 0.7454
    outcomes = pj.counterfactual(SERIES, 2010)
    assert [o.period for o in outcomes] == ["2009-11", "2010-12"]
    o = outcomes[-1]
    assert o.projection.fitted == ("2001-03", "2004-06", "2007-09")
    assert o.projection.value == pytest.approx(26 / 3 - 3)
    assert o.projection.upper - o.projection.value == pytest.approx(stats.t.ppf(0.975, 1) * math.sqrt(5 / 9))
    assert o.actual == 6.0 and o.inside is True and o.difference == pytest.approx(6 - 17 / 3)
    # the example series starts in 2001-03: before 2004 it has one period, too few for a trend
    before_2004 = pj.counterfactual(circulatory, 2004)
    assert before_2004[0].period == "2002-04" and all(not o.projection.enough for o in before_2004)
    assert before_2004[0].projection.fitted == ("2001-03",)


def test_project_analysis_needs_a_target_or_a_horizon(own_circulatory):
    with pytest.raises(ValueError, match="no target period"):
        pj.project_analysis(own_circulatory)
    assert pj.project_analysis(own_circulatory, horizon="2025-27").fitted[-1] == "2022-24"


def test_statsmodels_is_imported_only_to_fit():
    code = "import sys, healthgap.analysis.projection; print('statsmodels' in sys.modules or 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"
