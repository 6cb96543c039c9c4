"""The rest of England derived from England's published value and the group's share: exact on counts,
right by simulation, and on the right side of England where the group is the worse-off part."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from healthgap.analysis import comparators as cp
from healthgap.analysis import groups
from healthgap.methods.limits import byars_limits
from healthgap.read import areas as hareas
from healthgap.read import imd, layouts
from healthgap.read import populations as pp

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "series"
RAW = ROOT / "data" / "examples" / "most-deprived-fifth" / "raw"
EXPORT = FIXTURES / "fingertips_export_campylobacter_2015_county_ua.csv"
HLE = FIXTURES / "healthy-life-expectancy.csv"
CVD = RAW / "preventable-cardiovascular-mortality-england.csv"
MYEB3 = RAW / "ons_myeb3_components_of_change_2001_2019_lad2020.csv"
UPPER_IMD = ROOT / "data" / "examples" / "healthy-life-expectancy" / "raw" / "indices_of_deprivation_2025_utla.csv"


def test_exact_on_counts():
    """Campylobacter 2015, all ages: England 51,897 cases in 54,786,327 people; Fingertips' own most deprived
    decile of counties and UAs 3,541 in 5,085,927. With p the decile's share of the denominator, the derived
    rest of England is the rate of the other cases in the other people, to rounding error."""
    frame = layouts.read_fingertips_export(EXPORT)
    rows = frame[(frame["period"] == "2015") & (frame["age"] == "All ages")]
    england = rows[(rows["area_code"] == "E92000001") & (rows["category_type"] == "")].iloc[0]
    decile = rows[(rows["category_type"] == "County & UA deprivation deciles in England (IMD2015)")
                  & (rows["category"] == "Most deprived decile (IMD2015)")].iloc[0]
    p = decile["denominator"] / england["denominator"]
    low, high = byars_limits(decile["count"], 0.95)  # the export gives deciles no limits: Byar's, as for areas
    scale = 100_000 / decile["denominator"]
    group = pd.DataFrame({"period": ["2015"], "value": [decile["value"]], "lower": [float(low) * scale],
                          "upper": [float(high) * scale]})
    out = cp.rest_of_england(rows.loc[[england.name], ["period", "value", "lower", "upper"]], group, p)
    expected = (51_897 - 3_541) / (54_786_327 - 5_085_927) * 100_000
    assert out.loc[0, "value"] == pytest.approx(expected, rel=1e-12)
    assert out.loc[0, "value"] == pytest.approx(97.2950, abs=5e-4)
    assert out.loc[0, "value"] > england["value"] > decile["value"]  # the decile is below England: the rest above
    # its interval is about that of the other cases' own count (Byar's on 48,356 cases)
    own_low, own_high = byars_limits(51_897 - 3_541, 0.95)
    own = (float(own_high) - float(own_low)) / (54_786_327 - 5_085_927) * 100_000
    assert out.loc[0, "upper"] - out.loc[0, "lower"] == pytest.approx(own, rel=0.02)
    assert out.loc[0, "note"] == ""


def test_the_variance_by_simulation():
    """Deaths drawn as Poisson counts in a group of 1.5 million and a rest of 8.5 million: the covariance of
    England's rate with the group's is p var(G), the formula's variance matches the rest's own, the derived
    rest is uncorrelated with the group (so a gap against it takes no covariance), and its 95 % interval
    covers the rest's true rate 95 % of the time."""
    rng = np.random.default_rng(20240917)
    n_g, n_r = 1_500_000, 8_500_000
    rate_g, rate_r = 80e-5, 55e-5
    draws = 40_000
    d_g = rng.poisson(rate_g * n_g, draws)
    d_r = rng.poisson(rate_r * n_r, draws)
    g, r, e = d_g / n_g * 1e5, d_r / n_r * 1e5, (d_g + d_r) / (n_g + n_r) * 1e5
    p = n_g / (n_g + n_r)
    cov = np.cov(e, g)
    assert cov[0, 1] == pytest.approx(p * cov[1, 1], rel=0.03)
    formula = (cov[0, 0] - p**2 * cov[1, 1]) / (1 - p) ** 2
    assert formula == pytest.approx(np.var(r, ddof=1), rel=0.05)
    derived = (e - p * g) / (1 - p)
    assert np.allclose(derived, r)
    assert abs(np.corrcoef(derived, g)[0, 1]) < 0.02
    # intervals from each draw's own Poisson standard errors
    se_g, se_e = np.sqrt(d_g) / n_g * 1e5, np.sqrt(d_g + d_r) / (n_g + n_r) * 1e5
    se_r = np.sqrt(se_e**2 - p**2 * se_g**2) / (1 - p)
    covered = np.abs(derived - rate_r * 1e5) <= cp.Z95 * se_r
    assert covered.mean() == pytest.approx(0.95, abs=0.006)
    # and the function gives the same as the arrays, draw by draw
    value, se = cp.rest_value(float(e[0]), float(se_e[0]), float(g[0]), float(se_g[0]), p)
    assert (value, se) == pytest.approx((derived[0], se_r[0]))


