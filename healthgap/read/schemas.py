"""The national tables' schemas, checked with pandera: what each column must hold, and the one-line error.

Every table is read as text, checked against its schema, and only then converted, so that one bad cell
cannot hide the problems after it. A failure raises :class:`~healthgap.read.tables.DataError` with one line
naming the file, the line in that file, the column and what was expected. pandera is slow to import, so
this module is imported only when a table must be validated (a validated dataset is cached).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from healthgap.read.errors import DataError
from healthgap.read.errors import display_name as _display_name
from healthgap.read.periods import PERIOD_PATTERN, parse_period
from healthgap.read.vocabulary import CHANGE_MEASURES, GAP_MEASURES, GROUP_GAP_MEASURES, KEY, MEASURES, SEXES, STATUSES

def _numbers(series: pd.Series) -> pd.Series:
    """The values as floats, NaN where a value is not a finite number ("inf", "nan" and "1e999" included)."""
    values = pd.to_numeric(series, errors="coerce").astype(float)
    return values.where(np.isfinite(values))


def _is_number(series: pd.Series) -> pd.Series:
    return _numbers(series).notna()


def _is_period(series: pd.Series) -> pd.Series:
    ok = series.str.fullmatch(PERIOD_PATTERN)
    return ok & series.map(_period_is_ordered)


def _is_period_or_blank(series: pd.Series) -> pd.Series:
    return (series == "") | _is_period(series)


def _period_is_ordered(label: str) -> bool:
    try:
        parse_period(label)
    except ValueError:
        return False
    return True


def _text(*checks: pa.Check, required: bool = True) -> pa.Column:
    all_checks = list(checks)
    if required:
        all_checks.insert(0, pa.Check(lambda s: s.str.strip() != "", error="a non-empty value"))
    return pa.Column(str, all_checks)


def _one_of(values) -> pa.Check:
    values = tuple(values)
    return pa.Check.isin(values, error="one of: " + ", ".join(values))


NUMBER = pa.Check(_is_number, error="a finite number")
NUMBER_OR_BLANK = pa.Check(lambda s: (s == "") | _is_number(s), error="a finite number or nothing")
LEVEL_MEASURES = ("rate", "life_expectancy", "deaths")
"""Measures that are counts or levels, so must be above zero (a zero England rate makes every relative gap infinite)."""


def _period_end(series: pd.Series) -> pd.Series:
    return series.map(lambda p: parse_period(p)[1] if _period_is_ordered(p) else np.nan)


def _period_start(series: pd.Series) -> pd.Series:
    return series.map(lambda p: parse_period(p)[0] if _period_is_ordered(p) else np.nan)
PERIOD = pa.Check(_is_period, error="a period like 1995-97")
PERIOD_OR_BLANK = pa.Check(_is_period_or_blank, error="a period like 1995-97, or nothing")
YES_NO = _one_of(("yes", "no"))


COLUMN_MARK = "\x1f"


def _row_check(column: str, check, error: str) -> pa.Check:
    """A check across a row's columns whose failure is reported at ``column`` (the cell to fix)."""
    return pa.Check(check, error=f"{column}{COLUMN_MARK}{error}")


def _unique_key(columns: list[str], where: str | None = None) -> pa.Check:
    """A frame-wide check that the key is unique (among rows with ``where == 'yes'`` if given)."""

    def check(frame: pd.DataFrame) -> pd.Series:
        rows = frame if where is None else frame[frame[where] == "yes"]
        duplicated = rows.duplicated(columns, keep="first")
        return ~duplicated.reindex(frame.index, fill_value=False)

    scope = f" among rows with {where} = yes" if where else ""
    return pa.Check(check, error=f"a unique ({', '.join(columns)}){scope}")


