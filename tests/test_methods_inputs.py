"""Bad input to healthgap.methods: one-line MethodInputError naming column, group and band."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from healthgap.methods import (
    LIFE_TABLE_AGES,
    MethodInputError,
    crude_rate,
    dsr,
    life_expectancy,
    proportion,
    rate_difference,
    standard_population,
)


def raises(call: Callable[[], object], message: str) -> None:
    """The call raises MethodInputError (a ValueError) with exactly this one-line message."""
    with pytest.raises(MethodInputError, match=f"^{re.escape(message)}$") as raised:
        call()
    assert isinstance(raised.value, ValueError)
    assert "\n" not in str(raised.value)


COUNTS = pd.DataFrame({"area": ["A", "A", "B", "B"], "year": [2004, 2005, 2004, 2005],
                       "deaths": [3, 5, 7, 2], "pop": [1000, 1100, 900, 950]})


def with_value(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = frame[column].astype(float)
    frame.loc[row, column] = value
    return frame


# --------------------------------------------------------------------------------------
# crude_rate and proportion
# --------------------------------------------------------------------------------------


def test_negative_count() -> None:
    data = with_value(COUNTS, 2, "deaths", -1)
    raises(lambda: crude_rate(data, "deaths", "pop", by="area"),
           "crude_rate: column 'deaths' must not be negative (found -1.0) in group area='B'")


def test_zero_denominator() -> None:
    data = with_value(COUNTS, 3, "pop", 0)
    raises(lambda: crude_rate(data, "deaths", "pop", by=["area", "year"]),
           "crude_rate: column 'pop' must be greater than 0 (found 0.0) in group area='B', year=2005")


@pytest.mark.parametrize("column", ["deaths", "pop"])
def test_missing_count_or_denominator_raises_by_default(column: str) -> None:
    data = with_value(COUNTS, 1, column, np.nan)
    raises(lambda: crude_rate(data, "deaths", "pop", by="area"),
           f"crude_rate: column '{column}' must not be missing (found nan) in group area='A'")
    raises(lambda: proportion(data, "deaths", "pop", by="area"),
           f"proportion: column '{column}' must not be missing (found nan) in group area='A'")


def test_missing_denominator_suppressed_on_request() -> None:
    data = with_value(COUNTS, 1, "pop", np.nan)
    result = crude_rate(data, "deaths", "pop", by="area", on_missing="suppress")
    assert result["note"].tolist() == ["denominator missing", ""]
    assert np.isnan(result["value"].iloc[0]) and result["value"].iloc[1] > 0


def test_count_above_denominator_for_a_proportion() -> None:
    data = with_value(COUNTS, 2, "deaths", 901)
    raises(lambda: proportion(data, "deaths", "pop", by="area"),
           "proportion: column 'deaths' must not exceed 'pop' (found 901.0) in group area='B'")


def test_count_above_population_is_allowed_for_a_rate() -> None:
    data = with_value(COUNTS, 2, "deaths", 901)
    assert crude_rate(data, "deaths", "pop", by="area")["value"].iloc[1] > 0


def test_unknown_column_and_non_numeric_column() -> None:
    raises(lambda: crude_rate(COUNTS, "events", "pop"), "crude_rate: column 'events' is not in data")
    raises(lambda: proportion(COUNTS, "area", "pop"), "proportion: column 'area' is not numeric")


@pytest.mark.parametrize("confidence", [95, 0, 1.0, (0.95, 99.8), ()])
def test_confidence_must_be_levels_between_0_and_1(confidence: object) -> None:
    with pytest.raises(MethodInputError, match="^confidence: "):
        crude_rate(COUNTS, "deaths", "pop", confidence=confidence)


def test_on_missing_value_is_checked() -> None:
    raises(lambda: crude_rate(COUNTS, "deaths", "pop", on_missing="ignore"),
           "crude_rate: on_missing must be 'raise' or 'suppress', not 'ignore'")


# --------------------------------------------------------------------------------------
# dsr: age bands against the standard population
# --------------------------------------------------------------------------------------

ESP = standard_population("ESP2013")


def banded(areas: tuple[str, ...] = ("A", "B")) -> pd.DataFrame:
    rows = [{"area": area, "band": band, "deaths": 10 + i, "pop": 1000 + 10 * i, "esp": weight}
            for area in areas for i, (band, weight) in enumerate(zip(ESP["age_band"], ESP["weight"]))]
    return pd.DataFrame(rows)


def test_dsr_negative_count_names_group_and_band() -> None:
    data = with_value(banded(), 20, "deaths", -2)
    raises(lambda: dsr(data, "deaths", "pop", ESP, by="area", age_band="band"),
           "dsr: column 'deaths' must not be negative (found -2.0) in group area='B', age band '5-9'")


@pytest.mark.parametrize("value, problem", [(0, "must be greater than 0 (found 0.0)"),
                                            (np.nan, "must not be missing (found nan)")])
def test_dsr_zero_or_missing_population(value: float, problem: str) -> None:
    data = with_value(banded(), 4, "pop", value)
    raises(lambda: dsr(data, "deaths", "pop", "esp", by="area", age_band="band"),
           f"dsr: column 'pop' {problem} in group area='A', age band '20-24'")


def test_dsr_band_not_in_standard_population() -> None:
    data = banded().replace({"band": {"90+": "90-94"}})
    raises(lambda: dsr(data, "deaths", "pop", ESP, by="area", age_band="band"),
           "dsr: column 'band' must hold only the standard population's bands "
           f"({', '.join(ESP['age_band'])}) (found '90-94') in group area='A', age band '90-94'")


def test_dsr_group_lacking_a_standard_band() -> None:
    data = banded().drop(index=19)
    raises(lambda: dsr(data, "deaths", "pop", ESP, by="area", age_band="band"),
           "dsr: column 'band' lacks the standard population's age band '0-4' in group area='B'")


def test_dsr_group_lacking_a_band_other_groups_have() -> None:
    data = banded().drop(index=18)
    raises(lambda: dsr(data, "deaths", "pop", "esp", by="area", age_band="band"),
           "dsr: column 'band' lacks age band '90+' (present in other groups) in group area='A'")


def test_dsr_duplicate_age_band_within_a_group() -> None:
    data = pd.concat([banded(), banded(("B",)).iloc[[3]]], ignore_index=True)
    raises(lambda: dsr(data, "deaths", "pop", "esp", by="area", age_band="band"),
           "dsr: column 'band' must not repeat an age band within a group (found '15-19') "
           "in group area='B', age band '15-19'")


def test_dsr_weights_that_differ_between_groups() -> None:
    data = with_value(banded(), 24, "esp", 123)
    raises(lambda: dsr(data, "deaths", "pop", "esp", by="area", age_band="band"),
           "dsr: column 'esp' must be the same for an age band in every group (found 123.0) "
           "in group area='B', age band '25-29'")


def test_dsr_standard_must_be_a_column_or_table() -> None:
    raises(lambda: dsr(banded(), "deaths", "pop", "ESP2013", by="area"),
           "dsr: standard 'ESP2013' is neither a column of data nor a table from standard_population()")
    raises(lambda: dsr(banded(), "deaths", "pop", ESP, by="area"),
           "dsr: give age_band= to match the data to the standard population")


# --------------------------------------------------------------------------------------
# life_expectancy: bands
# --------------------------------------------------------------------------------------


def life_table_input() -> pd.DataFrame:
    return pd.DataFrame({"area": "A", "age": list(LIFE_TABLE_AGES),
                         "deaths": [20, 5, 3, 3, 8, 10, 12, 15, 20, 30, 50, 80, 120, 180, 260,
                                    400, 550, 700, 750, 900],
                         "pop": [5000, 20000, 25000, 25000, 24000, 23000, 24000, 25000, 25000,
                                 24000, 23000, 22000, 20000, 18000, 15000, 12000, 9000, 6000,
                                 3500, 1800]})


def test_life_expectancy_duplicate_band() -> None:
    data = pd.concat([life_table_input(), life_table_input().iloc[[5]]], ignore_index=True)
    raises(lambda: life_expectancy(data, "deaths", "pop", "age", by="area"),
           "life_expectancy: column 'age' must not repeat an age band within a group (found 20) "
           "in group area='A', age band 20")


def test_life_expectancy_band_outside_the_life_table() -> None:
    data = life_table_input().replace({"age": {90: 95}})
    raises(lambda: life_expectancy(data, "deaths", "pop", "age", by="area"),
           "life_expectancy: column 'age' must hold only the life-table bands 0, 1-4, 5-9, ..., 85-89, 90+ "
           "(found 95) in group area='A', age band 95")


def test_life_expectancy_label_without_a_start_age() -> None:
    data = life_table_input().astype({"age": str}).replace({"age": {"0": "infants"}})
    raises(lambda: life_expectancy(data, "deaths", "pop", "age", by="area"),
           "life_expectancy: column 'age' must hold age bands with a start age (found 'infants') in group area='A'")


def test_life_expectancy_missing_deaths() -> None:
    data = with_value(life_table_input(), 3, "deaths", np.nan)
    raises(lambda: life_expectancy(data, "deaths", "pop", "age", by="area"),
           "life_expectancy: column 'deaths' must not be missing (found nan) in group area='A', age band 10")


def test_life_expectancy_no_deaths_in_open_band_is_suppressed() -> None:
    data = life_table_input().assign(deaths=lambda f: f["deaths"].where(f["age"] != 90, 0))
    result = life_expectancy(data, "deaths", "pop", "age", by="area")
    assert result["value"].isna().all()
    assert set(result["note"]) == {"no deaths in the open age band 90+: life expectancy not calculated"}


# --------------------------------------------------------------------------------------
# standard_population and the gaps
# --------------------------------------------------------------------------------------


def test_standard_population_unknown_name_and_bad_cut() -> None:
    raises(lambda: standard_population("ESP2020"),
           "standard_population: 'ESP2020' is not one of ESP2013, ESP2013_21, ESP1976")
    raises(lambda: standard_population("ESP2013", max_age=72),
           "standard_population: max_age 72 is not a band boundary of ESP2013")


def test_gap_between_results_on_different_scales() -> None:
    per_100k = crude_rate(COUNTS, "deaths", "pop", by="area")
    per_100 = crude_rate(COUNTS, "deaths", "pop", by="area", multiplier=100)
    raises(lambda: rate_difference(per_100k, per_100, by="area"),
           "rate_difference: column 'statistic' differs between a and b ('rate per 100,000' vs 'rate per 100') "
           "in group area='A', confidence=0.95")


def test_gap_needs_one_row_per_group_and_level() -> None:
    by_area = crude_rate(COUNTS, "deaths", "pop", by="area")
    raises(lambda: rate_difference(by_area, by_area),
           "rate_difference: a has more than one row for confidence=0.95: add its grouping columns to by")
