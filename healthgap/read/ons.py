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
import io
import math
import re
from pathlib import Path

import pandas as pd

from healthgap.read import csvfile
from healthgap.read.errors import DataError

LOW_COMMA = "\u201a"
SOFT_HYPHEN = "\u00ad"
BANDS = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 90, 5)], "90+"]
"""The age bands of ONS's deaths table and of the life table: 0, 1-4, 5-9, ..., 85-89, 90+."""


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
    records = []
    for line, record in rows[start + 2:]:
        if not record or not record[0].strip() or len(record) < 2 or not record[1].strip():
            continue  # blank separators, footnotes and the source line
        name = record[0].strip()
        for index, sex, label in columns:
            records.append({"area_name": name, "name_key": normalise_name(name), "sex": sex, "age_band": label,
                            "deaths": _count(path, line, f"{label} {sex}", record[index]), "file": path.name,
                            "line": line})
    return pd.DataFrame(records)


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
    records = []
    for line, record in rows[start + 1:]:
        if not record or not record[0].strip():
            continue
        code = record[0].strip()
        if not re.fullmatch(r"[EWSNK]\d{8}", code):
            raise DataError(f"{path.name}, line {line}, column 'CODE': expected a GSS area code, got {code!r}")
        for offset, age in enumerate(ages):
            records.append({"area_code": code, "area_name": record[1].strip(), "age": age,
                            "population": _count(path, line, str(age), record[3 + offset]), "file": path.name,
                            "line": line})
    return pd.DataFrame(records)


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
