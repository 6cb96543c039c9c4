"""From ONS's count tables, as ONS ships them, to rates and life expectancy that agree with ONS's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthgap.analysis import counts
import healthgap as hg
from healthgap.read import ons
from healthgap.read.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth-2014"
RAW = EXAMPLE / "raw"
LOWER_TIER = ("E06", "E07", "E08", "E09")


@pytest.fixture(scope="module")
def data():
    return hg.load(EXAMPLE)


@pytest.fixture(scope="module")
def agreement(data):
    table = counts.agreement(data.counts)
    return table[table["area_code"].str[:3].isin(LOWER_TIER)]


@pytest.mark.parametrize("name, expected", [
    ("ENGLAND AND WALES1       ", "england and wales"),      # a footnote digit glued to the name
    ("Bristol\u201a City of                ", "bristol city of"),  # a low comma standing in for a comma
    ("Bristol, City of UA", "bristol city of"),              # the births table's suffix
    ("Southend on Sea", "southend on sea"), ("Southend-on-Sea", "southend on sea"),
    ("King\u2019s Lynn and West Norfolk", "kings lynn and west norfolk"),
    ("SCOTLAND 1,4                          ", "scotland"),
    ("Somerset County", "somerset"),
])
def test_names_as_the_tables_write_them(name, expected):
    assert ons.normalise_name(name) == expected


def test_deaths_by_age_as_shipped():
    deaths = ons.read_deaths_by_age(RAW / "ons_deaths2014_table2_deaths_by_age_sex_area.csv")
    hartlepool = deaths[deaths["name_key"] == "hartlepool"].set_index(["sex", "age_band"])["deaths"]
    # Table 2, Hartlepool: 486 male and 486 female deaths; the age headers carry soft hyphens (" 1 \xad 4")
    assert hartlepool.xs("male").sum() == 486 and hartlepool.xs("female").sum() == 486
    assert list(hartlepool.xs("male").index) == ons.BANDS
    assert hartlepool[("male", "90+")] == 55 and hartlepool[("female", "0")] == 4


def test_population_by_single_year():
    population = ons.read_population_by_age(RAW / "ons_mye2_mid2014_persons_single_year_age_by_LA.csv")
    hartlepool = population[population["area_code"] == "E06000001"]
    assert hartlepool["population"].sum() == 92_590 and hartlepool["age"].max() == 90  # "92,590", quoted


def test_every_unmatched_name_is_reported(data):
    unmatched = data.counts.unmatched
    english = unmatched[unmatched["area_name"].str.upper().isin(["INNER LONDON", "OUTER LONDON"])]
    assert len(english) >= 4  # aggregates of London boroughs, in the deaths and births tables
    # the deaths tables combine Cornwall and the Isles of Scilly: matched to both codes, populations summed
    assert data.counts.names["E06000052+E06000053"] == "Cornwall and Isles of Scilly"
    repeated = unmatched[unmatched["reason"].str.startswith("in the table twice")]
    assert set(repeated["area_name"]) == {"WALES"}


def test_age_standardised_rates_agree_with_ons_for_every_area(agreement):
    rates = agreement[agreement["measure"] == "asmr"]
    # every lower-tier authority with a published rate (Cornwall with the Isles of Scilly as the tables give them,
    # combined), persons, males and females
    assert rates["area_code"].nunique() == 325 and len(rates) == 3 * 325
    assert rates["difference_pct"].abs().max() < 0.2  # an independent calculation agrees within 0.2 %
    worst = rates.loc[rates["difference_pct"].abs().idxmax()]
    assert (worst["area_name"], worst["sex"]) == ("West Somerset", "male")  # 990.9 published


def test_infant_mortality_agrees_with_ons_to_its_precision(agreement):
    rates = agreement[agreement["measure"] == "imr"]
    assert len(rates) > 250 and (rates["computed"].round(1) == rates["published"]).all()
    hartlepool = rates.set_index("area_code").loc["E06000001"]
    assert hartlepool["computed"] == pytest.approx(1000 * 7 / 1043)  # 7 infant deaths, 1,043 live births: 6.7


def test_a_group_is_pooled_from_counts_not_averaged(data):
    codes = ["E06000001", "E06000002"]  # Hartlepool and Middlesbrough
    pooled = counts.pooled(data.counts, "dsr_under_75", "persons", codes)
    # the DSR of the two areas' summed deaths and populations by age, computed here independently
    rows = counts._by_band(data.counts, "persons", codes)
    rows = rows[rows["age_band"].isin(counts.UNDER_75)].groupby("age_band", as_index=False)[["deaths", "population"]].sum()
    standard = counts.esp2013_bands().set_index("age_band")["weight"]
    weights = rows["age_band"].map(standard)
    expected = 100_000 * (weights * rows["deaths"] / rows["population"]).sum() / weights.sum()
    assert pooled["value"] == pytest.approx(expected) and pooled["method"] == "counts"
    each = counts.compute(data.counts, "dsr_under_75", "persons", codes).set_index("area_code")["value"]
    assert pooled["value"] != pytest.approx(each.mean())  # not the mean of the two rates


def test_esp2013_in_the_deaths_table_bands():
    standard = counts.esp2013_bands().set_index("age_band")["weight"]
    assert list(standard.index) == ons.BANDS and standard.sum() == 100_000
    assert (standard["0"], standard["1-4"], standard["90+"]) == (1000, 4000, 1000)


def test_life_expectancy_for_the_group_and_england(data):
    male = hg.analyse(data, "life_expectancy", "male")
    levels = male.levels.set_index("group")
    # England, males, 2014, from ONS's counts: 79.6 years (79.56 to 79.66)
    assert levels.loc["comparator", "value"] == pytest.approx(79.61, abs=0.01)
    gap = male.points[0].gap
    assert gap.confidence and gap.lower < gap.value < gap.upper
    assert male.method.startswith("computed from its areas' summed deaths, births and populations")


def test_a_bad_count_names_its_file_line_and_column(tmp_path):
    source = (RAW / "ons_deaths2014_table2_deaths_by_age_sex_area.csv").read_text(encoding="utf-8")
    broken = source.replace('Hartlepool                   ,486,486,3,4', 'Hartlepool                   ,486,486,three,4', 1)
    path = tmp_path / "deaths.csv"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DataError, match=r"^deaths.csv, line \d+, column '0 male': expected a number, got 'three'$"):
        ons.read_deaths_by_age(path)
