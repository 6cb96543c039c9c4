"""An analyst's first real export, right: a full Fingertips export (two ages, three years, Fingertips' own
deprivation deciles) briefed without pooling across a dimension, the group's value pooled from counts, every area
compared with England as Fingertips compares it, and ONS's by-sex file read as shipped."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

import healthgap as hg
from healthgap.read.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "fixtures" / "series" / "fingertips_export_campylobacter_2015_county_ua.csv"
IMD2019 = ROOT / "data" / "examples" / "most-deprived-fifth-2014" / "raw" / "indices_of_deprivation_2019_lad.csv"

CONFIG = """\
kind = "series"
title = "Campylobacter: the most deprived fifth of counties and unitary authorities against England"

[areas]
tier = "upper"
comparator = "England"

[group]
rule = "deprivation"
fraction = 0.2
deprivation = "imd"
edition = "English Indices of Deprivation 2019"
areas = "campylobacter"

[files.campylobacter]
path = "campylobacter.csv"
layout = "fingertips-export"
source = "OHID Fingertips indicator 93356 (campylobacter incidence), all data for counties and unitary authorities"
url = "https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?indicator_ids=93356&child_area_type_id=102"
licence = "Open Government Licence v3.0"
sha256 = "{export}"

[files.imd]
path = "imd.csv"
layout = "imd"
source = "MHCLG, English Indices of Deprivation 2019, File 10"
url = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
licence = "Open Government Licence v3.0"
sha256 = "{imd}"

[indicators.campylobacter]
title = "Campylobacter incidence"
file = "campylobacter"
{age}measure = "rate"
unit = "cases per 100,000"
higher_is_worse = true

[sections]
campylobacter = "campylobacter"
"""


def folder(tmp_path: Path, age: str | None) -> Path:
    data = tmp_path / "campylobacter"
    data.mkdir()
    shutil.copy2(EXPORT, data / "campylobacter.csv")
    shutil.copy2(IMD2019, data / "imd.csv")
    digest = {name: hashlib.sha256((data / name).read_bytes()).hexdigest() for name in ("campylobacter.csv", "imd.csv")}
    (data / "briefing.toml").write_text(CONFIG.format(export=digest["campylobacter.csv"], imd=digest["imd.csv"],
                                                      age=f'age = "{age}"\n' if age else ""), encoding="utf-8")
    return data


def test_an_export_of_two_ages_stops_until_one_is_chosen(tmp_path):
    with pytest.raises(DataError) as caught:
        hg.load(folder(tmp_path, None))
    assert str(caught.value) == ("campylobacter.csv holds ages '0-9 yrs' and 'All ages' for [indicators.campylobacter]: "
                                 "choose one with `age = …` in briefing.toml")


def test_an_age_that_is_not_in_the_file_is_named(tmp_path):
    with pytest.raises(DataError, match=r"key 'age': 'all ages' matches no row of campylobacter\.csv \(its ages: "
                                        r"'0-9 yrs' and 'All ages'\)"):
        hg.load(folder(tmp_path, "all ages"))


@pytest.fixture(scope="module")
def campylobacter(tmp_path_factory):
    briefing = hg.load(folder(tmp_path_factory.mktemp("own"), "All ages"))
    return briefing, hg.analyse(briefing, "campylobacter", "persons")


def raw_rows() -> list[dict[str, str]]:
    with EXPORT.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_group_value_is_pooled_from_all_ages_only(campylobacter):
    briefing, a = campylobacter
    # the fifth of the 121 unitary authorities, metropolitan districts and London boroughs the 2019 indices rank
    # (the counties are not in a district summary: listed unranked)
    assert len(briefing.group.codes) == 24
    members = set(briefing.group.codes)
    # by hand from the raw file: the members' counts and denominators summed, all ages, 2015
    rows = [r for r in raw_rows() if r["Area Code"] in members and r["Age"] == "All ages" and r["Time period"] == "2015"
            and not r["Category Type"]]
    by_hand = 1e5 * sum(float(r["Count"]) for r in rows) / sum(float(r["Denominator"]) for r in rows)
    levels = a.levels.set_index(["group", "period"])
    assert levels.loc[("group", "2015"), "value"] == pytest.approx(by_hand)
    assert round(by_hand, 1) == 72.6  # both ages summed, silently, gave 89.5
    assert a.method.startswith("pooled from its areas' counts and denominators")
    # England's own published row, not one of its deprivation deciles: 94.7; the gap -22.1, the group better off
    assert round(levels.loc[("comparator", "2015"), "value"], 1) == 94.7
    assert round(a.record["absolute_gap"][0].gap.value, 1) == -22.1


def test_counties_the_district_summary_cannot_rank_are_listed_with_their_codes(campylobacter):
    briefing, _ = campylobacter
    unranked = briefing.group.unmatched
    counties = unranked[unranked["area_code"].str.startswith("E10")]
    assert len(counties) == 27 and set(counties["held_by"]) == {"data"}
    assert "E10000002" in set(counties["area_code"])  # Buckinghamshire, a county in 2015


@pytest.mark.parametrize("period", ["2015", "2016", "2017"])
def test_every_area_compared_with_england_as_fingertips_did(campylobacter, period):
    """Fingertips' own column, 'Compared to England value or percentiles', for every county and unitary authority
    of the export, all ages: the comparison agrees with each, in each year (the ranking shows the latest, 2017)."""
    from healthgap.analysis.levels import area_table

    briefing, a = campylobacter
    flags = {r["Area Code"]: r["Compared to England value or percentiles"] for r in raw_rows()
             if r["Age"] == "All ages" and r["Time period"] == period and r["Area Type"] == "County & UA"
             and not r["Category Type"]}
    table = a.areas if period == a.latest.period else area_table(briefing, "campylobacter", "persons", period)
    ours = dict(zip(table["area_code"], table["compared"]))
    words = {"Better": "better", "Similar": "similar", "Worse": "worse", "Not compared": "not compared"}
    agree = [code for code, flag in flags.items() if code in ours and ours[code] == words[flag]]
    assert len(flags) == 152 and len(ours) >= 148
    assert len(agree) == len(ours), sorted(set(ours) - set(agree))[:5]


def test_the_by_sex_file_of_ons_is_read_as_shipped():
    """ONS's healthy life expectancy holds males and females in one file, the sex named in the indicator."""
    briefing = hg.load(ROOT / "data" / "examples" / "healthy-life-expectancy")
    rows = briefing.rows("healthy_life_expectancy")
    assert set(rows["sex"]) == {"male", "female"}
    england = rows[(rows["area_code"] == "E92000001") & (rows["period"] == "2022-24")].set_index("sex")["value"]
    assert england.to_dict() == {"male": 60.9, "female": 61.3}
