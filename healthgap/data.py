"""Data and its validation: the tidy CSV tables in ``data/`` and the schema each must meet.

Every table is read as text, checked against a pandera schema, and only then converted, so
that one bad cell cannot hide the problems after it. A failure raises :class:`DataError`
with one line naming the file, the line in that file, the column and what was expected.
The tables and their columns are documented in ``data/README.md``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

PERIOD_PATTERN = r"^\d{4}(-(\d{2}|\d{4}))?$"
MEASURES = (
    "rate",
    "life_expectancy",
    "deaths",
    "change",
    "absolute_gap",
    "relative_gap_pct",
    "pct_change_rate",
    "pct_change_absolute_gap",
    "pct_change_relative_gap",
)
GAP_MEASURES = ("absolute_gap", "relative_gap_pct")
# each gap and the measure of its percentage change from a reference period
GAP_CHANGE_MEASURES = {"absolute_gap": "pct_change_absolute_gap", "relative_gap_pct": "pct_change_relative_gap"}
CHANGE_MEASURES = ("change", "pct_change_rate", *GAP_CHANGE_MEASURES.values())
GROUP_GAP_MEASURES = (*GAP_MEASURES, *GAP_CHANGE_MEASURES.values())  # rows about the gap itself: group "gap"
SEXES = ("persons", "male", "female")
STATUSES = ("published", "estimate", "derived")
"""``published``: as the source gave it; ``estimate``: the source gave it as an estimate;
``derived``: computed by the curator from other published figures."""
KEY = ["indicator", "sex", "period", "group", "measure", "reference_period"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data"


class DataError(ValueError):
    """A data table does not meet its schema; the message is one line naming file, line and column."""


# --- periods ----------------------------------------------------------------------------------


def parse_period(label: str) -> tuple[int, int]:
    """Parse a period label into its first and last calendar years.

    ``"1995-97"`` -> (1995, 1997); ``"1999-01"`` -> (1999, 2001); ``"2008-2010"`` -> (2008, 2010);
    ``"2010"`` -> (2010, 2010). The two-digit end year is the first year at or after the start
    with those last two digits, so periods may cross a century.
    """
    text = str(label).strip()
    if not re.fullmatch(PERIOD_PATTERN, text):
        raise ValueError(f"period {label!r}: expected a label like 1995-97, 2008-2010 or 2010")
    start_text, _, end_text = text.partition("-")
    start = int(start_text)
    if not end_text:
        return start, start
    if len(end_text) == 4:
        end = int(end_text)
    else:
        end = start - start % 100 + int(end_text)
        if end < start and end + 100 - start <= 10:
            end += 100  # 1999-01 crosses a century; 2006-04 ends before it starts
    if end < start:
        raise ValueError(f"period {label!r}: ends before it starts")
    return start, end


def period_midpoint(label: str) -> float:
    """The middle of a period in years, e.g. 1995-97 -> 1996.0; used to place periods on a time axis."""
    start, end = parse_period(label)
    return (start + end) / 2


def sort_periods(labels) -> list[str]:
    """Distinct period labels in time order (by first, then last year)."""
    return sorted(set(labels), key=parse_period)


# --- schemas ----------------------------------------------------------------------------------


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


def _display_name(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- the dataset ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """A briefing's configuration, from ``briefing.toml`` in the data directory.

    ``sections`` maps each notebook (by name) to the indicator it shows.
    """

    title: str
    introduction: str
    sections: dict[str, str] = field(default_factory=dict)


CONFIG_NAME = "briefing.toml"


def load_config(data_dir: Path, indicators: pd.DataFrame | None = None) -> Config:
    """Read ``briefing.toml``: ``title``, ``introduction`` and ``[sections]`` (notebook = indicator).

    A missing file gives a title from the folder and one section per indicator, named after it.
    """
    path = Path(data_dir) / CONFIG_NAME
    name = _display_name(path)
    known = list(indicators["indicator"]) if indicators is not None else []
    if not path.is_file():
        return Config(title=f"Health-inequality briefing: {Path(data_dir).name}", introduction="",
                      sections={i: i for i in known})
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{name}: {error}") from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: expected UTF-8 text") from None
    for key in ("title", "introduction"):
        if not isinstance(raw.get(key, ""), str):
            raise DataError(f"{name}, key {key!r}: expected text")
    if not str(raw.get("title", "")).strip():
        raise DataError(f"{name}, key 'title': expected a title for the briefing")
    sections = raw.get("sections", {i: i for i in known})
    if not isinstance(sections, dict) or not all(isinstance(v, str) for v in sections.values()):
        raise DataError(f"{name}, table [sections]: expected lines like cancer = \"an indicator of indicators.csv\"")
    for notebook, indicator in sections.items():
        if known and indicator not in known:
            raise DataError(
                f"{name}, [sections] {notebook}: expected an indicator of indicators.csv "
                f"({', '.join(known)}), got {indicator!r}"
            )
    return Config(title=raw["title"].strip(), introduction=" ".join(str(raw.get("introduction", "")).split()),
                  sections=dict(sections))


@dataclass(frozen=True)
class Dataset:
    """All the tables of one data directory, validated and typed."""

    data_dir: Path
    observations: pd.DataFrame
    sources: pd.DataFrame
    indicators: pd.DataFrame
    targets: pd.DataFrame
    context: pd.DataFrame
    editions: pd.DataFrame
    version: str
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    breaks: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: Config | None = None

    def indicator(self, name: str) -> pd.Series:
        """The ``indicators.csv`` row for one indicator."""
        rows = self.indicators[self.indicators["indicator"] == name]
        if rows.empty:
            raise KeyError(f"indicator {name!r} is not in indicators.csv (known: {', '.join(self.indicators['indicator'])})")
        return rows.iloc[0]

    def target(self, indicator: str, sex: str) -> pd.Series | None:
        """The ``targets.csv`` row for one indicator and sex, or None if it has no target."""
        rows = self.targets[(self.targets["indicator"] == indicator) & (self.targets["sex"] == sex)]
        return None if rows.empty else rows.iloc[0]

    def edition(self, period: str | None) -> pd.Series | None:
        """The publication that reported the data to ``period``, if ``editions.csv`` names one."""
        period = period or latest_period(self.observations)
        rows = self.editions[self.editions["period"] == period] if not self.editions.empty else self.editions
        return None if rows.empty else rows.iloc[0]

    def group_label(self, group: str) -> str:
        """A group's label from ``groups.csv`` ("the Spearhead Group"); the code itself if it has none."""
        if not self.groups.empty:
            rows = self.groups[self.groups["group"] == group]
            if not rows.empty:
                return str(rows.iloc[0]["label"])
        return group

    def source(self, source_id: str) -> pd.Series:
        return self.sources.set_index("source_id").loc[source_id]

    def breaks_for(self, indicator: str, as_of: str | None = None) -> pd.DataFrame:
        """The method breaks of an indicator that fall within the edition (first period by ``as_of``)."""
        if self.breaks.empty:
            return self.breaks
        rows = self.breaks[self.breaks["indicator"] == indicator]
        if as_of:
            end = parse_period(as_of)[1]
            rows = rows[rows["first_period"].map(lambda p: parse_period(p)[1] <= end)]
        return rows


