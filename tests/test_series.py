"""Readers of the publishers' layouts into the one tidy shape, against the files as published."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from healthgap.read import layouts as series
from healthgap.read.tables import DataError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "series"
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth" / "raw"
EXPORT = FIXTURES / "fingertips_export_campylobacter_2015_county_ua.csv"
NEXT = FIXTURES / "fingertips_sample_u75_mortality_2023_hartlepool_middlesbrough.csv"
ELS = EXAMPLE / "preventable-cardiovascular-mortality-england.csv"


@pytest.mark.parametrize("text, expected", [
    ("2013 - 15", ("2013-15", 2013, 2015)),       # Fingertips
    ("2001-01-01/P3Y", ("2001-03", 2001, 2003)),  # ONS Explore Local Statistics (ISO 8601)
    ("2015-01-01/P1Y", ("2015", 2015, 2015)),
    ("2019/20", ("2019/20", 2019, 2020)),         # a financial year
    ("1999 - 01", ("1999-01", 1999, 2001)),       # across a century
    ("2015", ("2015", 2015, 2015)),
    ("2001-03", ("2001-03", 2001, 2003)),
])
def test_periods_as_publishers_write_them(text, expected):
    assert series.normalise_period(text) == expected


@pytest.mark.parametrize("text", ["1995-7", "97-99", "2004/06", "2006-04", "2001-02-01/P3Y", "2001-01-01/P0Y", "two"])
def test_periods_that_do_not_parse(text):
    with pytest.raises(ValueError):
        series.normalise_period(text)


def test_fingertips_export_as_downloaded():
    frame = series.read_fingertips_export(EXPORT)
    assert len(frame) == 852 and list(frame.columns) == series.COLUMNS
    england = frame[(frame["area_code"] == "E92000001") & (frame["category_type"] == "")].iloc[0]
    # the first data row: 51,897 cases in 54,786,327 people, 94.7 per 100,000 (93.9 to 95.5)
    assert england["value"] == pytest.approx(94.7261896202678)
    assert (england["lower"], england["upper"]) == pytest.approx((93.9129396546008, 95.5447303303505))
    assert (england["count"], england["denominator"], england["ci_level"]) == (51897, 54786327, 0.95)
    # the indicator name is a quoted field with a newline inside: read whole, and lines counted across it
    assert england["indicator"] == "Campylobacter incidence rate/100,000"
    assert frame["line"].iloc[:3].tolist() == [2, 4, 6]
    assert england["row_id"] == "fingertips_export_campylobacter_2015_county_ua.csv:2"
    # Fingertips' own deprivation-decile aggregates are kept, with their category and no limits
    deciles = frame[(frame["category_type"] == "County & UA deprivation deciles in England (IMD2015)")
                    & (frame["period"] == england["period"])]
    assert len(deciles) == 10 and deciles["lower"].isna().all()
    assert deciles.iloc[0]["category"] == "Most deprived decile (IMD2015)" and deciles.iloc[0]["count"] == 3541


def test_fingertips_next_sample():
    frame = series.read_fingertips_next(NEXT, {"108": "Under 75 mortality rate from all causes"})
    hartlepool = frame[(frame["indicator_id"] == "108") & (frame["area_code"] == "E06000001")].set_index("sex")
    # 401 deaths under 75 in 86,650 people: 448.3 per 100,000 (405.2 to 494.7), Dobson limits as published
    assert hartlepool.loc["persons", "value"] == pytest.approx(448.27148)
    assert hartlepool.loc["persons", ["count", "denominator"]].tolist() == [401, 86650]
    assert hartlepool.loc["male", "count"] + hartlepool.loc["female", "count"] == 401
    assert set(frame["age"]) >= {"<75 yrs", "All ages"}
    assert hartlepool.loc["persons", "indicator"] == "Under 75 mortality rate from all causes"


def test_ons_explore_local_statistics():
    frame = series.read_ons_els(ELS)
    assert len(frame) == 7150 and frame["period"].nunique() == 22
    england = frame[frame["area_code"] == "E92000001"].set_index("period")
    # England's preventable cardiovascular mortality: 60.8 (60.3 to 61.2) in 2001-03, 30.2 (30.0 to 30.5) in 2022-24
    assert england.loc["2001-03", ["value", "lower", "upper"]].round(1).tolist() == [60.8, 60.3, 61.2]
    assert england.loc["2022-24", ["value", "lower", "upper"]].round(1).tolist() == [30.2, 30.0, 30.5]
    assert england.loc["2001-03", "start"] == 2001 and england.loc["2022-24", "end"] == 2024
    # the combined areas keep their note
    combined = frame[frame["area_code"] == "E67000001"].iloc[0]
    assert combined["value_note"] == "Value for Hackney and City of London combined"
    assert series.els_metadata(ELS)["label"] == "Preventable cardiovascular mortality (England)"


def test_fingertips_extract_with_sex_in_a_column():
    frame = series.read_fingertips_extract(EXAMPLE / "life_expectancy_at_birth_90366.csv")
    england = frame[(frame["area_code"] == "E92000001") & (frame["period"] == "2015-17")].set_index("sex")
    assert england.loc[["male", "female"], "value"].tolist() == [79.5, 83.1]  # Fingertips 90366, 2015-17
    assert math.isnan(england.loc["male", "lower"])
    cancer = series.read_fingertips_extract(EXAMPLE / "u75_preventable_cancer_mortality_40502.csv")
    assert set(cancer["sex"]) == {"persons"} and cancer["value"].isna().sum() == 21  # "NA" kept as missing


# --- bad rows: one line naming file, line, column and what was expected ----------------------------------


def write(tmp_path: Path, text: str, name: str = "bad.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


ELS_HEADER = "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"


@pytest.mark.parametrize("row, message", [
    ("E92000001,England,Nation,X,2001-13-01/P3Y,60.7,r,r,60.3,61.2,,",
     "bad.csv, line 2, column 'period': expected a period such as 2015, 2013 - 15, 2019/20 or 2001-01-01/P3Y, got '2001-13-01/P3Y'"),
    ("E92000001,England,Nation,X,2001-01-01/P3Y,sixty,r,r,60.3,61.2,,",
     "bad.csv, line 2, column 'observation': expected a number, got 'sixty'"),
    ("E92000001,England,Nation,X,2001-01-01/P3Y,60.7,r,r,61.0,61.2,,",
     "bad.csv, line 2, column 'lower': expected a lower limit at or below the value 60.7, got 61"),
    ("E92000001,England,Nation,X,2001-01-01/P3Y,-60.7,r,r,60.3,61.2,,",
     "bad.csv, line 2, column 'observation': expected a non-negative number, got '-60.7'"),
    ("E92000001,England,Nation,X,2001-01-01/P3Y,inf,r,r,60.3,61.2,,",
     "bad.csv, line 2, column 'observation': expected a finite number, got 'inf'"),
    ("England,England,Nation,X,2001-01-01/P3Y,60.7,r,r,60.3,61.2,,",
     "bad.csv, line 2, column 'areacd': expected a GSS area code such as E06000001, got 'England'"),
    ("E92000001,England,Nation,X,2001-01-01/P3Y,60.7,r,r,60.3,,,",
     "bad.csv, line 2: expected both confidence limits or neither"),
])
def test_a_bad_row_gets_one_line(tmp_path, row, message):
    with pytest.raises(DataError) as error:
        series.read_ons_els(write(tmp_path, ELS_HEADER + row + "\n"))
    assert str(error.value) == message


def test_bad_files(tmp_path):
    with pytest.raises(DataError, match=r"^bad.csv, line 1: expected a header row, got an empty file$"):
        series.read_ons_els(write(tmp_path, ""))
    with pytest.raises(DataError, match=r"^bad.csv, line 2: expected data rows after the header, found none$"):
        series.read_ons_els(write(tmp_path, ELS_HEADER))
    with pytest.raises(DataError, match=r"^bad.csv, line 1: missing column 'lci_95'"):
        series.read_ons_els(write(tmp_path, ELS_HEADER.replace("lci_95", "lower") + "E92000001,E,N,X,2015,1,r,r,1,1,,\n"))
    # "Ynys Môn" saved as Latin-1: the ô is the byte 0xf4, in the area name column (areanm) of line 2
    with pytest.raises(DataError, match=r"^bad.csv, line 2, column 'areanm': expected UTF-8 text, got the byte 0xf4"):
        series.read_ons_els(write(tmp_path, ELS_HEADER + "E92000001,Ynys Môn,N,X,2015,1,r,r,1,1,,\n", encoding="latin-1"))
    with pytest.raises(DataError, match=r"^missing.csv: file not found$"):
        series.read_ons_els(tmp_path / "missing.csv")
    twice = ELS_HEADER + "E92000001,E,N,X,2015,1,r,r,1,1,,\n" * 2
    with pytest.raises(DataError, match=r"^bad.csv, line 3: expected one row per indicator, area, sex, age, category and period"):
        series.read_ons_els(write(tmp_path, twice))


def test_valid_but_unusual_input_is_accepted(tmp_path):
    # a BOM, CRLF line ends, trailing spaces and a quoted newline
    text = "\ufeff" + ELS_HEADER.replace("\n", "\r\n") + 'E92000001 ,"Eng\nland",Nation,X,2001-01-01/P3Y, 60.7 ,r,r,60.3,61.2,,\r\n'
    frame = series.read_ons_els(write(tmp_path, text))
    assert frame.iloc[0][["area_code", "area_name", "value", "period"]].tolist() == ["E92000001", "Eng\nland", 60.7, "2001-03"]


EXPORT_HEADER = ("Indicator ID,Indicator Name,Parent Code,Parent Name,Area Code,Area Name,Area Type,Sex,Age,Category Type,"
                 "Category,Time period,Value,Lower CI 95.0 limit,Upper CI 95.0 limit,Lower CI 99.8 limit,"
                 "Upper CI 99.8 limit,Count,Denominator,Value note\n")


def test_fingertips_99_8_limits(tmp_path):
    # the campylobacter export leaves its 99.8 % columns empty: read as missing
    frame = series.read_fingertips_export(EXPORT)
    assert frame["lower_998"].isna().all() and frame["upper_998"].isna().all()
    row = "93356,X,,,E06000001,Hartlepool,County & UA,Persons,All ages,,,2015,{v},{l},{u},{l9},{u9},60,92590,\n"
    good = series.read_fingertips_export(write(tmp_path, EXPORT_HEADER + row.format(v=64.8, l=49.4, u=83.4, l9=43.0, u9=93.1)))
    assert good.iloc[0][["lower", "upper", "lower_998", "upper_998"]].tolist() == [49.4, 83.4, 43.0, 93.1]
    with pytest.raises(DataError) as error:  # a 99.8 % limit inside the 95 % interval
        series.read_fingertips_export(write(tmp_path, EXPORT_HEADER + row.format(v=64.8, l=49.4, u=83.4, l9=50.0, u9=93.1)))
    assert str(error.value) == ("bad.csv, line 2, column 'lower_998': expected a 99.8 % lower limit at or below the 95 % "
                                "one and the value, got 50")
    with pytest.raises(DataError, match=r"^bad.csv, line 2: expected both 99.8 % confidence limits or neither$"):
        series.read_fingertips_export(write(tmp_path, EXPORT_HEADER + row.format(v=64.8, l=49.4, u=83.4, l9=43.0, u9="")))
    # an export without the 99.8 % columns at all is read as before
    header = EXPORT_HEADER.replace("Lower CI 99.8 limit,Upper CI 99.8 limit,", "")
    short = "93356,X,,,E06000001,Hartlepool,County & UA,Persons,All ages,,,2015,64.8,49.4,83.4,60,92590,\n"
    assert series.read_fingertips_export(write(tmp_path, header + short))["lower_998"].isna().all()
