"""The group's and the comparator's values, period by period; every area ranked; the slope index of inequality.

Where the data publish the two groups' values (the national record: the Spearhead Group's rate beside
England's), those are the values, as published. Where the data hold values for every area (an analyst's
Fingertips or ONS series) or the counts behind them (ONS's tables), the group's value is computed from its
areas, in this order (:func:`healthgap.analysis.groups.group_value`):

1. pooled from counts: the group's own deaths, births and populations summed (ONS's tables), or its areas'
   counts and denominators where the values are their ratio;
2. the population-weighted mean of its areas' values, where ``[areas] populations`` gives populations;
3. the unweighted mean of the areas' values only where the configuration asks for it (``[areas]
   unweighted = true``), and then called "the mean of the areas' values", never the group's rate.

The comparator is England's published value, or the rest of England computed the same way from the areas
outside the group.
"""

from __future__ import annotations

import math

import pandas as pd

from healthgap.analysis import groups
from healthgap.read import areas as hareas
from healthgap.read.briefing import COMPARATOR, GROUP, Briefing, Indicator
from healthgap.read.errors import DataError
from healthgap.read.periods import parse_period, sort_periods

LEVEL_COLUMNS = ["group", "period", "value", "lower", "upper", "decimals", "log_scale", "id", "inputs", "areas",
                 "method", "revision", "status", "interval", "range_lower", "range_upper", "measure", "start", "end"]
"""The columns of the levels a group made of areas gets (published levels carry ``observations.csv``'s)."""

LOG_SCALE = {"rate": True, "proportion": False, "life_expectancy": False, "value": False}
"""Whether an indicator's values are combined on the log scale (rates) or as they are."""


def indicator_rows(briefing: Briefing, indicator: str, sex: str) -> pd.DataFrame:
    """Every area's row of one indicator and sex known by the edition: as the file gives them, or computed from
    ONS's counts (:func:`healthgap.analysis.counts.compute`), in the tidy shape of :mod:`healthgap.read.layouts`.
    Empty where the data publish the groups' values instead of the areas'."""
    ind = briefing.indicator(indicator)
    if not ind.computed:
        return briefing.rows(indicator, sex)
    key = ("computed", ind.spec.compute)
    if key not in briefing.cache:
        from healthgap.analysis import counts

        briefing.cache[key] = counts.indicators(briefing.counts, [ind.spec.compute])[ind.spec.compute]
    frame = briefing.cache[key]
    return frame[(frame["sex"] == sex) & (frame["category_type"] == "")].reset_index(drop=True)


def rows_used(briefing: Briefing, indicator: str | None) -> pd.DataFrame:
    """The rows a section rests on, as a table: the published figures of the indicator known by the edition
    (their id, period, group, measure, value and source), or every area's row of an analyst's indicator (area,
    period, value, limits, where it was read), each sex it shows."""
    if indicator is None:
        return pd.DataFrame()
    ind = briefing.indicator(indicator)
    published = pd.concat([briefing.published(indicator, sex) for sex in ind.sexes]) if not \
        briefing.observations.empty else pd.DataFrame()
    if not published.empty:
        columns = ["id", "sex", "period", "group", "measure", "reference_period", "value", "revision", "preferred",
                   "source_id"]
        return published[columns].reset_index(drop=True)
    rows = pd.concat([indicator_rows(briefing, indicator, sex) for sex in ind.sexes])
    columns = ["area_code", "area_name", "sex", "period", "value", "lower", "upper", "count", "denominator", "row_id"]
    return rows[[c for c in columns if c in rows and rows[c].notna().any()]].reset_index(drop=True)


def published_levels(briefing: Briefing, ind: Indicator, sex: str) -> pd.DataFrame:
    """The two compared groups' published values: one preferred row per group and period."""
    rows = briefing.published(ind.key, sex)
    if rows.empty:
        return rows
    rows = rows[(rows["measure"] == ind.measure) & rows["group"].isin([ind.group, ind.comparator])]
    return rows[rows["preferred"] == "yes"].reset_index(drop=True)


