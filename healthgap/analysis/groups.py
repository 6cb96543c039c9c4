"""Groups of areas, as data: a list of area codes, or a rule over the data.

A group is compared with a comparator: England (its published value) or the rest of England (the
areas outside the group). Rules:

* ``list``: the area codes of a CSV file (column ``area_code``).
* ``deprivation``: the fifth (or any fraction) of areas with the highest average score of the Index
  of Multiple Deprivation in a named edition (``Index of Multiple Deprivation`` rows of the English
  Indices of Deprivation local-authority summary, file 10 for districts and unitary authorities).
* ``indicator``: the fraction of areas with the worst value of an indicator in a named period.

The areas ranked are those of a tier (lower-tier: unitary authorities, districts, metropolitan
districts and London boroughs, GSS entities E06, E07, E08, E09; upper-tier: E06, E08, E09 and the
counties E10) that the data and the ranking both hold. Every area that one holds and the other does
not (another boundary vintage, a combined area such as Hackney with City of London) is reported by
name: none is dropped silently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from healthgap.read.errors import DataError
from healthgap.read.imd import read_imd, read_imd_upper_tier  # noqa: F401  (the readers live in read/; kept here by name)
from healthgap.read.layouts import _read_rows, _require

TIERS = {"lower": ("E06", "E07", "E08", "E09"), "upper": ("E06", "E08", "E09", "E10")}
TIER_NAMES = {"lower": "lower-tier local authorities", "upper": "upper-tier local authorities"}


def in_tier(codes: pd.Series, tier: str) -> pd.Series:
    """Whether each GSS code is of a tier's entity types (``lower``: E06, E07, E08, E09)."""
    return codes.str[:3].isin(TIERS[tier])


@dataclass(frozen=True)
class Group:
    """A group of areas and how it was chosen.

    ``codes``: the members. ``ranked``: the areas the rule ranked (code, name, score, rank, member).
    ``unmatched``: areas one source holds and the other does not, with the reason (by name).
    ``description``: the rule in one sentence, for the page.
    """

    label: str
    codes: tuple[str, ...]
    description: str
    ranked: pd.DataFrame = field(default_factory=pd.DataFrame)
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __contains__(self, code: str) -> bool:
        return code in self.codes


