"""Areas and groups of areas, as the data define them: tiers, deprivation rankings, a list of area codes, or a
rule over the data.

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
from healthgap.read.imd import read_imd, read_imd_upper_tier  # noqa: F401  (the rankings areas are grouped by)
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
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["area_code", "area_name"]))
    """Areas the configuration leaves out (``[group] exclude``): of the group, the ranking and the deciles."""

    def __contains__(self, code: str) -> bool:
        return code in self.codes


def size_of(fraction: float, count: int) -> int:
    """How many of ``count`` areas a fraction takes: the whole number of areas at or below it,
    e.g. a fifth of 292 is 58 (58.4 rounded down), never fewer than one."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction {fraction!r}: expected a number between 0 and 1, such as 0.2 for a fifth")
    return max(1, math.floor(fraction * count + 1e-9))


FRACTIONS = {0.2: "fifth", 0.1: "tenth", 0.25: "quarter", 0.5: "half"}


def _first_fraction(ranked: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, int, str]:
    """Areas in order, worst first, numbered (``rank``) and the first ``fraction`` of them marked ``member``;
    with how many that is (:func:`size_of`) and the fraction in words ("fifth")."""
    ranked = ranked.reset_index(drop=True)
    n = size_of(fraction, len(ranked))
    ranked["rank"] = range(1, len(ranked) + 1)
    ranked["member"] = ranked["rank"] <= n
    return ranked, n, FRACTIONS.get(round(fraction, 4), f"{fraction:.0%}")


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
                     "reason": "not among the areas the group is drawn from (another boundary vintage, or part of a "
                               "combined area there)"})
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
    ranked, n, share = _first_fraction(
        ranked.sort_values(["imd_score", "area_code"], ascending=[False, True]), fraction)
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
    ranked, n, share = _first_fraction(
        ranked.sort_values(["value", "area_code"], ascending=[not higher_is_worse, True]), fraction)
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


def excluding(group: Group, codes, areas: pd.DataFrame) -> Group:
    """The group without the areas of ``codes`` (``[group] exclude``): they leave the group and the areas ranked
    (so the ranking and the deprivation deciles too), and are named. A code the data lack is an error."""
    from dataclasses import replace

    known = set(areas["area_code"])
    for code in codes:
        if code not in known:
            raise DataError(f"briefing.toml, [group], key 'exclude': expected area codes of the data, got {code!r}")
    names = dict(zip(areas["area_code"], areas["area_name"]))
    left = [c for c in group.codes if c not in set(codes)]
    ranked = group.ranked[~group.ranked["area_code"].isin(codes)].reset_index(drop=True)
    if "rank" in ranked:
        ranked["rank"] = range(1, len(ranked) + 1)
    excluded = pd.DataFrame({"area_code": list(codes), "area_name": [names.get(c, c) for c in codes]})
    words = ", ".join(f"{n} ({c})" for c, n in zip(excluded["area_code"], excluded["area_name"]))
    return replace(group, codes=tuple(left), ranked=ranked, excluded=excluded,
                   description=f"{group.description}, leaving out {words}: {len(left)} areas")
