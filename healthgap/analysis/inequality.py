"""The slope index of inequality across deprivation deciles of areas, each decile weighted by its population.

Two ways in:

* :func:`sii_by_decile` - from every area's value: the areas ranked by their IMD average score and cut into
  deciles of (as near as may be) equal numbers of areas, decile 1 the most deprived
  (:func:`healthgap.read.areas.deciles`), as ``phe_sii`` expects (quantile 1 = most deprived). Each
  decile's value is pooled from its areas' counts where every area has them, else the population-weighted
  mean of its areas' values (:func:`healthgap.analysis.groups.group_value`, with its 95 % interval from the
  areas' limits); its population is the sum of its areas' populations.
* :func:`sii_from_fingertips_deciles` - from Fingertips' own deprivation-decile rows of an export
  (``Category Type`` "County & UA deprivation deciles in England (IMD2015)" and the like): each decile's
  value as published, its population the row's denominator, its 95 % limits Byar's on the row's count
  (Fingertips gives these rows no limits).

Either way :func:`healthgap.methods.sii` (PHEindicatormethods' ``phe_sii``) fits the line: with a_i each
decile's share of the population and b_i = a_1 + ... + a_(i-1) + a_i / 2 its relative rank, weighted least
squares of the value on b with weights a gives the slope beta1, the SII: the difference across the whole
population from the most deprived end (b = 0) to the least (b = 1), negative where the value falls from
the most deprived to the least deprived (as mortality does). Its limits are ``phe_sii``'s, by simulation
from each decile's 95 % interval (on the log scale for a rate).

Sources: Low A, Low A, J Public Health 2004;26:388-395; PHEindicatormethods ``phe_sii`` (its documentation:
"the quantiles are first ordered (e.g from 1 most deprived to 10 least deprived for deprivation deciles)",
each given the midpoint of its range in the cumulative population as its relative rank).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from healthgap import methods
from healthgap.analysis import groups
from healthgap.read import areas
from healthgap.read.errors import DataError
from healthgap.read.layouts import normalise_period

SII_COLUMNS = ["period", "sii", "sii_lower", "sii_upper", "rii", "weighting", "population_year", "deciles", "areas",
               "note"]
DECILE_COLUMNS = ["period", "decile", "value", "lower", "upper", "population", "areas", "method"]
SEED = 20040101


def _need(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: expected columns {', '.join(missing)}")


def _weights(populations, period: str) -> tuple[pd.Series | None, int | None, str]:
    """Populations by area for a period: a Series as given, or a frame of years (read_myeb3's shape)."""
    if populations is None:
        return None, None, ""
    if isinstance(populations, pd.Series):
        return populations.astype(float), None, ""
    from healthgap.read.populations import population_for_period

    weights, year, note = population_for_period(populations, period)
    return weights, year, note


def decile_values(values: pd.DataFrame, imd: pd.DataFrame, populations=None, log_scale: bool = True,
                  quantiles: int = 10) -> pd.DataFrame:
    """Each period's deciles of areas, periods in time order: ``period, decile, value, lower, upper,
    population, areas, method``.

    ``values``: tidy rows of one indicator and sex (``area_code, period, value, lower, upper``, and
    ``count, denominator`` where given; rows without a value are left out). ``imd``: ``area_code,
    imd_score`` (a higher score more deprived). ``populations``: a Series by area code, or a frame of
    ``area_code, year, population`` (:func:`healthgap.read.populations.read_myeb3`; the year for each period
    chosen by :func:`~healthgap.read.populations.population_for_period`), or None to give each area a
    weight of one (each decile's "population" is then its number of areas: the SII weighted by areas).
    Areas are ranked within each period among those that have a value and a score (and a population).
    """
    _need(values, ["area_code", "period", "value"], "values")
    _need(imd, ["area_code", "imd_score"], "imd")
    rows = values.dropna(subset=["value"]).copy()
    for column in ("lower", "upper", "count", "denominator"):
        if column not in rows:
            rows[column] = math.nan
    if "row_id" not in rows:
        rows["row_id"] = rows["area_code"]
    rows = rows.merge(imd[["area_code", "imd_score"]], on="area_code")
    out = []
    order = sorted(rows["period"].unique(), key=lambda p: normalise_period(p)[1:])
    for period in order:
        part = rows[rows["period"] == period]
        weights, _, _ = _weights(populations, period)
        if weights is not None:
            lacking = sorted(set(part["area_code"]) - set(weights.index))
            if lacking:
                others = f" and {len(lacking) - 1} other areas" if len(lacking) > 1 else ""
                raise DataError(f"no population for {lacking[0]}{others} in {period}, which the population-weighted SII "
                                "needs")
        part = part.assign(decile=areas.deciles(part, quantiles=quantiles).to_numpy())
        for decile, members in part.groupby("decile"):
            g = groups.group_value(members, log_scale, weights)
            population = float(weights.reindex(members["area_code"]).sum()) if weights is not None else float(len(members))
            out.append({"period": period, "decile": int(decile), "value": g["value"], "lower": g["lower"],
                        "upper": g["upper"], "population": population, "areas": g["areas"], "method": g["method"]})
    return pd.DataFrame(out, columns=DECILE_COLUMNS)


def _fit(deciles: pd.DataFrame, value_type: str, repetitions: int, seed: int) -> dict:
    has_limits = deciles["lower"].notna().all() and deciles["upper"].notna().all()
    if has_limits:
        result = methods.sii(deciles, quantile="decile", population="population", value="value", lower="lower",
                             upper="upper", value_type=value_type, confidence=0.95, repetitions=repetitions, seed=seed)
    else:  # no limits: the point estimate only
        result = methods.sii(deciles.assign(se=0.0), quantile="decile", population="population", value="value",
                             se="se", value_type="normal", confidence=0.95, repetitions=1_000, seed=seed)
    row = result.iloc[0]
    nan = math.nan
    return {"sii": float(row["sii"]), "sii_lower": float(row["sii_lower"]) if has_limits else nan,
            "sii_upper": float(row["sii_upper"]) if has_limits else nan, "rii": float(row["rii"])}


def sii_by_decile(values: pd.DataFrame, imd: pd.DataFrame, populations=None, log_scale: bool = True,
                  quantiles: int = 10, repetitions: int = 10_000, seed: int = SEED) -> pd.DataFrame:
    """The SII of each period across deciles of areas (:func:`decile_values`), each decile weighted by its
    population (by its number of areas when ``populations`` is None).

    Returns ``period, sii, sii_lower, sii_upper, rii, weighting`` ("population" or "areas"),
    ``population_year`` (the year of the estimates used, where ``populations`` is a frame of years),
    ``deciles``, ``areas`` and ``note`` (the nearest-year note of
    :func:`~healthgap.read.populations.population_for_period`, or why a period has no SII: fewer than
    ``quantiles`` deciles). ``log_scale``: the values are rates (limits simulated on the log scale).
    """
    deciles = decile_values(values, imd, populations, log_scale, quantiles)
    records = []
    for period, part in deciles.groupby("period", sort=False):
        _, year, note = _weights(populations, period)
        record = {"period": period, "weighting": "areas" if populations is None else "population",
                  "population_year": year, "deciles": len(part), "areas": int(part["areas"].sum()), "note": note,
                  "sii": math.nan, "sii_lower": math.nan, "sii_upper": math.nan, "rii": math.nan}
        if len(part) < quantiles:
            record["note"] = f"no SII: {len(part)} deciles with areas, {quantiles} needed"
        else:
            record.update(_fit(part, "rate" if log_scale else "normal", repetitions, seed))
        records.append(record)
    return pd.DataFrame(records, columns=SII_COLUMNS)


# --- Fingertips' own deciles --------------------------------------------------------------------------------

_FINGERTIPS_DECILES = {"most": 1, "second most": 2, "third more": 3, "fourth more": 4, "fifth more": 5,
                       "fifth less": 6, "fourth less": 7, "third less": 8, "second least": 9, "least": 10}
_DECILE = re.compile(r"^(most|second most|third more|fourth more|fifth more|fifth less|fourth less|third less|"
                     r"second least|least) deprived decile\b", re.IGNORECASE)


def fingertips_decile(category: str) -> int:
    """Fingertips' name of a deprivation decile as a number, 1 the most deprived: "Most deprived decile
    (IMD2015)" -> 1, "Third more deprived decile (IMD2015)" -> 3, "Least deprived decile (IMD2015)" -> 10."""
    m = _DECILE.match(str(category).strip())
    if not m:
        raise ValueError(f"category {category!r}: expected a Fingertips deprivation decile such as "
                         "'Most deprived decile (IMD2015)'")
    return _FINGERTIPS_DECILES[m.group(1).lower()]


def fingertips_deciles(frame: pd.DataFrame, category_type: str | None = None) -> pd.DataFrame:
    """Fingertips' own deprivation-decile rows of an export read by
    :func:`healthgap.read.layouts.read_fingertips_export` (``category_type`` containing "deprivation
    deciles"; one type, named by ``category_type`` where the export holds several), as
    ``category_type, age, sex, period, decile, value, lower, upper, population, count, file, line``. The
    population is the row's denominator (equal shares where the export gives none); the limits are the
    row's own, else Byar's on its count where the value is the count over the denominator times a multiplier
    (:func:`healthgap.analysis.groups.pooling_multiplier`)."""
    _need(frame, ["category_type", "category", "period", "value", "lower", "upper", "count", "denominator"], "frame")
    rows = frame[frame["category_type"].str.contains("deprivation deciles", case=False, na=False)]
    if category_type is not None:
        rows = rows[rows["category_type"] == category_type]
    if rows.empty:
        raise DataError(f"{frame['file'].iloc[0] if 'file' in frame and len(frame) else 'the data'}: expected "
                        f"Fingertips' deprivation-decile rows{f' of {category_type!r}' if category_type else ''}, "
                        "found none")
    out = rows.copy()
    out["decile"] = [fingertips_decile(c) for c in out["category"]]
    keys = [c for c in ("category_type", "indicator_id", "sex", "age", "period") if c in out]
    twice = out.duplicated([*keys, "decile"])
    if twice.any():
        r = out[twice].iloc[0]
        raise DataError(f"{r.get('file', 'the data')}, line {r.get('line', '?')}: expected one row per decile; "
                        f"{r['category']!r} appears twice")
    out["population"] = out["denominator"]
    for _, part in out.groupby(keys, sort=False):
        if part["lower"].notna().all():
            continue
        m = groups.pooling_multiplier(part)
        if m is not None:
            low, high = methods.byars_limits(part["count"].to_numpy(dtype=float), 0.95)
            out.loc[part.index, "lower"] = np.asarray(low) / part["denominator"].to_numpy() * m
            out.loc[part.index, "upper"] = np.asarray(high) / part["denominator"].to_numpy() * m
    columns = [c for c in ("category_type", "indicator_id", "age", "sex", "period", "decile", "value", "lower", "upper",
                           "population", "count", "file", "line") if c in out]
    return out[columns].sort_values([*keys, "decile"]).reset_index(drop=True)


def sii_from_fingertips_deciles(frame: pd.DataFrame, category_type: str | None = None, log_scale: bool = True,
                                repetitions: int = 10_000, seed: int = SEED) -> pd.DataFrame:
    """The SII from Fingertips' own deprivation-decile rows (:func:`fingertips_deciles`), one per category
    type, indicator, sex, age and period: ``category_type, ..., period, sii, sii_lower, sii_upper, rii,
    weighting`` ("population": each decile's denominator; "equal" where the export gives none), ``note``."""
    deciles = fingertips_deciles(frame, category_type)
    keys = [c for c in ("category_type", "indicator_id", "sex", "age", "period") if c in deciles]
    records = []
    for key, part in deciles.groupby(keys, sort=False):
        record = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        equal = part["population"].isna().any()
        part = part.assign(population=1.0 if equal else part["population"])
        record.update(weighting="equal" if equal else "population", deciles=len(part), note="")
        if len(part) != 10:
            record.update(sii=math.nan, sii_lower=math.nan, sii_upper=math.nan, rii=math.nan,
                          note=f"no SII: {len(part)} deciles, 10 needed")
        else:
            record.update(_fit(part, "rate" if log_scale else "normal", repetitions, seed))
        records.append(record)
    return pd.DataFrame(records, columns=[*keys, "sii", "sii_lower", "sii_upper", "rii", "weighting", "deciles", "note"])