def size_of(fraction: float, count: int) -> int:
    """How many of ``count`` areas a fraction takes: the whole number of areas at or below it,
    e.g. a fifth of 292 is 58 (58.4 rounded down), never fewer than one."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction {fraction!r}: expected a number between 0 and 1, such as 0.2 for a fifth")
    return max(1, math.floor(fraction * count + 1e-9))


FRACTIONS = {0.2: "fifth", 0.1: "tenth", 0.25: "quarter", 0.5: "half"}


def _unmatched(data_areas: pd.DataFrame, ranking: pd.DataFrame, what: str) -> pd.DataFrame:
    """Areas in the data but not the ranking, and in the ranking but not the data, each with a reason."""
    rows = []
    in_ranking = set(ranking["area_code"])
    in_data = set(data_areas["area_code"])
    for _, a in data_areas[~data_areas["area_code"].isin(in_ranking)].iterrows():
        reason = "a combined area" if a["area_code"].startswith("E67") else f"not in {what}"
        rows.append({"area_code": a["area_code"], "area_name": a["area_name"], "held_by": "data", "reason": reason})
    for _, a in ranking[~ranking["area_code"].isin(in_data)].iterrows():
        rows.append({"area_code": a["area_code"], "area_name": a["area_name"], "held_by": what,
                     "reason": "not in the data (another boundary vintage, or part of a combined area)"})
    return pd.DataFrame(rows, columns=["area_code", "area_name", "held_by", "reason"])


def by_deprivation(data_areas: pd.DataFrame, imd: pd.DataFrame, fraction: float, edition: str, tier: str,
                   label: str | None = None) -> Group:
    """The ``fraction`` of the tier's areas with the highest IMD average score in ``edition``.

    ``data_areas``: the areas of the data (``area_code``, ``area_name``), one row each. The areas ranked
    are the tier's areas both hold; ties at the cut are broken by code, so the group is reproducible.
    """
    areas = data_areas[in_tier(data_areas["area_code"], tier)].drop_duplicates("area_code")
    ranking = imd[in_tier(imd["area_code"], tier)]
    ranked = areas[["area_code", "area_name"]].merge(ranking[["area_code", "imd_score"]], on="area_code")
    ranked = ranked.sort_values(["imd_score", "area_code"], ascending=[False, True]).reset_index(drop=True)
    n = size_of(fraction, len(ranked))
    ranked["rank"] = range(1, len(ranked) + 1)
    ranked["member"] = ranked["rank"] <= n
    share = FRACTIONS.get(round(fraction, 4), f"{fraction:.0%}")
    description = (f"the {share} of the {len(ranked)} {TIER_NAMES[tier]} with the highest average score on the "
                   f"Index of Multiple Deprivation ({edition}): {n} areas")
    return Group(label=label or f"the most deprived {share} of {TIER_NAMES[tier]}",
                 codes=tuple(ranked.loc[ranked["member"], "area_code"]), description=description, ranked=ranked,
                 unmatched=_unmatched(areas, ranking, f"the {edition} ranking"))


def by_indicator(data_areas: pd.DataFrame, values: pd.DataFrame, fraction: float, period: str, tier: str,
                 higher_is_worse: bool, indicator: str, label: str | None = None) -> Group:
    """The ``fraction`` of the tier's areas with the worst value of an indicator in ``period``
    (``values``: ``area_code``, ``value`` for that indicator, sex and period)."""
    areas = data_areas[in_tier(data_areas["area_code"], tier)].drop_duplicates("area_code")
    known = values.dropna(subset=["value"])
    ranked = areas[["area_code", "area_name"]].merge(known[["area_code", "value"]], on="area_code")
    ranked = ranked.sort_values(["value", "area_code"], ascending=[not higher_is_worse, True]).reset_index(drop=True)
    n = size_of(fraction, len(ranked))
    ranked["rank"] = range(1, len(ranked) + 1)
    ranked["member"] = ranked["rank"] <= n
    share = FRACTIONS.get(round(fraction, 4), f"{fraction:.0%}")
    description = (f"the {share} of the {len(ranked)} {TIER_NAMES[tier]} with the worst {indicator} in {period}: "
                   f"{n} areas")
    return Group(label=label or f"the worst {share} of {TIER_NAMES[tier]} on {indicator}",
                 codes=tuple(ranked.loc[ranked["member"], "area_code"]), description=description, ranked=ranked,
                 unmatched=_unmatched(areas, ranked, f"the {period} values"))


def from_list(data_areas: pd.DataFrame, path: str | Path, label: str) -> Group:
    """The areas listed in a CSV (column ``area_code``); a listed code the data lacks is an error."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["area_code"])
    codes = []
    known = set(data_areas["area_code"])
    for line, r in rows:
        code = r["area_code"].strip()
        if code not in known:
            raise DataError(f"{path.name}, line {line}, column 'area_code': expected an area code of the data, got {code!r}")
        codes.append(code)
    listed = data_areas[data_areas["area_code"].isin(codes)].drop_duplicates("area_code")
    return Group(label=label, codes=tuple(dict.fromkeys(codes)),
                 description=f"the {len(set(codes))} areas listed in {path.name}",
                 ranked=listed.assign(member=True), unmatched=pd.DataFrame(columns=["area_code", "area_name", "held_by", "reason"]))