def sources_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "source_id": _text(pa.Check.str_matches(r"^[a-z0-9_]+$", error="lower-case letters, digits, _")),
            "publisher": _text(),
            "title": _text(),
            "published": _text(
                pa.Check(lambda s: s.str.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?"), error="YYYY, YYYY-MM or YYYY-MM-DD"),
                required=False,
            ),
            "url": _text(pa.Check.str_matches(r"^https?://", error="an http(s) URL")),
            "note": _text(required=False),
        },
        checks=[_unique_key(["source_id"])],
        strict=True,
        ordered=False,
    )


def indicators_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "indicator": _text(pa.Check.str_matches(r"^[a-z0-9_]+$", error="lower-case letters, digits, _")),
            "title": _text(),
            "level_measure": _text(_one_of(("rate", "life_expectancy"))),
            "unit": _text(),
            "decimals": _text(pa.Check.str_matches(r"^\d$", error="a whole number of decimal places")),
            "relative_gap_decimals": _text(pa.Check.str_matches(r"^\d$", error="a whole number of decimal places")),
            "disadvantaged_group": _text(),
            "comparator_group": _text(),
            "higher_is_worse": _text(YES_NO),
            "nested": _text(YES_NO),
            "sexes": _text(
                pa.Check(
                    lambda s: s.str.split(";").map(lambda xs: all(x in SEXES for x in xs)),
                    error="sexes from persons, male, female separated by ;",
                )
            ),
            "population": _text(),
            "note": _text(required=False),
        },
        checks=[_unique_key(["indicator"])],
        strict=True,
        ordered=False,
    )


def targets_schema(indicators: pd.DataFrame, sources: pd.DataFrame) -> pa.DataFrameSchema:
    source_ids = sources["source_id"].tolist()
    return pa.DataFrameSchema(
        {
            "indicator": _text(_one_of(indicators["indicator"])),
            "sex": _text(_one_of(SEXES)),
            "baseline_period": _text(PERIOD),
            "target_period": _text(PERIOD),
            "gap_measure": _text(_one_of(GAP_MEASURES)),
            "reduction_pct": _text(
                NUMBER,
                pa.Check(lambda s: _numbers(s).between(0, 100, inclusive="right") | _numbers(s).isna(),
                         error="a reduction above 0 and at most 100 per cent"),
            ),
            "published_target_value": _text(NUMBER_OR_BLANK, required=False),
            "published_target_source_id": _text(
                pa.Check(lambda s: (s == "") | s.isin(source_ids), error="a source_id of sources.csv, or nothing"),
                required=False,
            ),
            "wording_source_id": _text(pa.Check.isin(source_ids, error="a source_id of sources.csv")),
            "wording": _text(),
            "note": _text(required=False),
        },
        checks=[
            _unique_key(["indicator", "sex"]),
            _row_check("published_target_source_id",
                       lambda f: (f["published_target_value"] == "") == (f["published_target_source_id"] == ""),
                       "a published_target_source_id for a published_target_value, and only with one"),
            _row_check("target_period", lambda f: ~(_period_start(f["target_period"]) <= _period_end(f["baseline_period"])),
                       "a target_period after the baseline_period (a target is met after its baseline)"),
        ],
        strict=True,
        ordered=False,
    )


