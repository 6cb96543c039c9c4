"""From counts to indicators: ONS deaths, births and populations by area and age, computed into rates and
life expectancy, for every area and for any group of areas pooled from their counts.

Per area and sex (:func:`indicators`):

* ``dsr_all_ages``, ``dsr_under_75``: directly age-standardised mortality, all causes, per 100,000, on
  the 2013 European Standard Population in the deaths table's 20 bands (0, 1-4, 5-9, ..., 85-89, 90+;
  the ESP's 90-94 and 95+ weights summed), with Dobson's 95 % interval (:func:`healthgap.methods.dsr`).
* ``infant_mortality``: infant deaths per 1,000 live births, persons, with Byar's (exact below 10
  deaths) 95 % interval (:func:`healthgap.methods.crude_rate`).
* ``life_expectancy``: life expectancy at birth, males and females, Chiang II with the 90+ open band
  and Silcocks' variance (:func:`healthgap.methods.life_expectancy`).

A group's figure is computed the same way from its areas' summed counts (:func:`pooled`), never
averaged from their rates. :func:`agreement` sets the computed rates beside ONS's published ones.
"""

from __future__ import annotations

import math

import pandas as pd

from healthgap import methods
from healthgap.read import ons
from healthgap.read import layouts as series
from healthgap.read.errors import DataError
from healthgap.read.ons import Counts, assemble  # noqa: F401  (the counts as read, matched)
from healthgap.read.vocabulary import COUNT_INDICATORS, COUNT_SEXES

INDICATORS, SEXES = COUNT_INDICATORS, COUNT_SEXES
UNDER_75 = ons.BANDS[: ons.BANDS.index("70-74") + 1]


def esp2013_bands() -> pd.DataFrame:
    """The 2013 European Standard Population in the bands of ONS's deaths table: 0 (1,000), 1-4 (4,000),
    5-9 ... 85-89, and 90+ (1,000: Eurostat's 90-94 and 95+, 800 and 200)."""
    standard = methods.standard_population("ESP2013_21")
    standard = standard.assign(age_band=standard["age_band"].replace({"90-94": "90+", "95+": "90+"}))
    return standard.groupby("age_band", as_index=False, sort=False)["weight"].sum()


def _joined_rows(frame: pd.DataFrame, column: str = "row") -> pd.Series:
    """The distinct data rows behind each area, joined with ";" (an area's bands share one line of a table)."""
    distinct = frame[["area_code", column]].drop_duplicates()
    return distinct.groupby("area_code", sort=False)[column].agg(";".join)


def _sexed(frame: pd.DataFrame, value: str, sex: str) -> pd.DataFrame:
    """Rows of one sex, or persons summed from males and females."""
    if sex != "persons":
        return frame[frame["sex"] == sex]
    summed = frame.groupby(["area_code", "age_band"], as_index=False, sort=False)[value].sum()
    return summed.assign(row=summed["area_code"].map(_joined_rows(frame)), sex="persons")


def _by_band(counts: Counts, sex: str, codes=None) -> pd.DataFrame:
    """Deaths and population side by side, by area and age band, for one sex (or persons), of ``codes``
    (every area when None)."""
    deaths, population = counts.deaths, counts.population
    if codes is not None:  # first: a group's few areas, not every area, are summed and joined
        codes = set(codes)
        deaths, population = deaths[deaths["area_code"].isin(codes)], population[population["area_code"].isin(codes)]
    deaths = _sexed(deaths, "deaths", sex)
    population = _sexed(population, "population", sex)
    return deaths.merge(population, on=["area_code", "age_band"], suffixes=("_deaths", "_population"))


def compute(counts: Counts, indicator: str, sex: str, codes=None, pool: bool = False) -> pd.DataFrame:
    """One indicator for each area (``pool`` False) or for the areas ``codes`` pooled into one (``pool`` True):
    ``area_code, value, lower, upper, count, denominator, note, rows`` (the data rows it rests on)."""
    if indicator not in INDICATORS:
        raise DataError(f"indicator {indicator!r}: expected one of {', '.join(INDICATORS)}")
    if indicator == "infant_mortality":
        data = counts.infants if codes is None else counts.infants[counts.infants["area_code"].isin(codes)]
        if pool:
            data = pd.DataFrame({"area_code": ["pooled"], "infant_deaths": [data["infant_deaths"].sum()],
                                 "live_births": [data["live_births"].sum()], "rows": [";".join(data["rows"])]})
        result = methods.crude_rate(data, "infant_deaths", "live_births", by="area_code", confidence=0.95,
                                    multiplier=1000)
        rows = data.set_index("area_code")["rows"]
    else:
        data = _by_band(counts, sex, codes)
        if indicator == "dsr_under_75":
            data = data[data["age_band"].isin(UNDER_75)]
        rows = _joined_rows(data, "row_deaths") + ";" + _joined_rows(data, "row_population")
        if pool:
            rows = pd.Series({"pooled": ";".join(rows)})
            data = data.groupby("age_band", as_index=False, sort=False)[["deaths", "population"]].sum().assign(
                area_code="pooled")
        if indicator == "life_expectancy":
            result = methods.life_expectancy(data, "deaths", "population", "age_band", by="area_code", confidence=0.95)
            result = result[result["age_band"].map(lambda b: str(b).split("-")[0].rstrip("+")) == "0"] \
                if "age_band" in result else result
        else:
            standard = esp2013_bands()
            if indicator == "dsr_under_75":
                standard = standard[standard["age_band"].isin(UNDER_75)]
            result = methods.dsr(data, "deaths", "population", standard, by="area_code", age_band="age_band",
                                 confidence=0.95)
    out = result[["area_code", "value", "lower_ci", "upper_ci", "count", "denominator", "note"]].rename(
        columns={"lower_ci": "lower", "upper_ci": "upper"})
    out["rows"] = out["area_code"].map(rows)
    return out.reset_index(drop=True)


