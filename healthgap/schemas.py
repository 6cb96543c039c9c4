"""The national tables' schemas, checked with pandera: what each column must hold, and the one-line error.

Every table is read as text, checked against its schema, and only then converted, so that one bad cell
cannot hide the problems after it. A failure raises :class:`~healthgap.data.DataError` with one line
naming the file, the line in that file, the column and what was expected. pandera is slow to import, so
this module is imported only when a table must be validated (a validated dataset is cached).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from healthgap.data import (
    CHANGE_MEASURES,
    GAP_MEASURES,
    GROUP_GAP_MEASURES,
    KEY,
    MEASURES,
    PERIOD_PATTERN,
    SEXES,
    STATUSES,
    DataError,
    _display_name,
    parse_period,
)

def _is_number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").notna()


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


NUMBER = pa.Check(_is_number, error="a number")
NUMBER_OR_BLANK = pa.Check(lambda s: (s == "") | _is_number(s), error="a number or nothing")
PERIOD = pa.Check(_is_period, error="a period like 1995-97")
PERIOD_OR_BLANK = pa.Check(_is_period_or_blank, error="a period like 1995-97, or nothing")
YES_NO = _one_of(("yes", "no"))


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
            "reduction_pct": _text(NUMBER),
            "published_target_value": _text(NUMBER_OR_BLANK, required=False),
            "published_target_source_id": _text(
                pa.Check(lambda s: (s == "") | s.isin(source_ids), error="a source_id of sources.csv, or nothing"),
                required=False,
            ),
            "wording_source_id": _text(pa.Check.isin(source_ids, error="a source_id of sources.csv")),
            "wording": _text(),
            "note": _text(required=False),
        },
        checks=[_unique_key(["indicator", "sex"])],
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
            pa.Check(
                lambda f: (f["preferred"] == "yes") | (f["note"].str.strip() != ""),
                error="a note saying why a row that is not preferred is kept",
            ),
            pa.Check(
                lambda f: f["measure"].isin(GROUP_GAP_MEASURES) == (f["group"] == "gap"),
                error=f"group 'gap' for the measures {', '.join(GROUP_GAP_MEASURES)}, and only for them",
            ),
            pa.Check(
                lambda f: f["measure"].isin(CHANGE_MEASURES) == (f["reference_period"] != ""),
                error=f"a reference_period for the measures {', '.join(CHANGE_MEASURES)}, and only for them",
            ),
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


def context_schema(sources: pd.DataFrame) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {
            "indicator": _text(),
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
            pa.Check(lambda f: (f["period"] != "") | (f["period_as_stated"].str.strip() != ""),
                     error="a period, or in period_as_stated what the source says of it"),
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


def read_table(path: Path, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Read a CSV as text and validate it; raise :class:`DataError` on the first problem.

    The returned frame keeps a ``line`` column: the row's line number in the file (the header
    is line 1), so every value can be traced to where it was read.
    """
    path = Path(path)
    name = _display_name(path)
    if not path.is_file():
        raise DataError(f"{name}: file not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skipinitialspace=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataError(f"{name}: not a readable CSV file ({str(error).strip().splitlines()[0]})") from None
    missing = [column for column in schema.columns if column not in frame.columns]
    if missing:
        raise DataError(
            f"{name}, line 1: missing column {missing[0]!r} (expected columns: {', '.join(schema.columns)})"
        )
    extra = [column for column in frame.columns if column not in schema.columns]
    if extra:
        raise DataError(f"{name}, line 1: unexpected column {extra[0]!r} (expected columns: {', '.join(schema.columns)})")
    frame = frame.apply(lambda column: column.str.strip())
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        raise DataError(_first_failure(name, errors.failure_cases, frame)) from None
    frame.insert(0, "line", frame.index + 2)
    return frame


def _first_failure(name: str, failures: pd.DataFrame, frame: pd.DataFrame) -> str:
    failures = failures.copy()
    failures["row"] = pd.to_numeric(failures["index"], errors="coerce")
    failures = failures.sort_values(["row", "check_number"], na_position="first", kind="stable")
    first = failures.iloc[0]
    count = failures["row"].dropna().nunique()
    more = f" ({count - 1} more rows have problems)" if count > 1 else ""
    if pd.isna(first["row"]):
        return f"{name}: {first['check']} ({first['failure_case']})"
    line = int(first["row"]) + 2
    column = first["column"]
    check = str(first["check"])
    if first["schema_context"] == "DataFrameSchema" or column is None:
        return f"{name}, line {line}: expected {check}{more}"
    value = frame.loc[int(first["row"]), column]
    return f"{name}, line {line}, column {column!r}: expected {check}, got {value!r}{more}"


