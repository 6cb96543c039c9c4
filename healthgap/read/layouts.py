"""Indicator series for every area: each publisher's layout read into one tidy shape.

The shape is Fingertips' own, the one analysts download, in snake case: one row per indicator,
area, sex, age, category and period, with

    indicator_id, indicator, area_code, area_name, area_type, sex, age, category_type, category,
    period, start, end, value, lower, upper, ci_level, lower_998, upper_998, count, denominator,
    value_note, file, line, row_id

``period`` is normalised (``2013-15`` for Fingertips' ``2013 - 15``, ONS's ``2013-01-01/P3Y``;
``2019/20`` for a financial year; ``2015`` for a single year) with its first and last calendar years
in ``start`` and ``end``. ``lower``/``upper`` are the confidence limits at ``ci_level`` (empty where
the publisher gave none); ``lower_998``/``upper_998`` are the 99.8 % limits where the publisher gives
them too (Fingertips' exports; empty otherwise); ``count`` and ``denominator`` where given. ``file`` and
``line`` say where each row was read (the header is line 1), and ``row_id`` (``file:line``) is how the
briefing cites it.

Readers, one per layout as published:

* :func:`read_fingertips_export` - Fingertips' "download data" CSV (``Time period`` such as
  ``2013 - 15``, ``Lower CI 95.0 limit``, ``Count``, ``Denominator``, ``Category Type``; the indicator
  name is a quoted field that may hold a newline).
* :func:`read_fingertips_next` - FingertipsNext's ``healthdata.csv`` (numeric ``IndicatorID``,
  ``AgeID``, ``SexID``; a BOM).
* :func:`read_ons_els` - ONS Explore Local Statistics (``areacd``, ``observation``, ``lci_95``; ISO
  periods such as ``2001-01-01/P3Y``; a BOM; a JSON sidecar naming the source).
* :func:`read_fingertips_extract` - Fingertips values reshaped to one value per row (``area_code``,
  ``period``, ``value``, sex in ``inequality`` or ``unit``), as local dashboards keep them.

A row that cannot be read raises :class:`~healthgap.read.tables.DataError` with one line naming the file,
the line, the column and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from healthgap.read import csvfile
from healthgap.read.errors import DataError

COLUMNS = [
    "indicator_id", "indicator", "area_code", "area_name", "area_type", "sex", "age", "category_type", "category",
    "period", "start", "end", "value", "lower", "upper", "ci_level", "lower_998", "upper_998", "count", "denominator",
    "value_note", "compared_published", "file", "line", "row_id",
]

SEXES = {"persons": "persons", "person": "persons", "all": "persons", "male": "male", "males": "male",
         "female": "female", "females": "female"}
"""The words publishers use for each sex, lower-cased."""
GSS = re.compile(r"^[EWSNK]\d{8}$")
MISSING = {"", "na", "n/a", "nan", "null", "-", ":", "*", "..", "x"}


# --- periods ------------------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})/P(\d+)Y$")
_RANGE = re.compile(r"^(\d{4})\s*-\s*(\d{2}|\d{4})$")
_FINANCIAL = re.compile(r"^(\d{4})\s*/\s*(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


def normalise_period(text: str) -> tuple[str, int, int]:
    """A publisher's period as (label, first year, last year).

    ``"2013 - 15"`` -> ("2013-15", 2013, 2015); ``"2001-01-01/P3Y"`` (ISO 8601, three years from
    1 January 2001) -> ("2001-03", 2001, 2003); ``"2019/20"`` (a financial year, April to March) ->
    ("2019/20", 2019, 2020); ``"2015"`` -> ("2015", 2015, 2015). Raises ValueError otherwise.
    """
    text = str(text).strip()
    if m := _ISO.fullmatch(text):
        start, years = int(m.group(1)), int(m.group(4))
        if m.group(2) != "01" or m.group(3) != "01" or years < 1:
            raise ValueError(f"period {text!r}: expected whole calendar years such as 2001-01-01/P3Y")
        end = start + years - 1
        return (str(start) if years == 1 else f"{start}-{end % 100:02d}"), start, end
    if m := _RANGE.fullmatch(text):
        start, tail = int(m.group(1)), m.group(2)
        end = int(tail) if len(tail) == 4 else start - start % 100 + int(tail)
        if end < start and len(tail) == 2 and start - start % 100 + 100 + int(tail) - start <= 10:
            end += 100  # 1999-01: the next century
        if end <= start:
            raise ValueError(f"period {text!r}: ends before it starts")
        return f"{start}-{end % 100:02d}", start, end
    if m := _FINANCIAL.fullmatch(text):
        start = int(m.group(1))
        if (start + 1) % 100 != int(m.group(2)):
            raise ValueError(f"period {text!r}: a financial year runs into the next year, e.g. 2019/20")
        return f"{start}/{(start + 1) % 100:02d}", start, start + 1
    if _YEAR.fullmatch(text):
        return text, int(text), int(text)
    raise ValueError(f"period {text!r}: expected a period such as 2015, 2013 - 15, 2019/20 or 2001-01-01/P3Y")


# --- reading --------------------------------------------------------------------------------------


def _name(path: Path) -> str:
    return path.name


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and each row with the line it starts on (quoted fields may hold newlines); rows may
    leave off trailing empty fields, as Fingertips' exports do."""
    return csvfile.read_rows(Path(path), Path(path).name, short_rows=True)


