"""Data and its validation: the tidy CSV tables in ``data/`` and the schema each must meet.

Every table is read as text, checked against a pandera schema, and only then converted, so
that one bad cell cannot hide the problems after it. A failure raises :class:`DataError`
with one line naming the file, the line in that file, the column and what was expected.
The tables and their columns are documented in ``data/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from healthgap.read.errors import DataError, display_name as _display_name
from healthgap.read.periods import parse_period, sort_periods

from healthgap.read.vocabulary import (  # noqa: F401  (the tables' vocabulary, used across the library)
    CHANGE_MEASURES, GAP_CHANGE_MEASURES, GAP_MEASURES, GROUP_GAP_MEASURES, KEY, MEASURES, SEXES, STATUSES,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"


# --- the tables (their schemas are in healthgap.read.schemas) --------------------------------------


# --- the dataset ------------------------------------------------------------------------------


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
    statements: pd.DataFrame = field(default_factory=pd.DataFrame)
    """What sources said a gap did, in words, with their quotes (``statements.csv``)."""

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
        if not path.is_file():
            continue  # reported by the table's reader
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


def _check_groups(data_dir: Path, groups: pd.DataFrame, indicators: pd.DataFrame, observations: pd.DataFrame) -> None:
    """Every group an indicator or an observation names must be a group of ``groups.csv`` (or ``gap``)."""
    known = set(groups["group"])
    listed = ", ".join(groups["group"])
    for table, frame, columns in (("indicators.csv", indicators, ("disadvantaged_group", "comparator_group")),
                                  ("observations.csv", observations, ("group",))):
        for column in columns:
            unknown = frame[~frame[column].isin(known | ({"gap"} if column == "group" else set()))]
            if not unknown.empty:
                row = unknown.sort_values("line").iloc[0]
                also = " or gap" if column == "group" else ""
                raise DataError(f"{_display_name(data_dir / table)}, line {row['line']}, column {column!r}: expected a "
                                f"group of groups.csv ({listed}){also}, got {row[column]!r}")


def _decimal_places(text: str) -> int:
    """Decimal places a figure was published to, from its text: "82.0" -> 1, "13" -> 0."""
    return len(text.split(".", 1)[1]) if "." in text else 0


_LOADED: dict[tuple[str, str], "Dataset"] = {}


def load_dataset(data_dir: Path | str = DEFAULT_DATA_DIR) -> Dataset:
    """Read and validate ``sources``, ``indicators``, ``targets``, ``observations`` and ``context``.

    Values become floats, periods gain ``start``/``end`` years, and rows are ordered by
    indicator, sex and period. A directory whose content hash (:func:`data_version`) was already
    loaded is not validated again: in this process it is kept in memory (a build reads it for the
    title, the front and the back matter), and between processes (each notebook's kernel) in a cache
    file (:func:`cache_dir`), keyed by the folder, its content and the library's code.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"{_display_name(data_dir)}: data directory not found")
    key = (str(data_dir.resolve()), data_version(data_dir))
    if key not in _LOADED:
        _LOADED.clear()  # one directory at a time is all a build needs
        cached = _cache_file(*key)
        dataset = _read_cache(cached)
        if dataset is None:
            dataset = _load_dataset(data_dir)
            _write_cache(cached, dataset)
        _LOADED[key] = dataset
    return _LOADED[key]


def cache_dir() -> Path:
    """Where validated datasets are kept between processes: ``$XDG_CACHE_HOME/healthgap`` (``~/.cache``)."""
    import os

    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "healthgap"


def _cache_file(directory: str, version: str) -> Path:
    """The cache file of one validated dataset: keyed by its folder, its content and the library's code,
    so a change to any of them (a schema included) validates the tables again."""
    from healthgap.read.digests import library_digest

    key = hashlib.sha256(f"{directory}\0{version}\0{library_digest()}".encode()).hexdigest()[:24]
    return cache_dir() / f"dataset-{key}.pickle"


def _read_cache(path: Path) -> "Dataset | None":
    import pickle

    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def _write_cache(path: Path, dataset: "Dataset") -> None:
    """Keep a validated dataset (written whole, then renamed); a cache that cannot be written is skipped."""
    import os
    import pickle

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as handle:
            pickle.dump(dataset, handle)
        temporary.replace(path)
    except OSError:
        pass


_VALIDATED: dict[tuple[str, ...], pd.DataFrame] = {}
"""Tables validated in this process, by their bytes and those of the tables their schema is made from."""


def _read_validated(data_dir: Path, table: str, schema, depends: tuple[str, ...] = (), rows_required: bool = True
                    ) -> pd.DataFrame:
    """:func:`healthgap.read.schemas.read_table` of ``<table>.csv``, once per content in this process: a table
    whose file, and the files its schema is made from (``depends``: the tables whose keys it must name), are
    byte for byte ones already validated is not validated again; a copy of the frame is returned. ``schema``
    makes the schema (called only when the table must be validated); a table that fails is never remembered."""
    from healthgap.read import schemas  # pandera: imported only when a table must be validated
    from healthgap.read.digests import file_digest

    path = data_dir / f"{table}.csv"
    try:
        key = (table, str(rows_required), *(file_digest(data_dir / f"{name}.csv") for name in (table, *depends)))
    except OSError:
        return schemas.read_table(path, schema(), rows_required=rows_required)  # names the missing file
    if key not in _VALIDATED:
        frame = schemas.read_table(path, schema(), rows_required=rows_required)
        if len(_VALIDATED) >= 64:
            _VALIDATED.pop(next(iter(_VALIDATED)))
        _VALIDATED[key] = frame
    return _VALIDATED[key].copy()


def _load_dataset(data_dir: Path) -> Dataset:
    from healthgap.read import schemas  # pandera: imported only when a table must be validated

    sources = _read_validated(data_dir, "sources", schemas.sources_schema)
    indicators = _read_validated(data_dir, "indicators", schemas.indicators_schema)
    for column in ("decimals", "relative_gap_decimals"):
        indicators[column] = indicators[column].astype(int)
    targets = _read_validated(data_dir, "targets", lambda: schemas.targets_schema(indicators, sources),
                              ("indicators", "sources"), rows_required=False)
    _check_sexes(targets, indicators, _display_name(data_dir / "targets.csv"))
    targets["published_target_decimals"] = targets["published_target_value"].map(_decimal_places)
    for column in ("reduction_pct", "published_target_value"):
        targets[column] = pd.to_numeric(targets[column].replace("", None)).astype(float)
    observations = _read_validated(data_dir, "observations", lambda: schemas.observations_schema(indicators, sources),
                                   ("indicators", "sources"))
    _check_sexes(observations, indicators, _display_name(data_dir / "observations.csv"))
    observations["decimals"] = observations["value"].map(_decimal_places)
    observations["value"] = pd.to_numeric(observations["value"]).astype(float)
    observations = _add_period_columns(observations)
    observations = observations.sort_values(["indicator", "sex", "start", "end", "group", "measure"], kind="stable")
    optional = {}
    for table, schema, depends in (
            ("context", lambda: schemas.context_schema(sources, indicators), ("sources", "indicators")),
            ("editions", lambda: schemas.editions_schema(sources), ("sources",)),
            ("groups", schemas.groups_schema, ()),
            ("breaks", lambda: schemas.breaks_schema(indicators, sources), ("indicators", "sources")),
            ("statements", lambda: schemas.statements_schema(sources, indicators), ("sources", "indicators"))):
        path = data_dir / f"{table}.csv"
        optional[table] = _read_validated(data_dir, table, schema, depends, rows_required=False) if path.exists() \
            else pd.DataFrame()
    context, editions, groups, breaks, statements = (optional[t] for t in ("context", "editions", "groups", "breaks",
                                                                          "statements"))
    if not statements.empty:
        _check_sexes(statements, indicators, _display_name(data_dir / "statements.csv"))
        statements = _add_period_columns(statements)
    if not groups.empty:
        _check_groups(data_dir, groups, indicators, observations)
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
        statements=statements,
    )


