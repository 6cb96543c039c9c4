"""Populations for weighting: ONS mid-year estimates by local authority, on today's boundaries.

ONS's MYEB3 ("components of change", 2001-2019 on April 2020 local-authority boundaries; columns
``ladcode20, laname20, country, population_2001``, then per year ``births_Y, deaths_Y, ..., population_Y``)
gives each local authority's usually resident population at 30 June of each year. The indicator series
(OHID Fingertips, ONS Explore Local Statistics) are on the boundaries of April 2023, so the authorities
created since 2020 are summed from the districts they replaced:

* 2021: North Northamptonshire (E06000061) = Corby, East Northamptonshire, Kettering, Wellingborough;
  West Northamptonshire (E06000062) = Daventry, Northampton, South Northamptonshire.
* 2023: Cumberland (E06000063) = Allerdale, Carlisle, Copeland; Westmorland and Furness (E06000064) =
  Barrow-in-Furness, Eden, South Lakeland; North Yorkshire (E06000065) = Craven, Hambleton, Harrogate,
  Richmondshire, Ryedale, Scarborough, Selby; Somerset (E06000066) = Mendip, Sedgemoor, Somerset West
  and Taunton, South Somerset.

(The Northamptonshire (2020) and Cumbria, North Yorkshire and Somerset (2022) Structural Changes Orders;
the new codes and names as the Indices of Deprivation 2025 give them, checked in ``tests/test_populations.py``.) Upper-tier authorities are the unitary
authorities, metropolitan districts and London boroughs themselves and the 21 counties of 2023 summed
from their districts (:data:`COUNTIES`). Fingertips' two combined areas, Hackney with the City of London
(E67000001) and Cornwall with the Isles of Scilly (E67000002), are summed too where asked for.

:func:`population_for_period` gives the populations that weight a period: those of its middle year, or of
the nearest year the estimates have, with a note the page can print.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from healthgap.read.errors import DataError
from healthgap.read.layouts import _read_rows, _require, normalise_period

UNITARIES: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "E06000061": ("North Northamptonshire", 2021, ("E07000150", "E07000152", "E07000153", "E07000156")),
    "E06000062": ("West Northamptonshire", 2021, ("E07000151", "E07000154", "E07000155")),
    "E06000063": ("Cumberland", 2023, ("E07000026", "E07000028", "E07000029")),
    "E06000064": ("Westmorland and Furness", 2023, ("E07000027", "E07000030", "E07000031")),
    "E06000065": ("North Yorkshire", 2023, ("E07000163", "E07000164", "E07000165", "E07000166", "E07000167",
                                            "E07000168", "E07000169")),
    "E06000066": ("Somerset", 2023, ("E07000187", "E07000188", "E07000246", "E07000189")),
}
"""Unitary authorities created since April 2020: code -> (name, year created, the districts they replaced)."""

COMBINED: dict[str, tuple[str, tuple[str, ...]]] = {
    "E67000001": ("City of London, Hackney", ("E09000001", "E09000012")),
    "E67000002": ("Isles of Scilly, Cornwall", ("E06000053", "E06000052")),
}
"""Fingertips' and ONS Explore Local Statistics' combined areas (their names as the ELS files give them)."""

COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "E10000003": ("Cambridgeshire", ("E07000008", "E07000009", "E07000010", "E07000011", "E07000012")),
    "E10000007": ("Derbyshire", ("E07000032", "E07000033", "E07000034", "E07000035", "E07000036", "E07000037",
                                 "E07000038", "E07000039")),
    "E10000008": ("Devon", ("E07000040", "E07000041", "E07000042", "E07000043", "E07000044", "E07000045",
                            "E07000046", "E07000047")),
    "E10000011": ("East Sussex", ("E07000061", "E07000062", "E07000063", "E07000064", "E07000065")),
    "E10000012": ("Essex", ("E07000066", "E07000067", "E07000068", "E07000069", "E07000070", "E07000071",
                            "E07000072", "E07000073", "E07000074", "E07000075", "E07000076", "E07000077")),
    "E10000013": ("Gloucestershire", ("E07000078", "E07000079", "E07000080", "E07000081", "E07000082", "E07000083")),
    "E10000014": ("Hampshire", ("E07000084", "E07000085", "E07000086", "E07000087", "E07000088", "E07000089",
                                "E07000090", "E07000091", "E07000092", "E07000093", "E07000094")),
    "E10000015": ("Hertfordshire", ("E07000095", "E07000096", "E07000242", "E07000098", "E07000099", "E07000240",
                                    "E07000243", "E07000102", "E07000103", "E07000241")),
    "E10000016": ("Kent", ("E07000105", "E07000106", "E07000107", "E07000108", "E07000109", "E07000110",
                           "E07000111", "E07000112", "E07000113", "E07000114", "E07000115", "E07000116")),
    "E10000017": ("Lancashire", ("E07000117", "E07000118", "E07000119", "E07000120", "E07000121", "E07000122",
                                 "E07000123", "E07000124", "E07000125", "E07000126", "E07000127", "E07000128")),
    "E10000018": ("Leicestershire", ("E07000129", "E07000130", "E07000131", "E07000132", "E07000133", "E07000134",
                                     "E07000135")),
    "E10000019": ("Lincolnshire", ("E07000136", "E07000137", "E07000138", "E07000139", "E07000140", "E07000141",
                                   "E07000142")),
    "E10000020": ("Norfolk", ("E07000143", "E07000144", "E07000145", "E07000146", "E07000147", "E07000148",
                              "E07000149")),
    "E10000024": ("Nottinghamshire", ("E07000170", "E07000171", "E07000172", "E07000173", "E07000174", "E07000175",
                                      "E07000176")),
    "E10000025": ("Oxfordshire", ("E07000177", "E07000178", "E07000179", "E07000180", "E07000181")),
    "E10000028": ("Staffordshire", ("E07000192", "E07000193", "E07000194", "E07000195", "E07000196", "E07000197",
                                    "E07000198", "E07000199")),
    "E10000029": ("Suffolk", ("E07000200", "E07000202", "E07000203", "E07000244", "E07000245")),
    "E10000030": ("Surrey", ("E07000207", "E07000208", "E07000209", "E07000210", "E07000211", "E07000212",
                             "E07000213", "E07000214", "E07000215", "E07000216", "E07000217")),
    "E10000031": ("Warwickshire", ("E07000218", "E07000219", "E07000220", "E07000221", "E07000222")),
    "E10000032": ("West Sussex", ("E07000223", "E07000224", "E07000225", "E07000226", "E07000227", "E07000228",
                                  "E07000229")),
    "E10000034": ("Worcestershire", ("E07000234", "E07000235", "E07000236", "E07000237", "E07000238", "E07000239")),
}
"""The 21 counties of April 2023 and their districts (2020 codes): ONS MYE2's hierarchy of mid-2014 with
Suffolk's districts of 2019 (East Suffolk E07000244 = Suffolk Coastal + Waveney; West Suffolk E07000245 =
Forest Heath + St Edmundsbury)."""

RECODED_2024: dict[str, tuple[str, str]] = {
    "E08000038": ("Barnsley", "E08000016"),
    "E08000039": ("Sheffield", "E08000019"),
}
"""Codes of April 2024 for a minor boundary change between Barnsley and Sheffield: new code -> (name, the
code before). ONS's healthy life expectancy series uses the new codes; the Indices of Deprivation 2025 (both
tiers), the cardiovascular series and MYEB3 the old ones. The populations are those of the old areas."""

COLUMNS = ["area_code", "area_name", "year", "population", "parts", "file", "lines"]
_POPULATION = re.compile(r"^population_(\d{4})$")


def read_myeb3(path: str | Path, boundaries: str = "2023", combined: bool = False) -> pd.DataFrame:
    """England's local authorities' mid-year populations from ONS MYEB3, one row per area and year.

    ``boundaries="2023"`` (the default): lower-tier authorities (E06, E07, E08, E09) on April 2023
    boundaries, the authorities created in 2021 and 2023 summed from their districts (:data:`UNITARIES`);
    ``"2024"``: the same with Barnsley and Sheffield under their codes of April 2024 (:data:`RECODED_2024`);
    ``"2020"``: as published. ``combined=True`` adds Fingertips' combined areas (:data:`COMBINED`), whose
    parts stay in too (so the rows then overlap: do not sum them all).

    Returns :data:`COLUMNS`: ``area_code, area_name, year, population, parts`` (the codes summed, ``""``
    where the row is as published), ``file`` and ``lines`` (the lines of the file it rests on, ``;``-joined).
    """
    if boundaries not in ("2020", "2023", "2024"):
        raise ValueError(f"boundaries {boundaries!r}: expected '2020' (as published), '2023' or '2024'")
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["ladcode20", "laname20", "country", "population_2001"])
    years = [int(m.group(1)) for c in header if (m := _POPULATION.fullmatch(c))]
    records = []
    for line, r in rows:
        if r["country"].strip() != "E":
            continue
        code = r["ladcode20"].strip()
        if not re.fullmatch(r"E0[6-9]\d{6}", code):
            raise DataError(f"{path.name}, line {line}, column 'ladcode20': expected an English local-authority code "
                            f"such as E06000001, got {code!r}")
        for year in years:
            column = f"population_{year}"
            text = r[column].strip().replace(",", "")
            if not re.fullmatch(r"\d+", text) or int(text) == 0:
                raise DataError(f"{path.name}, line {line}, column {column!r}: expected a positive whole number, "
                                f"got {r[column]!r}")
            records.append({"area_code": code, "area_name": r["laname20"].strip(), "year": year,
                            "population": int(text), "parts": "", "file": path.name, "lines": str(line)})
    if not records:
        raise DataError(f"{path.name}: expected rows of English local authorities (country E), found none")
    frame = pd.DataFrame(records, columns=COLUMNS)
    twice = frame.duplicated(["area_code", "year"])
    if twice.any():
        r = frame[twice].iloc[0]
        raise DataError(f"{path.name}, line {r['lines']}: expected one row per local authority; {r['area_code']} "
                        "appears twice")
    if boundaries in ("2023", "2024"):
        merged = _sum_parts(frame, {code: (name, parts) for code, (name, _, parts) in UNITARIES.items()}, path.name)
        replaced = {p for _, _, parts in UNITARIES.values() for p in parts}
        frame = pd.concat([frame[~frame["area_code"].isin(replaced)], merged], ignore_index=True)
    if boundaries == "2024":
        old = {before: new for new, (_, before) in RECODED_2024.items()}
        frame["area_code"] = frame["area_code"].replace(old)
    if combined:
        frame = pd.concat([frame, _sum_parts(frame, COMBINED, path.name)], ignore_index=True)
    return frame.sort_values(["area_code", "year"]).reset_index(drop=True)


def _sum_parts(frame: pd.DataFrame, wholes: dict[str, tuple[str, tuple[str, ...]]], name: str) -> pd.DataFrame:
    """Each whole (code -> (name, parts)) as the sum of its parts, year by year; a missing part is an error."""
    present = set(frame["area_code"])
    out = []
    for code, (area_name, parts) in wholes.items():
        missing = [p for p in parts if p not in present]
        if missing:
            raise DataError(f"{name}: expected {', '.join(missing)} among the areas, to sum into {area_name} ({code})")
        rows = frame[frame["area_code"].isin(parts)]
        summed = rows.groupby("year", as_index=False).agg(population=("population", "sum"),
                                                          lines=("lines", lambda s: ";".join(s)))
        out.append(summed.assign(area_code=code, area_name=area_name, parts=";".join(parts), file=name))
    return pd.DataFrame(pd.concat(out, ignore_index=True), columns=COLUMNS) if out else pd.DataFrame(columns=COLUMNS)


def upper_tier(lower: pd.DataFrame) -> pd.DataFrame:
    """Upper-tier populations on April 2023 boundaries from :func:`read_myeb3`'s lower tier: unitary
    authorities, metropolitan districts and London boroughs as they are, the 21 counties (:data:`COUNTIES`)
    summed from their districts. Same columns; ``parts`` names the districts summed."""
    _require_columns(lower, COLUMNS)
    counties = _sum_parts(lower, COUNTIES, str(lower["file"].iloc[0]) if len(lower) else "populations")
    districts = {p for _, parts in COUNTIES.values() for p in parts}
    strays = sorted(set(lower.loc[lower["area_code"].str.startswith("E07"), "area_code"]) - districts)
    if strays:
        raise DataError(f"populations: districts {', '.join(strays[:3])} belong to no county of April 2023 "
                        "(read the estimates with boundaries='2023')")
    keep = lower["area_code"].str[:3].isin(["E06", "E08", "E09", "E67"])
    return pd.concat([lower[keep], counties], ignore_index=True).sort_values(["area_code", "year"]).reset_index(drop=True)


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"populations: expected columns {', '.join(missing)} (as read_myeb3 returns them)")


def population_for_period(pops: pd.DataFrame, period: str) -> tuple[pd.Series, int, str]:
    """The populations that weight a period: those of its middle year, or of the nearest year there are.

    The middle year of a period of years ``start`` to ``end`` is floor((start + end) / 2): 2001-03 -> 2002;
    2019/20 (a financial year) -> 2019; 2015 -> 2015. Where the estimates have no such year, the nearest year
    they have (the later one of two equally near). Returns (population by area code, the year used, a note:
    ``""`` for the middle year itself, else e.g. "populations for 2019, the latest in the data, weight 2022-24").
    """
    _require_columns(pops, ["area_code", "year", "population"])
    if pops.empty:
        raise ValueError("populations: no rows")
    try:
        label, start, end = normalise_period(period)
    except ValueError as error:
        raise ValueError(str(error)) from None
    middle = (start + end) // 2
    years = sorted(int(y) for y in pops["year"].unique())
    year = min(years, key=lambda y: (abs(y - middle), -y))
    note = ""
    if year != middle:
        which = "the latest in the data" if year == years[-1] else "the earliest in the data" if year == years[0] \
            else "the nearest in the data"
        note = f"populations for {year}, {which}, weight {label}"
    rows = pops[pops["year"] == year]
    return rows.set_index("area_code")["population"].astype(float), year, note


def populations_for_periods(pops: pd.DataFrame, periods: Sequence[str]) -> tuple[pd.DataFrame, str]:
    """:func:`population_for_period` for several periods at once: a frame in the shape of
    :func:`healthgap.read.layouts.read_populations` (``area_code, period, start, end, population, year``)
    and one note for the periods weighted by another year, e.g. "populations for 2019, the latest in
    the data, weight 2020-22 to 2022-24" (periods in the order given; runs of the same year joined)."""
    frames, notes = [], []
    run: list[str] = []
    run_year = None
    run_which = ""

    def close():
        if run:
            span = run[0] if len(run) == 1 else f"{run[0]} to {run[-1]}"
            notes.append(f"populations for {run_year}, {run_which}, weight {span}")

    for period in periods:
        weights, year, note = population_for_period(pops, period)
        label, start, end = normalise_period(period)
        frames.append(pd.DataFrame({"area_code": weights.index, "period": label, "start": start, "end": end,
                                    "population": weights.to_numpy(), "year": year}))
        which = note.split(", ")[1] if note else ""
        if note and year == run_year and which == run_which:
            run.append(label)
            continue
        close()
        run, run_year, run_which = ([label], year, which) if note else ([], None, "")
    close()
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["area_code", "period", "start", "end", "population", "year"])
    return frame, "; ".join(notes)