def _require(path: Path, header: list[str], columns: list[str]) -> None:
    for column in columns:
        if column not in header:
            raise DataError(f"{path.name}, line 1: missing column {column!r} (expected columns: {', '.join(columns)})")


def _number(path: Path, line: int, column: str, text: str, *, required: bool, positive: bool = False) -> float:
    text = str(text).strip().replace(",", "")
    if text.lower() in MISSING:
        if required:
            raise DataError(f"{path.name}, line {line}, column {column!r}: expected a number, got {text!r}")
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a finite number, got {text!r}")
    if value < 0 or (positive and value == 0):
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a "
                        f"{'positive' if positive else 'non-negative'} number, got {text!r}")
    return value


def _period(path: Path, line: int, column: str, text: str) -> tuple[str, int, int]:
    try:
        return normalise_period(text)
    except ValueError as error:
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a period such as 2015, "
                        f"2013 - 15, 2019/20 or 2001-01-01/P3Y, got {text!r}") from error


def _sex(path: Path, line: int, column: str, text: str) -> str:
    found = SEXES.get(str(text).strip().lower())
    if found is None:
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected Persons, Male or Female, got {text!r}")
    return found


def _code(path: Path, line: int, column: str, text: str) -> str:
    code = str(text).strip()
    if not GSS.fullmatch(code):
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a GSS area code such as E06000001, "
                        f"got {text!r}")
    return code


def _frame(records: list[dict], path: Path) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=COLUMNS)
    frame["file"] = path.name
    frame["row_id"] = frame["file"] + ":" + frame["line"].astype(str)
    for column in ("value", "lower", "upper", "ci_level", "lower_998", "upper_998", "count", "denominator"):
        frame[column] = frame[column].astype(float)
    for column in ("start", "end", "line"):
        frame[column] = frame[column].astype(int)
    _check(frame, path)
    return frame.reset_index(drop=True)


