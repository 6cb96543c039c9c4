"""ONS count tables as ONS ships them: spreadsheet sheets saved as CSV.

ONS's deaths, births and population workbooks, each sheet exported to CSV, carry title rows, two-row
headers, blank separator rows, numbers with thousands separators in quotes ("1,361"), area names
padded with spaces, footnote digits glued to names ("ENGLAND AND WALES1"), a low comma (U+201A)
standing in for a comma ("Bristol‚ City of"), soft hyphens in age headers ("1 ­ 4") and " UA"
suffixes ("Hartlepool UA"). Only the population tables (MYE2) carry GSS codes, so the other tables'
areas are matched to codes by their names, normalised (:func:`normalise_name`); every name that does
not match is reported (:func:`match_names`), never dropped silently.

Readers (one per table; each returns a tidy frame with the file and line of every row):

* :func:`read_deaths_by_age` - "Deaths (numbers): area of usual residence, by age and sex" (Table 2):
  ``area_name, sex, age_band, deaths`` for the bands 0, 1-4, 5-9, ..., 85-89, 90+.
* :func:`read_deaths_and_rates` - "Deaths (numbers and rates) by area of usual residence" (Table 1a):
  infant deaths and ONS's published age-standardised rates (ESP2013) and infant mortality rates.
* :func:`read_population_by_age` - MYE2 "Population estimates by single year of age and sex for local
  authorities": ``area_code, area_name, age, population`` (0 ... 89, and 90 for 90 and over).
* :func:`read_live_births` - "Live births by area of usual residence of mother" (births Table 3).
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from healthgap.read import csvfile
from healthgap.read.errors import DataError

LOW_COMMA = "\u201a"
SOFT_HYPHEN = "\u00ad"
BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
"""The age bands of ONS's deaths table and of the life table: 0, 1-4, 5-9, ..., 85-89, 90+."""


@functools.lru_cache(maxsize=4096)
def normalise_name(name: str) -> str:
    """An area name as the tables can agree on it: "Bristol‚ City of UA" and "Bristol, City of" both give
    "bristol city of"; "ENGLAND AND WALES1" gives "england and wales"."""
    text = str(name).replace(LOW_COMMA, ",").replace(SOFT_HYPHEN, "-").strip()
    text = re.sub(r"(?<=[A-Za-z)])\s*\d+(,\d+)*$", "", text)  # footnote numbers after the name ("SCOTLAND 1,4")
    text = re.sub(r"\s+UA\b", "", text.strip())  # births: "Hartlepool UA", "Cornwall UA and Isles of Scilly UA"
    text = re.sub(r"\s+County$", "", text)  # "Somerset County" (the county, not a district)
    text = text.lower().replace("&", " and ").replace(".", "").replace("'", "").replace("’", "")
    return re.sub(r"[\s,\-]+", " ", text).strip()


def _sheet(path: Path) -> list[tuple[int, list[str]]]:
    path = Path(path)
    text = csvfile.read_text(path, path.name, header=False)  # title rows come first
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    for record in reader:
        rows.append((line, record))
        line = reader.line_num + 1
    if not rows:
        raise DataError(f"{path.name}, line 1: expected an ONS table, got an empty file")
    return rows


def _count(path: Path, line: int, column: str, text: str, *, allow_blank: bool = False) -> float:
    text = str(text).strip().replace(",", "")
    if text in ("", ":", "-", "..", "x", "z") and allow_blank:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a number, got {text!r}") from None
    if value < 0 or not math.isfinite(value):
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a non-negative number, got {text!r}")
    return value


def _counts(path: Path, lines: list[int], cells: list[list[str]], columns: list[str]) -> list[list[float]]:
    """Many counts at once, row by row (``cells``: one list per row, one text per column): as :func:`_count`
    reads each, and where any is not a non-negative number the first of them in file order stops with its
    own one line, as :func:`_count` words it."""
    import numpy as np

    if not cells:
        return []
    text = np.char.replace(np.char.strip(np.array(cells, dtype=str)), ",", "")
    values = pd.DataFrame(text).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():  # the careful reading, which names the first
        return [[_count(path, line, column, cell) for column, cell in zip(columns, row)]
                for line, row in zip(lines, cells)]
    return values.tolist()