def in_tier(briefing: Briefing, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of the tier's areas, less any the configuration excludes."""
    rows = rows[hareas.in_tier(rows["area_code"], briefing.config.areas.tier)]
    if briefing.group is not None and not briefing.group.excluded.empty:
        rows = rows[~rows["area_code"].isin(briefing.group.excluded["area_code"])]
    return rows


def weights(briefing: Briefing, period: str) -> pd.Series | None:
    """Each area's population in a period (by area code), or None where the data give no populations."""
    populations = briefing.populations
    if populations is None:
        return None
    rows = populations[populations["period"] == period]
    if rows.empty:
        raise DataError(f"no populations for {period} in {populations['file'].iloc[0]}, which the weighted means need")
    return rows.set_index("area_code")["population"]


def _weighting(briefing: Briefing, ind: Indicator, rows: pd.DataFrame) -> None:
    """Stop with one line where a group's value would be an unweighted mean nobody asked for."""
    if ind.computed or briefing.populations is not None or briefing.config.areas.unweighted:
        return
    if groups.pooling_multiplier(rows.dropna(subset=["value"])) is not None:
        return
    raise DataError(f"[indicators.{ind.key}] gives values without counts, and [areas] names no populations: the "
                    f"group's value needs populations to weight its areas (key 'populations' of [areas]); to use the "
                    f"unweighted mean of the areas' values instead, set unweighted = true in [areas]")


def check(briefing: Briefing) -> None:
    """What the analysis needs of the data beyond what reading them checks: that every indicator's group value
    can be computed as the configuration asks (pooled, weighted, or an unweighted mean only where asked)."""
    for ind in briefing.indicators.values():
        if ind.spec is None or ind.computed:
            continue
        rows = in_tier(briefing, briefing.rows(ind.key))
        _weighting(briefing, ind, rows)


def group_levels(briefing: Briefing, indicator: str, sex: str) -> tuple[pd.DataFrame, str, float]:
    """The group's and the comparator's value in each period, as rows the gap record reads.

    Returns the rows (``group`` is the indicator's group or comparator code; ``id`` names the data rows each
    rests on), how the group's value was obtained in words (empty where it is published), and the group's share
    of the comparator (its population share, else its share of the areas: the weight of the nested covariance).
    """
    ind = briefing.indicator(indicator)
    published = published_levels(briefing, ind, sex)
    if not published.empty:
        return published, "", 0.0
    rows = indicator_rows(briefing, indicator, sex)
    if rows.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS), "", 0.0
    log_scale = LOG_SCALE[ind.measure]
    tier = in_tier(briefing, rows)
    codes = set(briefing.group.codes)
    members = tier[tier["area_code"].isin(codes)]
    _weighting(briefing, ind, members)
    areas = briefing.config.areas
    records, methods_used = [], set()
    for period in sort_periods(rows["period"]):
        w = weights(briefing, period)
        g = _value(briefing, ind, sex, members[members["period"] == period], codes, log_scale, w)
        if g["areas"] == 0:
            continue
        methods_used.add(g["method"])
        records.append(_record(GROUP, period, g, ind))
        if areas.comparator == "England":
            found = rows[(rows["area_code"] == areas.comparator_code) & (rows["period"] == period)]
            if found.empty:
                continue
            c = found.iloc[0]
            records.append({"group": COMPARATOR, "period": period, "value": c["value"], "lower": c["lower"],
                            "upper": c["upper"], "decimals": ind.decimals, "log_scale": log_scale, "id": c["row_id"],
                            "inputs": c["row_id"], "areas": 0,
                            "method": "computed from England's counts" if ind.computed else "published",
                            "revision": "final", "status": "computed" if ind.computed else "published",
                            "interval": "confidence" if not math.isnan(c["lower"]) else "rounding"})
        else:
            found = rows[(rows["area_code"] == areas.comparator_code) & (rows["period"] == period)]
            if found.empty:
                continue
            r = rest_of_england(briefing, ind, sex, found.iloc[0], g, members[members["period"] == period], w)
            record = _record(COMPARATOR, period, r, ind)
            if r["method"] == "derived" and not ind.computed:
                record["log_scale"] = False  # its interval is England's less the group's share, on the linear scale
            records.append(record)
    frame = pd.DataFrame(records, columns=LEVEL_COLUMNS[:-3] if not records else None)
    if frame.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS), "", 0.0
    rounding = frame["interval"] == "rounding"
    derived = rounding & (frame["method"] == "derived")  # the rest of England: its rounding carried through
    frame["range_lower"], frame["range_upper"] = frame["lower"].where(derived), frame["upper"].where(derived)
    frame.loc[rounding, ["lower", "upper"]] = math.nan
    bounds = frame["period"].map(parse_period)
    frame["start"], frame["end"] = bounds.map(lambda b: b[0]), bounds.map(lambda b: b[1])
    frame["measure"] = ind.measure
    method = " and ".join(groups.METHOD_WORDS[m] for m in sorted(methods_used))
    note = briefing.populations_note(sort_periods(frame["period"])) if groups.WEIGHTED in methods_used else ""
    if note:
        method += f" ({note})"
    return frame, method, _share(briefing, tier, members, rows, ind, sex)