def _check(frame: pd.DataFrame, path: Path) -> None:
    """Rows that contradict themselves: a limit on the wrong side of the value, one limit without the other,
    a 99.8 % limit inside the 95 % one, the same area, sex, age, category and period twice. The first offending
    row (by line) is reported."""
    value, lower, upper = frame["value"], frame["lower"], frame["upper"]
    lower_998, upper_998 = frame["lower_998"], frame["upper_998"]
    problems = [
        (lower > value + 1e-9, "lower", "expected a lower limit at or below the value {value:g}, got {lower:g}"),
        (upper < value - 1e-9, "upper", "expected an upper limit at or above the value {value:g}, got {upper:g}"),
        (lower.isna() != upper.isna(), None, "expected both confidence limits or neither"),
        (lower_998 > lower.fillna(value) + 1e-9, "lower_998",
         "expected a 99.8 % lower limit at or below the 95 % one and the value, got {lower_998:g}"),
        (upper_998 < upper.fillna(value) - 1e-9, "upper_998",
         "expected a 99.8 % upper limit at or above the 95 % one and the value, got {upper_998:g}"),
        (lower_998.isna() != upper_998.isna(), None, "expected both 99.8 % confidence limits or neither"),
    ]
    found = [(int(frame.loc[bad, "line"].min()), column, message) for bad, column, message in problems if bad.any()]
    if found:
        line, column, message = min(found, key=lambda f: f[0])
        r = frame[frame["line"] == line].iloc[0]
        where = f"{path.name}, line {line}" + (f", column {column!r}" if column else "")
        raise DataError(f"{where}: " + message.format(value=r["value"], lower=r["lower"], upper=r["upper"],
                                                      lower_998=r["lower_998"], upper_998=r["upper_998"]))
    keys = ["indicator_id", "area_code", "sex", "age", "category_type", "category", "period"]
    duplicated = frame.duplicated(keys, keep="first")
    if duplicated.any():
        r = frame[duplicated].iloc[0]
        raise DataError(f"{path.name}, line {r['line']}: expected one row per indicator, area, sex, age, category and "
                        f"period; {r['area_code']} {r['sex']} {r['period']} appears twice")


def _record(**fields) -> dict:
    record = {c: "" for c in COLUMNS}
    record.update(value=math.nan, lower=math.nan, upper=math.nan, ci_level=math.nan, lower_998=math.nan,
                  upper_998=math.nan, count=math.nan, denominator=math.nan)
    record.update(fields)
    return record


@dataclass(frozen=True)
class Selection:
    """The rows a configuration takes from a file: those of these indicators (ids or names) and ages, where it
    names them (None: every one). Nothing else is read into memory; what the file holds of each dimension is
    still counted (:data:`HELD`), so a choice that matches nothing, or a dimension left unchosen, is named."""

    indicators: frozenset[str] | None = None
    ages: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.indicators is None and self.ages is None


EXPORT_COLUMNS = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Category Type",
                  "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count",
                  "Denominator"]
CHUNK = 100_000
"""Rows of a large export parsed at a time."""


class _Careful(Exception):
    """The fast reader met something only the careful reader can place exactly (a broken quote, a row of too many
    fields, bytes that are not UTF-8): read again, row by row, for the one-line message."""


def read_fingertips_export(path: str | Path, selection: Selection | None = None) -> pd.DataFrame:
    """Fingertips' "download data" CSV, as the site gives it, keeping the rows of ``selection`` (all by default).

    Read in chunks by pandas' C parser into typed columns, only the rows selected kept, and every kept cell checked
    as :func:`read_fingertips_export_careful` checks it (the same one-line errors, with the file's own line numbers,
    counted across quoted newlines); a file the fast parser cannot place exactly is read again row by row for its
    message. What the file holds of each dimension is in the frame's ``attrs["held"]``.
    """
    path = Path(path)
    selection = selection or Selection()
    try:
        return _fast_export(path, selection)
    except _Careful:
        frame = read_fingertips_export_careful(path)
        held = _held(frame)
        frame = _select(frame, selection).reset_index(drop=True)
        frame.attrs["held"] = held
        return frame


def _held(frame: pd.DataFrame) -> dict[str, list[str]]:
    names = frame.drop_duplicates("indicator_id")
    return {"indicator": [f"{i}" for i in names["indicator_id"]], "indicator_name": list(names["indicator"]),
            "age": sorted(a for a in set(frame["age"]) if a)}