def _header_line(path: Path, rows, first_cell: str) -> int:
    for i, (_, record) in enumerate(rows):
        if record and record[0].strip().lower() == first_cell.lower():
            return i
    raise DataError(f"{path.name}: expected a header row starting {first_cell!r}, found none")


def _band(label: str) -> str:
    """An ONS age header as a band: "Under 1" -> "0", " 1 ­ 4" -> "1-4", "90 and over" -> "90+"."""
    text = label.replace(SOFT_HYPHEN, "-").strip().lower()
    text = re.sub(r"\s*-\s*", "-", text)
    if text.startswith("under 1"):
        return "0"
    if "and over" in text:
        return text.split()[0] + "+"
    return text


def read_deaths_by_age(path: str | Path) -> pd.DataFrame:
    """ONS deaths Table 2: ``area_name, name_key, sex, age_band, deaths, file, line`` (one row per area, sex and band)."""
    path = Path(path)
    rows = _sheet(path)
    start = _header_line(path, rows, "Area of usual residence")
    header = rows[start][1]
    sexes = rows[start + 1][1]
    columns = []  # (index, sex, band)
    band = None
    for index in range(1, len(header)):
        if header[index].strip():
            band = header[index]
        sex = sexes[index].strip().lower() if index < len(sexes) else ""
        if band is None or sex not in ("males", "females"):
            continue
        label = _band(band)
        if label == "all ages":
            continue
        columns.append((index, "male" if sex == "males" else "female", label))
    found = sorted({b for _, _, b in columns}, key=lambda b: BANDS.index(b) if b in BANDS else 99)
    if found != BANDS:
        raise DataError(f"{path.name}, line {rows[start][0]}: expected age groups Under 1, 1-4, ..., 85-89, 90 and "
                        f"over, got {', '.join(found)}")
    lines, names, cells = [], [], []
    for line, record in rows[start + 2:]:
        if not record or not record[0].strip() or len(record) < 2 or not record[1].strip():
            continue  # blank separators, footnotes and the source line
        lines.append(line), names.append(record[0].strip())
        cells.append([record[index] if index < len(record) else "" for index, _, _ in columns])
    counts = _counts(path, lines, cells, [f"{label} {sex}" for _, sex, label in columns])
    n = len(columns)
    return pd.DataFrame({"area_name": [m for m in names for _ in range(n)],
                         "name_key": [normalise_name(m) for m in names for _ in range(n)],
                         "sex": [sex for _, sex, _ in columns] * len(lines),
                         "age_band": [label for _, _, label in columns] * len(lines),
                         "deaths": [v for row in counts for v in row], "file": path.name,
                         "line": [line for line in lines for _ in range(n)]},
                        columns=["area_name", "name_key", "sex", "age_band", "deaths", "file", "line"])


TABLE_1A = {"population": 1, "deaths_persons": 4, "deaths_male": 5, "deaths_female": 6, "infant_deaths": 7,
            "asmr_persons": 11, "asmr_male": 12, "asmr_female": 14, "imr": 16}
"""Table 1a's columns (0-based): populations in thousands, deaths, infant deaths, the age-standardised
mortality rates (persons, males, females; ESP2013, per 100,000) and the infant mortality rate per 1,000."""