@pytest.fixture(scope="module")
def hle_males():
    frame = pd.read_csv(HLE, encoding="utf-8-sig")  # the library's ELS reader takes every row as persons (issue 17)
    rows = frame[(frame["indicator"] == "Male healthy life expectancy") & (frame["period"] == "2022-01-01/P3Y")]
    return rows.rename(columns={"areacd": "area_code", "areanm": "area_name", "observation": "value",
                                "lci_95": "lower", "uci_95": "upper"})


def test_rest_of_england_is_better_where_the_group_is_worse_off(hle_males):
    """Healthy life expectancy, males, 2022-24: England 60.9 (60.7 to 61.2) as published; the most deprived
    tenth of upper-tier areas (IoD2025) weighted by population lower, so the rest of England above 60.9,
    where the unweighted mean of the other areas gave 60.8."""
    england = hle_males[hle_males["area_code"] == "E92000001"]
    assert england[["value", "lower", "upper"]].iloc[0].tolist() == [60.9, 60.7, 61.2]
    areas = hle_males[hle_males["area_code"].str[:3].isin(["E06", "E08", "E09", "E10"])]
    assert len(areas) == 151
    ranking = imd.read_imd_upper_tier(UPPER_IMD)
    group = hareas.by_deprivation(areas[["area_code", "area_name"]], ranking, 0.1, "IoD2025", "upper")
    assert len(group.ranked) == 149 and len(group.codes) == 14
    # unranked: Barnsley and Sheffield carry their 2024 codes in the series, their earlier ones in the Indices
    unranked = group.unmatched[group.unmatched["held_by"] == "data"]
    assert sorted(unranked["area_code"]) == ["E08000038", "E08000039"]
    others = areas[~areas["area_code"].isin(group.codes)]
    assert round(others["value"].mean(), 1) == 60.8  # the figure: the wrong side of England
    populations = pp.upper_tier(pp.read_myeb3(MYEB3, boundaries="2024"))
    weights, year, note = pp.population_for_period(populations, "2022-24")
    assert (year, note) == (2019, "populations for 2019, the latest in the data, weight 2022-24")
    members = areas[areas["area_code"].isin(group.codes)].assign(period="2022-24", row_id="hle", count=math.nan,
                                                                   denominator=math.nan)
    g = groups.group_value(members, log_scale=False, weights=weights)
    assert g["method"] == "weighted" and g["value"] == pytest.approx(56.006, abs=1e-3)
    p = cp.population_share(group.codes, weights)
    assert p == pytest.approx(0.08544, abs=1e-5)
    out = cp.rest_of_england(england.assign(period="2022-24"),
                             pd.DataFrame([{"period": "2022-24", "value": g["value"], "lower": g["lower"],
                                            "upper": g["upper"]}]), p)
    rest = out.iloc[0]
    # by hand: (60.9 - p G) / (1 - p)
    assert rest["value"] == pytest.approx((60.9 - p * g["value"]) / (1 - p), rel=1e-12)
    assert rest["value"] == pytest.approx(61.357, abs=1e-3) and rest["value"] > 60.9
    se_e, se_g = (61.2 - 60.7) / (2 * 1.959964), (g["upper"] - g["lower"]) / (2 * 1.959964)
    assert rest["se"] == pytest.approx(math.sqrt(se_e**2 - p**2 * se_g**2) / (1 - p), rel=1e-5)
    assert rest["lower"] > 60.9  # above England even at the lower end of its 95 % interval (61.10 to 61.61)
    # the population-weighted mean of the other 137 areas with a value (61.30) lands within 0.1 of the derived one
    w_others = others["area_code"].map(weights)
    assert (others["value"] * w_others).sum() / w_others.sum() == pytest.approx(rest["value"], abs=0.1)