def observations_schema(indicators: pd.DataFrame, sources: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "id": _text(pa.Check.str_matches(r"^[A-Za-z0-9_.-]+$", error="letters, digits, _ . -")),
            "indicator": _text(_one_of(indicators["indicator"])),
            "sex": _text(_one_of(SEXES)),
            "period": _text(PERIOD),
            "group": _text(),
            "measure": _text(_one_of(MEASURES)),
            "value": _text(NUMBER),
            "unit": _text(),
            "reference_period": _text(PERIOD_OR_BLANK, required=False),
            "status": _text(_one_of(STATUSES)),
            "revision": _text(_one_of(("final", "provisional", "revised"))),
            "preferred": _text(YES_NO),
            "source_id": _text(pa.Check.isin(sources["source_id"].tolist(), error="a source_id of sources.csv")),
            "quote": _text(),
            "note": _text(required=False),
        },
        checks=[
            _unique_key(["id"]),
            _unique_key(KEY, where="preferred"),
            _row_check("note", lambda f: (f["preferred"] == "yes") | (f["note"].str.strip() != ""),
                       "a note saying why a row that is not preferred is kept"),
            _row_check("group", lambda f: f["measure"].isin(GROUP_GAP_MEASURES) == (f["group"] == "gap"),
                       f"group 'gap' for the measures {', '.join(GROUP_GAP_MEASURES)}, and only for them"),
            _row_check("reference_period", lambda f: f["measure"].isin(CHANGE_MEASURES) == (f["reference_period"] != ""),
                       f"a reference_period for the measures {', '.join(CHANGE_MEASURES)}, and only for them"),
            _row_check("value", lambda f: ~(f["measure"].isin(LEVEL_MEASURES) & (_numbers(f["value"]) <= 0)),
                       f"a value above zero for the measures {', '.join(LEVEL_MEASURES)}"),
            _row_check("reference_period", lambda f: ~(_period_start(f["reference_period"]) >= _period_start(f["period"])),
                       "a reference_period before the period (a change is measured from an earlier period)"),
        ],
        strict=True,
        ordered=False,
    )


def editions_schema(sources: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "period": _text(PERIOD),
            "title": _text(),
            "publisher": _text(),
            "published": _text(
                pa.Check(lambda s: s.str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?"), error="YYYY, YYYY-MM or YYYY-MM-DD")
            ),
            "source_id": _text(pa.Check.isin(sources["source_id"].tolist(), error="a source_id of sources.csv")),
            "note": _text(required=False),
        },
        checks=[_unique_key(["period"])],
        strict=True,
        ordered=False,
    )


def context_schema(sources: pd.DataFrame, indicators: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "indicator": _text(_one_of(indicators["indicator"])),
            "sex": _text(_one_of(SEXES)),
            "period": _text(PERIOD_OR_BLANK, required=False),
            "period_as_stated": _text(required=False),
            "what": _text(),
            "value": _text(),
            "unit": _text(required=False),
            "source_id": _text(pa.Check.isin(sources["source_id"].tolist(), error="a source_id of sources.csv")),
            "quote": _text(),
            "reason": _text(),
        },
        checks=[
            _row_check("period_as_stated", lambda f: (f["period"] != "") | (f["period_as_stated"].str.strip() != ""),
                       "a period, or in period_as_stated what the source says of it"),
        ],
        strict=True,
        ordered=False,
    )


STATEMENT_DIRECTIONS = ("widened", "narrowed", "unchanged")
"""What a source may say a gap did between two periods (``statements.csv``)."""


def statements_schema(sources: pd.DataFrame, indicators: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "id": _text(pa.Check.str_matches(r"^[A-Za-z0-9_.-]+$", error="letters, digits, _ . -")),
            "indicator": _text(_one_of(indicators["indicator"])),
            "sex": _text(_one_of(SEXES)),
            "measure": _text(_one_of(GAP_MEASURES)),
            "period": _text(PERIOD),
            "reference_period": _text(PERIOD_OR_BLANK, required=False),
            "direction": _text(_one_of(STATEMENT_DIRECTIONS)),
            "consecutive": _text(pa.Check(lambda s: (s == "") | s.str.fullmatch(r"[1-9]\d?"),
                                          error="a whole number of consecutive periods, or nothing"),
                                 required=False),
            "said_by": _text(),
            "source_id": _text(pa.Check.isin(sources["source_id"].tolist(), error="a source_id of sources.csv")),
            "quote": _text(),
            "note": _text(required=False),
        },
        checks=[
            _unique_key(["id"]),
            _row_check("reference_period", lambda f: ~(_period_start(f["reference_period"]) >= _period_start(f["period"])),
                       "a reference_period before the period (a movement is stated from an earlier period)"),
            _row_check("reference_period", lambda f: (f["consecutive"] == "") | (f["reference_period"] != ""),
                       "a reference_period where the statement counts consecutive periods (where the run starts)"),
        ],
        strict=True,
        ordered=False,
    )


