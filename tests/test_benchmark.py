"""Benchmarking against England as Fingertips does it, checked against Fingertips' own column and its own tests."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from healthgap.analysis import benchmark as bm
from healthgap.methods.limits import byars_limits
from healthgap.read import layouts
from healthgap.read.errors import DataError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "series"
EXPORT = FIXTURES / "fingertips_export_campylobacter_2015_county_ua.csv"
NAN = math.nan


@pytest.fixture(scope="module")
def export():
    frame = layouts.read_fingertips_export(EXPORT)
    # Fingertips' own flag, read straight from the file (not through the reader, which does not keep it)
    flags = pd.read_csv(EXPORT, dtype=str, keep_default_na=False)["Compared to England value or percentiles"]
    assert len(flags) == len(frame)
    return frame.assign(flag=flags.to_numpy())


# --- Fingertips' own unit tests (PholioVisualisationWS/AnalysisTest), polarity 0 = low is good -----------------

@pytest.mark.parametrize("value, lower, upper, england, low_is_good, high_is_good", [
    (11, 10, 12, 11, "similar", "similar"),    # TestSameExactly
    (3.05, 2.7, 3.1, 3.0, "similar", None),    # TestSame
    (3.3, 3.2, 3.5, 3.0, "worse", "better"),   # TestHigher
    (2.5, 2.2, 2.8, 3.0, "better", "worse"),   # TestLower
    (NAN, NAN, NAN, 3.0, "not compared", "not compared"),  # TestMinusOneData
    (2.5, 2.2, 2.8, NAN, "not compared", "not compared"),  # TestMinusOneParent
    (4.0, NAN, 3.0, 3.0, "not compared", None),            # no lower limit
    (4.0, 3.0, NAN, 3.0, "not compared", None),            # no upper limit
])
def test_one_level_as_fingertips_tests_it(value, lower, upper, england, low_is_good, high_is_good):
    assert bm.compare_with_england(value, lower, upper, england, higher_is_worse=True) == low_is_good
    if high_is_good:
        assert bm.compare_with_england(value, lower, upper, england, higher_is_worse=False) == high_is_good


@pytest.mark.parametrize("england, low_is_good, high_is_good", [
    (3.0, "best", "worst"),      # England above the upper 99.8 % limit
    (2.8, "better", "worse"),    # between the upper limits
    (2.6, "similar", "similar"),
    (2.4, "worse", "better"),    # between the lower limits
    (2.2, "worst", "best"),      # below the lower 99.8 % limit
    (2.7, "similar", "similar"),  # on a limit: inclusive
    (2.9, "better", "worse"),
])
def test_two_levels_as_fingertips_tests_it(england, low_is_good, high_is_good):
    # SingleOverlappingCIsForTwoCILevelsComparerTest (fingertips-open @ 678089724a51): 2.3 < 2.5 < 2.6 < 2.7 < 2.9
    area = {"value": 2.6, "lower95": 2.5, "upper95": 2.7, "lower998": 2.3, "upper998": 2.9}
    assert bm.compare_with_england(england_value=england, higher_is_worse=True, **area) == low_is_good
    assert bm.compare_with_england(england_value=england, higher_is_worse=False, **area) == high_is_good
    # without 99.8 % limits the two-level comparison cannot be made
    assert bm.compare_with_england(2.6, 2.5, 2.7, england, True, NAN, NAN) == "not compared"


def test_no_polarity_is_higher_or_lower():
    assert bm.compare_with_england(3.3, 3.2, 3.5, 3.0, None) == "higher"
    assert bm.compare_with_england(2.5, 2.2, 2.8, 3.0, None) == "lower"
    with pytest.raises(ValueError, match="95 % only"):
        bm.compare_with_england(2.6, 2.5, 2.7, 2.8, None, 2.3, 2.9)


@pytest.mark.parametrize("call, message", [
    (lambda: bm.compare_with_england("80", 75, 85, 94.7, True), "value '80': expected a number"),
    (lambda: bm.compare_with_england(80, 75, 85, 94.7, "yes"), "higher_is_worse 'yes'"),
    (lambda: bm.compare_with_england(80, 75, 85, 94.7, True, lower998=70), "both lower998 and upper998"),
    (lambda: bm.benchmark(pd.DataFrame({"value": [1.0]}), True), "expected columns lower, upper"),
    (lambda: bm.benchmark(pd.DataFrame({"value": [1.0], "lower": [0.5], "upper": [1.5]}), True, (0.99,)),
     r"expected \(0.95,\) or \(0.95, 0.998\)"),
])
def test_bad_input_is_one_line(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


# --- Fingertips' own column ---------------------------------------------------------------------------------


def test_every_area_row_agrees_with_fingertips_column(export):
    computed = bm.benchmark(export, higher_is_worse=True)  # campylobacter: a higher rate is worse
    areas = export[export["area_code"] != bm.ENGLAND]
    assert len(areas) == 787  # 152 counties and UAs x 5 age-years, 9 regions x 3 years
    fingertips = areas["flag"].str.lower()
    agree = computed[areas.index] == fingertips
    assert agree.all(), areas[~agree][["area_name", "age", "period", "value", "flag"]].head().to_string()
    compared = fingertips != "not compared"
    assert int(agree[compared].sum()) == 750  # every flag Fingertips gave, both ages, all three years
    assert computed[areas.index][compared].value_counts().to_dict() == {"better": 283, "worse": 247, "similar": 220}
    # not compared: the regions (aggregated, no limits) and Isles of Scilly / City of London (combined values)
    assert set(areas.loc[~compared, "area_type"]) == {"Region", "County & UA"}
    assert set(areas.loc[~compared & (areas["area_type"] != "Region"), "area_code"]) == {"E06000053", "E09000001"}


def test_england_is_the_row_without_a_category(export):
    england = bm.england_rows(export)
    # one England row per age and year: 2015-17 all ages, 2015-16 0-9 yrs; none of the 60 decile rows
    assert len(england) == 5 and (england["category_type"] == "").all()
    assert england.set_index(["age", "period"]).loc[("All ages", "2015"), "value"] == pytest.approx(94.7261896202678)
    # the trap: the last row with England's code is the least deprived decile, and 140 flags go wrong
    last = export[export["area_code"] == bm.ENGLAND].groupby(list(bm.KEYS)).tail(1)
    assert "Least deprived decile (IMD2015)" in set(last["category"])
    wrong = bm.benchmark(export, True, england=last)
    compared = export["flag"] != "Not compared"
    assert int((wrong[compared] != export.loc[compared, "flag"].str.lower()).sum()) == 140


def test_england_twice_is_an_error(export):
    doubled = pd.concat([export, export[(export["area_code"] == bm.ENGLAND) & (export["category_type"] == "")].head(1)])
    with pytest.raises(DataError, match=r"fingertips_export_campylobacter_2015_county_ua.csv, lines 2, 2: expected one "
                                        r"E92000001 row with no category"):
        bm.england_rows(doubled)


def test_england_given_as_a_number(export):
    rows = export[(export["age"] == "All ages") & (export["period"] == "2015") & (export["area_type"] == "County & UA")]
    computed = bm.benchmark(rows, True, england=94.7261896202678)
    assert (computed == rows["flag"].str.lower()).all()


def test_two_levels_on_the_export_with_byars_99_8_limits(export):
    """The export carries no 99.8 % limits; Byar's method on its counts reproduces its 95 % limits (to 2 in
    10,000), so its 99.8 % limits are computed the same way. The two-level comparison, folded back to one
    level, must give Fingertips' own flags, and the darker categories must sit beyond the 99.8 % limits."""
    rows = export[(export["area_code"] != bm.ENGLAND) & export["lower"].notna()].copy()
    scale = rows["value"] / rows["count"]
    low95, high95 = byars_limits(rows["count"].to_numpy(), 0.95)
    assert np.allclose(low95 * scale, rows["lower"], rtol=2e-4) and np.allclose(high95 * scale, rows["upper"], rtol=2e-4)
    low, high = byars_limits(rows["count"].to_numpy(), 0.998)
    low = np.nan_to_num(low, nan=0.0)  # Byar's lower limit falls below 0 for one case at 99.8 %: a rate's is 0
    rows["lower_998"], rows["upper_998"] = low * scale, high * scale
    england = bm.england_rows(export)
    two = bm.benchmark(rows, True, levels=(0.95, 0.998), england=england)
    folded = two.replace({"best": "better", "worst": "worse"})
    assert (folded == rows["flag"].str.lower()).all()
    e = rows.merge(england[[*bm.KEYS, "value"]], on=list(bm.KEYS), suffixes=("", "_england"), how="left")
    e.index = rows.index
    worst = two == "worst"
    assert (e.loc[worst, "value_england"] < e.loc[worst, "lower_998"]).all()
    assert (e.loc[two == "worse", "value_england"] >= e.loc[two == "worse", "lower_998"]).all()
    summary = bm.counts(two, levels=(0.95, 0.998))
    at = summary.set_index(["level", "comparison"])["areas"]
    assert (at[(0.95, "worse")], at[(0.95, "better")], at[(0.95, "similar")]) == (247, 283, 220)
    assert at[(0.998, "worse")] == int(worst.sum()) and at[(0.998, "better")] == int((two == "best").sum())
    assert at[(0.998, "worse")] + at[(0.998, "similar")] + at[(0.998, "better")] == 750
    assert 0 < at[(0.998, "worse")] < 247


def test_counts_as_data():
    comparisons = ["worst"] * 12 + ["worse"] * 5 + ["similar"] * 30 + ["better"] * 9 + ["best"] * 2 + ["not compared"] * 2
    summary = bm.counts(comparisons, levels=(0.95, 0.998))
    assert list(summary.columns) == ["level", "comparison", "areas", "compared", "total"]
    at = summary.set_index(["level", "comparison"])
    # "12 of the 58 areas compared are worse than England at 99.8 %"
    assert at.loc[(0.998, "worse")].tolist() == [12, 58, 60]
    assert at.loc[(0.95, "worse"), "areas"] == 17 and at.loc[(0.95, "better"), "areas"] == 11
    assert at.loc[(0.998, "similar"), "areas"] == 30 + 5 + 9
    with pytest.raises(ValueError, match="two-level categories"):
        bm.counts(comparisons)
    with pytest.raises(ValueError, match="got 'bad'"):
        bm.counts(["bad"])