def deciles(ranked: pd.DataFrame, score: str = "imd_score", quantiles: int = 10) -> pd.Series:
    """Each ranked area's deprivation decile (1 = most deprived), by equal numbers of areas: area i of n
    (in order of falling score) is in quantile floor(q x i / n) + 1."""
    order = ranked[score].rank(method="first", ascending=False).astype(int) - 1
    return (order * quantiles // len(ranked) + 1).astype(int)


# --- a group's value --------------------------------------------------------------------------------

POOLED = "pooled"
WEIGHTED = "weighted"
UNWEIGHTED = "unweighted"

COUNTS = "counts"

METHOD_WORDS = {
    COUNTS: "computed from its areas' summed deaths, births and populations by age, never averaged from their rates",
    POOLED: "pooled from its areas' counts and denominators",
    WEIGHTED: "the mean of its areas' values weighted by population",
    UNWEIGHTED: "the unweighted mean of its areas' values (the data give no populations)",
}


def pooling_multiplier(rows: pd.DataFrame) -> float | None:
    """The multiplier m with value = count / denominator x m for every row (a crude rate or a proportion),
    or None when the values are not such ratios (a directly standardised rate, a life expectancy).
    Values agree within half a percent, allowing for their rounding."""
    known = rows.dropna(subset=["value", "count", "denominator"])
    if known.empty or len(known) < len(rows) or (known["denominator"] <= 0).any() or (known["count"] <= 0).any():
        return None
    for m in (1.0, 100.0, 1_000.0, 10_000.0, 100_000.0):
        ratio = known["count"] / known["denominator"] * m
        if ((ratio - known["value"]).abs() <= 0.005 * known["value"].abs() + 0.05).all():
            return m
    return None


def group_value(rows: pd.DataFrame, log_scale: bool, weights: pd.Series | None = None,
                decimals: int = 1) -> dict:
    """One period's value for a set of areas (``rows``: tidy rows of one indicator, sex and period).

    - Pooled where every area has a count and denominator and the values are their ratio
      (:func:`pooling_multiplier`): value = m x sum(count) / sum(denominator), with Byar's 95 % interval
      on the summed count (:func:`healthgap.methods.byars_limits`).
    - Otherwise the mean of the areas' values, weighted by population where ``weights`` (by area code) are
      given, unweighted where not: value = sum(w v) / sum(w). Its standard error, where every area has
      limits, is sqrt(sum(w^2 s^2)) / sum(w), with each area's s from its limits
      (:func:`healthgap.analysis.estimates.standard_error`, on the log scale for rates); the interval is
      value exp(+/- 1.96 s / value) for rates, value +/- 1.96 s otherwise.

    Returns value, lower, upper, se (NaN without limits), method, areas (with a value), inputs (row ids).
    """
    from healthgap.analysis import estimates as est
    from healthgap.methods import byars_limits

    known = rows.dropna(subset=["value"])
    inputs = tuple(known["row_id"])
    nan = math.nan
    if known.empty:
        return {"value": nan, "lower": nan, "upper": nan, "se": nan, "method": "", "areas": 0, "inputs": ()}
    m = pooling_multiplier(known)
    if m is not None:
        count, denominator = known["count"].sum(), known["denominator"].sum()
        low, high = byars_limits(count, 0.95)
        value = count / denominator * m
        lower, upper = float(low) / denominator * m, float(high) / denominator * m
        se = est.standard_error(value, lower, upper, True) if lower > 0 else (upper - lower) / (2 * est.Z95)
        return {"value": value, "lower": lower, "upper": upper, "se": se, "method": POOLED, "areas": len(known),
                "inputs": inputs}
    if weights is not None:
        w = known["area_code"].map(weights).astype(float)
        if w.isna().any():
            missing = known.loc[w.isna(), "area_name"].iloc[0] or known.loc[w.isna(), "area_code"].iloc[0]
            raise DataError(f"no population for {missing}, which the weighted mean needs")
        method = WEIGHTED
    else:
        w = pd.Series(1.0, index=known.index)
        method = UNWEIGHTED
    value = float((w * known["value"]).sum() / w.sum())
    has_limits = known["lower"].notna() & known["upper"].notna()
    if not has_limits.all():
        half = 0.5 * 10.0**-decimals  # a mean of values rounded to d places is itself within half a unit
        return {"value": value, "lower": value - half, "upper": value + half, "se": nan, "method": method,
                "areas": len(known), "inputs": inputs}
    se_each = [est.standard_error(v, lo, hi, log_scale) for v, lo, hi in
               zip(known["value"], known["lower"], known["upper"])]
    se = math.sqrt(float((w**2 * pd.Series(se_each, index=known.index) ** 2).sum())) / float(w.sum())
    if log_scale:
        lower, upper = value * math.exp(-est.Z95 * se / value), value * math.exp(est.Z95 * se / value)
    else:
        lower, upper = value - est.Z95 * se, value + est.Z95 * se
    return {"value": value, "lower": lower, "upper": upper, "se": se, "method": method, "areas": len(known),
            "inputs": inputs}