def groups_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {"group": _text(), "label": _text(), "note": _text(required=False)},
        checks=[_unique_key(["group"])],
        strict=True,
        ordered=False,
    )


def breaks_schema(indicators: pd.DataFrame, sources: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "indicator": _text(_one_of(indicators["indicator"])),
            "first_period": _text(PERIOD),
            "description": _text(),
            "source_id": _text(pa.Check.isin(sources["source_id"].tolist(), error="a source_id of sources.csv")),
        },
        checks=[_unique_key(["indicator", "first_period"])],
        strict=True,
        ordered=False,
    )


# --- reading ----------------------------------------------------------------------------------


def _column_problem(name: str, header: list[str], expected: list[str]) -> str | None:
    """A missing or unexpected column, with the likely misspelling named."""
    import difflib

    missing = [column for column in expected if column not in header]
    extra = [column for column in header if column not in expected]
    if missing:
        near = difflib.get_close_matches(missing[0], extra, n=1)
        hint = f"; found {near[0]!r}, misspelt?" if near else ""
        return f"{name}, line 1: missing column {missing[0]!r}{hint} (expected columns: {', '.join(expected)})"
    if extra:
        return f"{name}, line 1, column {extra[0]!r}: unexpected column (expected columns: {', '.join(expected)})"
    return None


def read_table(path: Path, schema: pa.DataFrameSchema, *, rows_required: bool = True) -> pd.DataFrame:
    """Read a CSV as text and validate it; raise :class:`DataError` on the first problem.

    The file is read by :func:`healthgap.read.csvfile.read_rows` (UTF-8 with or without a byte-order mark, any
    line ends, quoted fields holding newlines). The returned frame keeps a ``line`` column: the line
    each row starts on in the file (the header is line 1), so every value can be traced to where it was
    read. A table that may be empty (``rows_required=False``) may hold its header alone.
    """
    from healthgap.read import csvfile

    path = Path(path)
    name = _display_name(path)
    header, rows = csvfile.read_rows(path, name, rows_required=rows_required)
    expected = list(schema.columns)
    problem = _column_problem(name, header, expected)
    if problem:
        raise DataError(problem)
    frame = pd.DataFrame([fields for _, fields in rows], columns=header, dtype=str)
    frame = frame.apply(lambda column: column.str.strip()) if len(frame) else frame
    lines = [line for line, _ in rows]
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        raise DataError(_first_failure(name, errors.failure_cases, frame, lines)) from None
    frame.insert(0, "line", pd.Series(lines, dtype="int64"))
    return frame


def _first_failure(name: str, failures: pd.DataFrame, frame: pd.DataFrame, lines: list[int]) -> str:
    failures = failures.copy()
    failures["row"] = pd.to_numeric(failures["index"], errors="coerce")
    failures = failures.sort_values(["row", "check_number"], na_position="first", kind="stable")
    first = failures.iloc[0]
    count = failures["row"].dropna().nunique()
    more = f" ({count - 1} more rows have problems)" if count > 1 else ""
    if pd.isna(first["row"]):
        return f"{name}: {first['check']} ({first['failure_case']})"
    line = lines[int(first["row"])]
    column = first["column"]
    check = str(first["check"])
    if COLUMN_MARK in check:
        column, check = check.split(COLUMN_MARK, 1)
    elif first["schema_context"] == "DataFrameSchema" or column is None:
        return f"{name}, line {line}: expected {check}{more}"
    value = frame.loc[int(first["row"]), column]
    return f"{name}, line {line}, column {column!r}: expected {check}, got {value!r}{more}"


