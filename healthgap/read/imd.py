"""The English Indices of Deprivation, local-authority summaries, as published.

* :func:`read_imd` - lower-tier (local authority district) summaries, File 10, in long form (one row per
  area and domain; Trafford Data Lab's reshaping of MHCLG's workbook): ``area_code, area_name`` (or the
  2019 edition's ``lad19cd, lad19nm``), ``index_domain, average_score``.
* :func:`read_imd_upper_tier` - upper-tier (county and unitary authority) summaries, File 11, IMD sheet,
  one row per area with MHCLG's own column names (``Upper Tier Local Authority District code (2024)``,
  ``IMD - Average score`` ...).

Both return ``area_code, area_name, imd_score, line`` (the upper tier adds ``imd_rank``, MHCLG's rank of
average score, 1 = most deprived). The average score is MHCLG's population-weighted mean of the area's
LSOA scores; a higher score is more deprived. A cell that is not a number is one line naming the file,
line and column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from healthgap.read.errors import DataError
from healthgap.read.layouts import _read_rows, _require


def _score(path: Path, line: int, column: str, text: str) -> float:
    text = text.strip()
    try:
        score = float(text)
    except ValueError:
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a number, got {text!r}") from None
    if not math.isfinite(score):
        raise DataError(f"{path.name}, line {line}, column {column!r}: expected a finite number, got {text!r}")
    return score


def _once(frame: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    duplicated = frame.duplicated("area_code")
    if duplicated.any():
        r = frame[duplicated].iloc[0]
        raise DataError(f"{path.name}, line {r['line']}: expected one {what} row per area; {r['area_code']} appears twice")
    return frame


def read_imd(path: str | Path, domain: str = "Index of Multiple Deprivation") -> pd.DataFrame:
    """The local-authority summary of an English Indices of Deprivation edition, in long form
    (``area_code, area_name`` or the 2019 edition's ``lad19cd, lad19nm``, ``index_domain, average_score``,
    one row per area and domain): the rows of
    ``domain``, as ``area_code, area_name, imd_score`` and the file's line."""
    path = Path(path)
    header, rows = _read_rows(path)
    # the 2019 edition's columns are named for its boundaries: lad19cd, lad19nm
    code, name = ("lad19cd", "lad19nm") if "lad19cd" in header else ("area_code", "area_name")
    _require(path, header, [code, name, "index_domain", "average_score"])
    records = []
    for line, r in rows:
        if r["index_domain"].strip() != domain:
            continue
        records.append({"area_code": r[code].strip(), "area_name": r[name].strip(),
                        "imd_score": _score(path, line, "average_score", r["average_score"]), "line": line})
    if not records:
        raise DataError(f"{path.name}: expected rows whose index_domain is {domain!r}, found none")
    return _once(pd.DataFrame(records), path, domain)


UPPER_CODE = "Upper Tier Local Authority District code (2024)"
UPPER_NAME = "Upper Tier Local Authority District name (2024)"
UPPER_SCORE = "IMD - Average score"
UPPER_RANK = "IMD - Rank of average score"


def read_imd_upper_tier(path: str | Path) -> pd.DataFrame:
    """MHCLG's upper-tier summary of the Indices of Deprivation 2025 (File 11, IMD sheet): one row per
    county or unitary authority of 2024, columns as MHCLG names them (trailing spaces allowed). Returns
    ``area_code, area_name, imd_score, imd_rank, line``; every code must be an English upper-tier code
    (E06, E08, E09, E10) and every rank a whole number."""
    path = Path(path)
    header, rows = _read_rows(path)
    _require(path, header, [UPPER_CODE, UPPER_NAME, UPPER_SCORE, UPPER_RANK])
    records = []
    for line, r in rows:
        code = r[UPPER_CODE].strip()
        if not re.fullmatch(r"E(06|08|09|10)\d{6}", code):
            raise DataError(f"{path.name}, line {line}, column {UPPER_CODE!r}: expected an upper-tier area code such "
                            f"as E10000003, got {code!r}")
        rank = r[UPPER_RANK].strip()
        if not rank.isdigit():
            raise DataError(f"{path.name}, line {line}, column {UPPER_RANK!r}: expected a whole number, got {rank!r}")
        records.append({"area_code": code, "area_name": r[UPPER_NAME].strip(),
                        "imd_score": _score(path, line, UPPER_SCORE, r[UPPER_SCORE]), "imd_rank": int(rank),
                        "line": line})
    return _once(pd.DataFrame(records, columns=["area_code", "area_name", "imd_score", "imd_rank", "line"]), path,
                 "upper-tier")
