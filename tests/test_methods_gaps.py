"""rate_difference and rate_ratio: MOVER intervals checked by hand calculation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from healthgap.methods import crude_rate, dsr, life_expectancy, rate_difference, rate_ratio, z_value


def result(value: float, lower: float, upper: float, **keys: object) -> pd.DataFrame:
    return pd.DataFrame([{**keys, "value": value, "lower_ci": lower, "upper_ci": upper, "confidence": 0.95,
                          "statistic": "rate per 100,000", "note": ""}])


A = result(10.0, 8.0, 13.0)
B = result(6.0, 5.0, 8.0)


def test_difference_by_hand() -> None:
    # d = 10 - 6 = 4; lower = 4 - sqrt((10-8)^2 + (8-6)^2) = 4 - sqrt(8) = 1.171573;
    # upper = 4 + sqrt((13-10)^2 + (6-5)^2) = 4 + sqrt(10) = 7.162278.
    gap = rate_difference(A, B).iloc[0]
    assert gap["value"] == 4.0
    assert gap["lower_ci"] == pytest.approx(1.171573, abs=1e-6)
    assert gap["upper_ci"] == pytest.approx(7.162278, abs=1e-6)
    assert bool(gap["excludes_null"]) is True
    assert gap["statistic"] == "difference in rate per 100,000"
    assert list(rate_difference(A, B).columns) == [
        "value", "lower_ci", "upper_ci", "confidence", "value_a", "value_b", "excludes_null",
        "statistic", "method", "note"]


def test_ratio_by_hand() -> None:
    # log R = ln(10/6) = 0.510826;
    # lower = exp(0.510826 - sqrt(ln(10/8)^2 + ln(8/6)^2)) = exp(0.510826 - 0.364080) = 1.158060;
    # upper = exp(0.510826 + sqrt(ln(13/10)^2 + ln(6/5)^2)) = exp(0.510826 + 0.319491) = 2.294051.
    gap = rate_ratio(A, B).iloc[0]
    assert gap["value"] == pytest.approx(10 / 6)
    assert gap["lower_ci"] == pytest.approx(1.158060, abs=1e-6)
    assert gap["upper_ci"] == pytest.approx(2.294051, abs=1e-6)
    assert bool(gap["excludes_null"]) is True


def test_gap_including_zero_is_flagged() -> None:
    gap = rate_difference(result(10.0, 7.0, 13.5), result(9.0, 6.0, 12.0)).iloc[0]
    assert gap["lower_ci"] < 0 < gap["upper_ci"]
    assert bool(gap["excludes_null"]) is False
    assert bool(rate_ratio(result(10.0, 7.0, 13.5), result(9.0, 6.0, 12.0))["excludes_null"].iloc[0]) is False


def test_symmetric_intervals_give_the_wald_interval() -> None:
    z = z_value(0.95)
    a, b = result(50.0, 50 - z * 4, 50 + z * 4), result(30.0, 30 - z * 3, 30 + z * 3)
    gap = rate_difference(a, b).iloc[0]
    assert gap["lower_ci"] == pytest.approx(20 - z * 5)
    assert gap["upper_ci"] == pytest.approx(20 + z * 5)


def test_gaps_between_crude_rates_match_on_by_and_level() -> None:
    data = pd.DataFrame({"group": ["deprived", "rest"] * 2, "year": [2004, 2004, 2005, 2005],
                         "deaths": [480, 3100, 470, 3000], "pop": [200_000, 1_800_000, 201_000, 1_810_000]})
    rates = crude_rate(data, "deaths", "pop", by=["group", "year"], confidence=(0.95, 0.998))
    deprived = rates[rates["group"] == "deprived"].drop(columns="group")
    rest = rates[rates["group"] == "rest"].drop(columns="group")
    gaps = rate_difference(deprived, rest, by="year")
    assert len(gaps) == 4 and list(gaps.columns[:2]) == ["year", "value"]
    for _, gap in gaps.iterrows():
        a = deprived[(deprived["year"] == gap["year"]) & (deprived["confidence"] == gap["confidence"])].iloc[0]
        b = rest[(rest["year"] == gap["year"]) & (rest["confidence"] == gap["confidence"])].iloc[0]
        assert gap["value"] == pytest.approx(a["value"] - b["value"])
        assert gap["lower_ci"] == pytest.approx(
            a["value"] - b["value"] - math.hypot(a["value"] - a["lower_ci"], b["upper_ci"] - b["value"]))
    ratios = rate_ratio(deprived, rest, by="year")
    assert (ratios["lower_ci"] < ratios["value"]).all() and (ratios["value"] < ratios["upper_ci"]).all()


def test_suppressed_input_carries_its_note() -> None:
    bands = pd.DataFrame({"area": ["big"] * 2 + ["tiny"] * 2, "band": ["0-49", "50+"] * 2,
                          "deaths": [40, 300, 1, 3], "pop": [5000, 3000, 5000, 3000], "w": [60_000, 40_000] * 2})
    rates = dsr(bands, "deaths", "pop", "w", by="area", age_band="band")
    gap = rate_difference(rates[rates["area"] == "tiny"].drop(columns="area"),
                          rates[rates["area"] == "big"].drop(columns="area")).iloc[0]
    assert np.isnan(gap["value"]) and pd.isna(gap["excludes_null"])
    assert gap["note"] == "a: total count < 10: DSR not published"


def test_ratio_with_a_zero_value_is_undefined() -> None:
    gap = rate_ratio(result(0.0, 0.0, 3.7), B).iloc[0]
    assert np.isnan(gap["value"]) and np.isnan(gap["lower_ci"])
    assert gap["note"] == "a value is 0: ratio interval undefined on the log scale"


def test_life_expectancy_gap_by_age() -> None:
    ages = [0, 1, *range(5, 95, 5)]
    rates = np.array([0.004, 0.0002, 0.0001, 0.0001, 0.0003, 0.0004, 0.0005, 0.0006, 0.0008, 0.0012, 0.002,
                      0.003, 0.005, 0.008, 0.013, 0.021, 0.035, 0.06, 0.1, 0.2])
    pops = np.full(20, 40_000)
    frames = [pd.DataFrame({"area": area, "age": ages, "pop": pops, "deaths": np.round(rates * pops * factor)})
              for area, factor in (("deprived", 1.3), ("rest", 1.0))]
    le = life_expectancy(pd.concat(frames), "deaths", "pop", "age", by="area")
    gap = rate_difference(le[le["area"] == "rest"].drop(columns="area"),
                          le[le["area"] == "deprived"].drop(columns="area"), by="age")
    assert len(gap) == 20 and gap["age"].tolist() == ages
    at_birth = gap.iloc[0]
    assert at_birth["value"] > 0 and bool(at_birth["excludes_null"]) is True