def _select(frame: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if selection.indicators is not None:
        keep &= frame["indicator_id"].astype(str).isin(selection.indicators) | frame["indicator"].isin(
            selection.indicators)
    if selection.ages is not None:
        keep &= frame["age"].isin(selection.ages)
    return frame[keep]


def _fast_export(path: Path, selection: Selection) -> pd.DataFrame:
    import csv

    with path.open("rb") as handle:
        first = handle.readline()
    try:
        header = next(csv.reader([first.decode("utf-8-sig")]), [])
    except UnicodeDecodeError:
        raise _Careful from None
    _require(path, header, EXPORT_COLUMNS)
    optional = [c for c in ("Value note", "Lower CI 99.8 limit", "Upper CI 99.8 limit") if c in header]
    kept, seen_indicators, seen_ages = [], {}, set()
    line = 2
    try:
        chunks = pd.read_csv(path, dtype=object, keep_default_na=False, na_filter=False, encoding="utf-8-sig",
                             chunksize=CHUNK, engine="c", skip_blank_lines=False)
        for chunk in chunks:
            newlines = _newlines(chunk)
            lines = line + np.arange(len(chunk)) + np.cumsum(newlines) - newlines
            line = int(lines[-1] + newlines[-1] + 1) if len(chunk) else line
            ids = _stripped(chunk["Indicator ID"])
            firsts = chunk.assign(_id=ids).drop_duplicates("_id")
            for i, n in zip(firsts["_id"], firsts["Indicator Name"].fillna("")):
                seen_indicators.setdefault(i, " ".join(n.split()))
            ages = _stripped(chunk["Age"])
            seen_ages.update(ages.unique())
            keep = np.ones(len(chunk), dtype=bool)
            if selection.indicators is not None:
                names = chunk["Indicator Name"]
                spelled = {u: " ".join(u.split()) for u in names.unique()}
                keep &= (ids.isin(selection.indicators) | names.map(spelled).isin(selection.indicators)).to_numpy()
            if selection.ages is not None:
                keep &= ages.isin(selection.ages).to_numpy()
            if keep.any():
                kept.append(chunk[keep].assign(_line=lines[keep]))
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError):
        raise _Careful from None
    rows = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=[*header, "_line"])
    text = [c for c in rows.columns if c != "_line"]
    rows[text] = rows[text].fillna("")  # the fields a row leaves off at its end
    frame = _typed_export(path, rows.astype({c: "str" for c in text}), optional)
    frame.attrs["held"] = {"indicator": list(seen_indicators), "indicator_name": list(seen_indicators.values()),
                           "age": sorted(a for a in seen_ages if a)}
    return frame


def _stripped(values: pd.Series) -> pd.Series:
    """The values without surrounding spaces (a field left off a row's end is empty), through their distinct
    values."""
    values = values.fillna("")
    return values.map({u: u.strip() for u in values.unique()})


def _newlines(chunk: pd.DataFrame) -> np.ndarray:
    """The newlines inside each row's quoted fields (a row that holds one spans more than one line of the file):
    counted only in the columns that hold any, through their distinct values."""
    found = np.zeros(len(chunk), dtype=np.int64)
    for column in chunk.columns:
        values = chunk[column].fillna("") if chunk[column].hasnans else chunk[column]
        if "\n" not in "".join(values.tolist()):
            continue
        counts = {u: u.count("\n") for u in values.unique()}
        found += values.map(counts).to_numpy(dtype=np.int64)
    return found


CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _control(path: Path, line: int, column: str) -> None:
    raise DataError(f"{path.name}, line {line}, column {column!r}: expected text without control characters")


def _first_bad(path: Path, rows: pd.DataFrame, bad: pd.Series, check) -> None:
    """Raise the careful reader's own one-line error for the first row (by line) where ``bad`` holds."""
    if bad.any():
        r = rows[bad].sort_values("_line").iloc[0]
        check(int(r["_line"]), r)
        raise DataError(f"{path.name}, line {int(r['_line'])}: unexpected value")  # the check always raises