def data_version(data_dir: Path) -> str:
    """A content hash of every CSV and TOML file in the data directory (SHA-256 of names and bytes, 12 hex digits).

    Two readers whose briefings show the same version read the same data.
    """
    digest = hashlib.sha256()
    for path in sorted([*Path(data_dir).glob("*.csv"), *Path(data_dir).glob("*.toml")]):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def _add_period_columns(frame: pd.DataFrame, column: str = "period", prefix: str = "") -> pd.DataFrame:
    bounds = frame[column].map(parse_period)
    frame[f"{prefix}start"] = bounds.map(lambda b: b[0]).astype("int64")
    frame[f"{prefix}end"] = bounds.map(lambda b: b[1]).astype("int64")
    return frame


def _check_sexes(frame: pd.DataFrame, indicators: pd.DataFrame, name: str) -> None:
    """Every row's sex must be one its indicator is reported for (``indicators.csv``, column sexes)."""
    allowed = {row["indicator"]: row["sexes"].split(";") for _, row in indicators.iterrows()}
    for _, row in frame.iterrows():
        if row["sex"] not in allowed[row["indicator"]]:
            raise DataError(
                f"{name}, line {row['line']}, column 'sex': expected one of {', '.join(allowed[row['indicator']])} "
                f"for indicator {row['indicator']!r} (its sexes in indicators.csv), got {row['sex']!r}"
            )


def _decimal_places(text: str) -> int:
    """Decimal places a figure was published to, from its text: "82.0" -> 1, "13" -> 0."""
    return len(text.split(".", 1)[1]) if "." in text else 0