def rest_of_england(briefing: Briefing, ind: Indicator, sex: str, england: pd.Series, group: dict,
                    members: pd.DataFrame, w: pd.Series | None) -> dict:
    """The rest of England in one period, derived from England's published value and the group's: never the mean of
    the other areas' values (:mod:`healthgap.analysis.comparators`).

    - Counts: where the group's value is pooled from counts and England's row carries its count and denominator,
      the rest is England's less the group's, pooled the same way: m (C_E - C_G) / (D_E - D_G), with Byar's
      interval on its count (exact).
    - Otherwise R = (E - p G) / (1 - p), p the group's share of England's population (ONS's mid-year estimates,
      or the populations the data give), with its interval by the delta method.
    """
    from healthgap.analysis import comparators
    from healthgap.methods import byars_limits

    inputs = (england["row_id"], *group["inputs"])
    if ind.computed:
        from healthgap.analysis import counts

        held = in_tier(briefing, pd.DataFrame({"area_code": sorted(set(briefing.counts.deaths["area_code"]))}))
        codes = set(held["area_code"]) - set(briefing.group.codes)  # the tier's areas, less exclusions and the group
        r = counts.pooled(briefing.counts, ind.spec.compute, sex, codes)
        return {**r, "method": "derived"}
    m = groups.pooling_multiplier(members.dropna(subset=["value"])) if group["method"] == groups.POOLED else None
    if m is not None and not (math.isnan(england["count"]) or math.isnan(england["denominator"])):
        count = float(england["count"]) - float(members["count"].sum())
        denominator = float(england["denominator"]) - float(members["denominator"].sum())
        low, high = byars_limits(count, 0.95)
        value, lower, upper = count / denominator * m, float(low) / denominator * m, float(high) / denominator * m
        se = (upper - lower) / (2 * 1.959963984540054)
        return {"value": value, "lower": lower, "upper": upper, "se": se, "method": "derived", "areas": 0,
                "inputs": inputs}
    if w is None:
        raise DataError(f"[areas] comparator = \"rest of England\" for [indicators.{ind.key}]: the rest of England is "
                        f"derived from England's published value and the group's population share, so it needs "
                        f"populations (key 'populations' of [areas]) or counts in the data")
    share = comparators.population_share(briefing.group.codes, w,
                                         [c for c in w.index if str(c).startswith(("E06", "E07", "E08", "E09", "E10"))
                                          and hareas.in_tier(pd.Series([c]), briefing.config.areas.tier).iloc[0]])
    e_se = (england["upper"] - england["lower"]) / (2 * 1.959963984540054)
    value, se = comparators.rest_value(float(england["value"]), float(e_se), float(group["value"]),
                                       float(group["se"]), share)
    if not math.isnan(se):
        lower, upper = value - 1.959963984540054 * se, value + 1.959963984540054 * se
    else:  # no confidence limits: the range the rounding of E and G allows, carried through R = (E - pG) / (1 - p)
        half = 0.5 * 10.0**-ind.decimals
        e_low, e_high = ((float(england["lower"]), float(england["upper"])) if not math.isnan(e_se)
                         else (float(england["value"]) - half, float(england["value"]) + half))
        g_low = float(group["lower"]) if not math.isnan(group["lower"]) else float(group["value"]) - half
        g_high = float(group["upper"]) if not math.isnan(group["upper"]) else float(group["value"]) + half
        lower, upper = (e_low - share * g_high) / (1 - share), (e_high - share * g_low) / (1 - share)
    return {"value": value, "lower": lower, "upper": upper, "se": se, "method": "derived", "areas": 0,
            "inputs": inputs}


def _value(briefing: Briefing, ind: Indicator, sex: str, rows: pd.DataFrame, codes, log_scale: bool,
           w: pd.Series | None) -> dict:
    if ind.computed:
        from healthgap.analysis import counts

        return counts.pooled(briefing.counts, ind.spec.compute, sex, codes)
    return groups.group_value(rows, log_scale, w, decimals=ind.decimals)