def _typed_export(path: Path, rows: pd.DataFrame, optional: list[str]) -> pd.DataFrame:
    """The selected rows of an export, checked cell by cell (vectorised) and typed, in the tidy shape."""
    if rows.empty:
        return _frame([], path)
    for column in rows.columns:
        if column != "_line":
            _first_bad(path, rows, rows[column].str.contains(CONTROL, regex=True),
                       lambda line, r, c=column: _control(path, line, c))
    numbers = {}
    for column, name in (("Value", "value"), ("Lower CI 95.0 limit", "lower"), ("Upper CI 95.0 limit", "upper"),
                         ("Count", "count"), ("Denominator", "denominator"),
                         *((("Lower CI 99.8 limit", "lower_998"), ("Upper CI 99.8 limit", "upper_998"))
                           if "Lower CI 99.8 limit" in optional and "Upper CI 99.8 limit" in optional else ())):
        text = rows[column].str.strip().str.replace(",", "", regex=False)
        missing = text.str.lower().isin(MISSING)
        value = pd.to_numeric(text.where(~missing), errors="coerce")
        bad = (value.isna() & ~missing) | ~(value.abs() < math.inf).where(~missing, True) | (value < 0)
        _first_bad(path, rows, bad.fillna(False), lambda line, r, c=column: _number(path, line, c, r[c], required=False))
        numbers[name] = value.astype(float)
    periods = {}
    for text in rows["Time period"].unique():
        try:
            periods[text] = normalise_period(text)
        except ValueError:
            periods[text] = None
    _first_bad(path, rows, rows["Time period"].map(lambda t: periods[t] is None),
               lambda line, r: _period(path, line, "Time period", r["Time period"]))
    codes = rows["Area Code"].str.strip()
    _first_bad(path, rows, ~codes.str.fullmatch(GSS.pattern), lambda line, r: _code(path, line, "Area Code", r["Area Code"]))
    sexes = rows["Sex"].str.strip().str.lower().map(SEXES)
    _first_bad(path, rows, sexes.isna(), lambda line, r: _sex(path, line, "Sex", r["Sex"]))
    period = rows["Time period"].map(periods)
    frame = pd.DataFrame({
        "indicator_id": rows["Indicator ID"].str.strip(),
        "indicator": rows["Indicator Name"].map(lambda t: " ".join(t.split())),
        "area_code": codes, "area_name": rows["Area Name"].str.strip(), "area_type": rows["Area Type"].str.strip(),
        "sex": sexes, "age": rows["Age"].str.strip(), "category_type": rows["Category Type"].str.strip(),
        "category": rows["Category"].str.strip(), "period": period.map(lambda p: p[0]),
        "start": period.map(lambda p: p[1]).astype(int), "end": period.map(lambda p: p[2]).astype(int),
        "value": numbers["value"], "lower": numbers["lower"], "upper": numbers["upper"], "ci_level": math.nan,
        "lower_998": numbers.get("lower_998", math.nan), "upper_998": numbers.get("upper_998", math.nan),
        "count": numbers["count"], "denominator": numbers["denominator"],
        "value_note": rows["Value note"].str.strip() if "Value note" in rows else "", "compared_published": "",
        "line": rows["_line"].astype(int)})
    frame = _frame_typed(frame, path)
    frame.loc[frame["lower"].notna(), "ci_level"] = 0.95
    _check_counts(frame, path)
    return frame