def test_a_list_group_weighted_by_population_near_its_regions_own_rate():
    """Preventable cardiovascular mortality, 2022-24: the 12 North East upper-tier authorities' unweighted
    mean is 35.7 against the region's own published 34.85; weighted by their populations (2019, the latest)
    it is 35.2. Directly standardised rates do not combine exactly by population (each area's age structure
    differs), so near, not equal; the weighted mean is nearer the region's rate in 21 of the 22 periods,
    and in the other (2019-21, both 33.79) further by less than 0.001."""
    series = layouts.read_ons_els(CVD)
    north_east = ["E06000001", "E06000002", "E06000003", "E06000004", "E06000005", "E06000047", "E06000057",
                  "E08000021", "E08000022", "E08000023", "E08000024", "E08000037"]
    populations = pp.upper_tier(pp.read_myeb3(MYEB3))
    region = series[series["area_code"] == "E12000001"].set_index("period")["value"]
    assert region["2022-24"] == pytest.approx(34.852498, abs=1e-6)
    found = {}
    for period in region.index:
        rows = series[series["area_code"].isin(north_east) & (series["period"] == period)]
        assert len(rows) == 12
        weights, _, _ = pp.population_for_period(populations, period)
        weighted = groups.group_value(rows, log_scale=True, weights=weights)["value"]
        unweighted = groups.group_value(rows, log_scale=True)["value"]
        found[period] = (unweighted, weighted)
    nearer = {period: abs(w - region[period]) < abs(u - region[period]) for period, (u, w) in found.items()}
    assert [period for period, yes in nearer.items() if not yes] == ["2019-21"]
    u, w = found["2019-21"]
    assert abs(w - region["2019-21"]) - abs(u - region["2019-21"]) < 0.001
    unweighted, weighted = found["2022-24"]
    assert round(unweighted, 1) == 35.7 and weighted == pytest.approx(35.18, abs=0.01)
    assert abs(weighted - 34.85) < 0.35 < abs(unweighted - 34.85)


def test_bad_input():
    with pytest.raises(ValueError, match=r"^share 1.2: expected the group's share of England, between 0 and 1$"):
        cp.rest_value(60.9, 0.1, 56.0, 0.5, 1.2)
    with pytest.raises(ValueError, match=r"^england nan: expected a finite number$"):
        cp.rest_value(math.nan, 0.1, 56.0, 0.5, 0.1)
    with pytest.raises(ValueError, match="expected columns period, value"):
        cp.rest_of_england(pd.DataFrame({"value": [1.0]}), pd.DataFrame({"period": ["2015"], "value": [1.0]}), 0.1)
    with pytest.raises(ValueError, match="no population for E06000099"):
        cp.population_share(["E06000099"], pd.Series({"E06000001": 1.0}))
    # an England interval too narrow for the group's: no interval, and the note says why
    out = cp.rest_of_england(pd.DataFrame({"period": ["2015"], "value": [60.0], "lower": [59.99], "upper": [60.01]}),
                             pd.DataFrame({"period": ["2015"], "value": [50.0], "lower": [40.0], "upper": [60.0]}), 0.5)
    assert out.loc[0, "value"] == pytest.approx(70.0) and math.isnan(out.loc[0, "lower"])
    assert out.loc[0, "note"].startswith("no interval: England's published interval is narrower")
    missing = cp.rest_of_england(pd.DataFrame({"period": ["2016"], "value": [60.0]}),
                                 pd.DataFrame({"period": ["2015"], "value": [50.0]}), 0.5)
    assert missing.loc[0, "note"] == "no value for England or the group in 2015"
