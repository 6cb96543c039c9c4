"""Property tests (hypothesis) for healthgap.methods intervals."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from healthgap.methods import (
    LIFE_TABLE_AGES,
    crude_rate,
    dsr,
    life_expectancy,
    proportion,
    rate_difference,
    rate_ratio,
)

# make test draws 40 examples of each property; the edit loop (make test-fast, HEALTHGAP_TEST_FAST=1) 12
settings.register_profile("methods", deadline=None, max_examples=12 if os.environ.get("HEALTHGAP_TEST_FAST") else 40)
settings.load_profile("methods")

counts = st.integers(min_value=0, max_value=1_000_000)
populations = st.integers(min_value=1, max_value=100_000_000)
levels = st.floats(min_value=0.5, max_value=0.9999)
scales = st.integers(min_value=2, max_value=50)


def one_group(x: float, n: float) -> pd.DataFrame:
    return pd.DataFrame({"x": [x], "n": [n]})


def interval(frame: pd.DataFrame) -> tuple[float, float, float]:
    row = frame.iloc[0]
    return row["lower_ci"], row["value"], row["upper_ci"]


def slack(value: float) -> float:
    """Floating-point allowance: 1e-12 relative."""
    return 1e-12 * max(1.0, abs(value))


def contains(lower: float, value: float, upper: float) -> bool:
    return lower <= value + slack(value) and value <= upper + slack(value)


def widens(narrow: pd.DataFrame, wide: pd.DataFrame) -> bool:
    (ln, value, un), (lw, _, uw) = interval(narrow), interval(wide)
    return lw <= ln + slack(value) and uw >= un - slack(value)


# --- the interval contains the estimate ------------------------------------------------


@given(x=counts, n=populations, level=levels)
def test_rate_interval_contains_estimate(x: int, n: int, level: float) -> None:
    assert contains(*interval(crude_rate(one_group(x, n), "x", "n", confidence=level)))


@given(data=st.data(), level=levels)
def test_proportion_interval_contains_estimate_within_0_1(data: st.DataObject, level: float) -> None:
    n = data.draw(st.integers(min_value=1, max_value=10_000_000))
    x = data.draw(st.integers(min_value=0, max_value=n))
    lower, value, upper = interval(proportion(one_group(x, n), "x", "n", confidence=level))
    assert contains(lower, value, upper) and 0 <= lower and upper <= 1


@st.composite
def banded_counts(draw: st.DrawFn) -> pd.DataFrame:
    k = draw(st.integers(min_value=1, max_value=8))
    pops = draw(st.lists(st.integers(min_value=1, max_value=1_000_000), min_size=k, max_size=k))
    deaths = [draw(st.integers(min_value=0, max_value=p)) for p in pops]
    weights = draw(st.lists(st.integers(min_value=1, max_value=10_000), min_size=k, max_size=k))
    return pd.DataFrame({"band": range(k), "x": deaths, "n": pops, "w": weights})


@given(bands=banded_counts(), level=levels)
def test_dsr_interval_contains_estimate(bands: pd.DataFrame, level: float) -> None:
    assume(bands["x"].sum() >= 10)
    assert contains(*interval(dsr(bands, "x", "n", "w", age_band="band", confidence=level)))


@st.composite
def life_tables(draw: st.DrawFn) -> pd.DataFrame:
    pops = np.array(draw(st.lists(st.integers(min_value=300, max_value=50_000), min_size=20, max_size=20)))
    rates = np.array(draw(st.lists(st.floats(min_value=0, max_value=0.3), min_size=20, max_size=20)))
    deaths = np.round(rates * pops)
    deaths[-1] = max(deaths[-1], 1)
    return pd.DataFrame({"age": LIFE_TABLE_AGES, "deaths": deaths, "pop": pops})


@given(table=life_tables())
def test_life_expectancy_interval_contains_estimate(table: pd.DataFrame) -> None:
    result = life_expectancy(table, "deaths", "pop", "age")
    shown = result.dropna(subset=["value"])
    assert ((shown["lower_ci"] <= shown["value"]) & (shown["value"] <= shown["upper_ci"])).all()


# --- intervals widen as the confidence level rises -------------------------------------


@given(x=counts, n=populations, a=levels, b=levels)
def test_rate_interval_widens_with_confidence(x: int, n: int, a: float, b: float) -> None:
    low, high = sorted((a, b))
    data = one_group(x, n)
    assert widens(crude_rate(data, "x", "n", confidence=low), crude_rate(data, "x", "n", confidence=high))


@given(data=st.data(), a=levels, b=levels)
def test_proportion_interval_widens_with_confidence(data: st.DataObject, a: float, b: float) -> None:
    n = data.draw(st.integers(min_value=1, max_value=10_000_000))
    frame = one_group(data.draw(st.integers(min_value=0, max_value=n)), n)
    low, high = sorted((a, b))
    assert widens(proportion(frame, "x", "n", confidence=low), proportion(frame, "x", "n", confidence=high))


@given(bands=banded_counts(), a=levels, b=levels)
def test_dsr_interval_widens_with_confidence(bands: pd.DataFrame, a: float, b: float) -> None:
    assume(bands["x"].sum() >= 10)
    low, high = sorted((a, b))
    assert widens(dsr(bands, "x", "n", "w", confidence=low), dsr(bands, "x", "n", "w", confidence=high))


@given(table=life_tables(), a=levels, b=levels)
def test_life_expectancy_interval_widens_with_confidence(table: pd.DataFrame, a: float, b: float) -> None:
    low, high = sorted((a, b))
    result = life_expectancy(table, "deaths", "pop", "age", confidence=(low, high))
    narrow, wide = result[result["confidence"] == low], result[result["confidence"] == high]
    if low < high:
        assert (wide["lower_ci"].to_numpy() <= narrow["lower_ci"].to_numpy()).all()
        assert (wide["upper_ci"].to_numpy() >= narrow["upper_ci"].to_numpy()).all()


# --- intervals narrow as counts grow (same rate, k times the events and population) ----


def width(frame: pd.DataFrame) -> float:
    lower, _, upper = interval(frame)
    return upper - lower


@given(x=st.integers(min_value=0, max_value=100_000), n=st.integers(min_value=1, max_value=1_000_000), k=scales)
def test_rate_interval_narrows_as_counts_grow(x: int, n: int, k: int) -> None:
    assert width(crude_rate(one_group(k * x, k * n), "x", "n")) < width(crude_rate(one_group(x, n), "x", "n"))


@given(data=st.data(), k=scales)
def test_proportion_interval_narrows_as_counts_grow(data: st.DataObject, k: int) -> None:
    n = data.draw(st.integers(min_value=1, max_value=1_000_000))
    x = data.draw(st.integers(min_value=0, max_value=n))
    assert width(proportion(one_group(k * x, k * n), "x", "n")) < width(proportion(one_group(x, n), "x", "n"))


@given(bands=banded_counts(), k=scales)
def test_dsr_interval_narrows_as_counts_grow(bands: pd.DataFrame, k: int) -> None:
    assume(bands["x"].sum() >= 10)
    bigger = bands.assign(x=bands["x"] * k, n=bands["n"] * k)
    assert width(dsr(bigger, "x", "n", "w")) < width(dsr(bands, "x", "n", "w"))


@given(table=life_tables(), k=scales)
def test_life_expectancy_interval_narrows_as_counts_grow(table: pd.DataFrame, k: int) -> None:
    base = life_expectancy(table, "deaths", "pop", "age")
    bigger = life_expectancy(table.assign(deaths=table["deaths"] * k, pop=table["pop"] * k), "deaths", "pop", "age")
    finite = base["upper_ci"].notna().to_numpy() & (base["upper_ci"] > base["lower_ci"]).to_numpy()
    narrow = (bigger["upper_ci"] - bigger["lower_ci"]).to_numpy()[finite]
    wide = (base["upper_ci"] - base["lower_ci"]).to_numpy()[finite]
    assert (narrow < wide).all()


# --- a DSR with a single age band is the crude rate ------------------------------------


@given(x=counts, n=populations, w=st.integers(min_value=1, max_value=100_000), level=levels)
def test_single_band_dsr_equals_crude_rate(x: int, n: int, w: int, level: float) -> None:
    band = pd.DataFrame({"x": [x], "n": [n], "w": [w]})
    standardised = dsr(band, "x", "n", "w", confidence=level).iloc[0]
    crude = crude_rate(band, "x", "n", confidence=level).iloc[0]
    if x >= 10:  # both use Byar's limits for the count from 10 events
        np.testing.assert_allclose(standardised[["value", "lower_ci", "upper_ci"]].to_numpy(float),
                                   crude[["value", "lower_ci", "upper_ci"]].to_numpy(float), rtol=1e-9)
    else:
        assert np.isnan(standardised["value"]) and standardised["note"] == "total count < 10: DSR not published"
        assert crude["value"] == x / n * 100_000


# --- gaps --------------------------------------------------------------------------------


@given(x1=st.integers(min_value=1, max_value=100_000), x2=st.integers(min_value=1, max_value=100_000),
       n1=populations, n2=populations, level=levels)
def test_gap_intervals_contain_the_gap(x1: int, x2: int, n1: int, n2: int, level: float) -> None:
    a = crude_rate(one_group(x1, n1), "x", "n", confidence=level)
    b = crude_rate(one_group(x2, n2), "x", "n", confidence=level)
    assert contains(*interval(rate_difference(a, b)))
    assert contains(*interval(rate_ratio(a, b)))