def _frame_typed(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """A frame already in the tidy shape's columns and types: its file and row ids, and the rows checked."""
    frame = frame.assign(file=path.name)
    frame["row_id"] = frame["file"] + ":" + frame["line"].astype(str)
    frame = frame[COLUMNS]
    _check(frame, path)
    return frame.reset_index(drop=True)


def read_fingertips_export_careful(path: str | Path) -> pd.DataFrame:
    """Fingertips' "download data" CSV, as the site gives it.

    Columns used: ``Indicator ID, Indicator Name, Area Code, Area Name, Area Type, Sex, Age,
    Category Type, Category, Time period, Value, Lower CI 95.0 limit, Upper CI 95.0 limit, Count,
    Denominator, Value note``, and ``Lower CI 99.8 limit, Upper CI 99.8 limit`` where the file has them
    (as ``lower_998``, ``upper_998``; empty where a row leaves them blank). Fingertips' own aggregates
    (``Category Type`` such as deprivation deciles) are kept, with their category.
    """
    path = Path(path)
    header, rows = _read_rows(path)
    needed = ["Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Category Type",
              "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator"]
    _require(path, header, needed)
    limits_998 = "Lower CI 99.8 limit" in header and "Upper CI 99.8 limit" in header
    records = []
    for line, r in rows:
        label, start, end = _period(path, line, "Time period", r["Time period"])
        extra = {}
        if limits_998:
            extra = {"lower_998": _number(path, line, "Lower CI 99.8 limit", r["Lower CI 99.8 limit"], required=False),
                     "upper_998": _number(path, line, "Upper CI 99.8 limit", r["Upper CI 99.8 limit"], required=False)}
        records.append(_record(
            indicator_id=r["Indicator ID"].strip(), indicator=" ".join(r["Indicator Name"].split()),
            area_code=_code(path, line, "Area Code", r["Area Code"]), area_name=r["Area Name"].strip(),
            area_type=r["Area Type"].strip(), sex=_sex(path, line, "Sex", r["Sex"]), age=r["Age"].strip(),
            category_type=r["Category Type"].strip(), category=r["Category"].strip(), period=label, start=start,
            end=end, value=_number(path, line, "Value", r["Value"], required=False),
            lower=_number(path, line, "Lower CI 95.0 limit", r["Lower CI 95.0 limit"], required=False),
            upper=_number(path, line, "Upper CI 95.0 limit", r["Upper CI 95.0 limit"], required=False),
            count=_number(path, line, "Count", r["Count"], required=False),
            denominator=_number(path, line, "Denominator", r["Denominator"], required=False),
            value_note=r.get("Value note", "").strip(), line=line, **extra,
        ))
    frame = _frame(records, path)
    frame.loc[frame["lower"].notna(), "ci_level"] = 0.95
    _check_counts(frame, path)
    return frame


def _check_counts(frame: pd.DataFrame, path: Path) -> None:
    bad = frame[(frame["denominator"] == 0) & frame["count"].notna()]
    if not bad.empty:
        raise DataError(f"{path.name}, line {bad.iloc[0]['line']}, column 'Denominator': expected a positive "
                        f"denominator, got 0")


FINGERTIPS_NEXT_SEXES = {"1": "male", "2": "female", "4": "persons"}
FINGERTIPS_NEXT_AGES = {"1": "All ages", "163": "<75 yrs"}


def read_fingertips_next(path: str | Path, indicators: dict[str, str] | None = None) -> pd.DataFrame:
    """FingertipsNext's ``healthdata.csv``: ``IndicatorID, Year, AgeID, SexID, AreaCode, Count, Value,
    LowerCI, UpperCI, Denominator`` (95 % limits). ``indicators`` names the ids (e.g. {"108": "Under 75
    mortality rate from all causes"}); ages and sexes are decoded from Fingertips' ids (AgeID 163 is
    "<75 yrs", 1 "All ages"; SexID 1 male, 2 female, 4 persons)."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["IndicatorID", "Year", "AgeID", "SexID", "AreaCode", "Count", "Value", "LowerCI",
                            "UpperCI", "Denominator"])
    records = []
    for line, r in rows:
        sex = FINGERTIPS_NEXT_SEXES.get(r["SexID"].strip())
        if sex is None:
            raise DataError(f"{path.name}, line {line}, column 'SexID': expected 1 (male), 2 (female) or 4 (persons), "
                            f"got {r['SexID']!r}")
        label, start, end = _period(path, line, "Year", r["Year"])
        indicator_id = r["IndicatorID"].strip()
        records.append(_record(
            indicator_id=indicator_id, indicator=(indicators or {}).get(indicator_id, f"Fingertips indicator {indicator_id}"),
            area_code=_code(path, line, "AreaCode", r["AreaCode"]), area_name="", area_type="", sex=sex,
            age=FINGERTIPS_NEXT_AGES.get(r["AgeID"].strip(), f"age group {r['AgeID'].strip()}"), period=label,
            start=start, end=end, value=_number(path, line, "Value", r["Value"], required=True),
            lower=_number(path, line, "LowerCI", r["LowerCI"], required=False),
            upper=_number(path, line, "UpperCI", r["UpperCI"], required=False),
            count=_number(path, line, "Count", r["Count"], required=False),
            denominator=_number(path, line, "Denominator", r["Denominator"], required=False), line=line,
        ))
    frame = _frame(records, path)
    frame.loc[frame["lower"].notna(), "ci_level"] = 0.95
    _check_counts(frame, path)
    return frame


ELS_AREA_TYPES = {"Nation": "Country", "Region": "Region", "County or Unitary Authority": "County & UA",
                  "Local Authority District": "District & UA"}


def read_ons_els(path: str | Path) -> pd.DataFrame:
    """An ONS Explore Local Statistics CSV: ``areacd, areanm, geography, indicator, period, observation,
    lci_95, uci_95, notes`` (a BOM; ISO 8601 periods such as ``2001-01-01/P3Y``). The JSON sidecar of the
    same name, where present, gives the indicator's label (:func:`els_metadata`)."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["areacd", "areanm", "geography", "indicator", "period", "observation", "lci_95", "uci_95"])
    els_metadata(path)  # a sidecar that is there must be readable
    records = []
    for line, r in rows:
        label, start, end = _period(path, line, "period", r["period"])
        records.append(_record(
            indicator_id=path.stem, indicator=r["indicator"].strip(), area_code=_code(path, line, "areacd", r["areacd"]),
            area_name=r["areanm"].strip(), area_type=ELS_AREA_TYPES.get(r["geography"].strip(), r["geography"].strip()),
            sex=_els_sex(path, line, r), age="", period=label, start=start, end=end,
            value=_number(path, line, "observation", r["observation"], required=True),
            lower=_number(path, line, "lci_95", r["lci_95"], required=False),
            upper=_number(path, line, "uci_95", r["uci_95"], required=False),
            value_note=" ".join(x for x in (r.get("status", "").strip(), r.get("notes", "").strip()) if x), line=line,
        ))
    frame = _frame(records, path)
    frame.loc[frame["lower"].notna(), "ci_level"] = 0.95
    return frame


_ELS_SEX = re.compile(r"^\s*(males?|females?|persons?)\b", re.IGNORECASE)


def _els_sex(path: Path, line: int, row: dict[str, str]) -> str:
    """The sex of an Explore Local Statistics row: its ``sex`` column where the file has one, else the first word
    of its indicator's name ("Male healthy life expectancy", "Female ..."), else persons (ONS names the sex in
    the indicator of its by-sex files)."""
    if "sex" in row:
        return _sex(path, line, "sex", row["sex"])
    found = _ELS_SEX.match(row["indicator"])
    return SEXES[found.group(1).lower()] if found else "persons"


def els_metadata(path: str | Path) -> dict:
    """The JSON sidecar of an Explore Local Statistics CSV (``<name>.json``): label, source, URL, caveats."""
    sidecar = Path(path).with_suffix(".json")
    if not sidecar.is_file():
        return {}
    try:
        meta = json.loads(csvfile.read_text(sidecar, sidecar.name, header=False))
    except json.JSONDecodeError as error:
        raise DataError(f"{sidecar.name}, line {error.lineno}, column {error.colno}: expected JSON "
                        f"({error.msg})") from None
    if not isinstance(meta, dict):
        raise DataError(f"{sidecar.name}, line 1: expected a JSON object")
    meta = meta.get("ess-beta-metadata", {})
    return meta if isinstance(meta, dict) else {}


def read_fingertips_extract(path: str | Path, indicator_id: str = "") -> pd.DataFrame:
    """Fingertips values reshaped to one value per row: ``area_code, area_name, period, value`` and
    ``indicator``, with the sex in ``inequality`` (``Male``/``Female``) or ``unit`` (``Persons``...),
    as local dashboards keep them. No limits, counts or denominators; ``NA`` values are kept as missing."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["area_code", "area_name", "period", "value", "indicator"])
    records = []
    for line, r in rows:
        label, start, end = _period(path, line, "period", r["period"])
        sex_text = r.get("inequality", "")
        column = "inequality"
        if sex_text.strip().lower() in MISSING:
            sex_text, column = r.get("unit", "Persons"), "unit"
        records.append(_record(
            indicator_id=indicator_id or path.stem, indicator=r["indicator"].strip(),
            area_code=_code(path, line, "area_code", r["area_code"]), area_name=r["area_name"].strip(),
            area_type=r.get("area_type", "").strip(), sex=_sex(path, line, column, sex_text), age="",
            period=label, start=start, end=end, value=_number(path, line, "value", r["value"], required=False),
            compared_published=_published_comparison(r), line=line,
        ))
    return _frame(records, path)


PUBLISHED_COMPARISONS = {"better": "better", "similar": "similar", "worse": "worse", "higher": "higher",
                         "lower": "lower"}
"""Fingertips' own comparison with England as extracts keep it (``significance`` or ``compared_to_England``)."""


def _published_comparison(r: dict) -> str:
    """The publisher's comparison of an area with England, where an extract keeps it; "" where it does not (or
    says "Not compared")."""
    for column in ("significance", "compared_to_England"):
        found = PUBLISHED_COMPARISONS.get(str(r.get(column, "")).strip().lower())
        if found:
            return found
    return ""


def read_populations(path: str | Path) -> pd.DataFrame:
    """Populations by area and period, for weighting: ``area_code, period, population`` (one row each),
    periods as :func:`normalise_period` reads them. Returns ``area_code, period, start, end, population,
    file, line``."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, ["area_code", "period", "population"])
    records = []
    for line, r in rows:
        label, start, end = _period(path, line, "period", r["period"])
        records.append({"area_code": _code(path, line, "area_code", r["area_code"]), "period": label, "start": start,
                        "end": end, "population": _number(path, line, "population", r["population"], required=True,
                                                          positive=True), "file": path.name, "line": line})
    frame = pd.DataFrame(records)
    duplicated = frame.duplicated(["area_code", "period"])
    if duplicated.any():
        r = frame[duplicated].iloc[0]
        raise DataError(f"{path.name}, line {r['line']}: expected one population per area and period; "
                        f"{r['area_code']} {r['period']} appears twice")
    return frame


READERS: dict[str, Callable[..., pd.DataFrame]] = {  # each takes the path, its options and, where it can, a Selection
    "fingertips-export": read_fingertips_export,
    "fingertips-next": read_fingertips_next,
    "ons-els": read_ons_els,
    "fingertips-extract": read_fingertips_extract,
}
"""The layouts a data directory's ``briefing.toml`` may name for its files."""


def read(path: str | Path, layout: str, **options) -> pd.DataFrame:
    """Read one file in one of :data:`READERS`' layouts into the tidy shape."""
    if layout not in READERS:
        raise DataError(f"layout {layout!r}: expected one of {', '.join(READERS)}")
    return READERS[layout](path, **options)