def read_deaths_and_rates(path: str | Path) -> pd.DataFrame:
    """ONS deaths Table 1a: ``area_name, name_key``, infant deaths and the published rates (blank where
    ONS leaves them blank: fewer than 3 deaths), with the file and line."""
    path = Path(path)
    rows = _sheet(path)
    start = _header_line(path, rows, "Area of usual residence")
    records = []
    for line, record in rows[start + 1:]:
        if not record or not record[0].strip() or len(record) <= TABLE_1A["imr"]:
            continue
        if not record[TABLE_1A["deaths_persons"]].strip():
            continue  # a heading or header row
        entry = {"area_name": record[0].strip(), "name_key": normalise_name(record[0]), "file": path.name, "line": line}
        for column, index in TABLE_1A.items():
            entry[column] = _count(path, line, column, record[index], allow_blank=column != "deaths_persons")
        records.append(entry)
    return pd.DataFrame(records)


def read_population_by_age(path: str | Path) -> pd.DataFrame:
    """ONS MYE2 by single year of age: ``area_code, area_name, age, population, file, line`` (age 90 is 90+)."""
    path = Path(path)
    rows = _sheet(path)
    start = _header_line(path, rows, "CODE")
    header = [h.strip() for h in rows[start][1]]
    if header[:3] != ["CODE", "NAME", "ALL AGES"] or header[-1] != "90":
        raise DataError(f"{path.name}, line {rows[start][0]}: expected columns CODE, NAME, ALL AGES, 0, 1, ..., 90")
    ages = [int(a) for a in header[3:]]
    lines, codes, names, cells = [], [], [], []
    for line, record in rows[start + 1:]:
        if not record or not record[0].strip():
            continue
        code = record[0].strip()
        if not re.fullmatch(r"[EWSNK]\d{8}", code):
            raise DataError(f"{path.name}, line {line}, column 'CODE': expected a GSS area code, got {code!r}")
        cell = record[3:3 + len(ages)]
        lines.append(line), codes.append(code), names.append(record[1].strip())
        cells.append(cell + [""] * (len(ages) - len(cell)))
    counts = _counts(path, lines, cells, [str(age) for age in ages])
    n = len(ages)
    return pd.DataFrame({"area_code": [c for c in codes for _ in range(n)],
                         "area_name": [m for m in names for _ in range(n)], "age": ages * len(lines),
                         "population": [v for row in counts for v in row], "file": path.name,
                         "line": [line for line in lines for _ in range(n)]},
                        columns=["area_code", "area_name", "age", "population", "file", "line"])


def read_live_births(path: str | Path) -> pd.DataFrame:
    """ONS births Table 3: ``area_name, name_key, live_births, file, line``."""
    path = Path(path)
    rows = _sheet(path)
    start = _header_line(path, rows, "Area of usual residence")
    records = []
    for line, record in rows[start + 1:]:
        if len(record) < 2 or not record[0].strip() or not record[1].strip():
            continue
        records.append({"area_name": record[0].strip(), "name_key": normalise_name(record[0]),
                        "live_births": _count(path, line, "Live births", record[1]), "file": path.name, "line": line})
    return pd.DataFrame(records)


def age_band(age: int) -> str:
    """The band of a single year of age: 0, 1-4, 5-9, ..., 85-89, 90+."""
    if age == 0:
        return "0"
    if age < 5:
        return "1-4"
    if age >= 90:
        return "90+"
    low = age - age % 5
    return f"{low}-{low + 4}"


def populations_by_band(frame: pd.DataFrame) -> pd.DataFrame:
    """MYE2 single years summed into the deaths table's bands: ``area_code, area_name, age_band, population``."""
    banded = frame.assign(age_band=frame["age"].map(age_band))
    return banded.groupby(["area_code", "area_name", "age_band"], as_index=False, sort=False)["population"].sum()


