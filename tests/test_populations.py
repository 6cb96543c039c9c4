"""ONS mid-year estimates (MYEB3) on the boundaries of the indicator series, and the year that weights a period."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from healthgap.read import areas as hareas
from healthgap.read import layouts
from healthgap.read import populations as pp
from healthgap.read.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "examples" / "most-deprived-fifth" / "raw"
MYEB3 = RAW / "ons_myeb3_components_of_change_2001_2019_lad2020.csv"
CVD = RAW / "preventable-cardiovascular-mortality-england.csv"
IMD = RAW / "indices_of_deprivation_2025_lad.csv"
MYE2_2014 = ROOT / "data" / "examples" / "most-deprived-fifth-2014" / "raw" / "ons_mye2_mid2014_persons_single_year_age_by_LA.csv"
EXPORT = Path(__file__).resolve().parent / "fixtures" / "series" / "fingertips_export_campylobacter_2015_county_ua.csv"


@pytest.fixture(scope="module")
def as_published():
    return pp.read_myeb3(MYEB3, boundaries="2020")


@pytest.fixture(scope="module")
def lower():
    return pp.read_myeb3(MYEB3)


def test_as_published(as_published):
    assert list(as_published.columns) == pp.COLUMNS
    assert as_published["area_code"].nunique() == 314 and sorted(as_published["year"].unique()) == list(range(2001, 2020))
    # England's mid-2019 population as ONS published it: 56,286,961
    assert as_published.loc[as_published["year"] == 2019, "population"].sum() == 56_286_961
    hartlepool = as_published[(as_published["area_code"] == "E06000001") & (as_published["year"] == 2001)].iloc[0]
    assert (hartlepool["area_name"], hartlepool["population"], hartlepool["lines"]) == ("Hartlepool", 90_152, "2")  # line 2 of the file


def test_2023_boundaries_sum_the_districts(as_published, lower):
    by = as_published.set_index(["area_code", "year"])["population"]
    new = lower.set_index(["area_code", "year"])
    # Cumberland in 2019: Allerdale + Carlisle + Copeland
    assert new.loc[("E06000063", 2019), "population"] == by["E07000026", 2019] + by["E07000028", 2019] + by["E07000029", 2019]
    assert new.loc[("E06000063", 2019), "parts"] == "E07000026;E07000028;E07000029"
    assert new.loc[("E06000066", 2001), "population"] == sum(by[c, 2001] for c in ("E07000187", "E07000188", "E07000246",
                                                                                      "E07000189"))
    for code, (_, _, parts) in pp.UNITARIES.items():
        assert not lower["area_code"].isin(parts).any()
        assert (new.loc[code, "population"] == sum(by[p] for p in parts)).all()
    # nothing lost: England's total is the same every year
    assert (lower.groupby("year")["population"].sum() == as_published.groupby("year")["population"].sum()).all()
    assert lower["area_code"].nunique() == 314 - 24 + 6


def test_codes_and_names_as_the_indices_of_deprivation_2025_give_them(lower):
    imd = hareas.read_imd(IMD).set_index("area_code")["area_name"]
    names = lower.drop_duplicates("area_code").set_index("area_code")["area_name"]
    for code, (name, _, _) in pp.UNITARIES.items():
        assert imd[code] == name == names[code]
    assert set(imd.index) == set(names.index)  # the 296 districts of 2024, every one


def test_every_area_of_the_cardiovascular_series_has_a_population(lower):
    series = layouts.read_ons_els(CVD)
    areas = series.drop_duplicates("area_code")
    tier = areas[hareas.in_tier(areas["area_code"], "lower")]
    assert len(tier) == 292
    assert set(tier["area_code"]) <= set(lower["area_code"])
    # the combined areas of the series (not in the tier) have theirs when asked for
    combined = pp.read_myeb3(MYEB3, combined=True)
    e67 = combined[(combined["area_code"] == "E67000001") & (combined["year"] == 2019)].iloc[0]
    by = lower.set_index(["area_code", "year"])["population"]
    assert e67["population"] == by["E09000001", 2019] + by["E09000012", 2019]
    assert set(areas["area_code"]) - set(combined["area_code"]) == {"E92000001", *areas.loc[
        areas["area_code"].str.startswith(("E10", "E12")), "area_code"]}


def _mye2_counties() -> dict[str, set[str]]:
    """The counties of ONS MYE2 mid-2014 and their districts, from the order of its rows (a county, then its
    districts), read here with the csv module, independently of the library."""
    found: dict[str, set[str]] = {}
    county = None
    with open(MYE2_2014, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            code = row[0].strip() if row else ""
            if code.startswith("E10"):
                county = code
                found[county] = set()
            elif code.startswith("E07") and county:
                found[county].add(code)
            elif code[:3] in ("E06", "E08", "E09", "E11", "E12"):
                county = None if code[:3] in ("E11", "E12") else county
    return found


def test_counties_as_ons_lists_their_districts():
    mye2 = _mye2_counties()
    for code, (_, districts) in pp.COUNTIES.items():
        expected = mye2[code]
        if code == "E10000029":  # Suffolk's districts of 2019
            expected = expected - {"E07000201", "E07000204", "E07000205", "E07000206"} | {"E07000244", "E07000245"}
        assert set(districts) == expected, code
    # the six counties of 2014 that are unitary authorities now are not counties of 2023
    assert set(mye2) - set(pp.COUNTIES) == {"E10000002", "E10000006", "E10000009", "E10000021", "E10000023", "E10000027"}


def test_upper_tier(lower):
    upper = pp.upper_tier(lower)
    utla = pd.read_csv(ROOT / "data" / "examples" / "healthy-life-expectancy" / "raw" / "indices_of_deprivation_2025_utla.csv", dtype=str)
    assert set(upper["area_code"]) == set(utla.iloc[:, 0])  # the 153 upper-tier authorities of 2024
    assert (upper.groupby("year")["population"].sum() == lower.groupby("year")["population"].sum()).all()
    # against Fingertips' own 2015 denominators (another vintage of the same estimates): every county within 1 %
    export = layouts.read_fingertips_export(EXPORT)
    fingertips = export[(export["area_type"] == "County & UA") & (export["age"] == "All ages")
                        & (export["period"] == "2015")].set_index("area_code")["denominator"]
    ours = upper[upper["year"] == 2015].set_index("area_code")["population"]
    for code in pp.COUNTIES:
        assert ours[code] == pytest.approx(fingertips[code], rel=0.01), code
    with pytest.raises(DataError, match="belong to no county of April 2023"):
        pp.upper_tier(pp.read_myeb3(MYEB3, boundaries="2020"))


@pytest.mark.parametrize("period, year, note", [
    ("2001-03", 2002, ""),
    ("2015", 2015, ""),
    ("2019/20", 2019, ""),
    ("2017-19", 2018, ""),
    ("2018-20", 2019, ""),
    ("2019-21", 2019, "populations for 2019, the latest in the data, weight 2019-21"),
    ("2022-24", 2019, "populations for 2019, the latest in the data, weight 2022-24"),
    ("1999-01", 2001, "populations for 2001, the earliest in the data, weight 1999-01"),
    ("2022-01-01/P3Y", 2019, "populations for 2019, the latest in the data, weight 2022-24"),
])
def test_the_year_that_weights_a_period(lower, period, year, note):
    weights, used, said = pp.population_for_period(lower, period)
    assert (used, said) == (year, note)
    assert weights["E06000063"] == lower[(lower["area_code"] == "E06000063") & (lower["year"] == year)]["population"].iloc[0]
    assert len(weights) == 296


def test_several_periods_one_note(lower):
    frame, note = pp.populations_for_periods(lower, ["2017-19", "2018-20", "2019-21", "2020-22", "2021-23", "2022-24"])
    assert note == "populations for 2019, the latest in the data, weight 2019-21 to 2022-24"
    assert list(frame.columns) == ["area_code", "period", "start", "end", "population", "year"]
    assert frame.groupby("period")["year"].first().to_dict() == {"2017-19": 2018, "2018-20": 2019, "2019-21": 2019,
                                                                 "2020-22": 2019, "2021-23": 2019, "2022-24": 2019}
    _, none = pp.populations_for_periods(lower, ["2001-03", "2002-04"])
    assert none == ""


def test_bad_input(tmp_path, lower):
    header = MYEB3.read_text(encoding="utf-8").splitlines()[0]
    good = MYEB3.read_text(encoding="utf-8").splitlines()[1]
    cells = good.split(",")
    cells[3] = "n/a"
    bad = tmp_path / "myeb3.csv"
    bad.write_text(header + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^myeb3.csv, line 2, column 'population_2001': expected a positive whole number, "
                                        r"got 'n/a'$"):
        pp.read_myeb3(bad)
    bad.write_text(header + "\n" + good + "\n", encoding="utf-8")  # Hartlepool alone: no districts to merge
    with pytest.raises(DataError, match=r"^myeb3.csv: expected E07000150, E07000152, E07000153, E07000156 among the "
                                        r"areas, to sum into North Northamptonshire \(E06000061\)$"):
        pp.read_myeb3(bad)
    bad.write_text(header.replace("laname20", "name") + "\n" + good + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"^myeb3.csv, line 1: missing column 'laname20'"):
        pp.read_myeb3(bad)
    with pytest.raises(ValueError, match="expected a period such as"):
        pp.population_for_period(lower, "2022-2")
    with pytest.raises(ValueError, match=r"expected '2020' \(as published\), '2023' or '2024'"):
        pp.read_myeb3(MYEB3, boundaries="2019")


def test_2024_codes_of_barnsley_and_sheffield(lower):
    recoded = pp.read_myeb3(MYEB3, boundaries="2024")
    assert {"E08000038", "E08000039"} <= set(recoded["area_code"])
    assert not recoded["area_code"].isin(["E08000016", "E08000019"]).any()
    before = lower.set_index(["area_code", "year"])["population"]
    after = recoded.set_index(["area_code", "year"])["population"]
    assert after["E08000038", 2019] == before["E08000016", 2019] and after["E08000039", 2019] == before["E08000019", 2019]
    # ONS's healthy life expectancy series is on these codes
    hle = pd.read_csv(Path(__file__).resolve().parent / "fixtures" / "series" / "healthy-life-expectancy.csv",
                      encoding="utf-8-sig", usecols=["areacd"])
    assert {"E08000038", "E08000039"} <= set(hle["areacd"]) and not hle["areacd"].isin(["E08000016", "E08000019"]).any()


def test_areas_without_a_population_are_found_by_check_not_by_a_failed_build(tmp_path):
    """The example's areas are on 2023 boundaries (Cumberland, North Yorkshire, Somerset...); ONS's estimates
    left on their 2020 boundaries hold none for them, which the weighted mean needs: `check` says so in one
    line naming the file, the first area and the option that converts the estimates."""
    import shutil

    import healthgap as hg
    from healthgap.read.errors import DataError

    data = tmp_path / "example"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data" / "examples" / "most-deprived-fifth", data)
    config = data / "briefing.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('options = { boundaries = "2023" }',
                                                                 'options = { boundaries = "2020" }'), encoding="utf-8")
    with pytest.raises(DataError, match=r"^briefing\.toml, \[files\.populations\]: ons_myeb3_components_of_change_2001_"
                                        r"2019_lad2020\.csv holds no population for \w[\w ]+ \(E0\d{7}\), nor for \d+ "
                                        r"other areas, which the weighted mean of the group and the slope index need; "
                                        r'for areas on the 2023 boundaries set options = \{ boundaries = "2023" \}$'):
        hg.load(data)