def context_known(context: pd.DataFrame, sources: pd.DataFrame, editions: pd.DataFrame, period: str | None,
                  latest: str | None) -> pd.DataFrame:
    """The figures not used (``context.csv``) that an edition could have known.

    A row whose period is given is kept when that period ends by the edition's; a row whose source
    gives no period is kept when its source was published no later than the edition's publication
    (``editions.csv``), or, for an edition no publication is named for, only in the latest edition.
    """
    if context.empty or period is None or period == latest:
        return context
    end = parse_period(period)[1]
    rows = editions[editions["period"] == period] if not editions.empty else editions
    edition = None if rows.empty else rows.iloc[0]
    dates = dict(zip(sources["source_id"], sources["published"]))

    def known(row: pd.Series) -> bool:
        if row["period"]:
            return parse_period(row["period"])[1] <= end
        if edition is None:
            return False
        return bool(dates.get(row["source_id"])) and not published_after(dates[row["source_id"]], edition["published"])

    return context[context.apply(known, axis=1)]


OBSERVATION_KEY = ["indicator", "sex", "period", "group", "measure", "reference_period"]
"""What one figure is: two rows with the same key are two sources' figures for it, one of them preferred."""


def cited_as_known(observations: pd.DataFrame, sources: pd.DataFrame, edition: pd.Series | None) -> pd.DataFrame:
    """The rows an edition uses (``preferred = yes``), each from a source it could have known where one gave the
    same figure: where the preferred row's source was published after the edition's publication and another
    row of the same key, with the same value at the same precision, comes from a source published by then, the
    edition cites that one instead. The figures do not change; only which source an edition cites for them."""
    if edition is None or observations.empty:
        return observations
    dates = dict(zip(sources["source_id"], sources["published"]))
    later = observations["source_id"].map(lambda s: published_after(dates.get(s, ""), edition["published"]))
    chosen = observations.copy()
    for index in chosen.index[(chosen["preferred"] == "yes") & later]:
        row = chosen.loc[index]
        same = ((chosen[OBSERVATION_KEY] == row[OBSERVATION_KEY]).all(axis=1) & (chosen["preferred"] != "yes")
                & ~later & (chosen["value"] == row["value"]) & (chosen["decimals"] == row["decimals"]))
        if same.any():
            chosen.loc[index, "preferred"] = "no"
            chosen.loc[same[same].index[0], "preferred"] = "yes"
    return chosen


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