def _record(code: str, period: str, g: dict, ind: Indicator) -> dict:
    return {"group": code, "period": period, "value": g["value"], "lower": g["lower"], "upper": g["upper"],
            "decimals": ind.decimals, "log_scale": LOG_SCALE[ind.measure], "id": ";".join(g["inputs"]),
            "inputs": ";".join(g["inputs"]), "areas": g["areas"], "method": g["method"], "revision": "final",
            "status": "computed", "interval": "confidence" if not math.isnan(g["se"]) else "rounding"}


def share_of(briefing: Briefing, ind: Indicator) -> str:
    """What the group's share of the comparator is a share of: live births (infant mortality from ONS's counts),
    the population (from counts, or the populations the data give), else the areas."""
    if ind.computed and briefing.counts is not None:
        return "live births" if ind.spec.compute == "infant_mortality" else "population"
    return "population" if briefing.populations is not None else "areas"


def _share(briefing: Briefing, tier: pd.DataFrame, members: pd.DataFrame, rows: pd.DataFrame, ind: Indicator,
           sex: str) -> float:
    """The group's share of the comparator (:func:`share_of`): of the live births or the population by sex that
    ONS's counts give, of the population in the latest period where the data give populations, else of the
    tier's areas."""
    ranked = tier["area_code"].nunique()
    share = members["area_code"].nunique() / ranked if ranked else 0.0
    if ind.computed and briefing.counts is not None:
        from healthgap.analysis.counts import _sexed

        if ind.spec.compute == "infant_mortality":
            by_area = briefing.counts.infants.groupby("area_code")["live_births"].sum()
        else:
            by_area = _sexed(briefing.counts.population, "population", sex).groupby("area_code")["population"].sum()
        total = by_area.reindex(tier["area_code"].unique()).sum()
        return float(by_area.reindex(members["area_code"].unique()).sum() / total) if total else share
    if briefing.populations is not None and not rows.empty:
        w = weights(briefing, sort_periods(rows["period"])[-1])
        total = w.reindex(tier["area_code"].unique()).sum()
        share = float(w.reindex(members["area_code"].unique()).sum() / total) if total else share
    return share


def area_table(briefing: Briefing, indicator: str, sex: str, period: str) -> pd.DataFrame:
    """Every area of the tier in one period: its value and limits, whether it is in the group, its deprivation
    decile (where the data rank the areas by deprivation), worst first. Empty for published group values."""
    ind = briefing.indicator(indicator)
    rows = indicator_rows(briefing, indicator, sex)
    if rows.empty or briefing.group is None:
        return pd.DataFrame()
    england = rows[(rows["area_code"] == briefing.config.areas.comparator_code) & (rows["period"] == period)]
    rows = in_tier(briefing, rows)
    rows = rows[rows["period"] == period].dropna(subset=["value"])
    columns = ["area_code", "area_name", "value", "lower", "upper", "lower_998", "upper_998", "row_id", "value_note",
               "compared_published"]
    table = rows[[c for c in columns if c in rows]].copy()
    table["member"] = table["area_code"].isin(briefing.group.codes)
    table["compared"] = compared_with_england(table, england, ind.higher_is_worse)
    deciles = briefing.deciles
    if not deciles.empty:
        table["decile"] = table["area_code"].map(deciles.set_index("area_code")["decile"])
    table = table.sort_values("value", ascending=not ind.higher_is_worse, kind="stable").reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    return table


def benchmark_levels(table: pd.DataFrame) -> tuple[float, ...]:
    """The confidence levels areas can be compared with England at: 95 % and 99.8 % where the data give both
    limits for every area that has 95 % ones, else 95 %."""
    has = table["lower"].notna()
    if "lower_998" in table and has.any() and table.loc[has, "lower_998"].notna().all():
        return (0.95, 0.998)
    return (0.95,)


def compared_with_england(table: pd.DataFrame, england: pd.DataFrame, higher_is_worse: bool) -> pd.Series:
    """Each area compared with England's value as Fingertips compares it (:func:`healthgap.analysis.benchmark.
    benchmark`): better, similar or worse at 95 % (best or worst beyond 99.8 % where the data give those limits);
    "not compared" without limits or without England's value."""
    from healthgap.analysis import benchmark

    if table.empty:
        return pd.Series(dtype=object)
    if england.empty or pd.isna(england.iloc[0]["value"]):
        return pd.Series(benchmark.NOT_COMPARED, index=table.index)
    return benchmark.benchmark(table.assign(category_type=""), higher_is_worse, benchmark_levels(table),
                               england=float(england.iloc[0]["value"]))