def match_names(names: pd.DataFrame, reference: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match areas by normalised name to a table with codes (``area_code, area_name``).

    Returns the matches (``name_key, area_code``) and the names that did not match, or matched more than
    one code, with the reason: nothing is dropped silently. A name "A and B" whose parts are both areas
    (the deaths tables' "Cornwall and Isles of Scilly") matches the combined code "A+B".
    """
    reference = reference.drop_duplicates("area_code").assign(name_key=lambda f: f["area_name"].map(normalise_name))
    counts = reference.groupby("name_key")["area_code"].nunique()
    ambiguous = set(counts[counts > 1].index)
    lookup = reference[~reference["name_key"].isin(ambiguous)].set_index("name_key")["area_code"]
    matched, unmatched = [], []
    for _, row in names.drop_duplicates("name_key").iterrows():
        key = row["name_key"]
        parts = key.split(" and ")
        if key in ambiguous:
            unmatched.append({"area_name": row["area_name"], "reason": "its name matches more than one code"})
        elif key in lookup.index:
            matched.append({"name_key": key, "area_code": lookup[key]})
        elif len(parts) == 2 and all(p in lookup.index for p in parts):
            # a combined area ("Cornwall and Isles of Scilly"): the two codes, joined, whose populations are summed
            matched.append({"name_key": key, "area_code": "+".join(lookup[p] for p in parts)})
        else:
            unmatched.append({"area_name": row["area_name"], "reason": "no area of that name in the population table"})
    return pd.DataFrame(matched, columns=["name_key", "area_code"]), pd.DataFrame(unmatched, columns=["area_name", "reason"])


# --- the tables side by side, matched to codes ---------------------------------------------------------


@dataclass
class Counts:
    """The counts of the ONS tables, matched to area codes: deaths and populations by area, sex and band,
    infant deaths and live births by area, ONS's published rates, and every name that did not match."""

    deaths: pd.DataFrame       # area_code, sex, age_band, deaths, row
    population: pd.DataFrame   # area_code, sex, age_band, population, row
    infants: pd.DataFrame      # area_code, infant_deaths, live_births, rows
    published: pd.DataFrame    # area_code, asmr_persons, asmr_male, asmr_female, imr, row
    names: pd.Series           # area_code -> area name
    unmatched: pd.DataFrame    # area_name, table, reason
    period: str


def _attach(frame: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    return frame.merge(matches, on="name_key", how="inner")


def assemble(deaths: pd.DataFrame, rates: pd.DataFrame, populations: dict[str, pd.DataFrame],
             births: pd.DataFrame, period: str) -> Counts:
    """Match the tables' area names to the population table's codes and put the counts side by side.

    ``populations``: the MYE2 tables by sex (``male``, ``female``; ``persons`` optional, checked against
    their sum). A combined area of the deaths tables ("Cornwall and Isles of Scilly") gets the summed
    populations of its parts.
    """
    if "male" not in populations or "female" not in populations:
        raise DataError("the population tables for males and for females are both needed")
    reference = populations["male"][["area_code", "area_name"]].drop_duplicates("area_code")
    unmatched = []
    attached = {}
    for table, frame in (("deaths by age", deaths), ("deaths and rates", rates), ("live births", births)):
        key = ["name_key", "sex", "age_band"] if "age_band" in frame else ["name_key"]
        repeated = frame[frame.duplicated(key, keep="first")].drop_duplicates("name_key")
        first = frame.drop_duplicates("name_key").set_index("name_key")["line"]
        unmatched.append(pd.DataFrame({"area_name": repeated["area_name"], "table": table,
                                       "reason": "in the table twice (line " + repeated["name_key"].map(first).astype(str)
                                       + ", again at line " + repeated["line"].astype(str) + "); the first is used"}))
        frame = frame.drop_duplicates(key, keep="first")
        matches, missing = match_names(frame[["area_name", "name_key"]], reference)
        unmatched.append(missing.assign(table=table))
        attached[table] = _attach(frame, matches)
    names = dict(zip(reference["area_code"], reference["area_name"]))
    pop_rows = []
    for sex in ("male", "female"):
        frame = populations[sex]
        banded = frame.assign(age_band=frame["age"].map(age_band),
                              row=frame["file"] + ":" + frame["line"].astype(str))
        grouped = banded.groupby(["area_code", "age_band"], as_index=False, sort=False).agg(
            population=("population", "sum"), row=("row", "first"))
        pop_rows.append(grouped.assign(sex=sex))
    population = pd.concat(pop_rows, ignore_index=True)
    combined = sorted({c for t in attached.values() for c in t["area_code"] if "+" in c})
    for code in combined:
        parts = population[population["area_code"].isin(code.split("+"))]
        summed = parts.groupby(["sex", "age_band"], as_index=False).agg(
            population=("population", "sum"), row=("row", lambda x: ";".join(x)))
        population = pd.concat([population, summed.assign(area_code=code)], ignore_index=True)
        names[code] = " and ".join(names[c] for c in code.split("+"))
    d = attached["deaths by age"]
    d = d.assign(row=d["file"] + ":" + d["line"].astype(str))[["area_code", "sex", "age_band", "deaths", "row"]]
    r = attached["deaths and rates"]
    b = attached["live births"]
    infants = r[["area_code", "infant_deaths", "file", "line"]].merge(
        b[["area_code", "live_births", "file", "line"]], on="area_code", suffixes=("_deaths", "_births"))
    infants["rows"] = (infants["file_deaths"] + ":" + infants["line_deaths"].astype(str) + ";"
                       + infants["file_births"] + ":" + infants["line_births"].astype(str))
    published = r.assign(row=r["file"] + ":" + r["line"].astype(str))[
        ["area_code", "asmr_persons", "asmr_male", "asmr_female", "imr", "row"]]
    if "persons" in populations:
        _check_persons(populations, population)
    _check_within(d, population, infants)
    return Counts(deaths=d, population=population, infants=infants[["area_code", "infant_deaths", "live_births", "rows"]],
                  published=published, names=pd.Series(names), unmatched=pd.concat(unmatched, ignore_index=True),
                  period=period)


def _check_within(deaths: pd.DataFrame, population: pd.DataFrame, infants: pd.DataFrame) -> None:
    """No count above its denominator: an area's deaths at an age and sex within its population of that age
    and sex, its infant deaths within its live births. The first offending row (by line) is reported."""
    joined = deaths.merge(population[["area_code", "sex", "age_band", "population", "row"]],
                          on=["area_code", "sex", "age_band"], suffixes=("", "_population"))
    over = joined[joined["deaths"] > joined["population"]]
    if not over.empty:
        r = over.assign(at=over["row"].str.split(":").str[-1].astype(int)).sort_values("at").iloc[0]
        file, line = r["row"].rsplit(":", 1)
        raise DataError(f"{file}, line {line}, column '{r['age_band']} {r['sex']}': expected deaths no more than the "
                        f"population of that age and sex ({r['population']:,.0f} in "
                        f"{r['row_population'].split(';')[0]}), got {r['deaths']:,.0f}")
    over = infants[infants["infant_deaths"] > infants["live_births"]]
    if not over.empty:
        r = over.sort_values("line_deaths").iloc[0]
        raise DataError(f"{r['file_deaths']}, line {r['line_deaths']}, column 'infant_deaths': expected infant deaths "
                        f"no more than the live births ({r['live_births']:,.0f} in {r['file_births']}, line "
                        f"{r['line_births']}), got {r['infant_deaths']:,.0f}")


def _check_persons(populations: dict[str, pd.DataFrame], banded: pd.DataFrame) -> None:
    """The persons table must be the sum of the males' and females' (it is, to the person, in MYE2)."""
    persons = populations["persons"].groupby("area_code")["population"].sum()
    both = banded.groupby("area_code")["population"].sum()
    common = persons.index.intersection(both.index)
    diff = (persons[common] - both[common]).abs()
    if (diff > 0.5).any():
        code = diff[diff > 0.5].index[0]
        rows = populations["persons"][populations["persons"]["area_code"] == code]
        raise DataError(f"{rows['file'].iloc[0]}, line {rows['line'].iloc[0]}, column 'ALL AGES': expected the persons "
                        f"population of {code} to be the males' plus the females' ({both[code]:,.0f}), got "
                        f"{persons[code]:,.0f}")