def indicators(counts: Counts, which=None) -> dict[str, pd.DataFrame]:
    """Every indicator (or those of ``which``) for every matched area, in the tidy shape of :mod:`healthgap.read.layouts`."""
    found = {}
    for indicator, sexes in SEXES.items():
        if which is not None and indicator not in which:
            continue
        frames = []
        for sex in sexes:
            result = compute(counts, indicator, sex)
            records = [series._record(
                indicator_id=indicator, indicator=INDICATORS[indicator], area_code=r["area_code"],
                area_name=str(counts.names.get(r["area_code"], r["area_code"])), area_type="", sex=sex,
                age="<75 yrs" if indicator == "dsr_under_75" else "All ages", period=counts.period,
                start=int(counts.period[:4]), end=int(counts.period[:4]), value=r["value"], lower=r["lower"],
                upper=r["upper"], ci_level=0.95, count=r["count"], denominator=r["denominator"],
                value_note=r["note"] if isinstance(r["note"], str) else "", line=0,
            ) for _, r in result.iterrows()]
            frame = pd.DataFrame(records, columns=series.COLUMNS)
            frame["file"] = "computed"
            frame["row_id"] = result["rows"].values
            frames.append(frame)
        frame = pd.concat(frames, ignore_index=True)
        for column in ("value", "lower", "upper", "ci_level", "count", "denominator"):
            frame[column] = frame[column].astype(float)
        found[indicator] = frame
    return found


def pooled(counts: Counts, indicator: str, sex: str, codes) -> dict:
    """A group's figure from its areas' summed counts, as :func:`healthgap.analysis.groups.group_value` returns one."""
    from healthgap.analysis import estimates as est

    codes = list(codes)
    present = set((counts.population if indicator != "infant_mortality" else counts.infants)["area_code"].unique())
    codes = [c for c in codes if c in present]
    nan = math.nan
    if not codes:
        return {"value": nan, "lower": nan, "upper": nan, "se": nan, "method": "", "areas": 0, "inputs": ()}
    r = compute(counts, indicator, sex, codes, pool=True).iloc[0]
    log_scale = indicator != "life_expectancy"
    se = est.standard_error(r["value"], r["lower"], r["upper"], log_scale) if not math.isnan(r["lower"]) else nan
    return {"value": float(r["value"]), "lower": float(r["lower"]), "upper": float(r["upper"]), "se": se,
            "method": "counts", "areas": len(codes), "inputs": tuple(str(r["rows"]).split(";"))}


def agreement(counts: Counts, codes=None) -> pd.DataFrame:
    """The computed all-ages age-standardised rates and infant mortality rates beside ONS's published
    ones (Table 1a), for every area with both: ``area_code, area_name, measure, sex, computed, published,
    difference_pct`` (for rates) or ``matches`` (infant mortality, at ONS's one decimal place)."""
    rows = []
    for sex in ("persons", "male", "female"):
        computed = compute(counts, "dsr_all_ages", sex, codes).set_index("area_code")["value"]
        published = counts.published.set_index("area_code")[f"asmr_{sex}"]
        common = computed.index.intersection(published.dropna().index)
        for code in common:
            rows.append({"area_code": code, "area_name": counts.names.get(code, code), "measure": "asmr", "sex": sex,
                         "computed": computed[code], "published": published[code],
                         "difference_pct": 100 * (computed[code] - published[code]) / published[code]})
    imr = compute(counts, "infant_mortality", "persons", codes).set_index("area_code")["value"]
    published = counts.published.set_index("area_code")["imr"]
    for code in imr.index.intersection(published.dropna().index):
        rows.append({"area_code": code, "area_name": counts.names.get(code, code), "measure": "imr", "sex": "persons",
                     "computed": imr[code], "published": published[code],
                     "difference_pct": 100 * (imr[code] - published[code]) / published[code]})
    return pd.DataFrame(rows)