def sii_series(briefing: Briefing, indicator: str, sex: str, periods: list[str]) -> pd.DataFrame:
    """The slope index of inequality across deprivation deciles of areas, per period (empty without a
    deprivation ranking): each decile's value is its areas' value as the group's is computed, its population
    share its population's share where the data give populations (else its share of the ranked areas), and
    :func:`healthgap.methods.sii` fits the line (PHEindicatormethods' ``phe_sii``)."""
    from healthgap import methods

    ind = briefing.indicator(indicator)
    group = briefing.group
    ranked = briefing.deciles
    if group is None or ranked.empty:
        return pd.DataFrame()
    rows = in_tier(briefing, indicator_rows(briefing, indicator, sex)).merge(ranked[["area_code", "decile"]],
                                                                            on="area_code")
    log_scale = LOG_SCALE[ind.measure]
    records = []
    for period in periods:
        w = weights(briefing, period)
        for decile, part in rows[rows["period"] == period].groupby("decile"):
            g = _value(briefing, ind, sex, part, set(part["area_code"]), log_scale, w)
            if ind.computed:
                w = briefing.counts.population.groupby("area_code")["population"].sum()
            if g["areas"]:
                population = float(w.reindex(part["area_code"]).sum()) if w is not None else g["areas"]
                records.append({"period": period, "decile": int(decile), "value": g["value"], "lower": g["lower"],
                                "upper": g["upper"], "se": g["se"], "areas": g["areas"], "population": population})
    frame = pd.DataFrame(records)
    if frame.empty:
        return frame
    frame = frame[frame.groupby("period")["decile"].transform("nunique") == 10]
    results = []
    for period, part in frame.groupby("period", sort=False):
        part = part.assign(population=part["population"].astype(float))
        has_limits = part["lower"].notna().all() and part["se"].notna().all()
        if has_limits:  # the deciles' 95 % limits: sii takes their standard errors on the log scale for rates
            result = methods.sii(part, quantile="decile", population="population", value="value", lower="lower",
                                 upper="upper", value_type="rate" if log_scale else "normal", confidence=0.95,
                                 repetitions=10_000, seed=20040101)
        else:  # no limits in the data: the point estimate only
            result = methods.sii(part.assign(se=0.0), quantile="decile", population="population", value="value",
                                 se="se", value_type="normal", confidence=0.95, repetitions=1_000, seed=1)
        row = result.iloc[0]
        results.append({"period": period, "sii": float(row["sii"]),
                        "lower": float(row["sii_lower"]) if has_limits else math.nan,
                        "upper": float(row["sii_upper"]) if has_limits else math.nan, "rii": float(row["rii"])})
    out = pd.DataFrame(results)
    out["start"] = out["period"].map(lambda p: parse_period(p)[0])
    return out.sort_values("start").reset_index(drop=True)


def sii_of_fingertips_deciles(briefing: Briefing, indicator: str, sex: str) -> pd.DataFrame:
    """The slope index of inequality from Fingertips' own deprivation-decile rows, where an export carries them
    (:func:`healthgap.analysis.inequality.sii_from_fingertips_deciles`): those of the tier's kind of area
    ("County & UA deprivation deciles ..." for the upper tier, "District & UA ..." for the lower), each decile
    weighted by its denominator. Columns ``period, category_type, sii, lower, upper``; empty without them."""
    from healthgap.analysis import inequality

    rows = briefing.deciles_of_fingertips(indicator, sex)
    if rows.empty:
        return pd.DataFrame()
    kind = "County & UA" if briefing.config.areas.tier == "upper" else "District & UA"
    types = sorted(set(rows["category_type"]))
    chosen = next((t for t in types if t.startswith(kind)), types[0])
    ind = briefing.indicator(indicator)
    found = inequality.sii_from_fingertips_deciles(rows, chosen, log_scale=LOG_SCALE[ind.measure])
    found = found.dropna(subset=["sii"])
    return found.rename(columns={"sii_lower": "lower", "sii_upper": "upper"})[
        ["period", "category_type", "sii", "lower", "upper"]].reset_index(drop=True)
