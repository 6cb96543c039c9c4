"""An analyst's own series: the group, its values, the gaps with intervals, against hand calculations and
the figures worked independently from the published files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from healthgap.analysis import estimates as est
from healthgap.analysis import groups
from healthgap.read import areas
import healthgap as hg
from healthgap.read.errors import DataError
from healthgap.analysis.gaps import Comparison, gap_interval

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "data" / "examples" / "most-deprived-fifth"


@pytest.fixture(scope="module")
def data():
    return hg.load(EXAMPLE)


@pytest.fixture(scope="module")
def circulatory(data):
    return hg.analyse(data, "circulatory", "persons")


def test_the_group_is_the_most_deprived_fifth(data):
    group = data.group
    # 292 lower-tier authorities hold both a value and an IMD 2025 score; a fifth of 292 is 58.4: 58 areas
    assert len(group.ranked) == 292 and len(group.codes) == 58
    assert group.description == ("the fifth of the 292 lower-tier local authorities with the highest average score on "
                                 "the Index of Multiple Deprivation (English Indices of Deprivation 2025): 58 areas")
    # the members are the 58 highest scores: the lowest member's score is above every other area's
    ranked = group.ranked.set_index("area_code")
    assert ranked.loc[list(group.codes), "imd_score"].min() > ranked.drop(list(group.codes))["imd_score"].max()
    # reported by name, not dropped: the four areas the data combine (City of London with Hackney,
    # the Isles of Scilly with Cornwall)
    assert sorted(group.unmatched["area_name"]) == ["City of London", "Cornwall", "Hackney", "Isles of Scilly"]


def test_size_of_a_fraction():
    assert areas.size_of(0.2, 292) == 58 and areas.size_of(0.1, 292) == 29 and areas.size_of(0.2, 3) == 1
    with pytest.raises(ValueError):
        areas.size_of(1.5, 10)


def weighted_by_hand(codes, period: str, year: int) -> float:
    """The group's rate as the population-weighted mean of its areas' published rates, worked from the two files
    with pandas alone: ONS's cardiovascular series and ONS's mid-year estimates (MYEB3) for ``year``."""
    rates = pd.read_csv(EXAMPLE / "raw" / "preventable-cardiovascular-mortality-england.csv", encoding="utf-8-sig")
    start = period[:4]
    rates = rates[(rates["period"] == f"{start}-01-01/P3Y") & rates["areacd"].isin(codes)].set_index("areacd")
    populations = pd.read_csv(EXAMPLE / "raw" / "ons_myeb3_components_of_change_2001_2019_lad2020.csv")
    weights = populations.set_index("ladcode20").loc[rates.index, f"population_{year}"].astype(float)
    return float((rates["observation"] * weights).sum() / weights.sum())


def test_group_and_england_values(data, circulatory):
    levels = circulatory.levels.set_index(["group", "period"])
    # the 58 areas' rates weighted by their populations: of 2002 for 2001-03 (its middle year), of 2019 for
    # 2022-24 (the latest year of the estimates); none of the 58 is a unitary authority made after 2020
    assert levels.loc[("group", "2001-03"), "value"] == pytest.approx(weighted_by_hand(data.group.codes, "2001-03", 2002))
    assert levels.loc[("group", "2022-24"), "value"] == pytest.approx(weighted_by_hand(data.group.codes, "2022-24", 2019))
    assert round(levels.loc[("group", "2001-03"), "value"], 1) == 76.9  # 76.0 unweighted
    assert round(levels.loc[("group", "2022-24"), "value"], 1) == 40.3  # 40.5 unweighted
    assert (levels.xs("group", level="group")["areas"] == 58).all()
    # England's published rate: 60.8 (60.3 to 61.2) and 30.2 (30.0 to 30.5)
    england = levels.loc[("comparator", "2001-03")]
    assert [round(england[c], 1) for c in ("value", "lower", "upper")] == [60.8, 60.3, 61.2]
    england = levels.loc[("comparator", "2022-24")]
    assert [round(england[c], 1) for c in ("value", "lower", "upper")] == [30.2, 30.0, 30.5]
    assert circulatory.method == ("the mean of its areas' values weighted by population (populations for 2019, the "
                                  "latest in the data, weight 2019-21 to 2022-24)")
    assert circulatory.share_of == "population" and round(circulatory.share, 3) == 0.273


def test_the_absolute_gap_narrowed_while_the_relative_gap_widened(data, circulatory):
    absolute = {p.period: p.gap for p in circulatory.record["absolute_gap"]}
    relative = {p.period: p.gap for p in circulatory.record["relative_gap_pct"]}
    england = circulatory.levels.set_index(["group", "period"]).xs("comparator", level="group")["value"]
    for period, year in (("2001-03", 2002), ("2022-24", 2019)):
        group = weighted_by_hand(data.group.codes, period, year)
        assert absolute[period].value == pytest.approx(group - england[period])
        assert relative[period].value == pytest.approx(100 * (group - england[period]) / england[period])
    # 16.1 then 10.0 deaths per 100,000; 26.5 % then 33.2 %
    assert [round(absolute[p].value, 1) for p in ("2001-03", "2022-24")] == [16.1, 10.0]
    assert [round(relative[p].value, 1) for p in ("2001-03", "2022-24")] == [26.5, 33.2]
    # each with a 95 % interval, and the two periods' intervals do not overlap: a real change both ways
    assert absolute["2022-24"].confidence and est.compare(absolute["2001-03"], absolute["2022-24"]) == -1
    assert est.compare(relative["2001-03"], relative["2022-24"]) == 1


def test_gap_interval_by_hand():
    # a group of 40 (se 2) that is a fifth of England, 30 (se 1): var(g) = 4 + 1 - 2 x 0.2 x 4 = 3.4
    d = est.Estimate(40.0, 36.0, 44.0, "published", 1, ("d",), interval=est.CONFIDENCE, se=2.0)
    c = est.Estimate(30.0, 28.0, 32.0, "published", 1, ("c",), interval=est.CONFIDENCE, se=1.0)
    gap = gap_interval(d, c, "absolute_gap", Comparison("x", "persons", "d", "c", share=0.2))
    assert gap.value == 10 and gap.se == pytest.approx(math.sqrt(3.4))
    assert (gap.lower, gap.upper) == pytest.approx((10 - 1.959964 * math.sqrt(3.4), 10 + 1.959964 * math.sqrt(3.4)))
    # independent (the rest of England): var = 4 + 1 = 5
    independent = gap_interval(d, c, "absolute_gap", Comparison("x", "persons", "d", "c", nested=False))
    assert independent.se == pytest.approx(math.sqrt(5))
    # relative: R = 4/3; var(ln R) = 4/1600 + 1/900 - 2 x 0.2 x 4 / 1200 = 0.0022778
    relative = gap_interval(d, c, "relative_gap_pct", Comparison("x", "persons", "d", "c", share=0.2))
    sd = math.sqrt(4 / 1600 + 1 / 900 - 2 * 0.2 * 4 / 1200)
    assert relative.value == pytest.approx(100 / 3)
    assert relative.lower == pytest.approx(100 * (4 / 3 * math.exp(-1.959964 * sd) - 1), rel=1e-6)


def test_group_value_weighted_unweighted_and_pooled():
    rows = pd.DataFrame({"area_code": ["A", "B"], "area_name": ["A", "B"], "value": [10.0, 20.0],
                         "lower": [9.0, 18.0], "upper": [11.0, 22.0], "count": [math.nan] * 2,
                         "denominator": [math.nan] * 2, "row_id": ["f:2", "f:3"]})
    # unweighted: (10 + 20) / 2; se from limits on the natural scale: (11 - 9) / 3.92 and (22 - 18) / 3.92
    g = groups.group_value(rows, log_scale=False)
    assert g["value"] == 15 and g["method"] == groups.UNWEIGHTED
    assert g["se"] == pytest.approx(math.sqrt((2 / 3.919928) ** 2 + (4 / 3.919928) ** 2) / 2, rel=1e-6)
    # weighted by population 3:1: (3 x 10 + 20) / 4 = 12.5
    w = groups.group_value(rows, log_scale=False, weights=pd.Series({"A": 3.0, "B": 1.0}))
    assert w["value"] == 12.5 and w["method"] == groups.WEIGHTED
    # counts that are the values' numerators: pooled, 100,000 x (10 + 30) / (100,000 + 150,000) = 16
    crude = rows.assign(count=[10.0, 30.0], denominator=[100_000.0, 150_000.0], value=[10.0, 20.0])
    p = groups.group_value(crude, log_scale=True)
    assert p["method"] == groups.POOLED and p["value"] == pytest.approx(16.0)
    with pytest.raises(DataError, match="no population for B"):
        groups.group_value(rows, log_scale=False, weights=pd.Series({"A": 3.0}))


def test_every_area_ranked(circulatory):
    table = circulatory.areas
    assert len(table) == 292 and table["member"].sum() == 58
    assert table["value"].is_monotonic_decreasing  # worst (highest rate) first
    assert table.iloc[0]["rank"] == 1 and set(table["decile"]) == set(range(1, 11))


def test_values_without_limits_have_only_their_rounding(data):
    life = hg.analyse(data, "life_expectancy", "female")
    latest = life.points[-1].gap
    assert not latest.confidence and latest.upper - latest.lower == pytest.approx(0.2)  # +/-0.05 on each of two values


def test_a_changed_file_is_refused(tmp_path):
    import shutil

    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    path = copy / "raw" / "indices_of_deprivation_2025_lad.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(DataError, match=r"^indices_of_deprivation_2025_lad.csv: expected sha256 feebe84170c06e65"):
        hg.load(copy)


def test_configuration_errors_name_the_key(tmp_path):
    import shutil

    copy = tmp_path / "example"
    shutil.copytree(EXAMPLE, copy)
    config = copy / "briefing.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("fraction = 0.2", "fraction = 2"), encoding="utf-8")
    with pytest.raises(DataError, match=r"^briefing.toml, line \d+, \[group\], key 'fraction': expected a number between 0 and 1"):
        hg.load(copy)


# --- a small data directory built by hand: weights, other rules, the rest of England -------------------------

ELS = "areacd,areanm,geography,indicator,period,observation,measure,unit,lci_95,uci_95,status,notes\n"


def small(tmp_path: Path, group: str, areas: str = "", extra_files: str = "", england: str = "40,39,41") -> Path:
    """Ten districts E07000001..10 with rates 10..100 (limits +/-10 %) in 2001-03, England 40, and an IMD
    ranking that makes E07000010 the most deprived; populations 1,000 x the area number."""
    import hashlib

    folder = tmp_path / "small"
    folder.mkdir()
    value, lower, upper = england.split(",")
    rows = [f"E92000001,England,Nation,X,2001-01-01/P3Y,{value},r,r,{lower},{upper},,"]
    imd = ["area_code,area_name,area_type,deprivation_data_year,index_domain,average_rank,rank_average_rank,"
           "average_score,rank_average_score,proportion_bottom_decile,rank_proportion_bottom_decile"]
    pops = ["area_code,period,population"]
    for i in range(1, 11):
        code, value = f"E070000{i:02d}", 10.0 * i
        rows.append(f"{code},Area {i},Local Authority District,X,2001-01-01/P3Y,{value},r,r,{value * 0.9},{value * 1.1},,")
        imd.append(f"{code},Area {i},LAD,2025,Index of Multiple Deprivation,1,1,{i},1,0,1")
        pops.append(f"{code},2001-03,{1000 * i}")
    files = {"els.csv": ELS + "\n".join(rows) + "\n", "imd.csv": "\n".join(imd) + "\n", "pop.csv": "\n".join(pops) + "\n",
             "list.csv": "area_code\nE07000009\nE07000010\n"}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")

    def spec(key, name, layout):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        return (f'[files.{key}]\npath = "{name}"\nlayout = "{layout}"\nsource = "test"\nurl = "https://example.org"\n'
                f'licence = "OGL"\nsha256 = "{digest}"\n')

    if "populations" not in areas:
        areas += "\nunweighted = true"
    config = (f'kind = "series"\ntitle = "Small"\n[areas]\ntier = "lower"\n{areas}\n[group]\n{group}\n'
              + spec("els", "els.csv", "ons-els") + spec("imd", "imd.csv", "imd") + spec("pop", "pop.csv", "populations")
              + '[indicators.x]\ntitle = "X"\nfile = "els"\nmeasure = "rate"\nunit = "per 100,000"\nhigher_is_worse = true\n'
              '[sections]\ncancer = "x"\n')
    (folder / "briefing.toml").write_text(config, encoding="utf-8")
    return folder


def test_a_group_weighted_by_population(tmp_path):
    folder = small(tmp_path, 'rule = "deprivation"\nfraction = 0.2\ndeprivation = "imd"\nedition = "test"',
                   'populations = "pop"')
    data = hg.load(folder)
    assert data.group.codes == ("E07000010", "E07000009")
    level = hg.analyse(data, "x", "persons").levels.set_index("group").loc["group"]
    # (10,000 x 100 + 9,000 x 90) / 19,000 = 95.263
    assert level["value"] == pytest.approx((10_000 * 100 + 9_000 * 90) / 19_000)
    assert level["method"] == groups.WEIGHTED


def test_a_listed_group_against_the_rest_of_england(tmp_path):
    folder = small(tmp_path, 'rule = "list"\npath = "list.csv"\nlabel = "two areas"',
                   'comparator = "rest of England"\npopulations = "pop"', england="40,30,50")
    data = hg.load(folder)
    a = hg.analyse(data, "x", "persons")
    levels = a.levels.set_index("group")
    # the group: (9,000 x 90 + 10,000 x 100) / 19,000; its share of England's population p = 19,000 / 55,000;
    # the rest of England R = (E - p G) / (1 - p) from England's published 40 (30 to 50): never the mean of the
    # other areas' values (which would be 45)
    g, p = (9_000 * 90 + 10_000 * 100) / 19_000, 19_000 / 55_000
    rest = (40 - p * g) / (1 - p)
    assert levels.loc["group", "value"] == pytest.approx(g) and levels.loc["comparator", "value"] == pytest.approx(rest)
    # its interval by the delta method: var(R) = (var(E) - p^2 var(G)) / (1 - p)^2
    z = 1.959963984540054
    se_e = (50 - 30) / (2 * z)
    se_g = float(a.levels.set_index("group").loc["group", "upper"] - a.levels.set_index("group").loc["group", "lower"])
    se_g = math.sqrt((9_000 * 90 * math.log(1.1 / 0.9) / (2 * z)) ** 2
                     + (10_000 * 100 * math.log(1.1 / 0.9) / (2 * z)) ** 2) / 19_000  # each area's SE from its limits
    expected = math.sqrt(se_e**2 - p**2 * se_g**2) / (1 - p)
    se_r = (levels.loc["comparator", "upper"] - levels.loc["comparator", "lower"]) / (2 * z)
    assert se_r == pytest.approx(expected, rel=0.02)
    # the rest is independent of the group: no covariance term in the gap
    assert not a.comparison.nested and a.points[0].gap.value == pytest.approx(g - rest)


@pytest.mark.slow
def test_the_rest_of_england_is_better_than_england_where_the_group_is_worse_off():
    """ONS's healthy life expectancy, males, 2022-24: England 60.9 (published); the most deprived tenth of
    upper-tier areas lower, so the rest of England must be above England (the mean of the other areas' values
    gave 60.8)."""
    briefing = hg.load(ROOT / "data" / "examples" / "healthy-life-expectancy")
    for sex in ("male", "female"):
        a = hg.analyse(briefing, "healthy_life_expectancy", sex)
        england = briefing.rows("healthy_life_expectancy", sex)
        england = england[england["area_code"] == "E92000001"].set_index("period")["value"]
        levels = a.levels.set_index(["group", "period"])
        for period in england.index:
            group, rest = levels.loc[("group", period), "value"], levels.loc[("comparator", period), "value"]
            assert group < england[period] < rest, (sex, period)
    male = hg.analyse(briefing, "healthy_life_expectancy", "male").levels.set_index(["group", "period"])
    assert round(male.loc[("comparator", "2022-24"), "value"], 2) == 61.36
    assert [round(male.loc[("comparator", "2022-24"), c], 2) for c in ("lower", "upper")] == [61.10, 61.61]


def test_a_group_by_the_worst_value_of_an_indicator(tmp_path):
    folder = small(tmp_path, 'rule = "indicator"\nfraction = 0.3\nindicator = "x"\nperiod = "2001-03"')
    data = hg.load(folder)
    # the worst (highest) three of ten rates: areas 10, 9 and 8
    assert data.group.codes == ("E07000010", "E07000009", "E07000008")


def test_a_listed_group_gets_the_slope_index_across_all_areas_deciles(tmp_path):
    """A list of areas chooses the group; the indices named beside it still rank every area into deciles, so the
    slope index of inequality is computed across all of them (here ten areas, one a decile)."""
    from healthgap.page.section import Section

    folder = small(tmp_path, 'rule = "list"\npath = "list.csv"\nlabel = "two areas"\ndeprivation = "imd"',
                   'populations = "pop"')
    briefing = hg.load(folder)
    a = hg.analyse(briefing, "x", "persons")
    assert list(briefing.deciles.sort_values("decile")["area_code"]) == [f"E070000{i:02d}" for i in range(10, 0, -1)]
    assert len(a.sii) == 1 and a.sii["sii"].iloc[0] != 0
    assert set(a.areas["decile"]) == set(range(1, 11))
    (tmp_path / "b").mkdir()
    without = small(tmp_path / "b", 'rule = "list"\npath = "list.csv"\nlabel = "two areas"', 'populations = "pop"')
    section = Section.of(hg.load(without), "cancer")
    assert section.analyses[0].sii.empty
    assert "No slope index of inequality: the data name no Indices of Deprivation" in section.closing()


def test_the_rest_of_england_without_limits_carries_the_rounding_of_both(tmp_path):
    """Without confidence limits the rest of England, R = (E - pG) / (1 - p), stands for the range the rounding of
    England's value and the group's allows, carried through: half-width (hE + p hG) / (1 - p), not R's own
    rounding. Here p = 19,000 / 55,000, G = 95.263, E = 40, each +/- 0.05: R = 10.833 +/- 0.1028, and the gap
    G - R +/- (0.05 + 0.05) / (1 - p) = +/- 0.1528, so a movement is claimed only beyond that."""
    import hashlib
    import re

    folder = small(tmp_path, 'rule = "deprivation"\nfraction = 0.2\ndeprivation = "imd"\nedition = "test"',
                   'populations = "pop"\ncomparator = "rest of England"', england="40,,")
    els = folder / "els.csv"
    els.write_text(re.sub(r",[0-9.]+,[0-9.]+,,$", ",,,,", els.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    config = folder / "briefing.toml"
    config.write_text(re.sub(r'(path = "els.csv"[^\[]*?sha256 = ")[0-9a-f]+', lambda m: m.group(1) + hashlib.sha256(
        els.read_bytes()).hexdigest(), config.read_text(encoding="utf-8")), encoding="utf-8")
    a = hg.analyse(hg.load(folder), "x", "persons")
    p = 19_000 / 55_000
    g = (10_000 * 100 + 9_000 * 90) / 19_000
    r = (40 - p * g) / (1 - p)
    rest = a.levels.set_index("group").loc["comparator"]
    assert rest["value"] == pytest.approx(r) and pd.isna(rest["lower"])  # no confidence interval
    assert (rest["range_lower"], rest["range_upper"]) == (pytest.approx(r - 0.05 * (1 + p) / (1 - p)),
                                                          pytest.approx(r + 0.05 * (1 + p) / (1 - p)))
    gap = a.record["absolute_gap"][0].gap
    assert (gap.value, gap.lower, gap.upper) == (pytest.approx(g - r), pytest.approx(g - r - 0.1 / (1 - p)),
                                                 pytest.approx(g - r + 0.1 / (1 - p)))