def load_dataset(data_dir: Path | str = DEFAULT_DATA_DIR) -> Dataset:
    """Read and validate ``sources``, ``indicators``, ``targets``, ``observations`` and ``context``.

    Values become floats, periods gain ``start``/``end`` years, and rows are ordered by
    indicator, sex and period.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{_display_name(data_dir)}: data directory not found")
    sources = read_table(data_dir / "sources.csv", sources_schema())
    indicators = read_table(data_dir / "indicators.csv", indicators_schema())
    for column in ("decimals", "relative_gap_decimals"):
        indicators[column] = indicators[column].astype(int)
    targets = read_table(data_dir / "targets.csv", targets_schema(indicators, sources))
    _check_sexes(targets, indicators, _display_name(data_dir / "targets.csv"))
    targets["published_target_decimals"] = targets["published_target_value"].map(_decimal_places)
    for column in ("reduction_pct", "published_target_value"):
        targets[column] = pd.to_numeric(targets[column].replace("", None)).astype(float)
    observations = read_table(data_dir / "observations.csv", observations_schema(indicators, sources))
    _check_sexes(observations, indicators, _display_name(data_dir / "observations.csv"))
    observations["decimals"] = observations["value"].map(_decimal_places)
    observations["value"] = pd.to_numeric(observations["value"]).astype(float)
    observations = _add_period_columns(observations)
    observations = observations.sort_values(["indicator", "sex", "start", "end", "group", "measure"], kind="stable")
    context_path = data_dir / "context.csv"
    context = read_table(context_path, context_schema(sources)) if context_path.exists() else pd.DataFrame()
    editions_path = data_dir / "editions.csv"
    editions = read_table(editions_path, editions_schema(sources)) if editions_path.exists() else pd.DataFrame()
    groups_path = data_dir / "groups.csv"
    groups = read_table(groups_path, groups_schema()) if groups_path.exists() else pd.DataFrame()
    breaks_path = data_dir / "breaks.csv"
    breaks = read_table(breaks_path, breaks_schema(indicators, sources)) if breaks_path.exists() else pd.DataFrame()
    return Dataset(
        data_dir=data_dir,
        observations=observations.reset_index(drop=True),
        sources=sources,
        indicators=indicators,
        targets=targets,
        context=context,
        editions=editions,
        version=data_version(data_dir),
        groups=groups,
        breaks=breaks,
        config=load_config(data_dir, indicators),
    )


def context_as_of(dataset: "Dataset", period: str | None) -> pd.DataFrame:
    """The figures not used (``context.csv``) that an edition could have known.

    A row whose period is given is kept when that period ends by the edition's; a row whose source
    gives no period is kept when its source was published no later than the edition's publication
    (``editions.csv``), or, for an edition no publication is named for, only in the latest edition.
    """
    context = dataset.context
    if context.empty or period is None or period == latest_period(dataset.observations):
        return context
    end = parse_period(period)[1]
    edition = dataset.edition(period)
    dates = dict(zip(dataset.sources["source_id"], dataset.sources["published"]))

    def known(row: pd.Series) -> bool:
        if row["period"]:
            return parse_period(row["period"])[1] <= end
        if edition is None:
            return False
        return bool(dates.get(row["source_id"])) and not published_after(dates[row["source_id"]], edition["published"])

    return context[context.apply(known, axis=1)]


def published_after(source_date: str, edition_date: str) -> bool:
    """Whether a source came out after an edition, comparing dates at the precision both give.

    "2009-12" is after "2007-12"; "2008" is not after "2008-03" (the year alone cannot say).
    """
    if not source_date or not edition_date:
        return False
    a, b = source_date.split("-"), edition_date.split("-")
    shared = min(len(a), len(b))
    return a[:shared] > b[:shared]


def latest_period(observations: pd.DataFrame) -> str:
    """The latest period (by last, then first year) among the observations."""
    if observations.empty:
        raise ValueError("no observations")
    last = observations.sort_values(["end", "start"]).iloc[-1]
    return str(last["period"])


def as_of(observations: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """The observations known up to a period: rows whose period ends no later than it does.

    ``None`` keeps everything. A label that names no period in the data is an error, so a
    typing slip in ``AS_OF`` cannot silently give a different edition.
    """
    if period is None or str(period).strip() == "":
        return observations
    known = set(observations["period"])
    if period not in known:
        raise ValueError(f"as-of period {period!r} is not a period in the data (periods: {', '.join(sort_periods(known))})")
    _, end = parse_period(period)
    return observations[observations["end"] <= end]


def preferred(observations: pd.DataFrame) -> pd.DataFrame:
    """The rows the computation uses: one per key, the one marked ``preferred = yes``."""
    return observations[observations["preferred"] == "yes"]


def conflicts(observations: pd.DataFrame) -> pd.DataFrame:
    """Keys published with different values by different sources, every row of each such key."""
    grouped = observations.groupby(KEY, dropna=False)["value"]
    differing = grouped.transform("nunique") > 1
    return observations[differing]
